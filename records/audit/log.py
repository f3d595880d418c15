"""The audit log: every write the app sends to CDF is recorded with who, when, what and how it ended.

A single write is logged at once (`record_write`); a bulk job opens an entry, adds the records of each
batch as it writes them, and closes the entry at its end, so a job never holds all its records."""

from django.db import transaction

from ..models import AuditEntry, AuditRecord, insert_rows


def record_write(
    user, stream: str, action: str, records: list[dict], request_ids=(), message: str = ""
) -> AuditEntry:
    """Log one write (or one bulk job). Each of `records` is {"space", "externalId", "succeeded",
    "error" (optional), "changes" (optional, {"space.container": {"property": {"before", "after"}}})}."""
    with transaction.atomic():
        entry = open_entry(user, stream, action, request_ids)
        add_records(entry, records)
        close_entry(entry, message)
    return entry


def open_entry(user, stream: str, action: str, request_ids=()) -> AuditEntry:
    signed_in = user is not None and user.is_authenticated
    return AuditEntry.objects.create(
        user=user if signed_in else None,
        username=user.get_username() if signed_in else "",
        stream=stream,
        action=action,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        request_ids=[request_id for request_id in request_ids if request_id],
    )


def add_records(entry: AuditEntry, records: list[dict]) -> None:
    insert_rows(
        AuditRecord,
        ["entry", "space", "external_id", "succeeded", "error", "changes"],
        [
            (
                entry.pk,
                record["space"],
                record["externalId"],
                record["succeeded"],
                record.get("error", ""),
                record.get("changes", {}),
            )
            for record in records
        ],
    )


def close_entry(entry: AuditEntry, message: str = "") -> None:
    """The entry's outcome from its records: succeeded, failed (all records failed) or partial."""
    failed = entry.records.filter(succeeded=False).count()
    if not failed:
        entry.outcome = AuditEntry.Outcome.SUCCEEDED
    elif not entry.records.filter(succeeded=True).exists():
        entry.outcome = AuditEntry.Outcome.FAILED
    else:
        entry.outcome = AuditEntry.Outcome.PARTIAL
    entry.message = message
    entry.save(update_fields=["outcome", "message"])
