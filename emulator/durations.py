"""The duration grammars of the API, all turned into milliseconds."""

import re

from .errors import bad_request

UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}

AGO_RE = re.compile(r"^([1-9][0-9]*)(ms|s|m|h|d|w)-ago$")
ISO_RE = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def ago_ms(text: object, where: str) -> int:
    """`initializeCursor` values such as "3m-ago", "400h-ago", "25d-ago"."""
    match = AGO_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise bad_request(
            f"{where} must look like '<number><unit>-ago' with unit ms, s, m, h, d or w "
            f"(for example '2d-ago'), got {text!r}"
        )
    return int(match.group(1)) * UNIT_MS[match.group(2)]


def iso_ms(text: str) -> int:
    """ISO-8601 durations of stream settings ("PT24H", "P42D"); a month counts 30 days, a year 365."""
    match = ISO_RE.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    years, months, weeks, days, hours, minutes, seconds = (float(g) if g else 0 for g in match.groups())
    total_days = years * 365 + months * 30 + weeks * 7 + days
    return int(((total_days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000)
