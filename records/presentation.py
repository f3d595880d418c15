"""Turning CDF values into what a page shows: times, durations, limits, errors."""

import re
from datetime import UTC, datetime

from .cdf import CdfError

ISO_DURATION_RE = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
DURATION_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


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
    """What an error banner shows for a failed CDF call."""
    titles = {
        401: "CDF did not accept the credentials",
        403: "Your CDF access does not allow this",
        404: "Not found in CDF",
        429: "CDF is busy (too many requests)",
    }
    title = titles.get(error.status) or (
        "CDF could not be reached" if error.status is None else f"CDF answered {error.status}"
    )
    return {"title": title, "message": error.message, "request_id": error.request_id}
