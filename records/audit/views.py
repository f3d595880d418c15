"""The audit log as pages: every write, filterable by user, stream and date, as CSV too; and the
history of one record. Admins see everyone's entries, other users their own."""

import json
from datetime import date, datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..bulk.exporting import csv_line
from ..models import AuditEntry, AuditRecord
from ..web.auth import has_role

PAGE_SIZE = 50
CSV_COLUMNS = [
    "at",
    "user",
    "stream",
    "action",
    "outcome",
    "space",
    "externalId",
    "succeeded",
    "error",
    "changes",
    "requestIds",
]


def visible_entries(request):
    """The entries this user may see: all for an admin, their own for anyone else."""
    entries = AuditEntry.objects.all()
    if not has_role(request, "admin"):
        entries = entries.filter(username=request.user.get_username())
    return entries


def _day(text: str, field: str, errors: dict) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = f"“{text}” is not a date: use YYYY-MM-DD."
        return None
    # The first and last days cannot be bounds: a day's end, or its start in another time zone, is
    # outside the dates Python has.
    if not date.min < day < date.max:
        errors[field] = f"“{text}” is out of range: use a date from 0001-01-02 to 9999-12-30."
        return None
    return day


def filter_entries(request):
    """The visible entries narrowed by the query string (user, stream, since, until), the filter values
    as typed, and a message per field that could not be read."""
    values = {name: request.GET.get(name, "").strip() for name in ("user", "stream", "since", "until")}
    errors = {}
    searched = ("user", "stream") if has_role(request, "admin") else ("stream",)  # users see their own
    for name in searched:
        if "\x00" in values[name]:  # PostgreSQL cannot even search for one
            errors[name] = "No entry has a NUL character in it: remove it."
    entries = visible_entries(request)
    if values["user"] and "user" in searched and "user" not in errors:
        entries = entries.filter(username=values["user"])
    if values["stream"] and "stream" not in errors:
        entries = entries.filter(stream=values["stream"])
    zone = timezone.get_current_timezone()
    since, until = _day(values["since"], "since", errors), _day(values["until"], "until", errors)
    if since:
        entries = entries.filter(at__gte=datetime.combine(since, time.min, zone))
    if until:
        entries = entries.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min, zone))
    return entries, values, errors


@require_safe
def audit_log(request):
    entries, values, errors = filter_entries(request)
    if request.GET.get("format") == "csv" and not errors:
        return _csv(entries)
    page = Paginator(entries.prefetch_related("records"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    context = {
        "nav": "audit",
        "page": page,
        "values": values,
        "errors": errors,
        "all_users": has_role(request, "admin"),
        "users": AuditEntry.objects.values_list("username", flat=True).distinct().order_by("username")
        if has_role(request, "admin")
        else [],
        "csv_url": f"{reverse('audit')}?{query.urlencode()}",
        "rows": [_entry_row(entry) for entry in page],
    }
    return render(request, "records/audit.html", context, status=400 if errors else 200)


def _entry_row(entry: AuditEntry) -> dict:
    return {"entry": entry, "records": [_record_row(entry.stream, record) for record in entry.records.all()]}


def _record_row(stream: str, record: AuditRecord) -> dict:
    return {
        "record": record,
        "url": reverse("record", args=[stream, record.space, record.external_id]),
        "changes": [
            {
                "property": f"{ref}.{prop}",
                "before": _text(change, "before"),
                "after": _text(change, "after"),
            }
            for ref, props in record.changes.items()
            for prop, change in props.items()
        ],
    }


def _text(change: dict, side: str) -> str:
    if side not in change:
        return "(absent)"
    return json.dumps(change[side], ensure_ascii=False)


def _csv(entries) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.write(csv_line(CSV_COLUMNS))
    for entry in entries.prefetch_related("records"):
        for record in entry.records.all():
            line = csv_line(
                [
                    entry.at.isoformat(),
                    entry.username,
                    entry.stream,
                    entry.action,
                    entry.outcome,
                    record.space,
                    record.external_id,
                    "yes" if record.succeeded else "no",
                    record.error,
                    json.dumps(record.changes, ensure_ascii=False),
                    " ".join(entry.request_ids),
                ]
            )
            response.write(line)
    return response


@require_safe
def record_history(request, stream_id, space, external_id):
    """Every logged write of one record, newest first (the user's own unless an admin)."""
    entries = visible_entries(request).filter(
        stream=stream_id, records__space=space, records__external_id=external_id
    )
    records = (
        AuditRecord.objects.filter(entry__in=entries, space=space, external_id=external_id)
        .select_related("entry")
        .order_by("-entry__at", "-id")
    )
    context = {
        "nav": "streams",
        "stream_id": stream_id,
        "space": space,
        "external_id": external_id,
        "record_url": reverse("record", args=[stream_id, space, external_id]),
        "all_users": has_role(request, "admin"),
        "rows": [_record_row(stream_id, record) for record in records[:500]],
    }
    return render(request, "records/history.html", context)
