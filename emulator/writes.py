"""The bodies of record writes (ingest, upsert, delete), checked and turned into stored records.

Schema errors reject the whole request with a 400 naming the item and field (records-api.md
§5.6); duplicate ids are left to the caller, since the rule differs per stream type.
"""

from collections import Counter

from .definitions import check_container_reference, check_fields, check_space_id, located, object_list
from .errors import ApiError, bad_request
from .schema import Schema
from .values import normalize_value

MAX_ITEMS = 1000
MAX_SOURCES = 100
EXTERNAL_ID_MAX_CHARS = 256


def validate_write_items(
    body: object, schema: Schema, existing_spaces: set[str], path: str = "items"
) -> list[dict]:
    """The records of an ingest or upsert body as {"space", "externalId", "properties"}.

    `properties` is {containerSpace: {containerExternalId: {propertyId: storedValue}}}, with the
    container's default values filled in for properties the item leaves out.
    """
    records = []
    for index, item in enumerate(object_list(body, MAX_ITEMS, path)):
        where = f"{path}[{index}]"
        check_fields(item, where, {"space", "externalId", "sources"})
        space, external_id = _record_id(item, where)
        if space not in existing_spaces:
            raise bad_request(f"{where}.space: space {space!r} does not exist", missing=[{"space": space}])
        sources = item["sources"]
        if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_SOURCES:
            raise bad_request(f"{where}.sources must be a list of 1 to {MAX_SOURCES} objects")
        properties = {}
        for number, source in enumerate(sources):
            source_where = f"{where}.sources[{number}]"
            check_fields(source, source_where, {"source", "properties"})
            reference = check_container_reference(source["source"], f"{source_where}.source")
            container_space, container_id = reference["space"], reference["externalId"]
            group = properties.setdefault(container_space, {})
            if container_id in group:
                raise bad_request(
                    f"{source_where}: container {container_space}:{container_id} appears more than once "
                    "in this record"
                )
            group[container_id] = _values(source, source_where, schema, existing_spaces)
        records.append({"space": space, "externalId": external_id, "properties": properties})
    return records


def validate_delete_items(body: object, path: str = "items") -> list[dict]:
    """The ids of a delete body, as [{"space", "externalId"}]."""
    ids = []
    for index, item in enumerate(object_list(body, MAX_ITEMS, path)):
        where = f"{path}[{index}]"
        check_fields(item, where, {"space", "externalId"})
        space, external_id = _record_id(item, where)
        ids.append({"space": space, "externalId": external_id})
    return ids


def duplicate_ids(items: list[dict]) -> list[dict]:
    """The ids that occur more than once, in the `duplicated` format of a 422 (records-api.md §5.5)."""
    counts = Counter((item["space"], item["externalId"]) for item in items)
    return [{"externalId": f"{space}.{external_id}"} for (space, external_id), n in counts.items() if n > 1]


def _record_id(item: dict, where: str) -> tuple[str, str]:
    space = check_space_id(item["space"], f"{where}.space")
    external_id = item["externalId"]
    if (
        not isinstance(external_id, str)
        or not 1 <= len(external_id) <= EXTERNAL_ID_MAX_CHARS
        or "\x00" in external_id
    ):
        raise bad_request(
            f"{where}.externalId must be a string of 1 to {EXTERNAL_ID_MAX_CHARS} characters without NUL, "
            f"got {external_id!r}"
        )
    return space, external_id


def _values(source: dict, where: str, schema: Schema, existing_spaces: set[str]) -> dict:
    """The stored values of one entry of `sources`, with the container's defaults filled in."""
    space, external_id = source["source"]["space"], source["source"]["externalId"]
    try:
        container = schema.container(space, external_id)
    except ApiError as error:
        raise located(f"{where}.source", error) from None

    given = source["properties"]
    if not isinstance(given, dict) or not given:
        raise bad_request(f"{where}.properties must be an object with at least one property")
    values = {}
    for prop, value in given.items():
        prop_where = f"{where}.properties.{prop}"
        try:
            definition = schema.property(space, external_id, prop)
            stored = _value(definition, value, f"property '{prop}' in container {space}:{external_id}")
        except ApiError as error:
            raise located(prop_where, error) from None
        _check_target_spaces(definition, stored, prop_where, existing_spaces)
        if stored is not None:
            values[prop] = stored

    for prop, definition in container["properties"].items():
        if prop in given:
            continue
        if "defaultValue" in definition:
            values[prop] = definition["defaultValue"]
        elif not definition["nullable"]:
            raise bad_request(
                f"{where}.properties: missing required property '{prop}' in container {space}:{external_id}"
            )
    return values


def _value(definition: dict, value: object, where: str):
    """The stored form of a value; None for a null, which leaves a nullable property unset."""
    if value is None:
        if not definition["nullable"]:
            raise bad_request(f"Value for {where} must not be null (the property is not nullable)")
        return None
    return normalize_value(definition["type"], value, where)


def _check_target_spaces(definition: dict, stored: object, where: str, existing_spaces: set[str]) -> None:
    """Records check only that the space a direct relation points into exists (records-api.md §4.5)."""
    if definition["type"]["type"] != "direct" or stored is None:
        return
    for target in stored if isinstance(stored, list) else [stored]:
        if target["space"] not in existing_spaces:
            raise bad_request(
                f"{where}: the direct relation target space {target['space']!r} does not exist",
                missing=[{"space": target["space"]}],
            )
