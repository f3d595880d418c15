"""The audit log: every write the app sends to CDF is recorded with who, when, what and how it ended."""

from django.db import transaction

from .models import AuditEntry, AuditRecord


def record_write(
    user, stream: str, action: str, records: list[dict], request_ids=(), message: str = ""
) -> AuditEntry:
    """Log one write (or one bulk job). Each of `records` is {"space", "externalId", "succeeded",
    "error" (optional), "changes" (optional, {"space.container": {"property": {"before", "after"}}})}."""
    failed = sum(1 for record in records if not record["succeeded"])
    if not failed:
        outcome = AuditEntry.Outcome.SUCCEEDED
    elif failed == len(records):
        outcome = AuditEntry.Outcome.FAILED
    else:
        outcome = AuditEntry.Outcome.PARTIAL
    with transaction.atomic():
        entry = AuditEntry.objects.create(
            user=user if user and user.is_authenticated else None,
            username=user.get_username() if user and user.is_authenticated else "",
            stream=stream,
            action=action,
            outcome=outcome,
            request_ids=[request_id for request_id in request_ids if request_id],
            message=message,
        )
        AuditRecord.objects.bulk_create(
            [
                AuditRecord(
                    entry=entry,
                    space=record["space"],
                    external_id=record["externalId"],
                    succeeded=record["succeeded"],
                    error=record.get("error", ""),
                    changes=record.get("changes", {}),
                )
                for record in records
            ],
            batch_size=1000,
        )
    return entry
