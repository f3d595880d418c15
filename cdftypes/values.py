"""Property values of record containers: checking what a client sent and storing it in one form.

Every value is stored normalised, so that comparing two stored values is comparing Python
values: timestamps become UTC ISO-8601 strings with milliseconds and `Z` (which sort as
strings in time order), dates stay `YYYY-MM-DD`, numbers stay numbers.
"""

import json
import math
import re
from datetime import UTC, datetime, timedelta


class InvalidValue(ValueError):
    """A value does not fit its property; the message names the value and says why."""


TIMESTAMP_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
FLOAT32_MAX = 3.4028234663852886e38
TEXT_MAX_CHARS = 128_000
JSON_MAX_BYTES = 40_960
JSON_MAX_KEYS = 256
JSON_KEY_MAX_CHARS = 128
JSON_VALUE_MAX_BYTES = 10_240
DEFAULT_MAX_LIST_SIZE = 1000
DEFAULT_MAX_DIRECT_LIST_SIZE = 100
# Deeper JSON would exhaust Python's recursion where it is parsed, checked or shown.
JSON_MAX_DEPTH = 100

PRIMITIVE_TYPES = {"text", "boolean", "int32", "int64", "float32", "float64", "timestamp", "date", "json"}
PROPERTY_TYPES = PRIMITIVE_TYPES | {"direct", "enum"}
NUMERIC_TYPES = {"int32", "int64", "float32", "float64"}
ORDERED_TYPES = NUMERIC_TYPES | {"timestamp", "date"}


def parse_timestamp(text: object) -> datetime | None:
    """An aware UTC datetime for an ISO-8601 timestamp string, or None when it is not one."""
    if not isinstance(text, str):
        return None
    match = TIMESTAMP_RE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(3, "0")) * 1000,
        )
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            moment = moment - sign * offset
    except (ValueError, OverflowError):
        return None
    if int(year) < 1:
        return None
    return moment.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """The stored (and echoed) form: `2026-08-01T12:00:00.000Z`."""
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))


def from_epoch_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def timestamp_to_ms(stored: str) -> int:
    """Epoch milliseconds of a stored (normalised) timestamp string."""
    return epoch_ms(parse_timestamp(stored))


def is_valid_date(text: object) -> bool:
    if not isinstance(text, str) or not DATE_RE.match(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return text >= "0001-01-01"


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def describe(value: object) -> str:
    """A JSON type name for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def parse_json(text: str | bytes) -> object:
    """The value of JSON text (bytes in UTF-8); ValueError saying why when it is not JSON, holds NaN or
    Infinity (not JSON numbers), nests arrays and objects more than JSON_MAX_DEPTH deep (the parser raises
    RecursionError on deep enough nesting, and checking or showing a deep value would), or has a string
    with a NUL or an unpaired surrogate (PostgreSQL cannot store the one, UTF-8 cannot encode the other)."""
    if isinstance(text, bytes):
        text = text.decode()
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    reason = unusable_json(value, text)
    if reason:
        raise ValueError(reason)
    return value


TOO_DEEP = f"arrays and objects are nested more than {JSON_MAX_DEPTH} levels deep"
UNSTORABLE = "a string holds a NUL (\\u0000) or an unpaired surrogate (\\ud800 to \\udfff)"


def unusable_json(value: object, text: str) -> str | None:
    """Why a value parsed from JSON `text` cannot be used, if it cannot: it nests too deep (checking or
    showing it would overflow Python's recursion), or holds what cannot be stored."""
    if json_depth(value) > JSON_MAX_DEPTH:
        return TOO_DEEP
    if _may_spell_unstorable_text(text):
        path = unstorable_text_at(value)
        if path is not None:
            return f"{UNSTORABLE} at {path}" if path else UNSTORABLE
    return None


def _may_spell_unstorable_text(text: str) -> bool:
    """Whether JSON text may hold a NUL or a surrogate, as an escape or as itself: a quick look (a regular
    expression is many times slower) before the value is searched."""
    lowered = text.lower()
    if "\\u0000" in lowered or "\\ud" in lowered:
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_depth(value: object) -> int:
    """How deep arrays and objects nest in a parsed JSON value (0 for a scalar), level by level: no
    recursion. (Parsed values are exactly dicts and lists: `type` is quicker than `isinstance`.)"""
    depth, level = 0, [value] if type(value) in (dict, list) else []
    while level:
        depth += 1
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) in (dict, list)
        ]
    return depth


def json_size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def normalize_scalar(prop_type: dict, value: object, where: str):
    """Check one (non-list) value against a property type; return its stored form.

    `where` names the value in messages, e.g. "property 'temperature' in container demo:Reading".
    Raises InvalidValue naming it when the value does not fit.
    """
    kind = prop_type["type"]

    def wrong(expected: str):
        return InvalidValue(f"Value for {where} must be {expected}, got {describe(value)} {short(value)}")

    if kind == "text":
        if not isinstance(value, str):
            raise wrong("a string (text)")
        if holds_unstorable_text(value):
            raise InvalidValue(f"Value for {where} must not contain NUL characters or unpaired surrogates")
        limit = prop_type.get("maxTextSize")
        if len(value) > TEXT_MAX_CHARS or (limit and len(value.encode()) > limit):
            raise InvalidValue(f"Value for {where} is too long ({len(value)} characters)")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise wrong("true or false (boolean)")
        return value
    if kind in INT_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise wrong(f"an integer ({kind})")
        low, high = INT_RANGES[kind]
        if not low <= value <= high:
            raise InvalidValue(f"Value for {where} is out of range for {kind}: {value}")
        return value
    if kind in ("float32", "float64"):
        if not is_number(value):
            raise wrong(f"a finite number ({kind})")
        if kind == "float32" and abs(value) > FLOAT32_MAX:
            raise InvalidValue(f"Value for {where} is out of range for float32: {value}")
        return value
    if kind == "timestamp":
        moment = parse_timestamp(value)
        if moment is None:
            raise wrong("an ISO-8601 timestamp string such as 2026-08-01T12:00:00.000Z (timestamp)")
        return format_timestamp(moment)
    if kind == "date":
        if not is_valid_date(value):
            raise wrong("a date string YYYY-MM-DD (date)")
        return value
    if kind == "json":
        return _check_json(value, where)
    if kind == "direct":
        if (
            not isinstance(value, dict)
            or set(value) != {"space", "externalId"}
            or not all(isinstance(v, str) and v for v in value.values())
        ):
            raise wrong('a reference {"space": ..., "externalId": ...} (direct)')
        return {"space": value["space"], "externalId": value["externalId"]}
    if kind == "enum":
        if not isinstance(value, str) or value not in prop_type.get("values", {}):
            allowed = ", ".join(sorted(prop_type.get("values", {})))
            raise InvalidValue(
                f"Value for {where} must be one of the enum values [{allowed}], got {short(value)}"
            )
        return value
    raise InvalidValue(f"Unsupported property type {kind!r} for {where}")


def normalize_value(prop_type: dict, value: object, where: str):
    """Check a property value (list or not) against its type; return its stored form."""
    if not prop_type.get("list"):
        if isinstance(value, list):
            raise InvalidValue(f"Value for {where} must be a single value, got a list")
        return normalize_scalar(prop_type, value, where)
    if not isinstance(value, list):
        raise InvalidValue(f"Value for {where} must be a list, got {describe(value)}")
    limit = max_list_size(prop_type)
    if len(value) > limit:
        raise InvalidValue(f"Value for {where} has {len(value)} items; at most {limit} are allowed")
    items = [normalize_scalar(prop_type, item, f"{where} item {index}") for index, item in enumerate(value)]
    if prop_type["type"] == "json" and json_size(items) > JSON_MAX_BYTES:
        raise InvalidValue(f"Value for {where} is larger than {JSON_MAX_BYTES} bytes")
    return items


def max_list_size(prop_type: dict) -> int:
    default = DEFAULT_MAX_DIRECT_LIST_SIZE if prop_type["type"] == "direct" else DEFAULT_MAX_LIST_SIZE
    return prop_type.get("maxListSize") or default


def _check_json(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidValue(f"Value for {where} must be a JSON object (json), got {describe(value)}")
    if json_depth(value) > JSON_MAX_DEPTH:
        raise InvalidValue(f"Value for {where} is nested more than {JSON_MAX_DEPTH} levels deep")
    if holds_unstorable_text(value):
        raise InvalidValue(f"Value for {where} must not contain NUL characters or unpaired surrogates")
    if len(value) > JSON_MAX_KEYS:
        raise InvalidValue(f"Value for {where} has {len(value)} keys; at most {JSON_MAX_KEYS} are allowed")
    for key, item in value.items():
        if len(key) > JSON_KEY_MAX_CHARS:
            raise InvalidValue(f"Value for {where} has a key longer than {JSON_KEY_MAX_CHARS} characters")
        if json_size(item) > JSON_VALUE_MAX_BYTES:
            raise InvalidValue(
                f"Value for {where} has a member {key!r} larger than {JSON_VALUE_MAX_BYTES} bytes"
            )
    if json_size(value) > JSON_MAX_BYTES:
        raise InvalidValue(f"Value for {where} is larger than {JSON_MAX_BYTES} bytes")
    return value


def holds_unstorable_text(value: object) -> bool:
    """Whether a JSON value holds a NUL character (PostgreSQL cannot store one) or an unpaired surrogate
    (not a character: UTF-8 cannot encode it) anywhere, keys included."""
    return unstorable_text_at(value) is not None


def unstorable_text_at(value: object) -> str | None:
    """Where in a JSON value the first string (or key) that cannot be stored is, as a path such as
    `items[1].sources[0].properties.payload` ("" for the value itself); None when there is none."""
    pending = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not _encodable(item):
                return path
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                child_path = f"{path}.{key}" if path else str(key)
                if "\x00" in key or not _encodable(key):
                    return path
                pending.append((child_path, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in reversed(list(enumerate(item))))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
