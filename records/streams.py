"""The streams page: every stream with its type, template, lifecycle and limits."""

from django.shortcuts import render

from .access import missing_capability
from .auth import cdf_client, has_role
from .cdf import CdfError
from .presentation import error_context, human_duration, iso_time

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


def streams_page(request):
    query = request.GET.get("q", "").strip()
    context = {
        "nav": "streams",
        "query": query,
        "rows": [],
        "error": None,
        # Creating and deleting streams is for admins; others see the controls disabled, with the reason.
        "can_manage_streams": has_role(request, "admin"),
    }
    if context["can_manage_streams"]:
        # An admin's CDF access may still not allow it: then the controls are disabled too.
        context["cdf_refusals"] = {
            "create": missing_capability(request, "streamsAcl:CREATE"),
            "delete": missing_capability(request, "streamsAcl:DELETE"),
        }
    try:
        client = cdf_client(request)
        streams = [
            client.retrieve_stream(s["externalId"], include_statistics=True) for s in client.list_streams()
        ]
    except CdfError as error:
        context["error"] = error_context(error)
    else:
        rows = [stream_row(s) for s in sorted(streams, key=lambda s: s["externalId"])]
        context["total"] = len(rows)
        context["rows"] = [r for r in rows if query.lower() in r["id"].lower()] if query else rows
    template = "records/streams.html#stream-table" if request.htmx else "records/streams.html"
    return render(request, template, context)
