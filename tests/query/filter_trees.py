"""Hypothesis strategies for filters of the records API over the demo's containers: every leaf, every
property type (single and list), top-level properties, nesting with `not`, and leaves the builder
keeps as written."""

import string
from datetime import datetime

from hypothesis import strategies as st

from cdftypes.values import epoch_ms, parse_timestamp
from emulator.demo import CONTAINERS as DEMO_CONTAINERS
from records.query import filter_json, filter_tree, validation

CONTAINERS = DEMO_CONTAINERS["items"]
PROPERTIES = [
    ((c["space"], c["externalId"], pid), spec["type"])
    for c in CONTAINERS
    for pid, spec in c["properties"].items()
]
# One line of text with something besides blanks: what a form field holds and gives back.
LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\n\r\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ),
    min_size=1,
    max_size=12,
).filter(str.strip)
ID = st.text(alphabet=string.ascii_letters + string.digits + "-_:", min_size=1, max_size=12)
SPACE_ID = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)
MOMENTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1))


def _timestamp(moment: datetime, zone_minutes: int, digits: int) -> str:
    zone = (
        "Z"
        if zone_minutes is None
        else f"{'+' if zone_minutes >= 0 else '-'}{abs(zone_minutes) // 60:02d}:{abs(zone_minutes) % 60:02d}"
    )
    fraction = f".{moment.microsecond // 1000:03d}"[: digits + 1] if digits else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}{zone}"


TIMESTAMPS = st.builds(
    _timestamp, MOMENTS, st.none() | st.sampled_from([-600, -60, 0, 60, 120, 330]), st.integers(0, 3)
)


def values_of(item_type: dict | str) -> st.SearchStrategy:
    """Comparison values of one item of a property (a top-level property's name, or a type)."""
    if item_type in ("space", "externalId"):
        return LINE
    if item_type in filter_tree.TIME_PROPERTIES:
        return st.integers(0, 4_102_444_800_000) | TIMESTAMPS
    kind = item_type["type"]
    if kind == "text":
        return LINE
    if kind == "boolean":
        return st.booleans()
    if kind == "int32":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "int64":
        return st.integers(-(2**63), 2**63 - 1)
    if kind == "float32":
        return st.floats(-1e30, 1e30, allow_nan=False) | st.integers(-(2**24), 2**24)
    if kind == "float64":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
    if kind == "timestamp":
        return TIMESTAMPS
    if kind == "date":
        return st.dates(min_value=datetime(1, 1, 1).date()).map(lambda day: day.isoformat())
    if kind == "enum":
        return st.sampled_from(sorted(item_type["values"]))
    if kind == "direct":
        return st.fixed_dictionaries({"space": SPACE_ID, "externalId": ID})
    raise ValueError(kind)


def _item_type(prop_type: dict) -> dict:
    return {key: value for key, value in prop_type.items() if key != "list"}


@st.composite
def leaves(draw, pool=None) -> dict:
    """One leaf on a property; `pool` (property -> values) narrows the values to ones records hold."""
    choices = [((name,), name) for name in filter_tree.TOP_LEVEL_PROPERTIES] + PROPERTIES
    path, prop_type = draw(st.sampled_from(choices))
    operator = draw(st.sampled_from(validation.operators_for(prop_type)))
    item_type = prop_type if isinstance(prop_type, str) else _item_type(prop_type)
    body = {"property": list(path)}
    if operator == "exists":
        return {"exists": body}
    if operator == "prefix":
        return {"prefix": {**body, "value": draw(LINE)}}
    values = values_of(item_type)
    if pool and pool.get(path):
        values = st.sampled_from(pool[path]) | values
    if operator in filter_tree.MULTI_VALUE_OPERATORS:
        return {operator: {**body, "values": draw(st.lists(values, min_size=1, max_size=4))}}
    if operator == "range":
        lower = draw(st.sampled_from([None, "gt", "gte"]))
        upper = draw(st.sampled_from([None, "lt", "lte"] if lower else ["lt", "lte"]))
        low, high = sorted([draw(values), draw(values)], key=lambda value: _order(value, item_type))
        if _order(low, item_type) == _order(high, item_type):
            # One value both ways: only >= and <= leave the range something to match.
            lower, upper = lower and "gte", upper and "lte"
        bounds = {}
        if lower:
            bounds[lower] = low
        if upper:
            bounds[upper] = high
        return {"range": {**body, **bounds}}
    return {"equals": {**body, "value": draw(values)}}


def _order(value, item_type):
    if item_type in filter_tree.TIME_PROPERTIES:
        return value if isinstance(value, int) else epoch_ms(parse_timestamp(value))
    if isinstance(item_type, dict) and item_type["type"] == "timestamp":
        return parse_timestamp(value)
    return value


PROPERTYLESS = st.just({"matchAll": {}}) | st.lists(
    st.sampled_from([(c["space"], c["externalId"]) for c in CONTAINERS]), min_size=1, max_size=2, unique=True
).map(lambda refs: {"hasData": [{"type": "container", "space": s, "externalId": x} for s, x in refs]})
# Valid leaves the builder cannot draw: kept as written.
UNDRAWABLE = st.sampled_from(
    [
        {"equals": {"property": ["plant", "Equipment", "name"], "value": "two\nlines"}},
        {"equals": {"property": ["plant", "Equipment", "site"], "value": " "}},
        {"range": {"property": ["plant", "Reading", "rpm"], "gte": 1.5}},
        {"in": {"property": ["plant", "Equipment", "name"], "values": ["a", ""]}},
    ]
)


def negated(strategy):
    return st.tuples(strategy, st.integers(0, 2)).map(_wrap_nots)


def _wrap_nots(pair):
    data, nots = pair
    for _ in range(nots):
        data = {"not": data}
    return data


def filters(pool=None, raw=True) -> st.SearchStrategy:
    """Filter trees within the API's limits."""
    leaf = leaves(pool) | PROPERTYLESS
    if raw:
        leaf = leaf | UNDRAWABLE
    tree = st.recursive(
        negated(leaf),
        lambda children: negated(
            st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=1, max_size=3)).map(
                lambda pair: {pair[0]: pair[1]}
            )
        ),
        max_leaves=8,
    )
    return tree.filter(_within_limits)


def _within_limits(data: dict) -> bool:
    try:
        filter_json.from_filter(data, CONTAINERS)
    except filter_tree.FilterError:
        return False
    return True
