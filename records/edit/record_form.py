"""Editing a record without HTTP: the form of a record built from its containers' definitions, what a
submitted form means (checked against those definitions), the diff of a change, and the merge of a
change with a colleague's concurrent one.

A record's values are held as `sources`: {"space.Container": {"property": value}}. A property missing
from its container's dict is absent; None is an explicit null. Upsert replaces the whole record, so the
form always carries every container and every property the record has, and leaving one out is a choice
the user makes in the form (its state control), never a side effect.

Form fields (the key of a property is "space.Container.property"):
    state:<key>      value | null | absent
    value:<key>      the text of the value (repeated for list items)
    space:<key>, xid:<key>  a direct relation (repeated for lists)
    drop:<ref>       remove the whole container from the record
    action           add:<key> | remove:<key>:<index> | add-source (with add_source=<ref>)
"""

import json
import re
from dataclasses import dataclass, field

from django.core import signing

from cdftypes.values import InvalidValue, max_list_size, normalize_value, parse_json

from .. import schema

STATES = ("value", "null", "absent")
STATE_LABELS = {"value": "Value", "null": "Null", "absent": "Absent (removed from the record)"}
SPACE_ID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,41}[a-zA-Z0-9]?$")
EXTERNAL_ID_MAX_CHARS = 256
SIGNING_SALT = "records.editing.base"


def container_ref(container: dict) -> str:
    return f"{container['space']}.{container['externalId']}"


def record_sources(record: dict) -> dict:
    """The values of a record as read from CDF, in the `sources` shape of this module."""
    return {
        f"{space}.{container}": dict(values)
        for space, by_container in (record.get("properties") or {}).items()
        for container, values in by_container.items()
    }


def write_item(space: str, external_id: str, sources: dict) -> dict:
    """The ingest/upsert item of a record with these values."""
    return {
        "space": space,
        "externalId": external_id,
        "sources": [
            {
                "source": {"type": "container", "space": ref.split(".")[0], "externalId": ref.split(".")[1]},
                "properties": values,
            }
            for ref, values in sources.items()
        ],
    }


# --- the form --------------------------------------------------------------------------------


@dataclass
class PropertyField:
    ref: str  # "space.Container"
    id: str
    definition: dict
    state: str = "absent"
    texts: list[str] = field(default_factory=list)  # one text, or one per list item
    error: str = ""

    @property
    def key(self) -> str:
        return f"{self.ref}.{self.id}"

    @property
    def type(self) -> dict:
        return self.definition["type"]

    @property
    def label(self) -> str:
        return self.definition.get("name") or self.id

    @property
    def is_list(self) -> bool:
        return bool(self.type.get("list"))

    @property
    def nullable(self) -> bool:
        return self.definition.get("nullable", True)

    @property
    def required(self) -> bool:
        return _required(self.definition)

    @property
    def max_items(self) -> int:
        return max_list_size(self.type)

    @property
    def states(self) -> list[tuple[str, str]]:
        return [(s, STATE_LABELS[s]) for s in STATES if s != "null" or self.nullable]

    @property
    def type_label(self) -> str:
        return schema.type_label(self.type)

    @property
    def items(self) -> list[dict]:
        """The items of a list property, each with the id and label of its input."""
        return [
            {
                "index": index,
                "id": f"value-{self.key}-{index + 1}",
                "label": f"{self.label} item {index + 1}",
                "text": text,
            }
            for index, text in enumerate(self.texts)
        ]

    @property
    def full(self) -> bool:
        return len(self.texts) >= self.max_items

    @property
    def default_text(self) -> str:
        if "defaultValue" not in self.definition:
            return ""
        return schema.format_text(self.type, self.definition["defaultValue"])


@dataclass
class Section:
    ref: str
    name: str
    fields: list[PropertyField]
    dropped: bool = False
    error: str = ""


@dataclass
class RecordForm:
    space: str
    external_id: str
    sections: list[Section]
    errors: dict = field(default_factory=dict)  # "space", "externalId", "sources": record-level messages

    @property
    def valid(self) -> bool:
        return not self.errors and not any(
            s.error or any(f.error for f in s.fields) for s in self.sections if not s.dropped
        )

    def field(self, key: str) -> PropertyField:
        return next(f for s in self.sections for f in s.fields if f.key == key)


def _required(definition: dict) -> bool:
    """A property a record of its container must give: not nullable and without a default value."""
    return not definition.get("nullable", True) and "defaultValue" not in definition


def _section(container: dict, values: dict | None) -> Section:
    """A container's section, its properties set from `values` (None: a new section, defaults filled)."""
    fields = []
    for prop_id, definition in container["properties"].items():
        prop = PropertyField(container_ref(container), prop_id, definition)
        if values is None:
            if "defaultValue" in definition:
                prop.state, prop.texts = "value", _texts(definition["type"], definition["defaultValue"])
            elif prop.required:
                prop.state = "value"
            prop.texts = prop.texts or ([] if prop.is_list else [""])
        elif prop_id in values:
            value = values[prop_id]
            prop.state = "null" if value is None else "value"
            prop.texts = _texts(definition["type"], value) if value is not None else [""]
        else:
            prop.texts = [] if prop.is_list else [""]
        fields.append(prop)
    return Section(container_ref(container), container.get("name") or container["externalId"], fields)


def _texts(prop_type: dict, value) -> list[str]:
    if prop_type.get("list"):
        return [schema.format_item(prop_type, item) for item in value]
    return [schema.format_item(prop_type, value)]


def form_from_sources(space: str, external_id: str, sources: dict, containers: list[dict]) -> RecordForm:
    """The form of a record with these values: one section per container it populates."""
    known = {container_ref(c): c for c in containers}
    sections = [_section(known[ref], values) for ref, values in sources.items() if ref in known]
    return RecordForm(space, external_id, sections)


def undefined_properties(sources: dict, containers: list[dict]) -> list[str]:
    """The record's values that no container definition lists ("space.Container.property"): a form
    cannot show them, so saving it would drop them."""
    known = {container_ref(c): c["properties"] for c in containers}
    return [
        f"{ref}.{prop}"
        for ref, values in sources.items()
        for prop in values
        if prop not in known.get(ref, {})
    ]


def new_form(containers: list[dict]) -> RecordForm:
    """The form of a new record in these containers, their defaults filled in."""
    return RecordForm("", "", [_section(c, None) for c in containers])


def form_from_post(post, containers: list[dict], refs: list[str]) -> RecordForm:
    """The form as submitted (texts kept as typed), for the containers `refs`, with its list actions
    (add or remove an item) applied."""
    known = {container_ref(c): c for c in containers}
    sections = []
    for ref in refs:
        section = _section(known[ref], {})
        section.dropped = post.get(f"drop:{ref}") == "on"
        for prop in section.fields:
            state = post.get(f"state:{prop.key}", "absent")
            prop.state = state if state in STATES else "absent"
            if prop.type["type"] == "direct":
                spaces, xids = post.getlist(f"space:{prop.key}"), post.getlist(f"xid:{prop.key}")
                prop.texts = [_direct_text(s, x) for s, x in zip(spaces, xids, strict=False)]
            else:
                prop.texts = post.getlist(f"value:{prop.key}")
            if not prop.is_list and not prop.texts:
                prop.texts = [""]
        sections.append(section)
    form = RecordForm(post.get("space", "").strip(), post.get("externalId", ""), sections)
    _apply_action(form, post.get("action", ""))
    return form


def _direct_text(space: str, external_id: str) -> str:
    return f"{space.strip()}:{external_id}" if space.strip() or external_id else ""


def is_record_id(space: str, external_id: str) -> bool:
    """Whether CDF takes these as a record's ids: no record has others, and CDF refuses a read naming them."""
    return (
        SPACE_ID_RE.fullmatch(space) is not None
        and 0 < len(external_id) <= EXTERNAL_ID_MAX_CHARS
        and "\x00" not in external_id
    )


def split_direct(text: str) -> tuple[str, str]:
    """The space and externalId of a direct relation's text (a space id has no colon)."""
    space, _, external_id = text.partition(":")
    return space, external_id


def _apply_action(form: RecordForm, action: str) -> None:
    verb, _, target = action.partition(":")
    if verb not in ("add", "remove"):
        return
    key, _, index = target.rpartition(":") if verb == "remove" else (target, "", "")
    try:
        prop = form.field(key)
    except StopIteration:
        return
    if verb == "add" and len(prop.texts) < prop.max_items:
        prop.texts.append("")
        prop.state = "value"
    elif verb == "remove" and index.isdigit() and int(index) < len(prop.texts):
        del prop.texts[int(index)]


def is_list_action(post) -> bool:
    return post.get("action", "").startswith(("add:", "remove:"))


# --- checking a form -------------------------------------------------------------------------


def check_ids(form: RecordForm) -> None:
    """The record's own ids, as CDF would check them."""
    if not form.space:
        form.errors["space"] = "Space: enter the space the record belongs to."
    elif not SPACE_ID_RE.match(form.space):
        form.errors["space"] = (
            f"Space “{form.space}” is not a space id: 1 to 43 letters, digits, “_” and “-”, "
            "starting with a letter."
        )
    if not form.external_id:
        form.errors["externalId"] = "External id: enter the record's external id."
    elif len(form.external_id) > EXTERNAL_ID_MAX_CHARS or "\x00" in form.external_id:
        form.errors["externalId"] = (
            f"External id: at most {EXTERNAL_ID_MAX_CHARS} characters and no NUL character "
            f"(this one has {len(form.external_id)})."
        )


def form_sources(form: RecordForm) -> dict | None:
    """The values the form means, every field checked against its definition; None when a field has
    a problem (its message is then set on the field)."""
    sources = {}
    for section in form.sections:
        if section.dropped:
            continue
        values = {}
        for prop in section.fields:
            prop.error = ""
            try:
                present, value = _field_value(prop)
            except InvalidValue as error:
                prop.error = str(error)
                continue
            if present:
                values[prop.id] = value
        if not values and not any(p.error for p in section.fields):
            section.error = (
                f"{section.name}: every property is absent. Give at least one a value, or tick "
                "“Remove this container from the record”."
            )
        else:
            section.error = ""
        sources[section.ref] = values
    if not any(not s.dropped for s in form.sections):
        form.errors["sources"] = "The record must keep at least one container with values."
    return sources if form.valid else None


def _field_value(prop: PropertyField) -> tuple[bool, object]:
    """(present, value) of one property; InvalidValue says what is wrong."""
    # Quoted: property ids are names in code ("raisedAt"), not words to capitalize.
    label = f"“{prop.label}”"
    if prop.state != "value":
        if prop.required:
            raise InvalidValue(f"{label} is required: it cannot be {prop.state}; enter a value.")
        if prop.state == "null" and not prop.nullable:
            raise InvalidValue(f"{label} cannot be null: it is not nullable.")
        return prop.state == "null", None
    if prop.is_list:
        if len(prop.texts) > prop.max_items:
            raise InvalidValue(f"{label} has {len(prop.texts)} items; at most {prop.max_items} are allowed.")
        items = [
            schema.parse_item(prop.type, text, f"{label} item {index + 1}")
            for index, text in enumerate(prop.texts)
        ]
        return True, normalize_value(prop.type, items, label)
    value = schema.parse_item(prop.type, prop.texts[0] if prop.texts else "", label)
    return True, normalize_value(prop.type, value, label)


def check_sources_json(text: str, containers: list[dict]) -> tuple[dict | None, str]:
    """The values of a record's `sources` given as raw JSON (the write shape), checked the same way as
    the form: (sources, "") or (None, the problem)."""
    try:
        given = parse_json(text)
    except ValueError as error:
        return None, f"The sources are not valid JSON: {error}."
    if not isinstance(given, list) or not all(isinstance(s, dict) for s in given):
        return None, 'The sources must be a JSON list of {"source": {...}, "properties": {...}} objects.'
    known = {container_ref(c): c for c in containers}
    sources = {}
    for index, entry in enumerate(given, start=1):
        source, values = entry.get("source"), entry.get("properties")
        ref = f"{source.get('space')}.{source.get('externalId')}" if isinstance(source, dict) else ""
        if ref not in known:
            return None, f"Source {index}: {ref or 'its source'} is not a record container of this project."
        if not isinstance(values, dict) or not values:
            return None, f"Source {index} ({ref}): properties must be an object with at least one property."
        sources[ref] = values
    for ref, values in sources.items():
        definitions = known[ref]["properties"]
        unknown = sorted(set(values) - set(definitions))
        if unknown:
            return None, f"{ref} has no property {', '.join(unknown)}."
        for prop_id, value in values.items():
            prop = PropertyField(ref, prop_id, definitions[prop_id], "null")
            try:
                if value is None:
                    _field_value(prop)
                else:
                    values[prop_id] = normalize_value(prop.type, value, prop.label)
            except InvalidValue as error:
                return None, f"{ref}: {error}"
        missing = [prop_id for prop_id, d in definitions.items() if _required(d) and prop_id not in values]
        if missing:
            return None, f"{ref}: {', '.join(missing)} is required (not nullable, no default value)."
    return sources, ""


def sources_json(sources: dict) -> str:
    return json.dumps(write_item("", "", sources)["sources"], indent=2, ensure_ascii=False)


def direct_spaces(sources: dict, containers: list[dict]) -> set[str]:
    """The spaces the record's direct relations point into (CDF checks that they exist)."""
    known = {container_ref(c): c for c in containers}
    spaces = set()
    for ref, values in sources.items():
        for prop_id, value in values.items():
            if known[ref]["properties"][prop_id]["type"]["type"] == "direct" and value is not None:
                spaces.update(v["space"] for v in (value if isinstance(value, list) else [value]))
    return spaces


def mark_unknown_spaces(form: RecordForm, sources: dict, containers: list[dict], existing: set[str]) -> None:
    """Messages at the fields that name a space CDF does not have."""
    if form.space and form.space not in existing and "space" not in form.errors:
        form.errors["space"] = f"Space “{form.space}” does not exist in this CDF project."
    for ref, values in sources.items():
        for prop_id, value in values.items():
            prop = form.field(f"{ref}.{prop_id}")
            if prop.type["type"] != "direct" or value is None:
                continue
            missing = sorted({v["space"] for v in (value if isinstance(value, list) else [value])} - existing)
            if missing:
                prop.error = f"{prop.label} points into space “{missing[0]}”, which does not exist."


# --- what a change does ----------------------------------------------------------------------

ABSENT = object()


def _get(sources: dict, ref: str, prop: str):
    return sources.get(ref, {}).get(prop, ABSENT)


def changes(before: dict, after: dict) -> dict:
    """The per-property changes for the audit log: {"ref": {"prop": {"before"?, "after"?}}}, a side
    left out when the property is absent on it."""
    result = {}
    for ref in dict.fromkeys([*before, *after]):
        for prop in dict.fromkeys([*before.get(ref, {}), *after.get(ref, {})]):
            old, new = _get(before, ref, prop), _get(after, ref, prop)
            if old == new:
                continue
            change = {}
            if old is not ABSENT:
                change["before"] = old
            if new is not ABSENT:
                change["after"] = new
            result.setdefault(ref, {})[prop] = change
    return result


def diff(before: dict, after: dict, containers: list[dict]) -> list[dict]:
    """The change as the preview shows it: per container, the properties that change, old -> new."""
    known = {container_ref(c): c for c in containers}
    groups = []
    for ref, props in changes(before, after).items():
        definition = known.get(ref, {"properties": {}})
        rows = []
        for prop, change in props.items():
            prop_type = definition["properties"].get(prop, {}).get("type", {"type": "json"})
            rows.append(
                {
                    "property": prop,
                    "before": _shown(prop_type, change.get("before", ABSENT)),
                    "after": _shown(prop_type, change.get("after", ABSENT)),
                    "kind": "added" if "before" not in change else "removed" if "after" not in change else "",
                }
            )
        groups.append({"ref": ref, "name": definition.get("name") or ref, "rows": rows})
    return groups


def _shown(prop_type: dict, value) -> str:
    if value is ABSENT:
        return "(absent)"
    if value is None:
        return "null"
    return schema.format_text(prop_type, value)


# --- conflicts -------------------------------------------------------------------------------


def conflicts(base: dict, mine: dict, theirs: dict, containers: list[dict]) -> list[dict]:
    """The properties a colleague changed since the form was opened (base -> theirs), with what this
    user wants (mine); `both` when both changed it differently, so the user must choose."""
    known = {container_ref(c): c for c in containers}
    rows = []
    for ref, props in changes(base, theirs).items():
        for prop in props:
            prop_type = (
                known.get(ref, {"properties": {}})["properties"].get(prop, {}).get("type", {"type": "json"})
            )
            old, mine_value, their_value = (
                _get(base, ref, prop),
                _get(mine, ref, prop),
                _get(theirs, ref, prop),
            )
            rows.append(
                {
                    "key": f"{ref}.{prop}",
                    "ref": ref,
                    "property": prop,
                    "base": _shown(prop_type, old),
                    "mine": _shown(prop_type, mine_value),
                    "theirs": _shown(prop_type, their_value),
                    "both": mine_value != old and mine_value != their_value,
                }
            )
    return rows


def merge(base: dict, mine: dict, theirs: dict, choices: dict) -> dict:
    """The values to write after a conflict: this user's changes on top of the current record, and for
    a property both changed, the side chosen in `choices` ({"ref.prop": "mine" | "theirs"})."""
    merged = {ref: dict(values) for ref, values in theirs.items()}
    for ref, props in changes(base, mine).items():
        for prop in props:
            key = f"{ref}.{prop}"
            their_value = _get(theirs, ref, prop)
            if their_value != _get(base, ref, prop) and choices.get(key) != "mine":
                continue  # a colleague changed it too, and their value stays
            new = _get(mine, ref, prop)
            if new is ABSENT:
                merged.get(ref, {}).pop(prop, None)
            else:
                merged.setdefault(ref, {})[prop] = new
    return {ref: values for ref, values in merged.items() if values or ref in mine}


def sign_base(last_updated: int | None, sources: dict | None) -> str:
    """The hidden field with what the form was opened with, signed so that a tampered copy is refused."""
    return signing.dumps({"updated": last_updated, "sources": sources}, salt=SIGNING_SALT, compress=True)


def read_base(text: str) -> tuple[int | None, dict | None]:
    """(lastUpdatedTime, sources) of a `sign_base` field; signing.BadSignature when tampered with."""
    data = signing.loads(text, salt=SIGNING_SALT)
    return data["updated"], data["sources"]


def form_fields(form: RecordForm) -> list[tuple[str, str]]:
    """The form as (name, value) pairs, for the hidden fields of the preview and conflict pages (so
    going back to the form loses nothing)."""
    pairs = [("space", form.space), ("externalId", form.external_id)]
    for section in form.sections:
        pairs.append(("ref", section.ref))
        if section.dropped:
            pairs.append((f"drop:{section.ref}", "on"))
        for prop in section.fields:
            pairs.append((f"state:{prop.key}", prop.state))
            for text in prop.texts:
                if prop.type["type"] == "direct":
                    space, external_id = split_direct(text)
                    pairs += [(f"space:{prop.key}", space), (f"xid:{prop.key}", external_id)]
                else:
                    pairs.append((f"value:{prop.key}", text))
    return pairs


CDF_PROPERTY_RE = re.compile(r"sources\[(\d+)\]\.properties\.([A-Za-z0-9_]+)")


def place_cdf_message(form: RecordForm, sources: dict, message: str) -> bool:
    """Put CDF's message about a value (it names `sources[i].properties.<prop>`) at that field;
    False when it names no field of the form."""
    match = CDF_PROPERTY_RE.search(message)
    refs = list(sources)
    if not match or int(match.group(1)) >= len(refs):
        return False
    try:
        form.field(
            f"{refs[int(match.group(1))]}.{match.group(2)}"
        ).error = f"CDF refused this value: {message}"
    except StopIteration:
        return False
    return True
