"""Sign-in decided on the path Django routes on, security headers and caching on every answer, and one
user per session: through Django's test client, and through gunicorn as production serves the app."""

import http.client
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from bench.emulator import Server
from records.web.auth import USERNAME_MAX_LENGTH, account_username
from streamsadmin.settings import sign_out_origins

from .conftest import SIGNED_IN_AS_EDITOR, SIGNED_IN_AS_VIEWER

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


def headers_of(signed_in: dict) -> dict:
    """The proxy's headers as the test client takes them (WSGI environ keys)."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in signed_in.items()}


@pytest.fixture
def client(db, settings):
    settings.AUTH_MODE = "proxy"
    return Client()


# --- Item 1: the public paths are matched exactly, on path_info ------------------------------------


NOT_PUBLIC = ["/healthzfoo", "/healthz/", "/healthz.json", "/staticx/a.css", "/emulatorx/"]


@pytest.mark.parametrize("path", NOT_PUBLIC)
def test_only_exact_public_paths_skip_sign_in(client, path):
    """Security 1: /healthz is public, /healthzfoo is not (it needs a user, like any page)."""
    answer = client.get(path)
    assert answer.status_code == 403 and b"did not say who you are" in answer.content
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_script_name_never_makes_a_page_public(client):
    """Security 1: a SCRIPT_NAME of /static or /healthz in front of a page's path does not skip sign-in."""
    for script_name, page in (("/static", "/streams/equipment/export/"), ("/healthz", "/")):
        # The test client takes the path Django routes on (PATH_INFO); request.path is SCRIPT_NAME + it.
        answer = client.get(page, {"format": "csv"}, SCRIPT_NAME=script_name)
        assert answer.status_code == 403, script_name
        assert b"did not say who you are" in answer.content


# --- Item 5 and 15: every answer carries the security headers; signed-in pages are never stored -----


@pytest.mark.parametrize(
    ("environ", "status"),
    [
        ({"REMOTE_ADDR": "203.0.113.9", **headers_of(SIGNED_IN_AS_VIEWER)}, 403),  # untrusted address
        ({}, 403),  # no user
        (headers_of({"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "visitors"}), 403),  # no role
        (headers_of({"X-Forwarded-User": "eddie,mallory", "X-Forwarded-Groups": "streams-editors"}), 400),
    ],
)
def test_refusals_at_sign_in_carry_the_security_headers(client, environ, status):
    """Security 5 and 15: refusals carry CSP, X-Frame-Options and the rest, and are not cached."""
    answer = client.get("/jobs/", **environ)
    assert answer.status_code == status
    for name in SECURITY_HEADERS:
        assert name in answer.headers, name
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in answer.headers["Cache-Control"]


def test_signed_in_pages_are_not_stored_and_the_csrf_cookie_is_http_only(client):
    """Security 15: Cache-Control no-store on a user's pages; the CSRF cookie is out of scripts' reach
    (htmx reads the token from the page)."""
    answer = client.get("/jobs/", **headers_of(SIGNED_IN_AS_EDITOR))
    assert answer.status_code == 200
    assert "no-store" in answer.headers["Cache-Control"]
    assert answer.cookies["csrftoken"]["httponly"]
    assert 'hx-headers=\'{"X-CSRFToken": "' in answer.content.decode()
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_a_user_header_naming_two_users_is_refused(client):
    """Security 15: a repeated user header arrives joined with a comma; it is refused, not believed."""
    for joined in ({"X-Forwarded-User": "eddie,ada"}, {"X-Forwarded-Email": "e@example.com,a@example.com"}):
        answer = client.get("/jobs/", **headers_of({**SIGNED_IN_AS_EDITOR, **joined}))
        assert answer.status_code == 400 and b"more than one user" in answer.content
    assert not get_user_model().objects.filter(username__contains=",").exists()


# --- Item 9: a session belongs to one proxy user -----------------------------------------------------


def remember_and_warn(request):
    request.session["remembered"] = request.user.username
    messages.warning(request, f"for {request.user.username} only")
    return HttpResponse("ok")


def show_session(request):
    shown = [str(message) for message in messages.get_messages(request)]
    return HttpResponse(f"{request.session.get('remembered')}|{shown}")


urlpatterns = [path("remember/", remember_and_warn), path("show/", show_session)]


@pytest.mark.urls(__name__)
def test_the_session_is_flushed_when_the_proxy_user_changes(client):
    """Security 9: what one user's session holds never reaches the next user on the same cookies."""
    client.get("/remember/", **headers_of(SIGNED_IN_AS_VIEWER))
    assert client.get("/show/", **headers_of(SIGNED_IN_AS_VIEWER)).content == b"vera|['for vera only']"
    client.get("/remember/", **headers_of(SIGNED_IN_AS_VIEWER))
    assert client.get("/show/", **headers_of(SIGNED_IN_AS_EDITOR)).content == b"None|[]"
    # The new user's session is their own from then on.
    client.get("/remember/", **headers_of(SIGNED_IN_AS_EDITOR))
    assert client.get("/show/", **headers_of(SIGNED_IN_AS_EDITOR)).content == b"eddie|['for eddie only']"


def test_long_identities_stay_two_accounts():
    """Security 10 (proxy): two identities longer than the user name column that share their start."""
    first, second = "a" * 200 + "1", "a" * 200 + "2"
    assert account_username(first) != account_username(second)
    assert len(account_username(first)) <= USERNAME_MAX_LENGTH
    assert account_username(first) == account_username(first) and account_username("eddie") == "eddie"


# --- Item 13: the development sign-in exists only in development mode ---------------------------------


@pytest.mark.parametrize("mode", ["proxy", "oidc"])
def test_the_development_sign_in_is_not_served_in_other_modes(client, settings, mode):
    """Security 13: /signin/ answers 404 and creates no account unless AUTH_MODE=dev."""
    settings.AUTH_MODE = mode
    for method in (client.get, client.post):
        answer = method("/signin/", {"username": "ada.admin"}, **headers_of(SIGNED_IN_AS_EDITOR))
        assert answer.status_code in (302, 404), answer.status_code  # oidc sends strangers to sign in
        assert answer.status_code == 404 or "/oidc/authenticate/" in answer.headers["Location"]
    assert not get_user_model().objects.filter(username="ada.admin").exists()


# --- Item 6: sign-out may leave for the proxy's or the provider's page --------------------------------


def test_the_sign_out_origins_are_allowed_as_form_targets():
    """Security 6: the CSP's form-action admits the origin of an absolute sign-out URL."""
    assert sign_out_origins("/oauth2/sign_out", "") == []
    origins = sign_out_origins("https://sso.example.com/oauth2/sign_out?rd=x", "https://idp.example.com/logout")
    assert origins == ["https://idp.example.com", "https://sso.example.com"]


# --- Through gunicorn, as production serves the app ----------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """The app under gunicorn with DEBUG off, behind a proxy at 127.0.0.1 (gunicorn's default
    forwarded_allow_ips, so it takes SCRIPT_NAME from a request header)."""
    server = Server(tmp_path_factory.mktemp("gunicorn"), gunicorn=True)
    server.env.update({"AUTH_MODE": "proxy", "SECRET_KEY": "x" * 60})
    server.start()
    yield server.url
    server.stop()


def raw_get(url: str, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
    """A GET that sends the headers exactly as listed, repeated ones included."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    answer = connection.getresponse()
    status, body = answer.status, answer.read()
    connection.close()
    return status, body


@pytest.mark.server
def test_gunicorn_script_name_never_skips_sign_in(gunicorn):
    """Security 1 (the blocker): through gunicorn, SCRIPT_NAME: /static on an export, or /healthz on the
    streams page, gets the sign-in refusal, not the records."""
    export_url = gunicorn + "/static/streams/equipment/export/?format=csv"
    export = requests.get(export_url, headers={"SCRIPT_NAME": "/static"}, timeout=30)
    assert export.status_code == 403 and "did not say who you are" in export.text
    assert "text/csv" not in export.headers.get("Content-Type", "")
    streams = requests.get(gunicorn + "/healthz/", headers={"SCRIPT_NAME": "/healthz"}, timeout=30)
    assert streams.status_code == 403 and "did not say who you are" in streams.text
    assert requests.get(gunicorn + "/healthz", timeout=30).json() == {"status": "ok"}
    assert requests.get(gunicorn + "/healthzfoo", timeout=30).status_code == 403
    for name in SECURITY_HEADERS:
        assert name in export.headers, name


@pytest.mark.server
def test_gunicorn_refuses_repeated_identity_headers(gunicorn):
    """Security 15: two user or two groups headers are refused (400), not joined into one."""
    signed_in = [*SIGNED_IN_AS_EDITOR.items()]
    assert raw_get(gunicorn + "/jobs/", signed_in)[0] == 200
    for repeated in (("X-Forwarded-User", "ada"), ("X-Forwarded-Groups", "streams-admins")):
        status, body = raw_get(gunicorn + "/jobs/", [*signed_in, repeated])
        assert status == 400 and b"sent more than once" in body, repeated


@pytest.mark.server
def test_gunicorn_answers_a_misplaced_script_name_with_400(gunicorn):
    """No request gives a server error: a SCRIPT_NAME that is not where the path starts is a bad request."""
    status, _ = raw_get(gunicorn + "/jobs/", [*SIGNED_IN_AS_EDITOR.items(), ("SCRIPT_NAME", "/elsewhere")])
    assert status == 400
