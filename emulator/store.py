"""Records of a stream: writes, the in-process mirror that reads run on, and the change feed.

The database is the truth. Filter and aggregate requests evaluate the filter language in
Python over every live record of a stream, so each process keeps a mirror of them, brought
up to date before each read by loading only the rows whose `seq` moved past the mirror's.
"""

import base64
import binascii
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F

from cdftypes.values import parse_json

from .clock import now_ms
from .errors import ApiError, bad_request
from .models import Record, Stream

SYNC_MAX_BYTES = 10 * 1024 * 1024
# How many change-log rows one sync call reads at most while looking for matches.
SYNC_SCAN_LIMIT = 20_000


def record_key(space: str, external_id: str) -> str:
    # Unambiguous: space ids never contain ":".
    return f"{space}:{external_id}"


def content_hash(record: dict) -> str:
    canonical = json.dumps([record["space"], record["externalId"], record["properties"]], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_shape(row) -> dict:
    """The stored-record dict (see filters.py) of a row from `ROW_FIELDS`."""
    _, space, external_id, created, updated, status, properties, _ = row
    record = {
        "space": space,
        "externalId": external_id,
        "createdTime": created,
        "lastUpdatedTime": updated,
        "properties": properties or {},
    }
    if status == Record.DELETED:
        record["status"] = Record.DELETED
    return record


ROW_FIELDS = (
    "id",
    "space",
    "external_id",
    "created_time",
    "last_updated_time",
    "status",
    "properties",
    "seq",
)


# --- writes ------------------------------------------------------------------------------


@dataclass
class WriteOutcome:
    """Per-record results of a write: failures as {(space, externalId): (code, message)}."""

    failures: dict = field(default_factory=dict)


def _claim(stream: Stream, count: int, at: int | None = None) -> tuple[int, int]:
    """Lock the stream row and hand out `count` sequence numbers and one lastUpdatedTime.

    `at` backdates the time (the demo loader spreads records over past weeks); it never goes
    below the stream's last time, so lastUpdatedTime keeps growing with seq.
    """
    locked = Stream.objects.select_for_update().get(pk=stream.pk)
    first_seq = locked.last_seq + 1
    time = max(now_ms() if at is None else at, locked.last_time + 1)
    Stream.objects.filter(pk=stream.pk).update(last_seq=locked.last_seq + count, last_time=time)
    return first_seq, time


def write(
    stream: Stream, records: list[dict], mode: str, injected: dict, at: int | None = None
) -> WriteOutcome:
    """Ingest ("ingest") or upsert ("upsert") validated records.

    `injected` maps "space:externalId" to a fault code for records that must fail.
    """
    outcome = WriteOutcome()
    accepted = _without_injected_failures(records, injected, outcome)
    with transaction.atomic():
        if stream.mutable:
            _write_mutable(stream, accepted, mode, outcome, at)
        else:
            _write_immutable(stream, accepted, at)
    return outcome


def _without_injected_failures(items: list[dict], injected: dict, outcome: WriteOutcome) -> list[dict]:
    """The items to write; those an injected fault fails are recorded in the outcome instead."""
    kept = []
    for item in items:
        code = injected.get(f"{item['space']}:{item['externalId']}")
        if code:
            outcome.failures[(item["space"], item["externalId"])] = (code, _injected_message(code))
        else:
            kept.append(item)
    return kept


def _injected_message(code: int) -> str:
    return {
        409: "The record was modified concurrently by another request",
        500: "Internal error while writing the record",
        503: "Service temporarily unavailable; retry the record",
    }[code]


def _write_immutable(stream: Stream, records: list[dict], at: int | None) -> None:
    fresh, seen = [], set()
    hashes = [content_hash(record) for record in records]
    stored = set(
        Record.objects.filter(stream=stream, content_hash__in=set(hashes)).values_list(
            "content_hash", flat=True
        )
    )
    for record, digest in zip(records, hashes, strict=True):
        if digest not in stored and digest not in seen:
            seen.add(digest)
            fresh.append((record, digest))
    if not fresh:
        return
    seq, time = _claim(stream, len(fresh), at)
    rows = [
        _new_row(stream, record, None, digest, time, seq + offset, _serialize(record))
        for offset, (record, digest) in enumerate(fresh)
    ]
    _insert(rows)
    Stream.objects.filter(pk=stream.pk).update(
        record_count=F("record_count") + len(rows), byte_count=F("byte_count") + sum(row[-1] for row in rows)
    )


def _write_mutable(
    stream: Stream, records: list[dict], mode: str, outcome: WriteOutcome, at: int | None
) -> None:
    keys = [record_key(r["space"], r["externalId"]) for r in records]
    existing = {row.unique_key: row for row in Record.objects.filter(stream=stream, unique_key__in=keys)}
    if mode == "ingest":
        taken = [
            r for r, k in zip(records, keys, strict=True) if k in existing and existing[k].status != "deleted"
        ]
        for record in taken:
            outcome.failures[(record["space"], record["externalId"])] = (
                409,
                "A record with this id already exists",
            )
        records = [r for r in records if (r["space"], r["externalId"]) not in outcome.failures]
    if not records:
        return
    seq, time = _claim(stream, len(records), at)
    created, replaced = [], []
    count_delta = bytes_delta = 0
    for offset, record in enumerate(records):
        properties = _serialize(record)
        key = record_key(record["space"], record["externalId"])
        row = existing.get(key)
        if row is None:
            created.append(_new_row(stream, record, key, None, time, seq + offset, properties))
            count_delta += 1
        else:
            if row.status == Record.DELETED:
                row.created_time, row.status = time, Record.CREATED
                count_delta += 1
            else:
                row.status = Record.UPDATED
                bytes_delta -= row.size
            row.properties, row.size = record["properties"], len(properties)
            row.seq, row.last_updated_time = seq + offset, time
            replaced.append(row)
        bytes_delta += len(properties)
    # Rows move to new sequence numbers past every existing one, so no unique (stream, seq) clash.
    Record.objects.bulk_update(
        replaced, ["properties", "size", "seq", "last_updated_time", "status", "created_time"], batch_size=500
    )
    _insert(created)
    Stream.objects.filter(pk=stream.pk).update(
        record_count=F("record_count") + count_delta, byte_count=F("byte_count") + bytes_delta
    )


INSERT_COLUMNS = (
    "stream_id",
    "space",
    "external_id",
    "unique_key",
    "content_hash",
    "created_time",
    "last_updated_time",
    "seq",
    "status",
    "properties",
    "size",
)


def _new_row(stream: Stream, record: dict, unique_key, digest, time: int, seq: int, properties: str) -> tuple:
    """The INSERT_COLUMNS values of a record created now."""
    return (
        stream.pk,
        record["space"],
        record["externalId"],
        unique_key,
        digest,
        time,
        time,
        seq,
        Record.CREATED,
        properties,
        len(properties),
    )


def _insert(rows: list[tuple]) -> None:
    """Insert new record rows (values in INSERT_COLUMNS order, properties as JSON text).

    One executemany instead of model instances and bulk_create: ingest is the emulator's
    hottest path, and building model objects cost more than the database's own work.
    """
    if not rows:
        return
    table = connection.ops.quote_name(Record._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(INSERT_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def delete(stream: Stream, ids: list[dict], injected: dict) -> WriteOutcome:
    outcome = WriteOutcome()
    keys = [
        record_key(i["space"], i["externalId"]) for i in _without_injected_failures(ids, injected, outcome)
    ]
    with transaction.atomic():
        rows = list(Record.objects.filter(stream=stream, unique_key__in=keys).exclude(status=Record.DELETED))
        if not rows:
            return outcome
        seq, time = _claim(stream, len(rows))
        for offset, row in enumerate(rows):
            row.status, row.properties, row.seq, row.last_updated_time = (
                Record.DELETED,
                None,
                seq + offset,
                time,
            )
        freed = sum(row.size for row in rows)
        for row in rows:
            row.size = 0
        Record.objects.bulk_update(
            rows, ["status", "properties", "seq", "last_updated_time", "size"], batch_size=500
        )
        Stream.objects.filter(pk=stream.pk).update(
            record_count=F("record_count") - len(rows), byte_count=F("byte_count") - freed
        )
    return outcome


def _serialize(record: dict) -> str:
    """The record's properties as stored; its length is the record's size."""
    return json.dumps(record["properties"], separators=(",", ":"), ensure_ascii=False)


# --- the mirror ----------------------------------------------------------------------------


class _Mirror:
    def __init__(self):
        self.seq = 0
        self.records: dict[int, dict] = {}
        self.lock = threading.Lock()


_mirrors: dict = {}
_mirrors_lock = threading.Lock()


def live_records(stream: Stream, external_ids: set[str] | None = None) -> list[dict]:
    """Every live record of the stream, as stored-record dicts, current as of this call; with
    `external_ids`, only the records with one of them, read from the database by its id index
    (reads order their answers themselves)."""
    if external_ids is not None:
        rows = (
            Record.objects.filter(stream=stream, external_id__in=list(chunk))
            .exclude(status=Record.DELETED)
            .values_list(*ROW_FIELDS)
            for chunk in itertools.batched(sorted(external_ids), 1000)
        )
        return [read_shape(row) for batch in rows for row in batch]
    with _mirrors_lock:
        mirror = _mirrors.setdefault(stream.uid, _Mirror())
    current_seq = Stream.objects.filter(pk=stream.pk).values_list("last_seq", flat=True).first() or 0
    with mirror.lock:
        if current_seq > mirror.seq:
            rows = (
                Record.objects.filter(stream=stream, seq__gt=mirror.seq)
                .order_by("seq")
                .values_list(*ROW_FIELDS)
            )
            for row in rows.iterator(chunk_size=5000):
                if row[5] == Record.DELETED:
                    mirror.records.pop(row[0], None)
                else:
                    mirror.records[row[0]] = read_shape(row)
                mirror.seq = max(mirror.seq, row[7])
        return list(mirror.records.values())


# --- the change feed -------------------------------------------------------------------------


def encode_cursor(stream: Stream, seq: int) -> str:
    raw = json.dumps({"v": 1, "stream": stream.external_id, "seq": seq}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(stream: Stream, cursor: object) -> int:
    if not isinstance(cursor, str) or not 1 <= len(cursor) <= 100_000:
        raise bad_request("cursor must be a string of 1 to 100000 characters")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        data = parse_json(raw)
        seq, owner = data["seq"], data["stream"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad_request("cursor is not a valid sync cursor; start again with initializeCursor") from None
    if owner != stream.external_id or not isinstance(seq, int) or seq < 0:
        raise bad_request(f"cursor belongs to another stream ({owner!r}), not {stream.external_id!r}")
    return seq


def seq_before(stream: Stream, time_ms: int) -> int:
    """The change-log position just before the first change stored at or after `time_ms`."""
    first = (
        Record.objects.filter(stream=stream, last_updated_time__gte=time_ms)
        .order_by("last_updated_time", "seq")
        .values_list("seq", flat=True)
        .first()
    )
    if first is None:
        return Stream.objects.filter(pk=stream.pk).values_list("last_seq", flat=True).first()
    return first - 1


def changes(stream: Stream, after_seq: int, limit: int, matches) -> tuple[list[dict], int, bool]:
    """Up to `limit` matching records changed after `after_seq`, in change order.

    Returns (records, the position to continue from, whether more changes exist).
    """
    last_seq = Stream.objects.filter(pk=stream.pk).values_list("last_seq", flat=True).first() or 0
    found, position, scanned, size = [], after_seq, 0, 0
    batch = max(limit, 500)
    while len(found) < limit and position < last_seq and scanned < SYNC_SCAN_LIMIT:
        rows = list(
            Record.objects.filter(stream=stream, seq__gt=position, seq__lte=last_seq)
            .order_by("seq")
            .values_list(*ROW_FIELDS, "size")[:batch]
        )
        if not rows:
            break
        for row in rows:
            record = read_shape(row[:8])
            if matches(record):
                if size + row[8] > SYNC_MAX_BYTES and found:
                    return found, position, True
                record["status"] = row[5]
                found.append(record)
                size += row[8]
            position = row[7]
            scanned += 1
            if len(found) == limit:
                break
    return found, position, position < last_seq


def require_mutable(stream: Stream, action: str) -> None:
    if not stream.mutable:
        raise ApiError(
            422,
            f"Stream {stream.external_id!r} is immutable: records cannot be {action}; "
            "use a mutable stream (for example one from the BasicLiveData template)",
        )
