"""Import jobs run in the test process against the live emulator: dry run, commit, interruption and
resume, injected partial failures, pause, cancel, and the audit entry."""

import json
import threading
import time
from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from records.bulk import importing
from records.cdf import get_client
from records.jobs import batches, control, progress, runner
from records.models import AuditEntry, Job
from tests.conftest import IMPORTS_STREAM, EmulatorApi

STREAM = IMPORTS_STREAM
ALARM = {"type": "container", "space": "plant", "externalId": "Alarm"}


def alarm_line(n: int, severity: str = "HIGH", **more) -> dict:
    return {"externalId": f"al-{n:04d}", "severity": severity, "raisedAt": "2026-08-01T12:00:00Z", **more}


def import_job(lines, kind: str = "jsonl", mode: str = "upsert", dry_run: bool = False, **mapping) -> Job:
    """A job over a file holding `lines` (dicts for JSON, text for CSV), mapped as auto_mapping guesses."""
    from django.conf import settings

    if kind == "csv":
        data = lines
    elif kind == "json":
        data = json.dumps(lines)
    else:
        data = "".join(json.dumps(line) + "\n" for line in lines)
    name = f"imports/test-{Job.objects.count()}.{kind}"
    path = settings.MEDIA_ROOT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data)
    with path.open("rb") as binary:
        columns, _ = importing.sample_columns(importing.read_rows(binary, kind))
    containers = get_client().list_containers()
    chosen = {**importing.auto_mapping(columns, containers), "space": "plant", **mapping}
    user, _ = get_user_model().objects.get_or_create(username="eddie")
    job = Job.objects.create(
        user=user,
        stream=STREAM,
        kind=Job.Kind.IMPORT,
        dry_run=dry_run,
        file=name,
        file_name=path.name,
        format=kind,
        mode=mode,
        status=Job.Status.QUEUED,
        settings={"columns": columns, "mapping": chosen},
    )
    return job


def stored(api: EmulatorApi, stream: str = STREAM) -> dict[str, dict]:
    """Every record of the stream by externalId, read through the change feed (duplicates would show)."""
    records, cursor = [], None
    while True:
        body = {"limit": 1000, **({"cursor": cursor} if cursor else {"initializeCursor": "365d-ago"})}
        answer = api.post(f"/streams/{stream}/records/sync", body).json()
        records += [item for item in answer["items"] if item.get("status") != "deleted"]
        cursor = answer["nextCursor"]
        if not answer["hasNext"]:
            break
    by_id = {record["externalId"]: record for record in records}
    assert len(by_id) == len(records), "a record was stored twice"
    return by_id


def alarm_props(record: dict) -> dict:
    return record["properties"]["plant"]["Alarm"]


def outcomes(job: Job) -> dict[int, str]:
    return dict(job.rows.values_list("row", "outcome"))


def seed(api: EmulatorApi, *records) -> None:
    items = [
        {"space": "plant", "externalId": r["externalId"], "sources": [{"source": ALARM, "properties": props}]}
        for r in records
        for props in [{k: v for k, v in r.items() if k != "externalId"}]
    ]
    assert api.post(f"/streams/{STREAM}/records", {"items": items}).status_code == 202


def inject(app, **fault) -> None:
    response = requests.post(f"{app.url}/emulator/_faults", json={"project": "demo", **fault}, timeout=10)
    assert response.status_code == 201, response.text


def test_a_dry_run_classifies_every_row_and_the_commit_does_just_that(app, demo):
    seed(demo, alarm_line(1), alarm_line(2, message="old"))
    lines = [
        alarm_line(1),  # unchanged
        alarm_line(2, message="new"),  # update
        alarm_line(3),  # create
        alarm_line(4, severity="HUGE"),  # invalid value
        alarm_line(3, severity="LOW"),  # the same id twice in the file
        {"externalId": "al-0006", "severity": "LOW"},  # a required property missing
    ]
    dry_run = import_job(lines, dry_run=True)
    runner.run(dry_run)
    dry_run.refresh_from_db()
    assert dry_run.status == Job.Status.SUCCEEDED
    assert dry_run.counts == {"unchanged": 1, "update": 1, "create": 1, "invalid": 3}
    assert list(outcomes(dry_run).values()) == [
        "unchanged",
        "update",
        "create",
        "invalid",
        "invalid",
        "invalid",
    ]
    reasons = dict(dry_run.rows.filter(outcome="invalid").values_list("row", "reason"))
    assert "HUGE" in reasons[4]
    assert reasons[5] == "Row 3 of the file has the same space and externalId."
    assert "needs raisedAt" in reasons[6]
    update = dry_run.rows.get(row=2)
    assert update.changes == {"plant.Alarm": {"message": {"before": "old", "after": "new"}}}
    assert set(stored(demo)) == {"al-0001", "al-0002"}, "the dry run wrote nothing"
    assert alarm_props(stored(demo)["al-0002"])["message"] == "old"

    commit = import_job(lines)
    runner.run(commit)
    commit.refresh_from_db()
    assert commit.counts == {"unchanged": 1, "updated": 1, "created": 1, "invalid": 3}
    assert {row: outcome for row, outcome in outcomes(commit).items()} == {
        row: {"create": "created", "update": "updated"}.get(outcome, outcome)
        for row, outcome in outcomes(dry_run).items()
    }
    records = stored(demo)
    assert set(records) == {"al-0001", "al-0002", "al-0003"}
    assert alarm_props(records["al-0002"])["message"] == "new"
    assert alarm_props(records["al-0003"])["severity"] == "HIGH"
    entry = AuditEntry.objects.get(id=commit.audit_entry_id)
    assert (entry.action, entry.username, entry.stream) == ("import", "eddie", STREAM)
    audited = sorted(entry.records.values_list("external_id", "succeeded"))
    assert audited == [("al-0002", True), ("al-0003", True)]
    assert entry.records.get(external_id="al-0002").changes == update.changes


def test_lookups_name_every_container_they_read(app, demo, monkeypatch):
    # CDF returns the values of the containers a read names; without sources its answer is undocumented.
    seed(demo, alarm_line(1, message="kept"))
    client = get_client()
    stream, containers = client.retrieve_stream(STREAM), client.list_containers()
    reads = []
    filter_records = client.filter_records

    def spy(stream_id, body):
        reads.append(body)
        return filter_records(stream_id, body)

    monkeypatch.setattr(client, "filter_records", spy)
    found = batches.lookup(client, stream, [{"space": "plant", "externalId": "al-0001"}], containers)
    named = [selector["source"]["externalId"] for body in reads for selector in body["sources"]]
    assert sorted(named) == sorted(c["externalId"] for c in containers)
    assert all(len(body["sources"]) <= 10 for body in reads)
    assert alarm_props(found[("plant", "al-0001")][0])["message"] == "kept"


def test_each_format_imports_the_same_records(app, demo):
    csv_text = "externalId,severity,raisedAt,message\nal-0001,LOW,2026-08-01T12:00:00Z,from csv\n"
    for kind, data in (
        ("csv", csv_text),
        ("json", [alarm_line(2, message="from json")]),
        ("jsonl", [alarm_line(3, message="from json lines")]),
    ):
        job = import_job(data, kind=kind)
        runner.run(job)
        job.refresh_from_db()
        assert job.counts == {"created": 1}, (kind, job.message)
    messages = {key: alarm_props(record)["message"] for key, record in stored(demo).items()}
    assert messages == {"al-0001": "from csv", "al-0002": "from json", "al-0003": "from json lines"}


def test_a_job_interrupted_after_writing_resumes_without_writing_twice(app, demo, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 10)
    lines = [alarm_line(n) for n in range(1, 46)]
    # Ingest refuses a record that exists (409): a row sent twice would fail.
    job = import_job(lines, mode="ingest")

    def crash(batch):
        if batch == 2:
            raise SystemExit("the worker was stopped")

    with pytest.raises(SystemExit):
        runner.run(job, on_written=crash)
    job.refresh_from_db()
    assert (job.status, job.checkpoint) == (Job.Status.RUNNING, 20)
    assert len(stored(demo)) == 30, "the third batch went out before the crash"

    assert runner.recover_lost_jobs(timedelta(0)) == [job.id]
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    runner.run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.counts == {"created": 45}
    assert sorted(outcomes(job)) == list(range(1, 46))
    assert set(stored(demo)) == {f"al-{n:04d}" for n in range(1, 46)}


def test_batches_start_small_and_double_up_to_the_batch_size(monkeypatch):
    monkeypatch.setattr(batches, "FIRST_BATCH_ROWS", 2)
    monkeypatch.setattr(batches, "BATCH_ROWS", 8)
    assert [len(batch) for batch in batches.batches(range(25))] == [2, 4, 8, 8, 3]
    assert [n for batch in batches.batches(range(25)) for n in batch] == list(range(25))


def test_a_job_stopped_while_saving_one_batch_and_writing_the_next_accounts_for_both(app, demo, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 10)
    lines = [alarm_line(n) for n in range(1, 46)]
    job = import_job(lines, mode="ingest")
    save_batch = batches.save_batch
    saves = []

    def stop_at_the_second_save(*args):
        saves.append(args)
        if len(saves) == 2:
            raise SystemExit("the worker was stopped")
        save_batch(*args)

    monkeypatch.setattr(batches, "save_batch", stop_at_the_second_save)
    with pytest.raises(SystemExit):
        runner.run(job)
    monkeypatch.setattr(batches, "save_batch", save_batch)
    job.refresh_from_db()
    assert job.checkpoint == 10
    assert len(stored(demo)) == 30, "the third batch was written while the second was being saved"
    assert sorted(job.inflight["planned"], key=int) == [str(n) for n in range(11, 31)]

    runner.recover_lost_jobs(timedelta(0))
    job.refresh_from_db()
    runner.run(job)
    job.refresh_from_db()
    assert (job.status, job.counts, job.inflight) == (Job.Status.SUCCEEDED, {"created": 45}, {})
    assert sorted(outcomes(job)) == list(range(1, 46))
    assert job.rows.get(row=25).reason == "Written before the job was interrupted."
    assert set(stored(demo)) == {f"al-{n:04d}" for n in range(1, 46)}


def test_the_worker_command_resumes_a_lost_job(app, demo, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setattr(batches, "BATCH_ROWS", 5)
    job = import_job([alarm_line(n) for n in range(1, 13)], mode="ingest")
    with pytest.raises(SystemExit):
        runner.run(job, on_written=lambda batch: batch == 1 and exit(1))
    call_command("run_jobs", batch=True, lost_after=0, verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.counts) == (Job.Status.SUCCEEDED, {"created": 12})
    assert len(stored(demo)) == 12


def test_a_slow_batch_keeps_its_heartbeat_and_is_not_taken_for_lost(app, demo, monkeypatch):
    monkeypatch.setattr(runner, "HEARTBEAT_EVERY", timedelta(milliseconds=50))
    job = import_job([alarm_line(1)])
    seen = {}

    def slow_batch(batch):
        before = Job.objects.get(id=job.id).heartbeat
        time.sleep(0.6)
        seen["beats"] = (before, Job.objects.get(id=job.id).heartbeat)
        seen["lost"] = runner.recover_lost_jobs(timedelta(milliseconds=300))

    runner.run(job, on_written=slow_batch)
    job.refresh_from_db()
    assert (job.status, job.counts) == (Job.Status.SUCCEEDED, {"created": 1})
    before, during = seen["beats"]
    assert during - before >= timedelta(milliseconds=400)
    assert seen["lost"] == []


def test_a_worker_watching_for_lost_jobs_queues_them_again(app, demo, monkeypatch):
    monkeypatch.setattr(runner, "LOST_AFTER", timedelta(milliseconds=100))
    lost = import_job([alarm_line(1)])
    Job.objects.filter(id=lost.id).update(status=Job.Status.RUNNING, heartbeat=timezone.now())
    alive = import_job([alarm_line(2)])
    stop = threading.Event()
    watch = threading.Thread(target=runner.watch_for_lost_jobs, args=(stop,))
    watch.start()
    try:
        for _ in range(100):
            Job.objects.filter(id=alive.id).update(status=Job.Status.RUNNING, heartbeat=timezone.now())
            if Job.objects.get(id=lost.id).status == Job.Status.QUEUED:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        watch.join()
    assert Job.objects.get(id=lost.id).status == Job.Status.QUEUED
    assert Job.objects.get(id=alive.id).status == Job.Status.RUNNING


def test_a_job_runs_once_however_often_it_is_queued(app, demo, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 10)
    job = import_job([alarm_line(n) for n in range(1, 26)], mode="ingest")
    second_run = Job.objects.get(id=job.id)
    runs = []
    # While the first run writes its first batch, a second task for the same job starts.
    runner.run(job, on_written=lambda batch: batch == 0 and runs.append(runner.run(second_run)))
    job.refresh_from_db()
    assert runs == [None] and second_run.status == Job.Status.QUEUED, "the second task did nothing"
    assert (job.status, job.counts) == (Job.Status.SUCCEEDED, {"created": 25})
    assert len(stored(demo)) == 25


def test_a_run_whose_job_was_queued_again_by_another_worker_stops(app, demo, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 10)
    job = import_job([alarm_line(n) for n in range(1, 26)], mode="ingest")

    def taken_for_lost(batch):
        # This run was slow to report: another worker took it for lost and queued it again.
        if batch == 0:
            Job.objects.filter(id=job.id).update(status=Job.Status.QUEUED)

    runner.run(job, on_written=taken_for_lost)
    job.refresh_from_db()
    assert (job.status, job.checkpoint, job.counts) == (Job.Status.QUEUED, 10, {"created": 10})
    runner.run(job)
    job.refresh_from_db()
    assert (job.status, job.counts) == (Job.Status.SUCCEEDED, {"created": 25})
    assert len(stored(demo)) == 25


@pytest.mark.usefixtures("fault_injection")
def test_records_failing_with_503_are_retried_to_completion(app, demo):
    failing = ["plant:al-0002", "plant:al-0004"]
    inject(app, endpoint="records/upsert", status=503, failRecords=failing, count=2)
    job = import_job([alarm_line(n) for n in range(1, 6)])
    runner.run(job)
    job.refresh_from_db()
    assert job.counts == {"created": 5}
    assert len(stored(demo)) == 5


@pytest.mark.usefixtures("fault_injection")
def test_records_cdf_refuses_are_reported_with_the_reason_and_downloadable(app, demo):
    inject(app, endpoint="records/upsert", status=409, failRecords=["plant:al-0002"])
    job = import_job([alarm_line(n) for n in range(1, 4)])
    runner.run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.counts == {"created": 2, "failed": 1}
    failed = job.rows.get(outcome="failed")
    assert (failed.row, failed.external_id) == (2, "al-0002")
    assert failed.reason.startswith("CDF answered 409")
    assert failed.data == alarm_line(2)
    assert set(stored(demo)) == {"al-0001", "al-0003"}
    entry = job.audit_entry
    assert entry.outcome == AuditEntry.Outcome.PARTIAL
    assert entry.records.get(external_id="al-0002").succeeded is False


def test_cancel_stops_after_the_current_batch(app, demo, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 10)
    job = import_job([alarm_line(n) for n in range(1, 31)])
    runner.run(job, on_written=lambda batch: control.cancel(job))
    job.refresh_from_db()
    assert (job.status, job.checkpoint, job.counts) == (Job.Status.CANCELLED, 10, {"created": 10})
    assert len(stored(demo)) == 10
    assert job.audit_entry.records.count() == 10


def test_a_paused_job_resumes_where_it_stopped(app, demo, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 10)
    job = import_job([alarm_line(n) for n in range(1, 26)], mode="ingest")
    runner.run(job, on_written=lambda batch: batch == 0 and control.pause(job))
    job.refresh_from_db()
    assert (job.status, job.checkpoint) == (Job.Status.PAUSED, 10)
    assert progress.progress(job)["done"] == 10 and progress.progress(job)["total"] == 25
    assert runner.resume(job)
    job.refresh_from_db()
    runner.run(job)
    job.refresh_from_db()
    assert (job.status, job.counts) == (Job.Status.SUCCEEDED, {"created": 25})
    assert len(stored(demo)) == 25


def test_upsert_into_an_immutable_stream_fails_the_job_and_writes_nothing(app, demo):
    job = import_job([alarm_line(1)])
    job.stream = "sensor-readings"
    job.save()
    before = len(stored(demo, "sensor-readings"))
    runner.run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "only possible on mutable streams" in job.message
    assert len(stored(demo, "sensor-readings")) == before


def test_an_unexpected_error_ends_the_job_as_failed_instead_of_running(app, demo, monkeypatch):
    def broken(plan, row):
        raise KeyError("a bug")

    monkeypatch.setattr(importing, "record_of", broken)
    job = import_job([alarm_line(1)])
    runner.run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "unexpected error" in job.message
    assert runner.recover_lost_jobs(timedelta(0)) == []


@pytest.mark.parametrize(
    ("kind", "late", "failed", "invalid"),
    [
        ("jsonl", {"message": "x" * 2000}, "Line 300 is longer than 1 KB", ""),
        ("json", {"message": "x" * 2000}, "Item 300 of the JSON array is longer than 1 KB", ""),
        ("jsonl", {"message": "a\x00b"}, "", "This line is not usable JSON: a string holds a NUL"),
    ],
)
def test_security_a_bad_row_past_the_first_rows_is_met_by_the_dry_run(
    app, demo, settings, kind, late, failed, invalid
):
    """Security: rows past the first 200 (which the upload does not read) are refused by the dry run
    for the same reasons, naming the line or item, and nothing of them is stored."""
    settings.IMPORT_MAX_LINE_KILOBYTES = 1
    job = import_job([alarm_line(n) for n in range(1, 300)] + [alarm_line(300, **late)], kind, dry_run=True)
    runner.run(job)
    job.refresh_from_db()
    assert job.status == ("failed" if failed else "succeeded")
    assert failed in job.message
    reasons = job.rows.filter(outcome="invalid").values_list("reason", flat=True)
    assert [reason[: len(invalid)] for reason in reasons] == ([invalid] if invalid else [])
    assert stored(demo) == {}
