"""Checks a response of the emulator against the official OpenAPI description of CDF."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# The official OpenAPI description of the Streams/Records endpoints (cut from the public CDF spec).
SPEC_PATH = Path(__file__).resolve().parent / "data" / "cdf-records-openapi.json"
SPEC_URI = "urn:cdf-openapi"


def _one_of_as_any_of(node):
    """The spec's result unions (oneOf) have members without required keys, so a valid body
    matches several of them and oneOf rejects it; anyOf keeps the intent."""
    if isinstance(node, dict):
        return {("anyOf" if key == "oneOf" else key): _one_of_as_any_of(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_one_of_as_any_of(item) for item in node]
    return node


@cache
def _spec() -> tuple[dict, Registry]:
    spec = _one_of_as_any_of(json.loads(SPEC_PATH.read_text()))
    # Erratum: the bounds meant for the number of enum values sit on each value's metadata,
    # which would forbid the spec's own example `"value2": {}`.
    enum_values = spec["components"]["schemas"]["EnumProperty"]["properties"]["values"]
    for bound in ("minProperties", "maxProperties"):
        enum_values[bound] = enum_values["additionalProperties"].pop(bound)
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return spec, Registry().with_resource(SPEC_URI, resource)


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _lookup(spec: dict, ref: str) -> dict:
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def assert_contract(method: str, path: str, response) -> None:
    """The response's status is one the spec documents (or a platform error) and its body fits.

    `path` is the spec's template, e.g. "/streams/{streamId}/records/filter".
    """
    spec, registry = _spec()
    operation = spec["paths"][path][method.lower()]
    status = str(response.status_code)
    body = response.json()
    if status in operation["responses"]:
        answer = operation["responses"][status]
        base = answer.get("$ref") or "#/" + _pointer("paths", path, method.lower(), "responses", status)
        if "application/json" not in _lookup(spec, base).get("content", {}):
            return
        ref = base + "/content/application~1json/schema"
    else:
        # 401, 403, 404, 413, 429 and the like: the platform-wide error envelope.
        assert int(status) >= 400, f"{method} {path} answered {status}, which the spec does not document"
        ref = "#/components/schemas/Error"
        body = body["error"]
    validator = Draft202012Validator({"$ref": SPEC_URI + ref}, registry=registry)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {status} does not match the spec: " + "; ".join(
        f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
    )
