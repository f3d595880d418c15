"""The import pages over real HTTP: roles, CSRF, bad files, mapping and preview, dry run, commit and the
job page, with the worker run for one pass in the test process."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from records.jobs import runner
from records.models import Job
from tests.conftest import SIGNED_IN_AS_VIEWER
from tests.jobs.test_jobs import STREAM, alarm_line, alarm_props, import_job, seed, stored


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def upload(session, app, name: str, data: bytes, stream: str = STREAM, **fields) -> requests.Response:
    url = f"{app.url}/streams/{stream}/import/"
    token = csrf(session, url)
    return session.post(
        url,
        data={"csrfmiddlewaretoken": token, **fields},
        files={"file": (name, data)},
        headers={"Referer": url},
        timeout=60,
    )


def post(session, url: str, data: dict) -> requests.Response:
    token = csrf(session, url)
    return session.post(
        url, data={"csrfmiddlewaretoken": token, **data}, headers={"Referer": url}, timeout=60
    )


def post_from(session, page_url: str, url: str, data: dict) -> requests.Response:
    """Posts a form of `page_url` (whose CSRF token it takes) to `url`."""
    token = csrf(session, page_url)
    return session.post(
        url, data={"csrfmiddlewaretoken": token, **data}, headers={"Referer": page_url}, timeout=60
    )


def run_worker() -> None:
    call_command("run_jobs", batch=True, verbosity=0)


CSV = (
    b"externalId,severity,raisedAt,message\n"
    b"al-1,HIGH,2026-08-01T12:00:00Z,pump stopped\n"
    b"al-2,SEVERE,2026-08-01T12:00:00Z,bad severity\n"
    b"al-3,LOW,2026-08-01T13:00:00+02:00,\n"
)


def test_viewers_may_not_import(app, demo):
    viewer = requests.Session()
    viewer.headers.update(SIGNED_IN_AS_VIEWER)
    page = viewer.get(f"{app.url}/streams/{STREAM}/import/", timeout=30)
    assert page.status_code == 403
    assert "This needs the editor role" in page.text
    answer = viewer.post(f"{app.url}/streams/{STREAM}/import/", files={"file": ("a.csv", CSV)}, timeout=30)
    assert answer.status_code == 403
    assert not Job.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(app, demo, editor):
    answer = editor.post(f"{app.url}/streams/{STREAM}/import/", files={"file": ("a.csv", CSV)}, timeout=30)
    assert answer.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv is empty."),
        ("latin1.csv", "externalId,message\na,caf\u00e9\n".encode("latin-1"), "is not UTF-8 text"),
        ("array.jsonl", b'[{"externalId": "a"}]', "is a JSON array, not JSON Lines"),
        ("header.csv", b"externalId,severity\n", "The file holds no rows"),
        ("nul.csv", b"externalId,sever\x00ity\na,LOW\n", "Line 1 holds a NUL character"),
        ("deep.json", b"[" + b"[" * 100_000, "Item 1 of the JSON array is not usable JSON: arrays"),
        ("long.jsonl", b'{"externalId": "a"}\n{"message": "' + b"x" * 1100 * 1024, "Line 2 is longer than"),
    ],
)
def test_bad_files_are_refused_with_the_reason_and_not_kept(app, demo, editor, settings, name, data, message):
    """Security: every refused upload answers 400 with the reason and leaves no file behind (deeply
    nested JSON gave a 500 and kept the file)."""
    answer = upload(editor, app, name, data)
    assert answer.status_code == 400
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert not Job.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_files_over_the_size_limit_are_refused(app, demo, editor, settings):
    settings.IMPORT_MAX_MEGABYTES = 1
    answer = upload(editor, app, "big.csv", b"externalId\n" + b"x" * (1024 * 1024 + 1))
    assert answer.status_code == 400
    assert "files up to 1 MB can be imported" in answer.text


def test_the_whole_import_from_upload_to_report(app, demo, editor):
    answer = upload(editor, app, "alarms.csv", CSV)
    assert answer.status_code == 200, answer.text
    job = Job.objects.get()
    assert answer.url.endswith(f"/imports/{job.id}/")
    page = answer.text
    # Columns matched by name, the preview shows the values as they will be sent, or why not.
    assert re.search(r'name="map-1"[^>]*>.*?<option value="plant.Alarm.severity" selected>', page, re.S)
    assert "Choose the space of the records" in page

    setup = f"{app.url}/imports/{job.id}/"
    mapping = {"space": "plant", "id_column": "externalId", "mode": "upsert"}
    mapping |= {
        "map-1": "plant.Alarm.severity",
        "map-2": "plant.Alarm.raisedAt",
        "map-3": "plant.Alarm.message",
    }
    preview = post(editor, setup, {**mapping, "action": "preview"})
    assert preview.status_code == 200
    assert "2026-08-01T11:00:00.000Z" in preview.text  # row 3's time as CDF takes it
    assert "SEVERE" in preview.text and "must be one of the enum values" in preview.text

    started = post(editor, setup, {**mapping, "action": "dry_run"})
    assert started.url.endswith(f"/jobs/{job.id}/")
    assert "Rows done" in started.text
    run_worker()
    report = editor.get(f"{app.url}/jobs/{job.id}/", timeout=30).text
    assert re.search(r"To create</th><td>2<", report)
    assert re.search(r"Invalid</th><td>1<", report)
    assert stored(demo) == {}
    invalid = editor.get(f"{app.url}/jobs/{job.id}/invalid-rows", timeout=30)
    assert invalid.headers["Content-Disposition"] == 'attachment; filename="alarms-invalid.csv"'
    lines = invalid.text.splitlines()
    assert lines[0] == "externalId,severity,raisedAt,message,import_error"
    assert lines[1].startswith(
        'al-2,SEVERE,2026-08-01T12:00:00Z,bad severity,"row 2: Value for column severity'
    )

    commit_answer = post_from(editor, f"{app.url}/jobs/{job.id}/", f"{app.url}/jobs/{job.id}/commit/", {})
    commit = Job.objects.get(dry_run_of=job)
    assert commit_answer.url.endswith(f"/jobs/{commit.id}/")
    run_worker()
    commit.refresh_from_db()
    assert commit.counts == {"created": 2, "invalid": 1}
    report = editor.get(f"{app.url}/jobs/{commit.id}/", timeout=30).text
    assert re.search(r"Created</th><td>2<", report)
    assert "hx-trigger" not in report, "a finished job stops polling"
    records = stored(demo)
    assert alarm_props(records["al-1"])["message"] == "pump stopped"
    assert "message" not in alarm_props(records["al-3"]), "an empty CSV cell is no value"


def test_the_report_of_every_row_accounts_for_each_with_its_outcome_and_changes(app, demo, editor):
    seed(demo, alarm_line(1), alarm_line(2, message="old"))
    lines = [alarm_line(1), alarm_line(2, message="=old+new"), alarm_line(3), alarm_line(4, severity="HUGE")]
    dry_run = import_job(lines, dry_run=True)
    runner.run(dry_run)
    page = editor.get(f"{app.url}/jobs/{dry_run.id}/", timeout=30).text
    assert f'href="/jobs/{dry_run.id}/report.csv" download>Download the report of every row' in page

    report = editor.get(f"{app.url}/jobs/{dry_run.id}/report.csv", timeout=30)
    name = f"{Path(dry_run.file_name).stem}-dry-run-report.csv"
    assert report.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["row"], r["externalId"], r["outcome"]) for r in rows] == [
        ("1", "al-0001", "unchanged"),
        ("2", "al-0002", "update"),
        ("3", "al-0003", "create"),
        ("4", "", "invalid"),
    ]
    change = {"before": "old", "after": "=old+new"}
    assert json.loads(rows[1]["changes"]) == {"plant.Alarm": {"message": change}}
    assert "HUGE" in rows[3]["reason"]
    viewer = requests.Session()
    viewer.headers.update(SIGNED_IN_AS_VIEWER)
    assert viewer.get(f"{app.url}/jobs/{dry_run.id}/report.csv", timeout=30).status_code == 403


def test_job_controls_need_the_csrf_token_and_the_editor_role(app, demo, editor):
    upload(editor, app, "alarms.csv", CSV)
    job = Job.objects.get()
    job.status = Job.Status.RUNNING
    job.save()
    control = f"{app.url}/jobs/{job.id}/control/"
    assert editor.post(control, data={"action": "cancel"}, timeout=30).status_code == 403
    viewer = requests.Session()
    viewer.headers.update(SIGNED_IN_AS_VIEWER)
    assert viewer.get(f"{app.url}/jobs/{job.id}/", timeout=30).status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    page = editor.get(f"{app.url}/jobs/{job.id}/", timeout=30).text
    assert 'hx-trigger="every 1s"' in page, "a running job's page polls for progress"
    post_from(editor, f"{app.url}/jobs/{job.id}/", control, {"action": "pause"})
    job.refresh_from_db()
    assert job.status == Job.Status.PAUSED
    post_from(editor, f"{app.url}/jobs/{job.id}/", control, {"action": "cancel"})
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


def test_imports_are_refused_when_jobs_have_no_credentials_of_their_own(app, demo, editor, settings):
    settings.CDF_TOKEN_SOURCE = "forwarded"
    answer = upload(editor, app, "alarms.csv", CSV)
    assert answer.status_code == 400
    assert "CDF_TOKEN_SOURCE=client-credentials" in answer.text
    assert not Job.objects.exists()


def test_the_invalid_rows_download_can_be_fixed_and_uploaded_again(app, demo, editor):
    upload(editor, app, "alarms.csv", CSV)
    job = Job.objects.get()
    mapping = {"space": "plant", "id_column": "externalId", "mode": "upsert", "action": "dry_run"}
    mapping |= {
        "map-1": "plant.Alarm.severity",
        "map-2": "plant.Alarm.raisedAt",
        "map-3": "plant.Alarm.message",
    }
    post(editor, f"{app.url}/imports/{job.id}/", mapping)
    run_worker()
    invalid = editor.get(f"{app.url}/jobs/{job.id}/invalid-rows", timeout=30).text
    fixed = invalid.replace(",SEVERE,", ",HIGH,").encode()

    answer = upload(editor, app, "alarms-invalid.csv", fixed)
    again = Job.objects.exclude(id=job.id).get()
    assert answer.url.endswith(f"/imports/{again.id}/")
    assert "import_error" not in again.settings["mapping"]["columns"], "the reason column is not imported"
    post(editor, f"{app.url}/imports/{again.id}/", {**mapping, "space": "plant"})
    run_worker()
    again.refresh_from_db()
    assert again.counts == {"create": 1}
    assert again.rows.get().external_id == "al-2"


def test_the_jobs_page_lists_what_each_role_may_see(app, editor):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    vera, eddie = users.create(username="vera"), users.create(username="eddie")
    Job.objects.create(user=eddie, stream=STREAM, kind=Job.Kind.IMPORT, file_name="fixes.csv", total=7,
                       status=Job.Status.SUCCEEDED, checkpoint=7, dry_run=False)  # fmt: skip
    export = Job.objects.create(user=vera, stream=STREAM, kind=Job.Kind.EXPORT, file_name="view.csv",
                                status=Job.Status.RUNNING)  # fmt: skip
    listed = editor.get(f"{app.url}/jobs/", timeout=30).text
    assert "fixes.csv" in listed and "7 of 7" in listed and "view.csv" in listed
    viewer = requests.Session()
    viewer.headers.update(SIGNED_IN_AS_VIEWER)
    own = viewer.get(f"{app.url}/jobs/", timeout=30).text
    assert f'href="/jobs/{export.id}/"' in own and "fixes.csv" not in own


@pytest.mark.parametrize(
    ("file_name", "disposition"),
    [
        (
            "a\"; filename*=UTF-8''evil.csv",
            'attachment; filename="a\\"; filename*=UTF-8\'\'evil-invalid.jsonl"',
        ),
        ("pumpé ø.jsonl", "attachment; filename*=utf-8''pump%C3%A9%20%C3%B8-invalid.jsonl"),
    ],
)
def test_security_downloads_name_the_uploaded_file_without_adding_header_parameters(
    app, demo, editor, file_name, disposition
):
    """Security: the name of a download comes from the uploaded file's, quoted or encoded as
    RFC 6266 says, so a name cannot add parameters to Content-Disposition."""
    job = import_job([alarm_line(1, severity="HUGE")], dry_run=True)
    job.file_name = file_name
    job.save()
    runner.run(job)
    invalid = editor.get(f"{app.url}/jobs/{job.id}/invalid-rows", timeout=30)
    assert invalid.headers["Content-Disposition"] == disposition
    report = editor.get(f"{app.url}/jobs/{job.id}/report.csv", timeout=30)
    assert report.headers["Content-Disposition"] == disposition.replace("invalid.jsonl", "dry-run-report.csv")


def mapped(job: Job, **fields) -> dict:
    """The setup form's fields mapping each plant.Alarm column of the job's file by its property id."""
    columns = job.settings["columns"]
    props = ("severity", "raisedAt", "message")
    maps = {f"map-{index}": f"plant.Alarm.{name}" for index, name in enumerate(columns) if name in props}
    return {"space": "plant", "id_column": "externalId", "mode": "upsert", **maps, **fields}


def test_a_column_first_met_after_the_first_rows_is_accounted_for_to_the_last_value(app, demo, editor):
    """Data loss: rows 251-300 of a JSON Lines file carry a column the first 200 rows lack. The dry
    run reports each of them invalid, naming the column; the other rows are written, and the invalid
    rows' download, imported as a file of its own, maps the column and stores all 50 values."""
    lines = [alarm_line(n) for n in range(1, 251)]
    lines += [alarm_line(n, message=f"late {n}") for n in range(251, 301)]
    upload(editor, app, "alarms.jsonl", "".join(json.dumps(line) + "\n" for line in lines).encode())
    job = Job.objects.get()
    assert "message" not in job.settings["columns"]
    post(editor, f"{app.url}/imports/{job.id}/", mapped(job, action="dry_run"))
    run_worker()
    job.refresh_from_db()
    assert job.counts == {"create": 250, "invalid": 50}
    reasons = set(job.rows.filter(outcome="invalid").values_list("reason", flat=True))
    assert len(reasons) == 1 and "has a column message, which the file's first rows" in reasons.pop()
    post_from(editor, f"{app.url}/jobs/{job.id}/", f"{app.url}/jobs/{job.id}/commit/", {})
    run_worker()
    assert Job.objects.get(dry_run_of=job).counts == {"created": 250, "invalid": 50}

    invalid = editor.get(f"{app.url}/jobs/{job.id}/invalid-rows", timeout=30).content
    upload(editor, app, "alarms-invalid.jsonl", invalid)
    again = Job.objects.filter(dry_run_of=None).exclude(id=job.id).get()
    post(editor, f"{app.url}/imports/{again.id}/", mapped(again, action="dry_run"))
    run_worker()
    post_from(editor, f"{app.url}/jobs/{again.id}/", f"{app.url}/jobs/{again.id}/commit/", {})
    run_worker()
    records = stored(demo)
    assert len(records) == 300
    late = {n: alarm_props(records[f"al-{n:04d}"]).get("message") for n in range(251, 301)}
    assert late == {n: f"late {n}" for n in range(251, 301)}


def test_security_json_escapes_of_nul_make_a_row_invalid_and_nothing_of_it_is_stored(app, demo, editor):
    """Security: a JSON Lines row holding an escaped NUL, in a key or a value, is invalid with its
    reason; the import goes on and no NUL reaches the database (PostgreSQL refuses it: a 500)."""
    lines = [alarm_line(1), {**alarm_line(2), "mess\u0000age": "x"}, alarm_line(3, message="a\u0000b")]
    answer = upload(editor, app, "alarms.jsonl", "".join(json.dumps(line) + "\n" for line in lines).encode())
    assert answer.status_code == 200
    job = Job.objects.get()
    post(editor, f"{app.url}/imports/{job.id}/", mapped(job, action="dry_run"))
    run_worker()
    job.refresh_from_db()
    assert job.counts == {"create": 1, "invalid": 2}
    assert {row.reason[:40] for row in job.rows.filter(outcome="invalid")} == {
        "This line is not usable JSON: a string h"
    }
