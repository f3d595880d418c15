"""Bulk edit of every record of a browser view: the form over real HTTP, the dry run's diffs, the
commit run as a job against the live emulator, and what cannot be edited."""

import re

import pytest
import requests

from records.jobs import runner
from records.models import AuditEntry, Job
from tests.bulk.test_import_views import post, post_from
from tests.conftest import SIGNED_IN_AS_VIEWER
from tests.jobs.test_jobs import STREAM, alarm_line, alarm_props, seed, stored

VIEW = "mode=sync&source=plant.Alarm&start=1d&size=50"


def run_queued() -> Job:
    job = Job.objects.filter(status=Job.Status.QUEUED).get()
    runner.run(job)
    job.refresh_from_db()
    return job


def edit(session, app, data: dict, view: str = VIEW) -> requests.Response:
    url = f"{app.url}/streams/{STREAM}/bulk-edit/?{view}"
    return post(session, url, {"query": view, **data})


def test_setting_a_property_on_every_record_of_the_view(app, demo, editor):
    seed(demo, alarm_line(1, message="old"), alarm_line(2), alarm_line(3, message="done"))
    answer = edit(editor, app, {"property": "plant.Alarm.message", "value": "done"})
    assert answer.status_code == 200, answer.text
    dry_run = run_queued()
    assert (dry_run.status, dry_run.total) == (Job.Status.SUCCEEDED, 3)
    assert dry_run.counts == {"update": 2, "unchanged": 1}
    assert dry_run.rows.get(external_id="al-0001").changes == {
        "plant.Alarm": {"message": {"before": "old", "after": "done"}}
    }
    assert alarm_props(stored(demo)["al-0001"])["message"] == "old", "the dry run wrote nothing"
    page = editor.get(f"{app.url}/jobs/{dry_run.id}/", timeout=30).text
    assert "Dry run of the bulk edit: set plant.Alarm.message" in page
    assert re.search(r"To update</th><td>2<", page)

    post_from(editor, f"{app.url}/jobs/{dry_run.id}/", f"{app.url}/jobs/{dry_run.id}/commit/", {})
    commit = run_queued()
    assert commit.counts == {"updated": 2, "unchanged": 1}
    records = stored(demo)
    assert {key: alarm_props(record)["message"] for key, record in records.items()} == {
        "al-0001": "done",
        "al-0002": "done",
        "al-0003": "done",
    }
    assert alarm_props(records["al-0002"])["severity"] == "HIGH", "the other values are kept"
    assert AuditEntry.objects.get(id=commit.audit_entry_id).action == "bulk_edit"


def test_clearing_a_property_and_what_cannot_be_cleared(app, demo, editor):
    seed(demo, alarm_line(1, message="old"), alarm_line(2))
    edit(editor, app, {"property": "plant.Alarm.message", "clear": "on"})
    job = run_queued()
    assert job.counts == {"update": 1, "unchanged": 1}
    assert job.rows.get(external_id="al-0001").changes == {"plant.Alarm": {"message": {"before": "old"}}}

    edit(editor, app, {"property": "plant.Alarm.severity", "clear": "on"})
    job = run_queued()
    assert job.counts == {"invalid": 2}
    assert job.rows.first().reason == "severity is required in plant.Alarm: it cannot be cleared."


def test_a_value_of_the_wrong_type_is_explained_next_to_the_field_and_kept(app, demo, editor):
    seed(demo, alarm_line(1))
    answer = edit(editor, app, {"property": "plant.Alarm.severity", "value": "SEVERE"})
    assert answer.status_code == 400
    assert re.search(r'id="edit-value-error" class="field-error">[^<]*SEVERE', answer.text)
    assert 'value="SEVERE"' in answer.text
    answer = edit(editor, app, {"property": "plant.Nope.x", "value": "1"})
    assert "Choose one of the properties" in answer.text
    assert not Job.objects.exists()


@pytest.mark.parametrize("view", ["mode=sync&source=plant.Nope"])
def test_a_view_that_cannot_be_read_is_refused(app, demo, editor, view):
    answer = editor.get(f"{app.url}/streams/{STREAM}/bulk-edit/?{view}", timeout=30)
    assert answer.status_code == 400
    assert "Unknown record container plant.Nope" in answer.text


def test_viewers_and_immutable_streams_are_refused(app, demo, editor):
    viewer = requests.Session()
    viewer.headers.update(SIGNED_IN_AS_VIEWER)
    assert viewer.get(f"{app.url}/streams/{STREAM}/bulk-edit/?{VIEW}", timeout=30).status_code == 403
    answer = editor.get(f"{app.url}/streams/sensor-readings/bulk-edit/?{VIEW}", timeout=30)
    assert answer.status_code == 400
    assert "immutable stream cannot be changed" in answer.text


def test_bulk_editing_the_rows_ticked_in_the_record_browser(app, demo, editor):
    seed(demo, alarm_line(1, message="a"), alarm_line(2, message="b"), alarm_line(3, message="c"))
    browser_url = f"{app.url}/streams/{STREAM}/?{VIEW}"
    page = editor.get(browser_url, timeout=30).text
    assert "Bulk edit selected…" in page
    picked = post_from(
        editor,
        browser_url,
        f"{app.url}/streams/{STREAM}/bulk-edit/",
        {"select": "1", "query": VIEW, "record": ["plant:al-0001", "plant:al-0003"]},
    )
    assert picked.status_code == 200
    assert "externalId is one of &#x27;al-0001&#x27;, &#x27;al-0003&#x27;" in picked.text
    view = re.search(r'name="query" value="([^"]+)"', picked.text).group(1).replace("&amp;", "&")
    edit(editor, app, {"property": "plant.Alarm.message", "value": "fixed"}, view=view)
    dry_run = run_queued()
    assert (dry_run.total, dry_run.counts) == (2, {"update": 2})
    post_from(editor, f"{app.url}/jobs/{dry_run.id}/", f"{app.url}/jobs/{dry_run.id}/commit/", {})
    run_queued()
    messages = {key: alarm_props(record)["message"] for key, record in stored(demo).items()}
    assert messages == {"al-0001": "fixed", "al-0002": "b", "al-0003": "fixed"}
