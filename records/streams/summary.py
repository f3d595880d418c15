"""A stream as the streams page shows it: its type, template, lifecycle and limits."""

from ..web.presentation import human_duration, iso_time

TYPE_NOTES = {
    "Mutable": "Records can be updated (upsert) and deleted; ids are unique; queries need no time window.",
    "Immutable": (
        "Records are written once and never changed or deleted by users; the same id may occur "
        "several times; every query must name a lastUpdatedTime window no wider than the stream's "
        "filtering interval."
    ),
}


def settings_summary(settings: dict) -> dict:
    """A stream's (or a template's) lifecycle and limits as the pages show them."""
    lifecycle = settings["lifecycle"]
    limits = settings["limits"]
    return {
        "retained_after_delete": human_duration(lifecycle.get("retainedAfterSoftDelete")),
        "data_deleted_after": human_duration(lifecycle.get("dataDeletedAfter")),
        "filtering_interval": human_duration(limits.get("maxFilteringInterval")),
        "records": limits["maxRecordsTotal"],
        "gigabytes": limits["maxGigaBytesTotal"],
    }


def stream_row(stream: dict) -> dict:
    """The stream as the page shows it."""
    return {
        "id": stream["externalId"],
        "type": stream["type"],
        "type_note": TYPE_NOTES.get(stream["type"], ""),
        "template": stream["createdFromTemplate"],
        "created": iso_time(stream["createdTime"]),
        **settings_summary(stream["settings"]),
    }
