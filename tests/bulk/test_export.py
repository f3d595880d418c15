"""Exports of the browser's view over real HTTP, and the round trip: what is exported imports back into
another stream with every value unchanged."""

import csv
import io
import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from records.bulk import exporting
from records.jobs import runner
from records.models import Job
from tests.bulk.test_import_views import upload
from tests.conftest import SIGNED_IN_AS_VIEWER, EmulatorApi, records_path
from tests.jobs.test_jobs import STREAM, stored

EQUIPMENT = {"type": "container", "space": "plant", "externalId": "Equipment"}
# Every equipment record (the demo backdates them up to 40 days), all Equipment properties as columns.
VIEW = "mode=sync&source=plant.Equipment&start=custom&start_custom=52w&size=50"


def export(session, app, kind: str, view: str = VIEW, stream: str = "equipment") -> requests.Response:
    return session.get(f"{app.url}/streams/{stream}/export/?{view}&format={kind}", timeout=60)


def test_a_csv_export_has_the_view_columns_and_every_record(app, steward):
    answer = export(steward, app, "csv", VIEW + "&column=plant.Equipment.name&column=plant.Equipment.kind")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="equipment.csv"'
    reader = csv.DictReader(io.StringIO(answer.text))
    # (In the containers' order of properties, which PostgreSQL's JSON does not keep.)
    assert sorted(reader.fieldnames) == [
        "externalId",
        "plant.Equipment.kind",
        "plant.Equipment.name",
        "space",
    ]
    rows = list(reader)
    api = EmulatorApi(app.url, project="demo")
    originals = stored(api, "equipment")
    assert len(rows) == len(originals) > 0
    by_id = {row["externalId"]: row for row in rows}
    for external_id, record in originals.items():
        values = record["properties"]["plant"]["Equipment"]
        assert by_id[external_id]["plant.Equipment.name"] == values["name"]
        assert by_id[external_id]["plant.Equipment.kind"] == values["kind"]


@given(st.text(alphabet="'=+-@\t\r5.e x") | st.text())
def test_cells_are_written_safe_from_formulas_and_read_back_exactly(text):
    cell = exporting.formula_safe(text)
    assert exporting.from_formula_safe(cell) == text
    assert not cell.startswith(exporting.FORMULA_STARTS) or exporting.PLAIN_NUMBER_RE.fullmatch(cell)


def test_an_export_of_a_bad_view_says_what_is_wrong(app, steward):
    answer = export(steward, app, "csv", "mode=sync&source=plant.Nope")
    assert answer.status_code == 400
    assert "Unknown record container plant.Nope" in answer.text
    answer = export(steward, app, "xml")
    assert answer.status_code == 400
    assert "Unknown export format" in answer.text


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_an_export_imports_back_with_every_value_unchanged(app, demo, editor, steward, kind):
    # Values a spreadsheet would run as formulas, one that only looks made safe, and a negative number.
    sample = stored(demo, "equipment")["eq-001"]["properties"]["plant"]["Equipment"]
    formulas = {
        **sample,
        "name": '=HYPERLINK("http://evil.example","open")',
        "site": "-2+3",
        "ratedPowerKw": -5.5,
    }
    item = {
        "space": "plant",
        "externalId": "'+eq-formula",
        "sources": [{"source": EQUIPMENT, "properties": formulas}],
    }
    assert demo.post(records_path("equipment", "upsert"), {"items": [item]}).status_code == 202
    exported = export(steward, app, kind)
    assert exported.status_code == 200
    if kind == "csv":
        row = next(
            row for row in csv.DictReader(io.StringIO(exported.text)) if "eq-formula" in row["externalId"]
        )
        assert row["externalId"] == "''+eq-formula"
        assert row["plant.Equipment.name"] == "'" + formulas["name"]
        assert (row["plant.Equipment.site"], row["plant.Equipment.ratedPowerKw"]) == ("'-2+3", "-5.5")
    # Into another stream: the import must recreate every value the export wrote.
    upload(editor, app, f"equipment.{kind}", exported.content)
    job = Job.objects.get()
    mapping = job.settings["mapping"]
    assert mapping["id_column"] == "externalId" and mapping["space_column"] == "space"
    assert len(mapping["columns"]) == 17  # every Equipment property
    job.dry_run = False
    job.save()
    runner.enqueue(job)
    runner.run(Job.objects.get())
    job.refresh_from_db()
    originals = stored(EmulatorApi(app.url, project="demo"), "equipment")
    assert job.counts == {"created": len(originals)}, job.message
    copies = stored(demo, STREAM)
    assert set(copies) == set(originals)
    for external_id, original in originals.items():
        assert copies[external_id]["properties"] == original["properties"], external_id
    if kind == "jsonl":
        first = json.loads(exported.text.splitlines()[0])
        assert set(first) >= {"space", "externalId", "plant.Equipment.name"}


def test_a_large_export_runs_as_a_job_that_resumes_and_gives_a_download(
    app, steward, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    streamed = export(steward, app, "jsonl", VIEW + "&column=plant.Equipment.name")
    settings.EXPORT_STREAM_LIMIT = 100
    answer = export(steward, app, "jsonl", VIEW + "&column=plant.Equipment.name")
    job = Job.objects.get()
    assert answer.url.endswith(f"/jobs/{job.id}/")
    assert (job.kind, job.status, job.total) == ("export", Job.Status.QUEUED, len(streamed.text.splitlines()))

    # Stopped after writing its second page to the file, before saving that (pages of 40 records,
    # so that there are several).
    monkeypatch.setattr("records.bulk.exporting.PAGE_SIZE", 40)

    def crash(page):
        if page == 1:
            raise SystemExit("the worker was stopped")

    with pytest.raises(SystemExit):
        runner.run(job, on_written=crash)
    job.refresh_from_db()
    assert job.checkpoint == 40 and job.inflight["cursor"]
    job.status = Job.Status.QUEUED
    job.save()
    runner.run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.checkpoint == job.total

    page = steward.get(f"{app.url}/jobs/{job.id}/", timeout=30).text
    assert "Download equipment.jsonl" in page
    download = steward.get(f"{app.url}/jobs/{job.id}/download", timeout=30)
    assert download.headers["Content-Disposition"] == 'attachment; filename="equipment.jsonl"'
    lines = [json.loads(line) for line in download.text.splitlines()]
    assert len(lines) == job.total == len({line["externalId"] for line in lines}), "each record once"
    names = {line["externalId"]: line["plant.Equipment.name"] for line in lines}
    streamed_names = {
        line["externalId"]: line["plant.Equipment.name"]
        for line in map(json.loads, streamed.text.splitlines())
    }
    assert names == streamed_names
    other = requests.Session()
    other.headers.update({**SIGNED_IN_AS_VIEWER, "X-Forwarded-User": "someone-else"})
    assert other.get(f"{app.url}/jobs/{job.id}/download", timeout=30).status_code == 403
