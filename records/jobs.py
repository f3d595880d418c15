"""Jobs: imports (dry run or commit) and bulk edits, run by the worker of Django's tasks framework
(`manage.py run_jobs`), outside any request.

A job reads its rows in batches. Each batch is classified against the live records (create /
update / unchanged / invalid); a commit then writes the creates and updates through the service
module (chunks of <= 1000 records and 10 MB, written in parallel, failed records retried) and saves
the outcome of every row together with the checkpoint in one transaction. A job stopped anywhere
(pause, cancel, a lost worker) starts again at its checkpoint: the batches whose writes went out
before the stop are classified again, their written rows now read as unchanged and are not sent
twice.
"""

import contextlib
import functools
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, reset_queries, transaction
from django.http import QueryDict
from django.tasks import task
from django.utils import timezone

from . import audit, browsing, exporting, importing
from .browsing import container_ref
from .cdf import CdfClient, CdfError, get_client
from .models import Job, JobRow, insert_rows

logger = logging.getLogger(__name__)

BATCH_ROWS = 8000  # rows per step: 8 write requests of 1000, 4 at a time
FIRST_BATCH_ROWS = 1000
# Ids per lookup: ten `in` filters under an `or`; on an immutable stream an id may match several
# records, so fewer, to stay within the 1000 items of an answer.
LOOKUP_IDS = {"Mutable": 1000, "Immutable": 100}
LOOKUP_WORKERS = 4
# A running job's worker renews its heartbeat this often, however long a batch takes; a job whose
# worker has not done so for LOST_AFTER was lost with it and is run again.
HEARTBEAT_EVERY = timedelta(seconds=30)
LOST_AFTER = timedelta(minutes=2)
WRITTEN = {"create": "created", "update": "updated"}


class Stopped(Exception):
    """The job was paused or cancelled between two batches."""


@dataclass
class RowResult:
    """What the job did with one row, until it is saved as a JobRow (plain, as there are many)."""

    row: int
    outcome: str
    reason: str = ""
    changes: dict = field(default_factory=dict)
    space: str = ""
    external_id: str = ""
    data: dict | None = None


def media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


@task()
def run_job(job_id: int) -> str:
    """The task the worker runs: one job, from its checkpoint to its end (or until paused)."""
    job = Job.objects.get(id=job_id)
    run(job)
    return job.status


def cannot_run() -> str:
    """Why jobs cannot run with these settings ("" when they can)."""
    if settings.CDF_TOKEN_SOURCE == "forwarded":
        return (
            "Imports run in the background, outside your request, so they need the app's own CDF "
            "credentials; with CDF_TOKEN_SOURCE=forwarded there are none. Ask an administrator to set "
            "CDF_TOKEN_SOURCE=client-credentials."
        )
    return ""


def enqueue(job: Job) -> None:
    """Queue the job for the worker once the current transaction commits."""
    job.status = Job.Status.QUEUED
    job.message = ""
    job.save(update_fields=["status", "message"])
    transaction.on_commit(lambda: run_job.enqueue(job.id))


def recover_lost_jobs(lost_after: timedelta = LOST_AFTER) -> list[int]:
    """Queue again the jobs whose worker stopped while running them (a restart, a crash)."""
    silent = timezone.now() - lost_after
    lost = []
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat__lt=silent):
        # However many workers look at once, one of them queues the job.
        if not Job.objects.filter(id=job.id, status=Job.Status.RUNNING, heartbeat__lt=silent).update(
            status=Job.Status.QUEUED
        ):
            continue
        logger.warning(
            "Job %s was left running by a lost worker; resuming after row %s", job.id, job.checkpoint
        )
        enqueue(job)
        lost.append(job.id)
    return lost


def watch_for_lost_jobs(stop: threading.Event) -> None:
    """Until `stop` is set, queue again every minute the jobs another worker lost (run in a thread of
    a long-running worker, which may outlive the workers beside it)."""
    while not stop.wait(LOST_AFTER.total_seconds() / 2):
        try:
            recover_lost_jobs(LOST_AFTER)
        except DatabaseError:
            logger.exception("Looking for lost jobs failed; trying again later")
        finally:
            connections.close_all()


@contextlib.contextmanager
def heartbeat(job: Job) -> Iterator[None]:
    """While the body runs, a thread renews the job's heartbeat, so that a batch slowed down by CDF
    (throttling, retries) never passes for a lost job."""
    stop = threading.Event()

    def beat():
        while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
            Job.objects.filter(id=job.id).update(heartbeat=timezone.now())

    thread = threading.Thread(target=_in_thread, args=(beat,), name=f"job-{job.id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run(job: Job, client: CdfClient | None = None, on_written: Callable[[int], None] | None = None) -> None:
    """Run a queued job to its end, or until it is paused or cancelled. `on_written(batch)` is called
    after a batch's writes went out and before its outcomes are saved (where a crash hurts most)."""
    if job.status not in Job.ACTIVE:
        return
    if client is None and (refusal := cannot_run()):
        finish(job, Job.Status.FAILED, refusal)
        return
    client = client or get_client()
    # Should a job be queued twice, the first task to claim it runs it.
    if not Job.objects.filter(id=job.id, status=Job.Status.QUEUED).update(status=Job.Status.RUNNING):
        return
    job.status = Job.Status.RUNNING
    job.started = job.started or timezone.now()
    job.heartbeat = timezone.now()
    job.save(update_fields=["started", "heartbeat"])
    try:
        with heartbeat(job):
            if job.kind == Job.Kind.IMPORT:
                run_import(job, client, on_written)
            elif job.kind == Job.Kind.BULK_EDIT:
                run_bulk_edit(job, client, on_written)
            elif job.kind == Job.Kind.EXPORT:
                run_export(job, client, on_written)
            else:
                raise ValueError(f"Unknown job kind {job.kind!r}")
    except Stopped:
        return
    except (CdfError, importing.FileProblem, OSError) as error:
        logger.warning("Job %s failed: %s", job.id, error)
        finish(job, Job.Status.FAILED, str(error))
        return
    except Exception:
        # Ended here rather than left running, to be resumed (and fail again) by every new worker.
        logger.exception("Job %s failed unexpectedly", job.id)
        finish(
            job,
            Job.Status.FAILED,
            "The job stopped on an unexpected error; the worker's log has the details.",
        )
        return
    finish(job, Job.Status.SUCCEEDED)


def finish(job: Job, status: str, message: str = "") -> None:
    job.status = status
    job.message = message
    job.finished = timezone.now()
    if job.audit_entry_id is not None:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(job.counts.items()))
        audit.close_entry(job.audit_entry, f"{job.kind} job {job.id} ({job.file_name}): {counts}")
    job.save(update_fields=["status", "message", "finished"])


def _audit_batch(job: Job, outcomes) -> None:
    """The audit entry of a commit gets a record per row the batch wrote or failed to write."""
    records = [
        {
            "space": row.space,
            "externalId": row.external_id,
            "succeeded": row.outcome != "failed",
            "error": row.reason,
            "changes": row.changes,
        }
        for row in outcomes
        if row.outcome in ("created", "updated", "failed")
    ]
    if not records:
        return
    if job.audit_entry_id is None:
        action = "import" if job.kind == Job.Kind.IMPORT else "bulk_edit"
        job.audit_entry = audit.open_entry(job.user, job.stream, action)
        job.save(update_fields=["audit_entry"])
    audit.add_records(job.audit_entry, records)


# --- control ------------------------------------------------------------------------------------


def pause(job: Job) -> bool:
    return _set_status(job, Job.ACTIVE, Job.Status.PAUSED)


def resume(job: Job) -> bool:
    if Job.objects.filter(id=job.id, status=Job.Status.PAUSED).exists():
        enqueue(job)
        return True
    return False


def cancel(job: Job) -> bool:
    """Cancel a job; a paused or queued one ends now, a running one after its current batch."""
    if _set_status(job, (Job.Status.PAUSED, Job.Status.QUEUED), Job.Status.CANCELLED):
        job.refresh_from_db()
        finish(job, Job.Status.CANCELLED, "Cancelled before it ended.")
        return True
    return _set_status(job, (Job.Status.RUNNING,), Job.Status.CANCELLED)


def _set_status(job: Job, allowed, status: str) -> bool:
    changed = Job.objects.filter(id=job.id, status__in=allowed).update(status=status)
    if changed:
        job.status = status
    return bool(changed)


def _check_stop(job: Job, settle: Callable[[], None] = lambda: None) -> None:
    """Stop between batches, once `settle()` has saved what is under way, when the user paused or
    cancelled the job, or when a worker took it for lost (this one was silent too long) and queued it
    again: the new run goes on from the checkpoint."""
    status = Job.objects.values_list("status", flat=True).get(id=job.id)
    if status in (Job.Status.PAUSED, Job.Status.CANCELLED, Job.Status.QUEUED):
        settle()
    if status in (Job.Status.PAUSED, Job.Status.QUEUED):
        raise Stopped
    if status == Job.Status.CANCELLED:
        job.refresh_from_db()
        finish(job, Job.Status.CANCELLED, "Cancelled before it ended.")
        raise Stopped


# --- import ---------------------------------------------------------------------------------------


def open_rows(job: Job) -> Iterator[importing.Row]:
    with media_path(job.file).open("rb") as binary:
        yield from importing.read_rows(binary, job.format)


def count_rows(job: Job) -> int:
    """The rows of the file, for the progress bar; JSON Lines by their lines, without parsing them."""
    if job.format == "jsonl":
        count, blank = 0, True
        with media_path(job.file).open("rb") as binary:
            # Read in pieces, so that a long line (refused when rows are read) is never held whole.
            for piece in iter(functools.partial(binary.readline, importing.READ_BYTES), b""):
                blank = blank and not piece.strip()
                if piece.endswith(b"\n"):
                    count, blank = count + (not blank), True
        return count + (not blank)
    return sum(1 for _ in open_rows(job))


def run_import(job: Job, client: CdfClient, on_written=None) -> None:
    stream = client.retrieve_stream(job.stream)
    containers = client.list_containers()
    plan = importing.make_plan(job.settings["mapping"], containers, job.format, job.settings["columns"])
    if not plan.valid:
        problems = " ".join(plan.errors.values())
        raise importing.FileProblem(f"The mapping no longer fits the containers: {problems}")
    if job.mode == "upsert" and stream["type"] == "Immutable":
        raise importing.FileProblem("Upsert is only possible on mutable streams; this stream is immutable.")
    if job.total is None:
        job.total = count_rows(job)
        job.save(update_fields=["total"])
    # Ids already met in the file, so a second row with the same id is refused.
    earlier = job.rows.exclude(outcome="invalid").values_list("space", "external_id", "row")
    seen = {(space, external_id): row for space, external_id, row in earlier}
    run_batches(job, client, lambda batch: prepare(job, client, stream, plan, batch, seen), on_written)


def run_batches(job: Job, client: CdfClient, prepare_batch, on_written=None) -> None:
    """The rows of the job's file after its checkpoint, batch by batch, in two stages that run at once
    so that CDF is kept busy: while the writer thread writes a batch, this thread saves the outcomes of
    the one before, then reads, checks and classifies the next (`prepare_batch(rows)`)."""
    rows = (row for row in open_rows(job) if row.number > job.checkpoint)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"job-{job.id}")
    planned = Planned(resumed=job.inflight.get("planned", {}))
    clock = {"last": time.monotonic()}
    unsaved = None  # the batch being written: (its write, its prepared rows, its last row)

    def save_written():
        nonlocal unsaved
        if unsaved:
            (written, prepared, last_row), unsaved = unsaved, None
            written.result()
            save_batch(job, prepared, last_row, clock)

    try:
        for number, batch in enumerate(batches(rows)):
            prepared = prepare_batch(batch)
            if unsaved:
                unsaved[0].result()
            _check_stop(job, save_written)
            if not job.dry_run:
                plan_writes(job, planned, prepared)
            hook = functools.partial(on_written, number) if on_written else None
            written = writer.submit(_in_thread, write_batch, job, client, prepared, hook)
            save_written()
            unsaved = (written, prepared, batch[-1].number)
        save_written()
    finally:
        writer.shutdown()
        # What went out is accounted for even when this thread stopped on an error.
        if unsaved and unsaved[0].exception() is None:
            save_written()
    if job.inflight:
        job.inflight = {}
        job.save(update_fields=["inflight"])


def batches(rows: Iterable[importing.Row]) -> Iterator[tuple[importing.Row, ...]]:
    """The rows in batches of FIRST_BATCH_ROWS, then twice as many each time up to BATCH_ROWS: a small
    first batch starts the writes soon."""
    rows = iter(rows)
    size = FIRST_BATCH_ROWS
    while batch := tuple(itertools.islice(rows, min(size, BATCH_ROWS))):
        yield batch
        size *= 2


# --- bulk edit -------------------------------------------------------------------------------------


def run_bulk_edit(job: Job, client: CdfClient, on_written=None) -> None:
    """Set or clear one property on every record of a browser view. The ids the view selects are
    first kept in a file (the snapshot), so that records the job updates, which the change feed
    then shows again, are not edited twice; a commit reuses its dry run's snapshot."""
    stream = client.retrieve_stream(job.stream)
    if stream["type"] == "Immutable":
        raise importing.FileProblem("Records of an immutable stream cannot be changed.")
    containers = {container_ref(c): c for c in client.list_containers()}
    if not job.file:
        snapshot(job, client, stream, list(containers.values()))
    edit = job.settings
    run_batches(
        job, client, lambda batch: prepare_edit(job, client, stream, containers, edit, batch), on_written
    )


def snapshot(job: Job, client: CdfClient, stream: dict, containers: list[dict]) -> None:
    state = browsing.parse_state(QueryDict(job.settings["query"]), stream, containers)
    if not state.valid:
        raise importing.FileProblem("The view cannot be read: " + " ".join(state.errors.values()))
    name = f"edits/{uuid.uuid4().hex}.jsonl"
    path = media_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with path.open("w") as out:
        for page in exporting.pages(client, stream["externalId"], state):
            for record in page:
                out.write(json.dumps({"space": record["space"], "externalId": record["externalId"]}) + "\n")
            total += len(page)
    if not total:
        path.unlink()
        raise importing.FileProblem("The view selects no records: there is nothing to edit.")
    job.file, job.format, job.total = name, "jsonl", total
    job.save(update_fields=["file", "format", "total"])


def edited(existing: dict, edit: dict, containers: dict[str, dict]) -> dict:
    """The write item of a stored record with the edit applied; RowInvalid when that cannot be."""
    ref, _, prop = edit["property"].rpartition(".")
    values = importing.stored_properties(existing)
    if edit["clear"]:
        spec = containers[ref]["properties"][prop]
        if ref in values and not spec.get("nullable", True) and spec.get("defaultValue") is None:
            raise importing.RowInvalid(f"{prop} is required in {ref}: it cannot be cleared.")
        values.get(ref, {}).pop(prop, None)
    else:
        values.setdefault(ref, {})[prop] = edit["value"]
        missing = [pid for pid in importing.required_properties(containers[ref]) if pid not in values[ref]]
        if missing:
            raise importing.RowInvalid(f"The record has no {', '.join(missing)}, which {ref} requires.")
    sources = [
        {"source": importing.source_ref(key), "properties": props}
        for key, props in sorted(values.items())
        if props
    ]
    if not sources:
        raise importing.RowInvalid("Clearing the property would leave the record without any value.")
    return {"space": existing["space"], "externalId": existing["externalId"], "sources": sources}


def prepare_edit(job, client, stream, containers, edit, batch) -> tuple[dict[int, RowResult], list]:
    existing = lookup(client, stream, [row.cells for row in batch], list(containers.values()))
    outcomes: dict[int, RowResult] = {}
    to_write = []
    for row in batch:
        space, external_id = row.cells["space"], row.cells["externalId"]
        found = existing.get((space, external_id))
        try:
            if not found:
                raise importing.RowInvalid("The record no longer exists.")
            record = edited(found[0], edit, containers)
            kind, changes = importing.classify(record, found[0], "upsert", containers)
        except importing.RowInvalid as error:
            outcomes[row.number] = _row(
                row, "invalid", str(error), space=space, external_id=external_id, keep=True
            )
            continue
        outcome = _row(row, kind, changes=changes, space=space, external_id=external_id)
        outcomes[row.number] = outcome
        if kind in WRITTEN:
            to_write.append((row, record, outcome))
    return outcomes, to_write


# --- export ----------------------------------------------------------------------------------------


def run_export(job: Job, client: CdfClient, on_written=None) -> None:
    """Write the records of a browser view to a file, a change feed page at a time. After each page
    the cursor and the file's length are saved, so a stopped export goes on from there."""
    stream = client.retrieve_stream(job.stream)
    state = browsing.parse_state(QueryDict(job.settings["query"]), stream, client.list_containers())
    if not state.valid:
        raise importing.FileProblem("The view cannot be read: " + " ".join(state.errors.values()))
    columns = exporting.export_columns(state)
    if not job.file:
        job.file = f"exports/{uuid.uuid4().hex}.{job.format}"
        job.save(update_fields=["file"])
    path = media_path(job.file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    began = time.monotonic()
    with path.open("r+b") as out:
        out.truncate(job.inflight.get("bytes", 0))
        out.seek(0, 2)
        if not out.tell():
            out.write(exporting.head(job.format, columns).encode())
        pages = exporting.cursor_pages(client, job.stream, state, job.inflight.get("cursor"))
        for number, (records, cursor) in enumerate(pages):
            out.write(exporting.page_text(job.format, columns, records).encode())
            out.flush()
            if on_written:
                on_written(number)
            now = time.monotonic()
            job.checkpoint += len(records)
            job.counts = {"exported": job.checkpoint}
            job.inflight = {"cursor": cursor, "bytes": out.tell()}
            job.heartbeat = timezone.now()
            job.seconds += now - began
            began = now
            job.save(update_fields=["checkpoint", "counts", "inflight", "heartbeat", "seconds"])
            if cursor:
                _check_stop(job)


def _in_thread(function, *args):
    """Run `function` in a worker thread, closing the thread's database connection after it."""
    try:
        return function(*args)
    finally:
        connections.close_all()


def prepare(job, client, stream, plan, batch, seen) -> tuple[dict[int, RowResult], list]:
    """Each row of the batch checked and classified against the live records: (outcome by row number,
    the rows to write)."""
    immutable = stream["type"] == "Immutable"
    outcomes: dict[int, RowResult] = {}
    planned: list[tuple[importing.Row, dict]] = []
    for row in batch:
        try:
            record = importing.record_of(plan, row)
            key = (record["space"], record["externalId"])
            if key in seen:
                raise importing.RowInvalid(f"Row {seen[key]} of the file has the same space and externalId.")
            seen[key] = row.number
            planned.append((row, record))
        except importing.RowInvalid as error:
            outcomes[row.number] = _row(row, "invalid", str(error), keep=True)
    existing = lookup(client, stream, [record for _, record in planned], list(plan.containers.values()))
    to_write = []
    for row, record in planned:
        found = existing.get((record["space"], record["externalId"]), [])
        try:
            kind, changes = _classify(record, found, job.mode, plan.containers, immutable)
        except importing.RowInvalid as error:
            outcomes[row.number] = _row(row, "invalid", str(error), keep=True)
            continue
        space, external_id = record["space"], record["externalId"]
        # A created record's values are the row itself; only updates keep their per-property diff.
        kept = changes if kind == "update" else None
        outcome = _row(row, kind, changes=kept, space=space, external_id=external_id)
        outcomes[row.number] = outcome
        if kind in WRITTEN:
            to_write.append((row, record, outcome))
    return outcomes, to_write


def save_batch(job, prepared, last_row: int, clock: dict) -> None:
    """Save every row's outcome of a batch (written, for a commit) and the checkpoint at once."""
    outcomes, _ = prepared
    now = time.monotonic()
    with transaction.atomic():
        insert_rows(
            JobRow,
            ["job", "row", "space", "external_id", "outcome", "reason", "changes", "data"],
            [
                (
                    job.pk,
                    result.row,
                    result.space,
                    result.external_id,
                    result.outcome,
                    result.reason,
                    result.changes,
                    result.data,
                )
                for result in outcomes.values()
            ],
        )
        if not job.dry_run:
            _audit_batch(job, outcomes.values())
        counts = dict(job.counts)
        for outcome in outcomes.values():
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        job.counts = counts
        job.checkpoint = last_row
        job.heartbeat = timezone.now()
        job.seconds += now - clock["last"]
        job.save(update_fields=["counts", "checkpoint", "heartbeat", "seconds"])
    clock["last"] = now
    # With DEBUG on, Django keeps every query it ran; a job runs many large ones.
    reset_queries()


def _classify(record, found: list[dict], mode: str, containers, immutable: bool):
    if immutable:
        # Ingest appends: only an exact copy of a stored record is dropped by CDF as a duplicate.
        for existing in found:
            if importing.classify(record, existing, "upsert", containers)[0] == "unchanged":
                return "unchanged", {}
        return importing.classify(record, None, mode, containers)
    return importing.classify(record, found[0] if found else None, mode, containers)


def _row(row, outcome, reason="", changes=None, space="", external_id="", keep=False) -> RowResult:
    return RowResult(
        row.number, outcome, reason, changes or {}, space, external_id, row.cells if keep else None
    )


@dataclass
class Planned:
    """The rows a job planned to write, by row number ("create" or "update"): `resumed`, as a stopped
    run left them, and `previous`, of the batch before (written, perhaps not saved yet)."""

    resumed: dict[str, str]
    previous: dict[str, str] = field(default_factory=dict)


def plan_writes(job: Job, planned: Planned, prepared) -> None:
    """Before a batch goes out, `inflight` names the rows it writes and those of every batch whose
    outcomes are not saved yet: a run stopped before they are then tells these rows, now unchanged,
    as written. Rows a stopped run planned and that are now unchanged were written by it."""
    outcomes, to_write = prepared
    for number, outcome in outcomes.items():
        kind = planned.resumed.get(str(number))
        if kind and outcome.outcome == "unchanged":
            outcome.outcome = WRITTEN[kind]
            outcome.reason = "Written before the job was interrupted."
    batch = {str(row.number): outcome.outcome for row, _, outcome in to_write}
    if batch:
        job.inflight = {"planned": {**planned.resumed, **planned.previous, **batch}}
        job.save(update_fields=["inflight"])
    planned.previous = batch


def write_batch(job: Job, client: CdfClient, prepared, on_written) -> None:
    """Write the creates and updates of a prepared batch (a commit); CDF's answer sets each outcome."""
    _, to_write = prepared
    if job.dry_run or not to_write:
        return
    items = [record for _, record, _ in to_write]
    write = client.upsert_records if job.mode == "upsert" else client.ingest_records
    result = write(job.stream, items)
    if on_written:
        on_written()
    for (row, _, outcome), record_outcome in zip(to_write, result.outcomes, strict=True):
        if record_outcome.ok:
            outcome.outcome = WRITTEN[outcome.outcome]
        else:
            outcome.outcome = "failed"
            outcome.reason = f"CDF answered {record_outcome.code}: {record_outcome.message}"
            outcome.data = row.cells


def lookup(
    client: CdfClient, stream: dict, records: Iterable[dict], containers: list[dict]
) -> dict[tuple[str, str], list[dict]]:
    """The stored records with the ids of `records`, by (space, externalId), with the values of every
    container (named in reads of at most ten, as CDF returns only the containers a read names);
    several on an immutable stream, where ids are not unique (only those within its filtering window
    are found)."""
    by_space: dict[str, list[str]] = {}
    for record in records:
        by_space.setdefault(record["space"], []).append(record["externalId"])
    now = int(time.time() * 1000)
    queries = []
    for space, ids in by_space.items():
        for group in itertools.batched(dict.fromkeys(ids), LOOKUP_IDS[stream["type"]]):
            for start in range(0, max(len(containers), 1), browsing.MAX_SOURCES):
                batch = containers[start : start + browsing.MAX_SOURCES]
                query = {**browsing.records_query(space, list(group), stream, batch, now), "limit": 1000}
                queries.append((start, query))
    found: dict[tuple[str, str], list[dict]] = {}
    with ThreadPoolExecutor(max_workers=LOOKUP_WORKERS) as pool:
        answers = pool.map(lambda query: client.filter_records(stream["externalId"], query[1]), queries)
        # A group's first read (start 0) comes before the reads of its other containers.
        for (start, _), answer in zip(queries, answers, strict=True):
            for item in answer["items"]:
                key = (item["space"], item["externalId"])
                if not start:
                    found.setdefault(key, []).append(item)
                    continue
                same = next((r for r in found.get(key, []) if r["createdTime"] == item["createdTime"]), None)
                if same:
                    browsing.add_container_values(same, item)
    return found


# --- progress -------------------------------------------------------------------------------------


def progress(job: Job) -> dict:
    """Rows done of the total, rows per second and the seconds left, for the progress bar."""
    done = job.checkpoint
    total = job.total or 0
    rate = done / job.seconds if job.seconds and done else None
    left = (total - done) / rate if rate and total >= done else None
    return {
        "done": done,
        "total": total,
        # An export's total is the count when it started; records may have come since.
        "percent": int(100 * min(done, total) / total)
        if total
        else (100 if job.status in Job.FINISHED else 0),
        "rate": rate,
        "eta_seconds": left,
    }
