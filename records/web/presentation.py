"""Turning CDF values into what a page shows: times, durations, limits, errors."""

import re
from datetime import UTC, datetime
from html import escape

from ..cdf import CdfError, CdfForbiddenError, CdfUnauthorizedError

ISO_DURATION_RE = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
DURATION_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")
# A capability as CDF names it in a 403, e.g. "streamsAcl:CREATE".
CAPABILITY_RE = re.compile(r"\b[a-z][A-Za-z]*Acl:[A-Z_]+\b")


def iso_time(epoch_ms: int) -> str:
    """UTC ISO-8601 of epoch milliseconds, for <time datetime>."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def human_duration(text: str | None) -> str:
    """ "PT168H" -> "7 days", "P42D" -> "42 days"; other text unchanged."""
    if not text:
        return ""
    match = ISO_DURATION_RE.match(text)
    if not match:
        return text
    amounts = dict(zip(DURATION_UNITS, (int(g) if g else 0 for g in match.groups()), strict=True))
    if amounts["hour"] and amounts["hour"] % 24 == 0 and not any(amounts[u] for u in ("minute", "second")):
        amounts["day"] += amounts.pop("hour") // 24
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for unit, n in amounts.items() if n]
    return ", ".join(parts) or text


def error_context(error: CdfError) -> dict:
    """What an error banner shows for a failed CDF call.

    A 401 is not shown but raised again: SignInMiddleware sends the user back through sign-in.
    """
    if isinstance(error, CdfUnauthorizedError):
        raise error
    titles = {
        403: "Your CDF access does not allow this",
        404: "Not found in CDF",
        429: "CDF is busy (too many requests)",
    }
    title = titles.get(error.status) or (
        "CDF could not be reached" if error.status is None else f"CDF answered {error.status}"
    )
    message = error.message
    missing = CAPABILITY_RE.findall(message) if isinstance(error, CdfForbiddenError) else []
    if missing:
        message = (
            f"Your CDF access lacks {', '.join(missing)}; ask a CDF administrator to add it to one of "
            f"your groups. CDF said: {message}"
        )
    return {"title": title, "message": message, "request_id": error.request_id}


EMPTY_LIST_HTML = '<ul class="value-list"><li class="muted">(empty list)</li></ul>'
NO_VALUE_HTML = '<span class="muted">\u2013</span><span class="visually-hidden">no value</span>'


def value_html(display: dict, compact: bool = True) -> str:
    """HTML for a value as browsing.display_value describes it, every part escaped; the caller
    marks it safe.

    Plain strings and html.escape (what Django's escape does, without its lazy-string wrapper):
    a 1000-row page has ten thousand cells, and template includes or format_html cost too much.
    """
    if display["kind"] == "list":
        if not display["items"]:
            return EMPTY_LIST_HTML
        items = "".join(f"<li>{value_html(item, compact)}</li>" for item in display["items"])
        return f'<ul class="value-list">{items}</ul>'
    kind, text = display["kind"], escape(display["text"])
    if kind == "timestamp":
        return f'<time datetime="{text}" data-local>{text}</time>'
    if kind == "json":
        return f"<code>{escape(display['compact'])}</code>" if compact else f"<pre>{text}</pre>"
    if kind == "direct":
        return f"<code>{text}</code>"
    if kind == "empty":
        return NO_VALUE_HTML
    if display.get("unit"):
        return f'{text} <small class="muted">{escape(display["unit"])}</small>'
    return text
