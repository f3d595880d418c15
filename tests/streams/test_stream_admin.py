"""Creating and deleting streams, over real HTTP: admins only, with the CSRF token, and typed confirmation."""

import re

import pytest
import requests

from tests.conftest import SIGNED_IN_AS_ADMIN, SIGNED_IN_AS_EDITOR, SIGNED_IN_AS_VIEWER, TOKEN

DEMO_STREAMS = {"equipment", "alarms", "sensor-readings", "readings-archive"}


def signed_in(headers: dict) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers)
    return session


def submit(session: requests.Session, url: str, data: dict) -> requests.Response:
    """Posts a form the way a browser does: with the CSRF token of the page (any page of the app has
    one, in its sign-out form) and the page as the Referer."""
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        url, data={"csrfmiddlewaretoken": token, **data}, headers={"Referer": url}, timeout=30
    )


def emulator_streams(app) -> dict[str, dict]:
    answer = requests.get(
        app.url + "/emulator/api/v1/projects/demo/streams",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200
    return {stream["externalId"]: stream for stream in answer.json()["items"]}


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<small id="{field_id}-error" class="field-error">([^<]*)</small>', html)
    return match.group(1) if match else ""


@pytest.fixture
def admin(app) -> requests.Session:
    return signed_in(SIGNED_IN_AS_ADMIN)


def test_new_stream_page_explains_each_template(app, admin):
    page = admin.get(app.url + "/new-stream/", timeout=30)
    assert page.status_code == 200
    html = page.text
    for name in ("BasicLiveData", "BasicArchive", "ImmutableTestStream"):
        assert f'name="template" value="{name}"' in html
    assert "records are updated and deleted in place" in html and "Up to 5,000,000 records and 50 GB" in html
    assert "Queries span at most 365 days" in html and "Up to 1,000,000,000 records and 1,000 GB" in html
    assert "Kept 1 day after deletion" in html and "Records removed 7 days after ingestion" in html
    assert html.count('class="badge badge-immutable"') == 2 and html.count('class="badge badge-mutable"') == 1


def test_admin_creates_a_stream_and_lands_on_it(app, admin):
    created = submit(admin, app.url + "/new-stream/", {"stream_id": "pump-log", "template": "BasicArchive"})
    assert created.status_code == 200
    assert created.url.startswith(app.url + "/streams/pump-log/?")
    assert "Stream pump-log was created from BasicArchive." in created.text
    assert re.search(
        r'<div role="status" id="messages">\s*<div class="banner banner-info"><p>Stream pump-log',
        created.text,
    )

    stream = emulator_streams(app)["pump-log"]
    assert stream["createdFromTemplate"] == "BasicArchive" and stream["type"] == "Immutable"
    # The message is shown once.
    assert "was created from" not in admin.get(app.url + "/", timeout=30).text


@pytest.mark.parametrize(
    ("stream_id", "error"),
    [
        ("Pump Log", "Stream id “Pump Log”: use 1 to 100 lowercase letters"),
        ("pump-", "Stream id “pump-”: use 1 to 100 lowercase letters"),
        ("p" * 101, "use 1 to 100 lowercase letters"),
        ("cdf_pumps", "Stream id “cdf_pumps” is reserved by CDF"),
        ("records", "Stream id “records” is reserved by CDF"),
        ("", "Stream id: enter an id for the new stream."),
    ],
)
def test_a_bad_stream_id_is_explained_next_to_it_and_kept(app, admin, stream_id, error):
    page = submit(admin, app.url + "/new-stream/", {"stream_id": stream_id, "template": "BasicLiveData"})
    assert page.status_code == 200 and page.url == app.url + "/new-stream/"
    assert error in field_error(page.text, "stream-id")
    assert (
        f'value="{stream_id}"' in page.text
        and 'aria-invalid="true" aria-describedby="stream-id-error"' in page.text
    )
    assert re.search(r'value="BasicLiveData"[^>]*checked>', page.text)
    assert set(emulator_streams(app)) == DEMO_STREAMS


def test_a_missing_template_is_explained(app, admin):
    page = submit(admin, app.url + "/new-stream/", {"stream_id": "pumps"})
    assert '<p id="template-error" class="field-error">Template: choose the template' in page.text
    assert 'value="pumps"' in page.text and "pumps" not in emulator_streams(app)


def test_an_existing_stream_id_gets_the_conflict_explained(app, admin):
    page = submit(admin, app.url + "/new-stream/", {"stream_id": "alarms", "template": "BasicLiveData"})
    assert (
        "Stream id “alarms” already exists or was deleted recently; ids of deleted streams stay reserved"
        in (field_error(page.text, "stream-id"))
    )
    assert emulator_streams(app)["alarms"]["createdFromTemplate"] == "BasicLiveData"


@pytest.mark.usefixtures("fault_injection")
def test_cdf_refusals_are_shown_with_the_input_kept(app, admin):
    fault = {"project": "demo", "endpoint": "streams/create", "status": 400, "count": 1}
    requests.post(app.url + "/emulator/_faults", json=fault, timeout=10)
    page = submit(admin, app.url + "/new-stream/", {"stream_id": "pumps", "template": "BasicLiveData"})
    assert field_error(page.text, "stream-id").startswith("CDF refused stream “pumps”: ")

    fault["status"] = 403
    requests.post(app.url + "/emulator/_faults", json=fault, timeout=10)
    page = submit(admin, app.url + "/new-stream/", {"stream_id": "pumps", "template": "BasicLiveData"})
    assert "Your CDF access does not allow this" in page.text and 'value="pumps"' in page.text
    assert "pumps" not in emulator_streams(app)


@pytest.mark.parametrize("headers", [SIGNED_IN_AS_VIEWER, SIGNED_IN_AS_EDITOR], ids=["viewer", "editor"])
def test_only_admins_may_create_or_delete_streams(app, headers):
    user = signed_in(headers)
    for path, data in [
        ("/new-stream/", {"stream_id": "pumps", "template": "BasicLiveData"}),
        ("/streams/alarms/delete/", {"confirm": "alarms"}),
    ]:
        page = user.get(app.url + path, timeout=30)
        assert page.status_code == 403 and "This needs the admin role" in page.text
        posted = submit(user, app.url + path, data)
        assert posted.status_code == 403 and "This needs the admin role" in posted.text
    assert set(emulator_streams(app)) == DEMO_STREAMS


def test_the_streams_page_offers_the_controls_by_role(app, admin):
    viewer_page = signed_in(SIGNED_IN_AS_VIEWER).get(app.url + "/", timeout=30).text
    assert (
        '<button type="button" disabled aria-describedby="manage-streams-reason">New stream</button>'
        in viewer_page
    )
    assert "Only admins can create streams and delete them; you are a viewer." in viewer_page
    assert viewer_page.count('disabled aria-describedby="manage-streams-reason">Delete') == 4
    assert "/new-stream/" not in viewer_page and "/delete/" not in viewer_page

    admin_page = admin.get(app.url + "/", timeout=30).text
    assert '<a href="/new-stream/" role="button">New stream</a>' in admin_page
    for stream_id in DEMO_STREAMS:
        assert f'href="/streams/{stream_id}/delete/">Delete' in admin_page
    assert "disabled" not in admin_page and "Only admins" not in admin_page


def test_changes_without_the_csrf_token_are_refused(app, admin):
    created = admin.post(
        app.url + "/new-stream/", data={"stream_id": "pumps", "template": "BasicLiveData"}, timeout=30
    )
    deleted = admin.post(app.url + "/streams/alarms/delete/", data={"confirm": "alarms"}, timeout=30)
    assert created.status_code == 403 and deleted.status_code == 403
    assert "CSRF" in created.text
    assert set(emulator_streams(app)) == DEMO_STREAMS


def test_delete_page_says_what_goes_and_what_stays(app, admin):
    page = admin.get(app.url + "/streams/alarms/delete/", timeout=30)
    assert page.status_code == 200
    assert (
        "deletes the mutable stream alarms, created from BasicLiveData, and its 800 records with it"
        in page.text
    )
    assert "The id alarms stays reserved for 42 days" in page.text
    assert "It cannot be undone from this app." in page.text

    missing = admin.get(app.url + "/streams/no-such-stream/delete/", timeout=30)
    assert (
        missing.status_code == 404
        and "does not exist" in missing.text
        and 'name="confirm"' not in missing.text
    )


@pytest.mark.parametrize("typed", ["alarm", "Alarms", " alarms", ""])
def test_delete_needs_the_stream_id_typed_exactly(app, admin, typed):
    page = submit(admin, app.url + "/streams/alarms/delete/", {"confirm": typed})
    assert page.url == app.url + "/streams/alarms/delete/"
    assert field_error(page.text, "confirm").startswith("Confirmation: type the stream id “alarms” exactly")
    assert f'name="confirm" value="{typed}"' in page.text
    assert "alarms" in emulator_streams(app)


def test_deleting_a_stream_keeps_its_id_reserved(app, admin):
    deleted = submit(admin, app.url + "/streams/sensor-readings/delete/", {"confirm": "sensor-readings"})
    assert deleted.url == app.url + "/"
    assert "Stream sensor-readings was deleted. Its id stays reserved for 1 day." in deleted.text
    assert 'href="/streams/sensor-readings/"' not in deleted.text and "3 of 3 streams" in deleted.text
    assert set(emulator_streams(app)) == DEMO_STREAMS - {"sensor-readings"}

    again = submit(
        admin, app.url + "/new-stream/", {"stream_id": "sensor-readings", "template": "BasicLiveData"}
    )
    assert "was deleted recently; ids of deleted streams stay reserved" in field_error(
        again.text, "stream-id"
    )
    assert "sensor-readings" not in emulator_streams(app)
