"""Saved views over HTTP: saved by anyone signed in, private or shared, renamed and deleted by their owner
only, opened by permalink, and explained when what they name is gone."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
import requests

from records.models import SavedView
from tests.conftest import SIGNED_IN_AS_EDITOR, SIGNED_IN_AS_VIEWER, EmulatorApi

FILTER = '{"equals":{"property":["plant","Equipment","kind"],"value":"PUMP"}}'
VIEW = urlencode(
    {"mode": "sorted", "filter": FILTER, "source": "plant.Equipment", "column": "plant.Equipment.name",
     "size": "50", "window": "all", "sort": "lastUpdatedTime", "dir": "desc"}
)  # fmt: skip


def signed_in(app, headers) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers)
    session.get(app.url + "/")  # the CSRF cookie
    return session


def post(app, session, path, **fields):
    return session.post(app.url + path, data={"csrfmiddlewaretoken": session.cookies["csrftoken"], **fields},
                        headers={"Referer": app.url + "/"})  # fmt: skip


def page_of(app, session) -> str:
    return session.get(f"{app.url}/streams/equipment/?{VIEW}").text


@pytest.fixture
def vera(app):
    return signed_in(app, SIGNED_IN_AS_VIEWER)


@pytest.fixture
def eddie(app):
    return signed_in(app, SIGNED_IN_AS_EDITOR)


def test_a_viewer_saves_the_view_on_screen_and_opens_it_by_its_link(app, vera):
    response = post(app, vera, "/streams/equipment/views/", name="Pumps", query=VIEW + "&cursor=abc&shown=50")
    assert response.status_code == 200 and "Saved the view “Pumps”." in response.text
    view = SavedView.objects.get(name="Pumps")
    assert (view.owner.username, view.stream, view.shared) == ("vera", "equipment", False)
    assert "cursor" not in view.query and "filter=" in view.query  # a view starts at the top
    opened = vera.get(f"{app.url}/views/{view.pk}/", allow_redirects=False)
    assert opened.status_code == 302 and opened.headers["Location"] == f"/streams/equipment/?{view.query}"
    shown = vera.get(app.url + opened.headers["Location"]).text
    assert "Filter:</strong> kind is PUMP" in shown
    assert re.search(rf'<a href="/views/{view.pk}/">Pumps</a>', shown)


def test_private_views_stay_private_and_shared_ones_are_listed_for_everyone(app, vera, eddie):
    post(app, vera, "/streams/equipment/views/", name="Mine", query=VIEW)
    post(app, vera, "/streams/equipment/views/", name="Ours", query=VIEW, shared="1")
    mine, ours = SavedView.objects.get(name="Mine"), SavedView.objects.get(name="Ours")
    listed = page_of(app, eddie)
    assert ">Ours</a>" in listed and "shared by" in listed and ">Mine</a>" not in listed
    assert eddie.get(f"{app.url}/views/{mine.pk}/").status_code == 404
    assert eddie.get(f"{app.url}/views/{ours.pk}/", allow_redirects=False).status_code == 302
    # Only the owner renames or deletes, whatever the form says.
    assert post(app, eddie, f"/views/{ours.pk}/rename/", name="Taken").status_code == 403
    assert post(app, eddie, f"/views/{ours.pk}/delete/").status_code == 403
    assert SavedView.objects.filter(name="Ours").exists()


def test_the_owner_renames_unshares_and_deletes(app, vera):
    post(app, vera, "/streams/equipment/views/", name="Old", query=VIEW, shared="1")
    view = SavedView.objects.get(name="Old")
    renamed = post(app, vera, f"/views/{view.pk}/rename/", name="New")
    assert "Renamed the view to “New”." in renamed.text
    view.refresh_from_db()
    assert (view.name, view.shared) == ("New", False)
    deleted = post(app, vera, f"/views/{view.pk}/delete/")
    assert "Deleted the view “New”." in deleted.text and not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the view a name."),
        ("x" * 101, "at most 100 characters"),
        ("Twice", "already have a view named"),
    ],
)
def test_a_bad_name_is_refused_with_the_reason(app, vera, name, message):
    post(app, vera, "/streams/equipment/views/", name="Twice", query=VIEW)
    response = post(app, vera, "/streams/equipment/views/", name=name, query=VIEW)
    assert message in unescape(response.text)
    assert SavedView.objects.count() == 1


def test_saving_needs_the_csrf_token(app, vera):
    response = vera.post(app.url + "/streams/equipment/views/", data={"name": "x", "query": VIEW})
    assert response.status_code == 403 and not SavedView.objects.exists()


def test_a_view_whose_containers_are_gone_opens_with_an_explanation(app, vera):
    cdf = EmulatorApi(app.url, project="demo")
    gone_view = VIEW.replace("Equipment", "Gauge")
    post(app, vera, "/streams/equipment/views/", name="Gauges", query=gone_view)
    view = SavedView.objects.get()
    assert (
        cdf.post("/models/containers/byids", {"items": [{"space": "plant", "externalId": "Gauge"}]}).json()[
            "items"
        ]
        == []
    )
    page = vera.get(f"{app.url}/views/{view.pk}/")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Parts of this view no longer exist" in text
    assert "The container plant.Gauge is not in the CDF project any more." in text
    assert "The property plant.Gauge.name is not in its container any more." in text
    assert "The filter: plant.Gauge.kind: unknown property" in text
    kept = re.search(r'<a href="([^"]+)" role="button">Open the view without what is gone', page.text).group(
        1
    )
    opened = unescape(vera.get(app.url + unescape(kept)).text)
    assert "plant.Gauge.kind: unknown property" in opened  # the condition is kept and marked
