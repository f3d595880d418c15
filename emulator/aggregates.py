"""The aggregate endpoint's evaluator: checks a whole `aggregates` tree, then computes it over records.

The tree is first compiled into `Aggregate` nodes, so that every mistake in the request is a 400
before any work is done. Evaluation then walks the nodes over the (already filtered) records;
bucket aggregates hand each bucket's records to their sub-aggregates, and moving functions run
last, over the metric values of their parent histogram's buckets (records-api.md §6.5, §14.1).

Choices where the reference is silent (records-api.md §15 items 11-14):
- Over no values, `sum` is 0 and `avg`, `min`, `max` are null; `count` is 0.
- `count` with a property counts records holding a value (an empty list holds none).
- Each element of a list property is a value of its own; a record falls into every bucket one of
  its elements falls into, and is counted once per bucket.
- `min`/`max` of timestamps and dates are epoch milliseconds; a date counts as its midnight UTC.
- Histograms return the empty buckets between the first and last non-empty one.
- `intervalStart` has no milliseconds unless the bucket starts between two seconds.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .durations import UNIT_MS
from .errors import ApiError, bad_request
from .filters import compile_filter
from .filters import referenced_properties as filter_properties
from .schema import Schema
from .values import (
    NUMERIC_TYPES,
    ORDERED_TYPES,
    TIMESTAMP_RE,
    epoch_ms,
    format_timestamp,
    from_epoch_ms,
    is_number,
    parse_timestamp,
    timestamp_to_ms,
)

ID_RE = re.compile(r"^[^\[\]>.]{1,255}$")
RESERVED_IDS = {"_count", "_bucket_count"}
MAX_PER_LEVEL = 5
MAX_DEPTH = 5
MAX_TOTAL = 16
MAX_FILTERS = 10
MAX_FILTER_BUCKETS = 30
MAX_UNIQUE_VALUES_SIZE = 2000
DEFAULT_UNIQUE_VALUES_SIZE = 10
MAX_HISTOGRAM_BUCKETS = 10_000
MAX_BUCKETS_PATH_CHARS = 1280

METRICS = {"count", "avg", "min", "max", "sum"}
HISTOGRAMS = {"numberHistogram", "timeHistogram"}
KINDS = METRICS | HISTOGRAMS | {"uniqueValues", "filters", "movingFunction"}
FIELDS = {
    "count": {"property"},
    "avg": {"property"},
    "sum": {"property"},
    "min": {"property"},
    "max": {"property"},
    "uniqueValues": {"property", "size", "aggregates"},
    "numberHistogram": {"property", "interval", "hardBounds", "aggregates"},
    "timeHistogram": {"property", "calendarInterval", "fixedInterval", "hardBounds", "aggregates"},
    "filters": {"filters", "aggregates"},
    "movingFunction": {"bucketsPath", "window", "function"},
}
TIME_TOP_LEVEL = ("createdTime", "lastUpdatedTime")
CALENDAR_INTERVALS = ("1s", "1m", "1h", "1d", "1w", "1M", "1q", "1y")
# Calendar intervals of constant length in UTC; the others step through the calendar.
FIXED_CALENDAR_MS = {"1s": 1000, "1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}
FIXED_INTERVAL_RE = re.compile(r"^([1-9][0-9]*)(ms|s|m|h|d)$")
MOVING_FUNCTIONS = ("max", "min", "sum", "unweightedAvg", "linearWeightedAvg")
PATH_SEGMENT_RE = re.compile(r'^([^\[\]>.]+)(?:\["?([^"\]]*)"?\])?$')


@dataclass
class Aggregate:
    """One checked aggregate of the request tree, with what its evaluation needs."""

    id: str
    kind: str
    where: str  # e.g. "aggregates.perDay.timeHistogram", for messages
    property: tuple[str, ...] | None = None
    value_type: str | None = None  # the property's type; "epoch" for createdTime/lastUpdatedTime
    size: int = DEFAULT_UNIQUE_VALUES_SIZE
    interval: float | None = None  # numberHistogram interval, or a timeHistogram fixed interval in ms
    calendar: str | None = None  # a timeHistogram calendar interval that is not of fixed length
    bounds: tuple[float | None, float | None] = (None, None)
    predicates: list = field(default_factory=list)
    buckets_path: list[tuple[str, str | None]] = field(default_factory=list)
    window: int = 1
    function: str = ""
    children: list["Aggregate"] = field(default_factory=list)


def run_aggregates(aggregates: object, records: list[dict], schema: Schema, path: str = "aggregates") -> dict:
    """The `aggregates` member of the response: {id: result} for the request's aggregate tree."""
    nodes = _Compiler(schema).level(aggregates, path, depth=1, parent=None)
    return _evaluate_level(nodes, records)


def referenced_properties(aggregates: object) -> set[tuple[str, str, str]]:
    """The container properties an (already checked) aggregate tree mentions, for `typing`."""
    found = set()
    for spec in aggregates.values() if isinstance(aggregates, dict) else ():
        for kind, body in spec.items() if isinstance(spec, dict) else ():
            if not isinstance(body, dict):
                continue
            prop = body.get("property")
            if isinstance(prop, list) and len(prop) == 3:
                found.add(tuple(prop))
            if kind == "filters":
                for node in body.get("filters", ()):
                    found |= filter_properties(node)
            found |= referenced_properties(body.get("aggregates"))
    return found


class _Compiler:
    """Checks a request tree level by level, keeping the limits that span the whole tree."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.ids: set[str] = set()
        self.filter_buckets = 0

    def level(self, spec: object, where: str, depth: int, parent: str | None) -> list[Aggregate]:
        if not isinstance(spec, dict) or not 1 <= len(spec) <= MAX_PER_LEVEL:
            raise bad_request(f"{where}: must be an object with 1 to {MAX_PER_LEVEL} aggregates")
        if depth > MAX_DEPTH:
            raise bad_request(f"{where}: aggregate trees may be at most {MAX_DEPTH} levels deep")
        nodes = []
        for aggregate_id, body in spec.items():
            self.check_id(aggregate_id, where)
            nodes.append(self.aggregate(aggregate_id, body, f"{where}.{aggregate_id}", depth, parent))
        for node in nodes:
            if node.kind == "movingFunction":
                self.check_buckets_path(node, nodes)
        return nodes

    def check_id(self, aggregate_id: str, where: str) -> None:
        if not ID_RE.match(aggregate_id) or aggregate_id in RESERVED_IDS:
            raise bad_request(
                f"{where}: aggregate id {aggregate_id!r} must be 1 to 255 characters without '[', ']', "
                "'>' or '.', and not _count or _bucket_count"
            )
        if aggregate_id in self.ids:
            raise bad_request(f"{where}: aggregate id {aggregate_id!r} is used twice; ids must be unique")
        self.ids.add(aggregate_id)
        if len(self.ids) > MAX_TOTAL:
            raise bad_request(f"{where}.{aggregate_id}: a request may have at most {MAX_TOTAL} aggregates")

    def aggregate(self, aggregate_id: str, spec: object, where: str, depth: int, parent) -> Aggregate:
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in KINDS:
            raise bad_request(f"{where}: must be an object with exactly one of {', '.join(sorted(KINDS))}")
        kind, body = next(iter(spec.items()))
        where = f"{where}.{kind}"
        if not isinstance(body, dict):
            raise bad_request(f"{where}: must be an object")
        unknown = set(body) - FIELDS[kind]
        if unknown:
            raise bad_request(f"{where}: unknown fields {', '.join(sorted(unknown))}")
        if kind == "movingFunction" and parent not in HISTOGRAMS:
            raise bad_request(
                f"{where}: a movingFunction must sit directly under a numberHistogram or timeHistogram"
            )
        node = Aggregate(aggregate_id, kind, where)
        checks = {
            "count": self.count,
            "avg": self.numeric_metric,
            "sum": self.numeric_metric,
            "min": self.ordered_metric,
            "max": self.ordered_metric,
            "uniqueValues": self.unique_values,
            "numberHistogram": self.number_histogram,
            "timeHistogram": self.time_histogram,
            "filters": self.filters,
            "movingFunction": self.moving_function,
        }
        checks[kind](node, body)
        if "aggregates" in body:
            node.children = self.level(body["aggregates"], f"{where}.aggregates", depth + 1, kind)
        return node

    # One method per aggregate kind, filling in the node from the request body.

    def count(self, node: Aggregate, body: dict) -> None:
        if "property" in body:
            self.container_property(node, body, allowed_types=None)

    def numeric_metric(self, node: Aggregate, body: dict) -> None:
        self.container_property(node, body, allowed_types=NUMERIC_TYPES)

    def ordered_metric(self, node: Aggregate, body: dict) -> None:
        self.property(node, body, TIME_TOP_LEVEL, allowed_types=ORDERED_TYPES)

    def unique_values(self, node: Aggregate, body: dict) -> None:
        self.property(node, body, ("space",), allowed_types=None)
        if node.value_type == "json":
            raise bad_request(f"{node.where}.property: json properties cannot be grouped by value")
        size = body.get("size", DEFAULT_UNIQUE_VALUES_SIZE)
        if not _is_int(size) or not 1 <= size <= MAX_UNIQUE_VALUES_SIZE:
            raise bad_request(
                f"{node.where}.size: must be an integer from 1 to {MAX_UNIQUE_VALUES_SIZE}, got {size!r}"
            )
        node.size = size

    def number_histogram(self, node: Aggregate, body: dict) -> None:
        self.container_property(node, body, allowed_types=NUMERIC_TYPES)
        interval = body.get("interval")
        if not is_number(interval) or interval <= 0:
            raise bad_request(f"{node.where}.interval: must be a number greater than 0, got {interval!r}")
        node.interval = interval
        node.bounds = self.hard_bounds(node, body, _number_bound)

    def time_histogram(self, node: Aggregate, body: dict) -> None:
        self.property(node, body, TIME_TOP_LEVEL, allowed_types={"timestamp", "date"})
        if ("calendarInterval" in body) == ("fixedInterval" in body):
            raise bad_request(f"{node.where}: give exactly one of calendarInterval or fixedInterval")
        if "calendarInterval" in body:
            calendar = body["calendarInterval"]
            if calendar not in CALENDAR_INTERVALS:
                raise bad_request(
                    f"{node.where}.calendarInterval: must be one of {', '.join(CALENDAR_INTERVALS)}, "
                    f"got {calendar!r}"
                )
            node.interval = FIXED_CALENDAR_MS.get(calendar)
            node.calendar = None if node.interval else calendar
        else:
            fixed = body["fixedInterval"]
            match = FIXED_INTERVAL_RE.match(fixed) if isinstance(fixed, str) else None
            if not match:
                raise bad_request(
                    f"{node.where}.fixedInterval: must be a whole number followed by ms, s, m, h or d "
                    f"(for example '30m' or '2d'), got {fixed!r}"
                )
            node.interval = int(match.group(1)) * UNIT_MS[match.group(2)]
        node.bounds = self.hard_bounds(node, body, _time_bound)

    def filters(self, node: Aggregate, body: dict) -> None:
        filters = body.get("filters")
        if not isinstance(filters, list) or not 1 <= len(filters) <= MAX_FILTERS:
            raise bad_request(f"{node.where}.filters: must be a list of 1 to {MAX_FILTERS} filters")
        self.filter_buckets += len(filters)
        if self.filter_buckets > MAX_FILTER_BUCKETS:
            raise bad_request(
                f"{node.where}.filters: a request may have at most {MAX_FILTER_BUCKETS} filter buckets "
                "across all filters aggregates"
            )
        node.predicates = [
            compile_filter(item, self.schema, f"{node.where}.filters[{index}]")
            for index, item in enumerate(filters)
        ]

    def moving_function(self, node: Aggregate, body: dict) -> None:
        for name in ("bucketsPath", "window", "function"):
            if name not in body:
                raise bad_request(f"{node.where}.{name}: is required")
        window = body["window"]
        if not _is_int(window) or window < 1:
            raise bad_request(f"{node.where}.window: must be an integer of at least 1, got {window!r}")
        node.window = window
        function = body["function"]
        name = function.removeprefix("MovingFunctions.") if isinstance(function, str) else None
        if name not in MOVING_FUNCTIONS:
            choices = ", ".join(f"MovingFunctions.{f}" for f in MOVING_FUNCTIONS)
            raise bad_request(f"{node.where}.function: must be one of {choices}, got {function!r}")
        node.function = name
        path = body["bucketsPath"]
        if not isinstance(path, str) or not 1 <= len(path) <= MAX_BUCKETS_PATH_CHARS:
            raise bad_request(
                f"{node.where}.bucketsPath: must be a string of 1 to {MAX_BUCKETS_PATH_CHARS} characters"
            )
        for segment in path.split(">"):
            match = PATH_SEGMENT_RE.match(segment)
            if not match:
                raise bad_request(
                    f'{node.where}.bucketsPath: {path!r} must look like _count, agg, or agg["key"]>sub'
                )
            node.buckets_path.append(match.groups())

    # Shared pieces.

    def check_buckets_path(self, node: Aggregate, siblings: list[Aggregate]) -> None:
        """Each segment names `_count` (last) or an aggregate: a sibling first, then a sub-aggregate."""
        where = f"{node.where}.bucketsPath"
        candidates = [s for s in siblings if s.kind != "movingFunction"]
        for position, (name, key) in enumerate(node.buckets_path):
            last = position == len(node.buckets_path) - 1
            if name == "_count" and key is None:
                if not last:
                    raise bad_request(f"{where}: _count must be the last segment")
                return
            target = next((c for c in candidates if c.id == name), None)
            if target is None:
                known = ", ".join(["_count", *(c.id for c in candidates)])
                raise bad_request(f"{where}: {name!r} is not one of the aggregates it can refer to ({known})")
            if target.kind in METRICS:
                if key is not None or not last:
                    raise bad_request(f"{where}: {name!r} is a metric and must end the path, without a key")
                return
            if key is None:
                raise bad_request(f'{where}: {name!r} has buckets; pick one with {name}["key"]')
            candidates = target.children

    def property(self, node: Aggregate, body: dict, top_level: tuple[str, ...], allowed_types) -> None:
        """A container property, or one of the `top_level` ones this aggregate also accepts."""
        prop = body.get("property")
        if isinstance(prop, list) and len(prop) == 1 and prop[0] in top_level:
            node.property = (prop[0],)
            node.value_type = "epoch" if prop[0] in TIME_TOP_LEVEL else "text"
            return
        self.container_property(node, body, allowed_types, top_level)

    def container_property(self, node: Aggregate, body: dict, allowed_types, top_level=()) -> None:
        where = f"{node.where}.property"
        prop = body.get("property")
        if not (
            isinstance(prop, list)
            and len(prop) == 3
            and all(isinstance(p, str) and 1 <= len(p) <= 255 for p in prop)
        ):
            also = "".join(f" or [{name!r}]" for name in top_level)
            raise bad_request(f"{where}: must be [space, container, property]{also}, got {prop!r}")
        try:
            definition = self.schema.property(*prop)
        except ApiError as error:
            raise bad_request(f"{where}: {error.message}", **error.extra) from None
        value_type = definition["type"]["type"]
        if allowed_types is not None and value_type not in allowed_types:
            raise bad_request(
                f"{where}: {node.kind} needs a {' or '.join(sorted(allowed_types))} property; "
                f"{prop[2]!r} is {value_type}"
            )
        node.property = tuple(prop)
        node.value_type = value_type

    def hard_bounds(self, node: Aggregate, body: dict, parse) -> tuple:
        if "hardBounds" not in body:
            return None, None
        where = f"{node.where}.hardBounds"
        bounds = body["hardBounds"]
        if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
            raise bad_request(f"{where}: must be an object with min, max or both")
        low, high = (
            parse(bounds[name], f"{where}.{name}") if name in bounds else None for name in ("min", "max")
        )
        if low is not None and high is not None and low > high:
            raise bad_request(f"{where}: min must not be greater than max")
        return low, high


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_bound(value: object, where: str) -> float:
    if not is_number(value):
        raise bad_request(f"{where}: must be a number, got {value!r}")
    return value


def _time_bound(value: object, where: str) -> int:
    """Epoch ms of an ISO-8601 date-time that carries its zone; epoch numbers are not accepted."""
    match = TIMESTAMP_RE.match(value) if isinstance(value, str) and len(value) <= 100 else None
    moment = parse_timestamp(value) if match and match.group(8) else None
    if moment is None:
        raise bad_request(
            f"{where}: must be an ISO-8601 date-time with a zone such as 2026-08-01T00:00:00Z "
            f"(epoch milliseconds are not accepted), got {value!r}"
        )
    return epoch_ms(moment)


# Evaluation.


def _evaluate_level(nodes: list[Aggregate], records: list[dict]) -> dict:
    """{id: result} for the nodes of one level; moving functions are filled in by their histogram."""
    return {node.id: EVALUATORS[node.kind](node, records) for node in nodes if node.kind != "movingFunction"}


def _values(node: Aggregate, record: dict) -> list:
    """The node's property values in a record: none, one, or one per list element."""
    if len(node.property) == 1:
        value = record.get(node.property[0])
    else:
        space, container, prop = node.property
        value = record["properties"].get(space, {}).get(container, {}).get(prop)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ordered_values(node: Aggregate, record: dict) -> list:
    """Values as numbers: timestamps and dates as epoch ms."""
    values = _values(node, record)
    if node.value_type == "timestamp":
        return [timestamp_to_ms(v) for v in values]
    if node.value_type == "date":
        return [timestamp_to_ms(f"{v}T00:00:00Z") for v in values]
    return values


def _count(node: Aggregate, records: list[dict]) -> dict:
    if node.property is None:
        return {"count": len(records)}
    return {"count": sum(1 for record in records if _values(node, record))}


def _metric(combine, empty=None):
    def evaluate(node: Aggregate, records: list[dict]) -> dict:
        values = [v for record in records for v in _ordered_values(node, record)]
        return {node.kind: combine(values) if values else empty}

    return evaluate


def _unique_values(node: Aggregate, records: list[dict]) -> dict:
    groups = defaultdict(list)
    values = {}
    for record in records:
        for value in _values(node, record):
            key = _hashable(value)
            if not groups[key] or groups[key][-1] is not record:
                groups[key].append(record)
            values[key] = value
    ordered = sorted(groups, key=lambda key: (-len(groups[key]), key))[: node.size]
    return {"uniqueValueBuckets": [_bucket(node, {"value": values[key]}, groups[key]) for key in ordered]}


def _hashable(value: object):
    """A sortable, hashable stand-in for a value (direct relations are dicts)."""
    if isinstance(value, dict):
        return value["space"], value["externalId"]
    return value


def _number_histogram(node: Aggregate, records: list[dict]) -> dict:
    low, high = node.bounds

    def index(value: float) -> int | None:
        quotient = value / node.interval
        if not math.isfinite(quotient):
            raise _too_many_buckets(node)
        position = math.floor(quotient)
        start = position * node.interval
        in_bounds = (low is None or start >= low) and (high is None or start <= high)
        return position if in_bounds else None

    indexes = _histogram(node, records, index, lambda position: position + 1)
    buckets = [_bucket(node, {"intervalStart": i * node.interval}, found) for i, found in indexes]
    _apply_moving_functions(node, buckets)
    return {"numberHistogramBuckets": buckets}


def _time_histogram(node: Aggregate, records: list[dict]) -> dict:
    low, high = node.bounds
    truncate, step = _time_axis(node)

    def start_of(ms: int) -> int | None:
        start = truncate(ms)
        in_bounds = (low is None or start >= low) and (high is None or start < high)
        return start if in_bounds else None

    starts = _histogram(node, records, start_of, step)
    buckets = [_bucket(node, {"intervalStart": _format_start(s)}, found) for s, found in starts]
    _apply_moving_functions(node, buckets)
    return {"timeHistogramBuckets": buckets}


def _histogram(node: Aggregate, records: list[dict], key_of, step) -> list[tuple]:
    """[(key, records)] from the first to the last non-empty key, empty keys between included."""
    groups = defaultdict(list)
    for record in records:
        keys = {key_of(value) for value in _ordered_values(node, record)} - {None}
        for key in keys:
            groups[key].append(record)
    if not groups:
        return []
    key, last = min(groups), max(groups)
    keys = [key]
    while key < last:
        key = step(key)
        keys.append(key)
        if len(keys) > MAX_HISTOGRAM_BUCKETS:
            raise _too_many_buckets(node)
    return [(key, groups.get(key, [])) for key in keys]


def _too_many_buckets(node: Aggregate) -> ApiError:
    return bad_request(
        f"{node.where}: the histogram would have more than {MAX_HISTOGRAM_BUCKETS} buckets; "
        "use a larger interval, hardBounds or a narrower filter"
    )


def _time_axis(node: Aggregate):
    """(truncate, step) over epoch ms, in UTC."""
    if node.calendar is None:
        return (lambda ms: ms - ms % node.interval), (lambda start: start + node.interval)

    def truncate(ms: int) -> int:
        moment = from_epoch_ms(ms)
        if node.calendar == "1w":  # weeks start on Monday
            day = moment.date() - timedelta(days=moment.weekday())
            return epoch_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
        month = {"1M": moment.month, "1q": moment.month - (moment.month - 1) % 3, "1y": 1}[node.calendar]
        return epoch_ms(datetime(moment.year, month, 1, tzinfo=UTC))

    def step(start: int) -> int:
        if node.calendar == "1w":
            return start + 7 * 86_400_000
        moment = from_epoch_ms(start)
        months = moment.year * 12 + moment.month - 1 + {"1M": 1, "1q": 3, "1y": 12}[node.calendar]
        return epoch_ms(datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC))

    return truncate, step


def _format_start(ms: int) -> str:
    """`2026-08-01T00:00:00Z`, as the API shows bucket starts; milliseconds only when there are some."""
    moment = from_epoch_ms(ms)
    if ms % 1000:
        return format_timestamp(moment)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def _filters(node: Aggregate, records: list[dict]) -> dict:
    return {
        "filterBuckets": [
            _bucket(node, {}, [record for record in records if matches(record)])
            for matches in node.predicates
        ]
    }


def _bucket(node: Aggregate, key: dict, records: list[dict]) -> dict:
    bucket = {**key, "count": len(records)}
    if node.children:
        bucket["aggregates"] = _evaluate_level(node.children, records)
    return bucket


EVALUATORS = {
    "count": _count,
    "avg": _metric(lambda values: sum(values) / len(values)),
    "sum": _metric(sum, empty=0),
    "min": _metric(min),
    "max": _metric(max),
    "uniqueValues": _unique_values,
    "numberHistogram": _number_histogram,
    "timeHistogram": _time_histogram,
    "filters": _filters,
}


# Moving functions.


def _apply_moving_functions(histogram: Aggregate, buckets: list[dict]) -> None:
    """Add each moving function's `fnValue` to the buckets' aggregates, in request order.

    Reconstructed from the SPEC's worked examples (records-api.md §6.5): bucket 0 yields 0, and
    bucket i >= 1 applies the function to the metric of buckets max(0, i - window + 1) .. i, the
    current bucket included. Buckets without a metric value (an avg over no records, a key not
    found) are skipped, as Elasticsearch's default gap policy does.
    """
    moving = [child for child in histogram.children if child.kind == "movingFunction"]
    if not moving:
        return
    series = {
        node.id: [_path_value(node.buckets_path, bucket["count"], bucket["aggregates"]) for bucket in buckets]
        for node in moving
    }
    for index, bucket in enumerate(buckets):
        computed = bucket["aggregates"]
        bucket["aggregates"] = {}
        for child in histogram.children:
            if child.kind == "movingFunction":
                window = series[child.id][max(0, index - child.window + 1) : index + 1]
                value = _moving_value(child.function, window) if index else 0
                bucket["aggregates"][child.id] = {"fnValue": value}
            else:
                bucket["aggregates"][child.id] = computed[child.id]


def _path_value(path: list[tuple[str, str | None]], count: int, results: dict):
    """The number a checked bucketsPath points at in one bucket, or None when there is none."""
    for name, key in path:
        if name == "_count" and key is None:
            return count
        ((_, result),) = results[name].items()
        if key is None:
            return result
        bucket = next((b for position, b in enumerate(result) if _bucket_key(b, position) == key), None)
        if bucket is None:
            return None
        count, results = bucket["count"], bucket.get("aggregates", {})
    return count


def _bucket_key(bucket: dict, position: int) -> str:
    """The text a bucketsPath `["key"]` matches: the value, the interval start, or a filter's index."""
    key = bucket.get("value", bucket.get("intervalStart", position))
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, dict):
        return f"{key['space']}:{key['externalId']}"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _moving_value(function: str, window: list) -> float | None:
    values = [v for v in window if v is not None]
    if function == "sum":
        return sum(values)
    if not values:
        return None
    if function == "max":
        return max(values)
    if function == "min":
        return min(values)
    if function == "unweightedAvg":
        return sum(values) / len(values)
    # linearWeightedAvg: the oldest value weighs 1, the newest len(values).
    weights = range(1, len(values) + 1)
    return sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)
