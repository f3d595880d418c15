"""The typed input of one container property, shared by every form that takes a property value
(the record editor, the query builder): {% typed_input name id label prop_type text error %}."""

from django import template

from cdftypes.values import INT_RANGES
from records.schema import TYPE_HINTS

register = template.Library()

# An offset is required: a timestamp without a time zone means different moments to different people.
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+\-]\d{2}(:?\d{2})?)"


def input_kind(prop_type: dict) -> str:
    """number, timestamp, date, select, json, direct or text: the control a type gets."""
    kind = prop_type["type"]
    if kind in INT_RANGES or kind in ("float32", "float64"):
        return "number"
    if kind in ("boolean", "enum"):
        return "select"
    return kind if kind in ("timestamp", "date", "json", "direct") else "text"


def options(prop_type: dict) -> list[tuple[str, str]]:
    """(value, label) of a select: true/false, or the enum's keys with their names."""
    if prop_type["type"] == "boolean":
        return [("true", "true"), ("false", "false")]
    return [(key, spec.get("name") or key) for key, spec in prop_type.get("values", {}).items()]


@register.inclusion_tag("records/typed_input.html")
def typed_input(
    name: str,
    id: str,
    label: str,
    prop_type: dict,
    text: str = "",
    error: str = "",
    required=False,
    label_more: str = "",
    hint: str = "",
):
    """One value of a property; for a direct relation two inputs, named <name> with the prefixes
    space: and xid: (the space, then the externalId). `label_more` is read out after the label but
    not shown (say, which condition of a filter the field belongs to); `hint` replaces the type's."""
    kind = input_kind(prop_type)
    context = {
        "name": name,
        "id": id,
        "label": label,
        "label_more": label_more,
        "kind": kind,
        "text": text,
        "error": error,
        "required": required,
        "hint": hint or TYPE_HINTS.get(prop_type["type"], ""),
        "unit": (prop_type.get("unit") or {}).get("externalId", ""),
    }
    if kind == "number":
        integer = prop_type["type"] in INT_RANGES
        context["step"] = "1" if integer else "any"
        if prop_type["type"] == "int32":
            context["min"], context["max"] = INT_RANGES["int32"]
    elif kind == "timestamp":
        context["pattern"] = TIMESTAMP_PATTERN
    elif kind == "select":
        context["options"] = options(prop_type)
        context["known"] = any(value == text for value, _ in context["options"])
    elif kind == "direct":
        space, _, external_id = text.partition(":")
        context["space_text"], context["xid_text"] = space, external_id
    return context
