"""Calling CDF as the user: what the token may do (token/inspect), the controls it disables, a 401
sending the user back through sign-in and a 403 naming the missing capability."""

import re

import pytest
import requests
from django.core.cache import cache

from records.cdf import (
    CdfClient,
    CdfForbiddenError,
    CdfUnauthorizedError,
    CdfUnavailableError,
    ForwardedToken,
    project_capabilities,
)
from records.web.presentation import error_context
from tests.conftest import SIGNED_IN_AS_ADMIN, TOKEN
from tests.streams.test_stream_admin import DEMO_STREAMS, emulator_streams, submit

READ_ONLY = {"streamsAcl:READ", "streamRecordsAcl:READ", "dataModelsAcl:READ"}
EVERYTHING = READ_ONLY | {
    "streamsAcl:CREATE",
    "streamsAcl:DELETE",
    "streamRecordsAcl:WRITE",
    "dataModelsAcl:WRITE",
}
CREATE_REASON = "Your CDF access lacks streamsAcl:CREATE"
DELETE_REASON = "Your CDF access lacks streamsAcl:DELETE"


@pytest.fixture
def forwarded(app, settings):
    settings.CDF_TOKEN_SOURCE = "forwarded"
    return app


def admin_with(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({**SIGNED_IN_AS_ADMIN, "X-Forwarded-Access-Token": token})
    return session


def inject_fault(app, endpoint: str, status: int) -> None:
    spec = {"project": "demo", "endpoint": endpoint, "status": status}
    assert requests.post(app.url + "/emulator/_faults", json=spec, timeout=30).status_code == 201


def dev_sign_in(app, settings) -> requests.Session:
    """A browser signed in as the demo admin through the development sign-in form."""
    settings.AUTH_MODE = "dev"
    browser = requests.Session()
    form = browser.get(app.url + "/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed_in = browser.post(
        app.url + "/signin/",
        data={"csrfmiddlewaretoken": token, "username": "ada.admin", "next": "/"},
        headers={"Referer": app.url + "/signin/"},
        timeout=30,
    )
    assert signed_in.url == app.url + "/" and "4 of 4 streams" in signed_in.text
    return browser


def granted(answer: dict) -> set[str]:
    return project_capabilities(answer, "demo")


# --- the emulator's token/inspect ------------------------------------------------------


def inspect(app, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(app.url + "/emulator/api/v1/token/inspect", headers=headers, timeout=30)


def test_inspect_describes_a_limited_token(app):
    answer = inspect(app, "readonly-token")
    assert answer.status_code == 200 and answer.headers["x-request-id"]
    body = answer.json()
    assert body["subject"] and "readonly-token" not in body["subject"]
    assert body["projects"] == [{"projectUrlName": "demo"}, {"projectUrlName": "test"}]
    assert {
        "streamsAcl": {"actions": ["READ"], "scope": {"all": {}}},
        "projectScope": {"allProjects": {}},
    } in (body["capabilities"])
    assert granted(body) == READ_ONLY


def test_inspect_gives_an_unrestricted_token_every_capability(app):
    body = inspect(app, TOKEN).json()
    assert granted(body) == EVERYTHING
    assert body["subject"] != inspect(app, "readonly-token").json()["subject"]


def test_inspect_needs_a_bearer_token(app):
    answer = inspect(app, None)
    assert answer.status_code == 401 and "Bearer" in answer.json()["error"]["message"]
    posted = requests.post(
        app.url + "/emulator/api/v1/token/inspect", headers={"Authorization": "Bearer t"}, timeout=30
    )
    assert posted.status_code == 405


def test_the_client_asks_once_per_token_and_keeps_no_token(app):
    client = CdfClient(f"{app.url}/emulator", "demo", ForwardedToken("readonly-token"))
    assert client.capabilities() == READ_ONLY
    assert CdfClient(f"{app.url}/emulator", "demo", ForwardedToken(TOKEN)).capabilities() == EVERYTHING
    assert client.capabilities() == READ_ONLY
    keys = list(cache._cache)  # the local-memory cache's own keys
    assert len(keys) == 2 and not any("token" in key for key in keys)


# --- reading an inspect answer ---------------------------------------------------------


def test_capabilities_count_only_for_the_project():
    answer = {
        "capabilities": [
            {
                "streamsAcl": {"actions": ["READ", "CREATE"], "scope": {"all": {}}},
                "projectScope": {"allProjects": {}},
            },
            {
                "streamsAcl": {"actions": ["DELETE"], "scope": {"all": {}}},
                "projectScope": {"projects": ["other"]},
            },
            {
                "streamRecordsAcl": {
                    "actions": ["WRITE"],
                    "scope": {"spaceIdScope": {"spaceIds": ["scada"]}},
                },
                "projectScope": {"projects": ["demo", "other"]},
            },
        ]
    }
    assert granted(answer) == {"streamsAcl:READ", "streamsAcl:CREATE", "streamRecordsAcl:WRITE"}
    assert project_capabilities(answer, "other") == {
        "streamsAcl:READ",
        "streamsAcl:CREATE",
        "streamsAcl:DELETE",
        "streamRecordsAcl:WRITE",
    }
    assert granted({"capabilities": []}) == set() and granted({}) == set()


def test_a_403_names_the_missing_capability_and_a_401_is_not_shown():
    forbidden = CdfForbiddenError(
        "Forbidden: the token lacks the capability streamRecordsAcl:WRITE", status=403
    )
    context = error_context(forbidden)
    assert context["title"] == "Your CDF access does not allow this"
    assert context["message"].startswith("Your CDF access lacks streamRecordsAcl:WRITE;")
    vague = error_context(CdfForbiddenError("Project 'demo' does not exist", status=403))
    assert vague["message"] == "Project 'demo' does not exist"
    with pytest.raises(CdfUnauthorizedError):
        error_context(CdfUnauthorizedError("Unauthorized", status=401))


# --- the streams page and the stream admin views ---------------------------------------


def test_a_read_only_token_disables_creating_and_deleting_streams(forwarded):
    page = admin_with("readonly-token").get(forwarded.url + "/", timeout=30)
    assert page.status_code == 200 and "4 of 4 streams" in page.text
    assert (
        '<button type="button" disabled aria-describedby="create-stream-reason">New stream</button>'
        in page.text
    )
    assert CREATE_REASON in page.text and DELETE_REASON in page.text
    assert page.text.count('disabled aria-describedby="delete-stream-reason">Delete') == 4
    assert "/new-stream/" not in page.text and "/delete/" not in page.text


def test_a_full_token_enables_them(forwarded):
    page = admin_with(TOKEN).get(forwarded.url + "/", timeout=30).text
    assert '<a href="/new-stream/" role="button">New stream</a>' in page
    assert "disabled" not in page and "Your CDF access lacks" not in page


def test_the_stream_admin_views_refuse_a_read_only_token_before_calling_cdf(forwarded):
    admin = admin_with("readonly-token")
    for path, data, reason in [
        ("/new-stream/", {"stream_id": "pumps", "template": "BasicLiveData"}, CREATE_REASON),
        ("/streams/alarms/delete/", {"confirm": "alarms"}, DELETE_REASON),
    ]:
        posted = submit(admin, forwarded.url + path, data)
        assert posted.status_code == 403 and reason in posted.text
    assert set(emulator_streams(forwarded)) == DEMO_STREAMS


def test_when_inspect_fails_nothing_is_disabled(forwarded, monkeypatch):
    def unavailable(client):
        raise CdfUnavailableError("CDF is down", status=503)

    monkeypatch.setattr(CdfClient, "inspect_token", unavailable)
    page = admin_with("readonly-token").get(forwarded.url + "/", timeout=30).text
    assert '<a href="/new-stream/" role="button">New stream</a>' in page and "disabled" not in page
    # CDF itself refuses, and the page says which capability is missing.
    created = submit(
        admin_with("readonly-token"),
        forwarded.url + "/new-stream/",
        {"stream_id": "pumps", "template": "BasicLiveData"},
    )
    assert created.status_code == 200 and "Your CDF access lacks streamsAcl:CREATE;" in created.text
    assert set(emulator_streams(forwarded)) == DEMO_STREAMS


def test_a_403_on_the_browser_names_the_missing_capability(forwarded, settings):
    settings.EMULATOR_TOKENS += ";streams-only-token=streamsAcl:READ dataModelsAcl:READ"
    page = admin_with("streams-only-token").get(forwarded.url + "/streams/alarms/", timeout=30)
    assert page.status_code == 200
    assert "Your CDF access does not allow this" in page.text
    assert "Your CDF access lacks streamRecordsAcl:READ;" in page.text


def test_security_a_user_without_data_models_access_never_sees_anothers_containers(forwarded, settings):
    """Security: container definitions are cached per user. Right after a colleague's visit filled the
    cache, a user whose token lacks dataModelsAcl:READ still gets CDF's refusal, not the containers."""
    settings.EMULATOR_TOKENS += ";no-models-token=streamsAcl:READ streamRecordsAcl:READ"
    seen = admin_with(TOKEN).get(forwarded.url + "/streams/alarms/", timeout=30)
    assert seen.status_code == 200 and "plant.Alarm.severity" in seen.text
    page = admin_with("no-models-token").get(forwarded.url + "/streams/alarms/", timeout=30)
    assert page.status_code == 200 and "plant.Alarm.severity" not in page.text
    assert "Your CDF access lacks dataModelsAcl:READ;" in page.text


# --- a 401 sends the user back through sign-in ------------------------------------------


@pytest.mark.usefixtures("fault_injection")
def test_a_401_with_the_apps_own_token_says_so_and_keeps_the_user_signed_in(app, settings):
    browser = dev_sign_in(app, settings)
    inject_fault(app, "streams/list", 401)
    page = browser.get(app.url + "/?q=al", allow_redirects=False, timeout=30)
    assert page.status_code == 502
    assert "CDF did not accept the app&#x27;s own credentials" in page.text
    assert "CDF_TOKEN_SOURCE=static" in page.text and "CDF request id" in page.text
    # Signing in again would not help, so the user stays signed in.
    assert browser.get(app.url + "/", allow_redirects=False, timeout=30).status_code == 200


def test_a_401_behind_the_proxy_goes_to_its_sign_in(forwarded, settings):
    settings.PROXY_SIGNIN_URL = "/oauth2/sign_in"
    page = requests.get(
        forwarded.url + "/streams/alarms/", headers=SIGNED_IN_AS_ADMIN, allow_redirects=False, timeout=30
    )
    assert page.status_code == 302 and page.headers["Location"] == "/oauth2/sign_in?rd=%2Fstreams%2Falarms%2F"


def test_a_401_answers_htmx_with_hx_redirect(forwarded, settings):
    settings.PROXY_SIGNIN_URL = "/oauth2/sign_in"
    headers = {**SIGNED_IN_AS_ADMIN, "HX-Request": "true", "HX-Current-URL": forwarded.url + "/?q=equip"}
    fragment = requests.get(
        forwarded.url + "/?q=equipment", headers=headers, allow_redirects=False, timeout=30
    )
    assert fragment.status_code == 200 and fragment.text == ""
    assert fragment.headers["HX-Redirect"] == "/oauth2/sign_in?rd=%2F%3Fq%3Dequip"
