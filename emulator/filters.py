"""The records filter language (records-api.md §8).

A filter tree is checked once, against the container definitions, and compiled into a
predicate over stored records (see store.py for their shape). Comparison values are brought
to their stored form at compile time, so that the predicate compares plain Python values:
it runs over every record of a stream on each request.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import ge, gt, itemgetter, le, lt

from .errors import ApiError, bad_request
from .schema import Schema
from .values import (
    NUMERIC_TYPES,
    ORDERED_TYPES,
    PROPERTY_TYPES,
    describe,
    epoch_ms,
    is_number,
    normalize_scalar,
    parse_timestamp,
    short,
)

Predicate = Callable[[dict], bool]

MAX_NODES = 100
MAX_DEPTH = 10
MAX_CHILDREN = 99
MAX_VALUES = 100
MAX_HAS_DATA = 10
MAX_PREFIX_CHARS = 500
MAX_SEGMENT_CHARS = 255

# Filters of the DMS instances language that the records language does not have.
UNSUPPORTED = (
    "nested",
    "overlaps",
    "instanceReferences",
    "search",
    "geojsonIntersects",
    "geojsonDisjoint",
    "geojsonWithin",
)
TIME_PROPERTIES = ("createdTime", "lastUpdatedTime")
ID_PROPERTIES = ("space", "externalId")
# The one-segment properties each leaf accepts besides container properties (§8.1).
TOP_LEVEL = {
    "exists": (),
    "equals": ID_PROPERTIES + TIME_PROPERTIES,
    "in": ID_PROPERTIES + TIME_PROPERTIES,
    "range": TIME_PROPERTIES,
    "prefix": ID_PROPERTIES,
    "containsAny": (),
    "containsAll": (),
}
# JSON values can only be tested with `exists` (§8.3).
COMPARABLE_TYPES = PROPERTY_TYPES - {"json"}
# The container property types each leaf applies to, and whether the property must be a list (§8.2).
LEAF_TYPES = {
    "equals": (COMPARABLE_TYPES, False),
    "in": (COMPARABLE_TYPES, False),
    "range": (ORDERED_TYPES, False),
    "prefix": ({"text"}, False),
    "containsAny": (COMPARABLE_TYPES, True),
    "containsAll": (COMPARABLE_TYPES, True),
}
RANGE_OPERATORS = {"gt": gt, "gte": ge, "lt": lt, "lte": le}

# Stands for a comparison value that no record can hold: a malformed direct relation (§8.3).
NO_MATCH = object()
_NOTHING: dict = {}


def never(record: dict) -> bool:
    return False


def always(record: dict) -> bool:
    return True


def direct_key(reference: dict) -> tuple[str, str]:
    """A hashable form of a (stored, hence well-formed) direct relation."""
    return reference["space"], reference["externalId"]


@dataclass(frozen=True)
class Target:
    """What a leaf's `property` names: a top-level field, or a property of a container."""

    get: Callable[[dict], object]
    top_level: str | None = None
    type: dict | None = None
    label: str = ""

    @property
    def kind(self) -> str | None:
        return self.type["type"] if self.type else None


def compile_filter(node: object, schema: Schema, path: str = "filter") -> Predicate:
    """Check a filter tree and return a predicate over stored records; a 400 naming the path if invalid."""
    return _Compiler(schema).compile(node, path, depth=1)


def referenced_properties(node: object) -> set[tuple[str, str, str]]:
    """The (space, container, property) triples a (valid) filter tree mentions."""
    found = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if not isinstance(current, dict):
            continue
        for name, body in current.items():
            if name in ("and", "or") and isinstance(body, list):
                pending.extend(body)
            elif name == "not":
                pending.append(body)
            elif (
                isinstance(body, dict)
                and isinstance(body.get("property"), list)
                and len(body["property"]) == 3
            ):
                found.add(tuple(body["property"]))
    return found


class _Compiler:
    def __init__(self, schema: Schema):
        self.schema = schema
        self.nodes = 0
        self.handlers = {
            "and": self.all_of,
            "or": self.any_of,
            "not": self.negation,
            "matchAll": self.match_all,
            "exists": self.exists,
            "equals": self.equals,
            "in": self.one_of,
            "range": self.range,
            "prefix": self.prefix,
            "containsAny": self.contains_any,
            "containsAll": self.contains_all,
            "hasData": self.has_data,
        }

    def compile(self, node: object, path: str, depth: int) -> Predicate:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise bad_request(f"{path}: the filter has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise bad_request(f"{path}: the filter is nested deeper than {MAX_DEPTH} levels")
        if not isinstance(node, dict) or len(node) != 1:
            got = f"{len(node)} keys" if isinstance(node, dict) else describe(node)
            raise bad_request(f"{path}: a filter must be an object with exactly one key, got {got}")
        [(name, body)] = node.items()
        if name in UNSUPPORTED:
            raise bad_request(f"{path}.{name}: the {name} filter is not supported for records")
        handler = self.handlers.get(name)
        if handler is None:
            raise bad_request(f"{path}: unknown filter {name!r}; expected one of {', '.join(self.handlers)}")
        return handler(body, f"{path}.{name}", depth)

    # --- boolean filters ----------------------------------------------------------------

    def children(self, body: object, path: str, depth: int) -> list[Predicate]:
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_CHILDREN:
            raise bad_request(f"{path}: must be a list of 1 to {MAX_CHILDREN} filters, got {_size(body)}")
        return [self.compile(child, f"{path}[{index}]", depth + 1) for index, child in enumerate(body)]

    def all_of(self, body, path, depth) -> Predicate:
        children = self.children(body, path, depth)

        # A plain loop: all() over a generator makes a filter of several leaves about 3x slower.
        def match(record):
            for child in children:  # noqa: SIM110
                if not child(record):
                    return False
            return True

        return match

    def any_of(self, body, path, depth) -> Predicate:
        children = self.children(body, path, depth)

        def match(record):
            for child in children:  # noqa: SIM110 (see all_of)
                if child(record):
                    return True
            return False

        return match

    def negation(self, body, path, depth) -> Predicate:
        inner = self.compile(body, path, depth + 1)
        return lambda record: not inner(record)

    # --- leaves ---------------------------------------------------------------------------

    def match_all(self, body, path, depth) -> Predicate:
        if body != {}:
            raise bad_request(f"{path}: must be an empty object {{}}")
        return always

    def exists(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property",))
        get = self.target(body["property"], f"{path}.property", "exists").get
        return lambda record: get(record) is not None

    def equals(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property", "value"))
        target = self.target(body["property"], f"{path}.property", "equals")
        return _membership(target, [self.value(target, body["value"], f"{path}.value")])

    def one_of(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property", "values"))
        target = self.target(body["property"], f"{path}.property", "in")
        return _membership(target, self.values(target, body["values"], f"{path}.values"))

    def range(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property",), optional=tuple(RANGE_OPERATORS))
        target = self.target(body["property"], f"{path}.property", "range")
        bounds = [name for name in RANGE_OPERATORS if name in body]
        if not bounds:
            raise bad_request(f"{path}: give at least one bound (gt, gte, lt or lte)")
        if ("gt" in bounds and "gte" in bounds) or ("lt" in bounds and "lte" in bounds):
            raise bad_request(f"{path}: do not combine gt with gte, or lt with lte")
        tests = [(RANGE_OPERATORS[name], self.bound(target, body[name], f"{path}.{name}")) for name in bounds]
        get = target.get
        if len(tests) == 1:
            [(first, first_bound)] = tests

            def match(record):
                value = get(record)
                return value is not None and first(value, first_bound)

            return match
        [(first, first_bound), (second, second_bound)] = tests

        def match_both(record):
            value = get(record)
            return value is not None and first(value, first_bound) and second(value, second_bound)

        return match_both

    def prefix(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property", "value"))
        get = self.target(body["property"], f"{path}.property", "prefix").get
        start = body["value"]
        _reject_unsupported_value(start, f"{path}.value")
        if not isinstance(start, str) or not 1 <= len(start) <= MAX_PREFIX_CHARS:
            raise bad_request(
                f"{path}.value: must be a string of 1 to {MAX_PREFIX_CHARS} characters, got {short(start)}"
            )

        def match(record):
            value = get(record)
            return value is not None and value.startswith(start)

        return match

    def contains_any(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property", "values"))
        target = self.target(body["property"], f"{path}.property", "containsAny")
        wanted = frozenset(self.values(target, body["values"], f"{path}.values")) - {NO_MATCH}
        if not wanted:
            return never
        get = target.get
        if target.kind == "direct":

            def match_direct(record):
                items = get(record)
                return items is not None and not wanted.isdisjoint(map(direct_key, items))

            return match_direct

        def match(record):
            items = get(record)
            return items is not None and not wanted.isdisjoint(items)

        return match

    def contains_all(self, body, path, depth) -> Predicate:
        _fields(body, path, required=("property", "values"))
        target = self.target(body["property"], f"{path}.property", "containsAll")
        wanted = frozenset(self.values(target, body["values"], f"{path}.values"))
        if NO_MATCH in wanted:
            return never  # a malformed direct relation is in no list
        get = target.get
        if target.kind == "direct":

            def match_direct(record):
                items = get(record)
                return items is not None and wanted.issubset(map(direct_key, items))

            return match_direct

        def match(record):
            items = get(record)
            return items is not None and wanted.issubset(items)

        return match

    def has_data(self, body, path, depth) -> Predicate:
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_HAS_DATA:
            raise bad_request(
                f"{path}: must be a list of 1 to {MAX_HAS_DATA} container references, got {_size(body)}"
            )
        containers = tuple(self.container_ref(ref, f"{path}[{index}]") for index, ref in enumerate(body))

        # DMS semantics: the record has data in every one of them (records-api.md §15.10).
        def match(record):
            properties = record["properties"]
            return all(container in properties.get(space, _NOTHING) for space, container in containers)

        return match

    # --- the parts of leaves ----------------------------------------------------------------

    def target(self, reference: object, path: str, leaf: str) -> Target:
        """Resolve a property reference for `leaf`, checking it names a property the leaf applies to."""
        allowed = TOP_LEVEL[leaf]
        if (
            not isinstance(reference, list)
            or len(reference) not in (1, 3)
            or not all(isinstance(part, str) and 1 <= len(part) <= MAX_SEGMENT_CHARS for part in reference)
        ):
            shapes = ", ".join(f'["{name}"]' for name in allowed)
            expected = (
                f"[space, container, property] or one of {shapes}"
                if allowed
                else "[space, container, property]"
            )
            raise bad_request(f"{path}: must be {expected}, got {short(reference)}")
        if len(reference) == 1:
            [name] = reference
            if name not in allowed:
                hint = f"use one of {', '.join(allowed)} or" if allowed else "use"
                raise bad_request(
                    f"{path}: {leaf} cannot be used on the top-level property {name!r}; "
                    f"{hint} a container property [space, container, property]"
                )
            return Target(get=itemgetter(name), top_level=name)
        space, container, prop = reference
        try:
            definition = self.schema.property(space, container, prop)
        except ApiError as error:
            raise _at(path, error) from None
        prop_type = definition["type"]
        label = f"property '{prop}' in container {space}:{container}"
        if leaf in LEAF_TYPES:
            _check_applies(leaf, prop_type, label, path)

        def get(record):
            return record["properties"].get(space, _NOTHING).get(container, _NOTHING).get(prop)

        return Target(get=get, type=prop_type, label=label)

    def value(self, target: Target, value: object, path: str):
        """The stored form of a comparison value, or NO_MATCH for a malformed direct relation."""
        _reject_unsupported_value(value, path)
        if target.top_level in TIME_PROPERTIES:
            return _epoch_ms(value, path)
        if target.top_level:
            if not isinstance(value, str):
                raise bad_request(f"{path}: {target.top_level} values must be strings, got {describe(value)}")
            return value
        try:
            normalized = normalize_scalar(target.type, value, target.label)
        except ApiError as error:
            if target.kind == "direct":
                return NO_MATCH  # CDF answers such a filter with no rows rather than a 400 (§8.3)
            raise _at(path, error) from None
        return direct_key(normalized) if target.kind == "direct" else normalized

    def values(self, target: Target, values: object, path: str) -> list:
        """The stored forms of a list of comparison values (see `value`)."""
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
            raise bad_request(f"{path}: must be a list of 1 to {MAX_VALUES} values, got {_size(values)}")
        return [self.value(target, value, f"{path}[{index}]") for index, value in enumerate(values)]

    def bound(self, target: Target, value: object, path: str):
        """A range bound in the stored form of the property's values."""
        if target.kind in NUMERIC_TYPES:
            _reject_unsupported_value(value, path)
            if not is_number(value):
                raise bad_request(
                    f"{path}: must be a number for the {target.kind} {target.label}, got {short(value)}"
                )
            return value
        return self.value(target, value, path)

    def container_ref(self, reference: object, path: str) -> tuple[str, str]:
        if (
            not isinstance(reference, dict)
            or set(reference) != {"type", "space", "externalId"}
            or reference["type"] != "container"
            or not isinstance(reference["space"], str)
            or not isinstance(reference["externalId"], str)
        ):
            expected = '{"type": "container", "space": ..., "externalId": ...}'
            raise bad_request(f"{path}: must be {expected}, got {short(reference)}")
        try:
            self.schema.container(reference["space"], reference["externalId"])
        except ApiError as error:
            raise _at(path, error) from None
        return reference["space"], reference["externalId"]


def _membership(target: Target, values: list) -> Predicate:
    """Match records whose value of `target` is one of `values` (in stored form)."""
    wanted = frozenset(value for value in values if value is not NO_MATCH)
    if not wanted:
        return never
    get = target.get
    if target.kind == "direct":

        def match_direct(record):
            value = get(record)
            return value is not None and direct_key(value) in wanted

        return match_direct
    return lambda record: get(record) in wanted


def _fields(body: object, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    if not isinstance(body, dict):
        raise bad_request(f"{path}: must be an object, got {describe(body)}")
    for name in required:
        if name not in body:
            raise bad_request(f"{path}: {name!r} is required")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise bad_request(f"{path}: unknown fields {', '.join(unknown)}")


def _check_applies(leaf: str, prop_type: dict, label: str, path: str) -> None:
    kinds, needs_list = LEAF_TYPES[leaf]
    kind = prop_type["type"]
    is_list = bool(prop_type.get("list"))
    if is_list and not needs_list:
        raise bad_request(
            f"{path}: {leaf} needs a single-valued property, but {label} is a list of {kind}; "
            "use containsAny or containsAll"
        )
    if needs_list and not is_list:
        raise bad_request(
            f"{path}: {leaf} needs a list property, but {label} holds a single {kind}; use equals or in"
        )
    if kind not in kinds:
        raise bad_request(
            f"{path}: {leaf} cannot be used on {label} of type {kind}; "
            f"it applies to {', '.join(sorted(kinds))}"
        )


def _reject_unsupported_value(value: object, path: str) -> None:
    if isinstance(value, dict) and len(value) == 1:
        if "parameter" in value:
            raise bad_request(f'{path}: parameter values {{"parameter": ...}} are not supported for records')
        if "property" in value:
            raise bad_request(
                f"{path}: property references as values are not supported for records; "
                "compare with a literal value"
            )


def _epoch_ms(value: object, path: str):
    if is_number(value):
        return value
    moment = parse_timestamp(value)
    if moment is None:
        raise bad_request(
            f"{path}: must be epoch milliseconds or an ISO-8601 timestamp such as 2026-08-01T00:00:00Z, "
            f"got {short(value)}"
        )
    return epoch_ms(moment)


def _at(path: str, error: ApiError) -> ApiError:
    """The same error, its message prefixed with where in the filter it arose."""
    return ApiError(error.code, f"{path}: {error.message}", error.headers, **error.extra)


def _size(value: object) -> str:
    return f"{len(value)} items" if isinstance(value, list) else describe(value)


def implied_external_ids(data: dict) -> set[str] | None:
    """The externalIds a record must have to match a (valid) filter, or None when any may match: what
    lets the emulator read only those records instead of the whole stream."""
    [(name, body)] = data.items()
    if name in ("equals", "in") and body.get("property") == ["externalId"]:
        values = [body.get("value")] if name == "equals" else body.get("values")
        return set(values) if all(isinstance(value, str) for value in values) else None
    if name == "and":
        narrowing = [ids for ids in map(implied_external_ids, body) if ids is not None]
        return set.intersection(*narrowing) if narrowing else None
    if name == "or":
        each = [implied_external_ids(child) for child in body]
        return None if any(ids is None for ids in each) else set().union(*each)
    return None
