"""The whole import in Chromium as an editor: upload, map, preview, dry run and commit, with the
progress bar moving as the worker (a thread of the test process) runs the jobs."""

import json
import re
import threading
import time
from pathlib import Path

import pytest
import requests
from django.db import connection
from playwright.sync_api import expect

from records.jobs import batches, runner
from records.models import Job
from tests.conftest import SIGNED_IN_AS_EDITOR, EmulatorApi

from .conftest import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

ROWS = 1200


@pytest.fixture
def imports_stream(app, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = EmulatorApi(app.url, project="demo")
    body = {"items": [{"externalId": "imports", "settings": {"template": {"name": "BasicLiveData"}}}]}
    assert api.post("/streams", body).status_code == 201
    return api


@pytest.fixture
def worker(monkeypatch):
    """Runs queued jobs in a thread, as `manage.py run_jobs` would, in small batches so progress shows."""
    monkeypatch.setattr(batches, "BATCH_ROWS", 100)
    stop = threading.Event()

    def work():
        while not stop.is_set():
            job = Job.objects.filter(status=Job.Status.QUEUED).first()
            if job:
                runner.run(job)
            else:
                time.sleep(0.1)
        connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def slow_lookups(app, count: int) -> None:
    """Each lookup of existing records answers after 250 ms, so a job takes several seconds."""
    fault = {"project": "demo", "endpoint": "records/filter", "delayMs": 250, "count": count}
    assert requests.post(f"{app.url}/emulator/_faults", json=fault, timeout=10).status_code == 201


def alarm_file(tmp_path):
    path = tmp_path / "alarms.jsonl"
    lines = [
        {
            "externalId": f"alarm-{n:05d}",
            "severity": "HIGH" if n % 3 else "LOW",
            "raisedAt": "2026-08-01T12:00:00Z",
            "message": f"Pump {n} stopped",
        }
        for n in range(1, ROWS + 1)
    ]
    lines[6]["severity"] = "SEVERE"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def editor_page(new_page, bypass_csp=False):
    page = new_page(bypass_csp=bypass_csp)
    page.context.set_extra_http_headers(SIGNED_IN_AS_EDITOR)
    return page


def watch_progress(page, done_heading: str) -> list[int]:
    """The progress bar's values until the job's status heading says it is done."""
    seen = []
    deadline = time.monotonic() + 90
    heading = page.get_by_role("heading", name=done_heading)
    while time.monotonic() < deadline and not heading.is_visible():
        value = page.locator("#job-progress").get_attribute("value")
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
        page.wait_for_timeout(200)
    expect(heading).to_be_visible()
    return seen


@pytest.mark.usefixtures("fault_injection")
def test_a_steward_imports_a_file_with_a_dry_run_and_watches_it_commit(
    new_page, app, imports_stream, worker, tmp_path
):
    page = editor_page(new_page)
    page.goto("/streams/imports/")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import records into imports")).to_be_visible()

    page.get_by_label("File to import").set_input_files(alarm_file(tmp_path))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map the columns of alarms.jsonl")).to_be_visible()
    expect(page.get_by_label("Property for column severity")).to_have_value("plant.Alarm.severity")
    expect(page.get_by_label("externalId column", exact=True)).to_have_value("externalId")
    page.get_by_role("button", name="Start the dry run").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the space of the records")

    page.get_by_label("Space", exact=True).fill("plant")
    page.get_by_role("button", name="Update the preview").click()
    preview = page.get_by_role("table").filter(has_text="Values as they will be sent")
    expect(preview).to_contain_text("raisedAt=2026-08-01T12:00:00.000Z")
    expect(preview.get_by_role("row").filter(has_text="SEVERE")).to_contain_text(
        "must be one of the enum values"
    )
    screenshot(page, "import.png")

    slow_lookups(app, count=2 * ROWS // 100)
    page.get_by_role("button", name="Start the dry run").click()
    expect(page.get_by_role("heading", name=re.compile("Dry run of alarms.jsonl"))).to_be_visible()
    dry_run_values = watch_progress(page, "Succeeded")
    assert any(0 < value < ROWS for value in dry_run_values), dry_run_values
    counts = page.get_by_role("table", name="Rows by outcome")
    expect(counts.get_by_role("row", name="To create")).to_contain_text(str(ROWS - 1))
    expect(counts.get_by_role("row", name="Invalid")).to_contain_text("1")
    expect(page.get_by_role("link", name="Download the invalid rows")).to_be_visible()
    screenshot(page, "import-dry-run.png")

    page.get_by_role("button", name="Commit: write these changes").click()
    expect(page.get_by_role("heading", name=re.compile("Import of alarms.jsonl"))).to_be_visible()
    expect(page.locator("#job-figures")).to_contain_text("rows/s", timeout=20_000)
    screenshot(page, "import-progress.png")
    commit_values = watch_progress(page, "Succeeded")
    assert len([value for value in commit_values if 0 < value < ROWS]) >= 2, commit_values
    expect(counts.get_by_role("row", name="Created")).to_contain_text(str(ROWS - 1))
    expect(page.locator("#job-figures")).to_contain_text(f"{ROWS} of {ROWS} rows (100%)")
    screenshot(page, "import-report.png")
    stored = imports_stream.post("/streams/imports/records/filter", {"limit": 1000}).json()["items"]
    assert len(stored) == 1000  # (the most a page holds; the job tests count every record)


def test_accessibility_of_the_import_pages(new_page, app, imports_stream, worker, tmp_path):
    page = editor_page(new_page, bypass_csp=True)
    page.goto("/streams/imports/import/")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("File to import").set_input_files(alarm_file(tmp_path))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map the columns of alarms.jsonl")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Space", exact=True).fill("plant")
    page.get_by_role("button", name="Start the dry run").click()
    watch_progress(page, "Succeeded")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("link", name=re.compile(r"^Import \d+"))).to_be_visible()
    assert serious_accessibility_violations(page) == []


def test_export_links_follow_the_view_as_it_changes(page):
    page.goto("/streams/alarms/")
    page.get_by_text("Containers and columns (").click()
    page.get_by_role("checkbox", name="Alarm: acknowledged", exact=True).check()
    page.get_by_role("checkbox", name="Alarm: raisedAt", exact=True).uncheck()
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"column=plant.Alarm.acknowledged"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "alarms.csv"
    header = Path(download.path()).read_text().splitlines()[0].split(",")
    assert "plant.Alarm.acknowledged" in header and "plant.Alarm.raisedAt" not in header
    # A viewer is offered the export, not the import nor the bulk edit.
    expect(page.get_by_role("link", name="Import", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Bulk edit this view")).to_have_count(0)
