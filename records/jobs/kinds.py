"""What each kind of job does with its rows: an import (dry run or commit), a bulk edit, an export."""

import json
import time
import uuid

from django.http import QueryDict
from django.utils import timezone

from ..browse import browsing
from ..browse.browsing import container_ref
from ..bulk import exporting, importing
from ..cdf import CdfClient
from ..models import Job
from .batches import WRITTEN, RowResult, lookup, row_result, run_batches
from .control import check_stop
from .files import count_rows, media_path


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
            outcomes[row.number] = row_result(
                row, "invalid", str(error), space=space, external_id=external_id, keep=True
            )
            continue
        outcome = row_result(row, kind, changes=changes, space=space, external_id=external_id)
        outcomes[row.number] = outcome
        if kind in WRITTEN:
            to_write.append((row, record, outcome))
    return outcomes, to_write


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
                check_stop(job)


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
            outcomes[row.number] = row_result(row, "invalid", str(error), keep=True)
    existing = lookup(client, stream, [record for _, record in planned], list(plan.containers.values()))
    to_write = []
    for row, record in planned:
        found = existing.get((record["space"], record["externalId"]), [])
        try:
            kind, changes = _classify(record, found, job.mode, plan.containers, immutable)
        except importing.RowInvalid as error:
            outcomes[row.number] = row_result(row, "invalid", str(error), keep=True)
            continue
        space, external_id = record["space"], record["externalId"]
        # A created record's values are the row itself; only updates keep their per-property diff.
        kept = changes if kind == "update" else None
        outcome = row_result(row, kind, changes=kept, space=space, external_id=external_id)
        outcomes[row.number] = outcome
        if kind in WRITTEN:
            to_write.append((row, record, outcome))
    return outcomes, to_write


def _classify(record, found: list[dict], mode: str, containers, immutable: bool):
    if immutable:
        # Ingest appends: only an exact copy of a stored record is dropped by CDF as a duplicate.
        for existing in found:
            if importing.classify(record, existing, "upsert", containers)[0] == "unchanged":
                return "unchanged", {}
        return importing.classify(record, None, mode, containers)
    return importing.classify(record, found[0] if found else None, mode, containers)
