"""The parts of filter, sync and aggregate requests other than the filter itself:
the `lastUpdatedTime` window, `sources` projection, `sort`, `limit`, `targetUnits`, typing."""

import heapq

from .clock import now_ms
from .durations import iso_ms
from .errors import bad_request
from .schema import TOP_LEVEL_PROPERTIES, Schema
from .values import epoch_ms, parse_timestamp

SORTABLE_TOP_LEVEL = TOP_LEVEL_PROPERTIES


def check_keys(body: dict, allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise bad_request(f"Unknown fields in the request: {', '.join(sorted(unknown))}")


def limit(body: dict, default: int = 10) -> int:
    value = body.get("limit", default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise bad_request(f"limit must be an integer from 1 to 1000, got {value!r}")
    return value


def _bound_ms(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and 1 <= len(value) <= 100:
        moment = parse_timestamp(value)
        if moment is not None:
            return epoch_ms(moment)
    raise bad_request(
        f"{where} must be epoch milliseconds or an ISO-8601 date-time such as 2026-08-01T00:00:00Z "
        f"(relative times like '1h-ago' are not accepted), got {value!r}"
    )


def window(body: dict, stream) -> tuple[int | None, int | None]:
    """The inclusive [low, high] lastUpdatedTime bounds, in ms, checked against the stream."""
    spec = body.get("lastUpdatedTime")
    interval = stream.settings["limits"].get("maxFilteringInterval")
    if spec is None:
        if not stream.mutable:
            raise bad_request(
                f"lastUpdatedTime is required on the immutable stream {stream.external_id!r}: "
                f"give a window no wider than {interval}"
            )
        return None, None
    if not isinstance(spec, dict) or not spec:
        raise bad_request("lastUpdatedTime must be an object with gt/gte and optionally lt/lte")
    unknown = set(spec) - {"gt", "gte", "lt", "lte"}
    if unknown:
        raise bad_request(f"lastUpdatedTime has unknown keys: {', '.join(sorted(unknown))}")
    if ("gt" in spec and "gte" in spec) or ("lt" in spec and "lte" in spec):
        raise bad_request("lastUpdatedTime may not combine gt with gte, or lt with lte")
    if "gt" not in spec and "gte" not in spec:
        raise bad_request("lastUpdatedTime needs a lower bound (gt or gte)")
    low = (
        _bound_ms(spec["gt"], "lastUpdatedTime.gt") + 1
        if "gt" in spec
        else _bound_ms(spec["gte"], "lastUpdatedTime.gte")
    )
    high = None
    if "lt" in spec:
        high = _bound_ms(spec["lt"], "lastUpdatedTime.lt") - 1
    elif "lte" in spec:
        high = _bound_ms(spec["lte"], "lastUpdatedTime.lte")
    if high is not None and high < low:
        raise bad_request("lastUpdatedTime: the upper bound is before the lower bound")
    if interval:
        width = (high if high is not None else now_ms()) - low
        if width > iso_ms(interval):
            raise bad_request(
                f"lastUpdatedTime spans more than the stream's maxFilteringInterval {interval}; "
                "narrow the window or query it in slices"
            )
    return low, high


def in_window(records: list[dict], low: int | None, high: int | None) -> list[dict]:
    if low is None:
        return records
    if high is None:
        return [r for r in records if r["lastUpdatedTime"] >= low]
    return [r for r in records if low <= r["lastUpdatedTime"] <= high]


def sources(body: dict, schema: Schema) -> dict[tuple[str, str], set[str] | None] | None:
    """The requested projection: {(space, container): property ids, or None for "*"}; None = all."""
    spec = body.get("sources")
    if spec is None:
        return None
    if not isinstance(spec, list) or not 1 <= len(spec) <= 10:
        raise bad_request("sources must be a list of 1 to 10 source selectors")
    selection = {}
    for index, selector in enumerate(spec):
        where = f"sources[{index}]"
        if not isinstance(selector, dict) or set(selector) != {"source", "properties"}:
            raise bad_request(f"{where} must be an object with exactly 'source' and 'properties'")
        space, external_id = container_ref(selector["source"], f"{where}.source")
        definition = schema.container(space, external_id)
        names = selector["properties"]
        if not isinstance(names, list) or not 1 <= len(names) <= 1000:
            raise bad_request(f"{where}.properties must be a list of 1 to 1000 property ids (or ['*'])")
        if "*" in names:
            selection[(space, external_id)] = None
            continue
        for name in names:
            if name in TOP_LEVEL_PROPERTIES:
                raise bad_request(f"{where}.properties: {name!r} is a top-level property and always returned")
            if not isinstance(name, str) or name not in definition["properties"]:
                raise bad_request(
                    f"{where}.properties: property {name!r} does not exist in container {space}:{external_id}"
                )
        selection[(space, external_id)] = set(names)
    return selection


def container_ref(ref: object, where: str) -> tuple[str, str]:
    if (
        not isinstance(ref, dict)
        or ref.get("type") != "container"
        or not isinstance(ref.get("space"), str)
        or not isinstance(ref.get("externalId"), str)
        or set(ref) - {"type", "space", "externalId"}
    ):
        raise bad_request(f'{where} must be {{"type": "container", "space": ..., "externalId": ...}}')
    return ref["space"], ref["externalId"]


def project(record: dict, selection) -> dict:
    """A copy of the record with only the selected containers and properties."""
    if selection is None:
        return {**record, "properties": record["properties"]}
    properties = {}
    for (space, external_id), names in selection.items():
        values = record["properties"].get(space, {}).get(external_id)
        if values is None:
            continue
        chosen = values if names is None else {k: v for k, v in values.items() if k in names}
        properties.setdefault(space, {})[external_id] = chosen
    return {**record, "properties": properties}


def sort_keys(body: dict, schema: Schema) -> list[tuple[tuple[str, ...], bool]]:
    """[(property path, descending)] from `sort`."""
    spec = body.get("sort")
    if spec is None:
        return []
    if not isinstance(spec, list) or not 1 <= len(spec) <= 5:
        raise bad_request("sort must be a list of 1 to 5 sort specifications")
    keys = []
    for index, item in enumerate(spec):
        where = f"sort[{index}]"
        if (
            not isinstance(item, dict)
            or "property" not in item
            or set(item) - {"property", "direction", "nullsFirst"}
        ):
            raise bad_request(f"{where} must be an object with 'property' and optionally 'direction'")
        path = item["property"]
        direction = item.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise bad_request(f"{where}.direction must be 'ascending' or 'descending', got {direction!r}")
        if isinstance(path, list) and len(path) == 1 and path[0] in SORTABLE_TOP_LEVEL:
            pass
        elif isinstance(path, list) and len(path) == 3 and all(isinstance(p, str) for p in path):
            definition = schema.property(*path)
            if definition["type"].get("list") or definition["type"]["type"] in ("json", "direct"):
                raise bad_request(
                    f"{where}.property: cannot sort by the {definition['type']['type']} "
                    f"{'list ' if definition['type'].get('list') else ''}property {path[2]!r}"
                )
        else:
            raise bad_request(
                f"{where}.property must be ['space'], ['externalId'], ['createdTime'], ['lastUpdatedTime'] "
                f"or [space, container, property], got {path!r}"
            )
        keys.append((tuple(path), direction == "descending"))
    return keys


def _getter(path: tuple[str, ...]):
    if len(path) == 1:
        name = path[0]
        return lambda record: record[name]
    space, container, prop = path
    return lambda record: record["properties"].get(space, {}).get(container, {}).get(prop)


def first(records: list[dict], keys: list[tuple[tuple[str, ...], bool]], limit: int) -> list[dict]:
    """The first `limit` records ordered by the keys, then by lastUpdatedTime, space and
    externalId; records without a value for a key come after those with one."""
    if len({descending for _, descending in keys}) > 1:
        return _sort_mixed(records, keys)[:limit]
    # One direction: a single tuple key and a heap, not a full sort of the stream.
    getters = [_getter(path) for path, _ in keys]
    descending = bool(keys) and keys[0][1]

    def key(record):
        parts = []
        for get in getters:
            value = get(record)
            parts += ((value is not None) if descending else (value is None), value)
        return (*parts, record["lastUpdatedTime"], record["space"], record["externalId"])

    pick = heapq.nlargest if descending else heapq.nsmallest
    return pick(limit, records, key=key)


def _sort_mixed(records: list[dict], keys: list[tuple[tuple[str, ...], bool]]) -> list[dict]:
    ordered = sorted(records, key=lambda r: (r["lastUpdatedTime"], r["space"], r["externalId"]))
    for path, descending in reversed(keys):
        get = _getter(path)
        present = [r for r in ordered if get(r) is not None]
        missing = [r for r in ordered if get(r) is None]
        present.sort(key=get, reverse=descending)
        ordered = present + missing
    return ordered


def target_units(body: dict) -> None:
    """Accepted and checked for shape; the emulator converts no units (values come back as stored)."""
    spec = body.get("targetUnits")
    if spec is None:
        return
    if not isinstance(spec, dict) or len(spec) != 1 or not ({"unitSystemName", "properties"} & set(spec)):
        raise bad_request("targetUnits must have exactly one of 'unitSystemName' or 'properties'")


def typing(schema: Schema, properties: set[tuple[str, str, str]]) -> dict:
    """The `typing` block for the given container properties."""
    block: dict = {}
    for space, container, prop in sorted(properties):
        definition = schema.containers.get((space, container), {}).get("properties", {}).get(prop)
        if definition is None:
            continue
        entry = {
            "nullable": definition.get("nullable", True),
            "defaultValue": definition.get("defaultValue"),
            "type": definition["type"],
        }
        for optional in ("name", "description"):
            if definition.get(optional) is not None:
                entry[optional] = definition[optional]
        block.setdefault(space, {}).setdefault(container, {})[prop] = entry
    return block


def properties_in(records: list[dict]) -> set[tuple[str, str, str]]:
    found = set()
    for record in records:
        for space, containers in record["properties"].items():
            for container, values in containers.items():
                found.update((space, container, prop) for prop in values)
    return found
