"""A job's rows in batches: each classified against the live records, written, and saved with the
checkpoint in one transaction."""

import functools
import itertools
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connections, reset_queries, transaction
from django.utils import timezone

from ..audit import log
from ..browse import browsing
from ..bulk import importing
from ..cdf import CdfClient
from ..models import Job, JobRow, insert_rows
from .control import check_stop
from .files import open_rows

BATCH_ROWS = 8000  # rows per step: 8 write requests of 1000, 4 at a time


FIRST_BATCH_ROWS = 1000


# Ids per lookup: ten `in` filters under an `or`; on an immutable stream an id may match several
# records, so fewer, to stay within the 1000 items of an answer.
LOOKUP_IDS = {"Mutable": 1000, "Immutable": 100}


LOOKUP_WORKERS = 4


WRITTEN = {"create": "created", "update": "updated"}


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
        job.audit_entry = log.open_entry(job.user, job.stream, action)
        job.save(update_fields=["audit_entry"])
    log.add_records(job.audit_entry, records)


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
            check_stop(job, save_written)
            if not job.dry_run:
                plan_writes(job, planned, prepared)
            hook = functools.partial(on_written, number) if on_written else None
            written = writer.submit(in_thread, write_batch, job, client, prepared, hook)
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


def in_thread(function, *args):
    """Run `function` in a worker thread, closing the thread's database connection after it."""
    try:
        return function(*args)
    finally:
        connections.close_all()


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


def row_result(row, outcome, reason="", changes=None, space="", external_id="", keep=False) -> RowResult:
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
