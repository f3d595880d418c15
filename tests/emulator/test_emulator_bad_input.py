"""Malformed requests get a CDF-shaped 4xx naming the problem, never a 500, and change nothing."""

import base64
import itertools
import json

import pytest

from tests.conftest import alarm, filter_all, records_path

# Values of every JSON kind, to put where something else belongs.
ODD_VALUES = [None, True, 0, -1, 1.5, "", "x" * 300, [], [None], {}, {"unexpected": 1}]

BODIES = {
    "/models/spaces": lambda v: {"items": [{"space": v}]},
    "/models/containers": lambda v: {
        "items": [
            {"space": "scada", "externalId": "C", "usedFor": "record", "properties": {"p": {"type": v}}}
        ]
    },
    "/streams": lambda v: {"items": [{"externalId": v, "settings": {"template": {"name": "BasicLiveData"}}}]},
    records_path("alarms-live"): lambda v: {"items": [{"space": "scada", "externalId": "A", "sources": v}]},
    records_path("alarms-live", "upsert"): lambda v: {"items": v},
    records_path("alarms-live", "delete"): lambda v: {"items": [{"space": v, "externalId": v}]},
    records_path("alarms-live", "filter"): lambda v: {"filter": {"and": [{"equals": v}]}, "limit": 5},
    records_path("archive", "filter"): lambda v: {"lastUpdatedTime": {"gte": v}, "sort": v},
    records_path("alarms-live", "sync"): lambda v: {"cursor": v, "sources": v},
    records_path("alarms-live", "aggregate"): lambda v: {"aggregates": {"a": v}},
}


@pytest.mark.parametrize("path", list(BODIES))
def test_malformed_bodies_are_refused_cleanly(scada, path):
    api = scada
    before = filter_all(api)
    for value in ODD_VALUES:
        response = api.post(path, BODIES[path](value))
        assert 400 <= response.status_code < 500, (path, value, response.status_code, response.text[:300])
        error = response.json()["error"]
        assert error["code"] == response.status_code and error["message"]
    for raw in (b"[]", b"null", b'"text"', b"{", b"\xff\xfe"):
        response = api.session.post(api.base + path, data=raw, timeout=30)
        assert response.status_code == 400, (path, raw)
    assert filter_all(api) == before


def test_filter_limits(scada):
    api = scada
    leaf = {"equals": {"property": ["externalId"], "value": "x"}}
    deep = leaf
    for _ in range(11):
        deep = {"not": deep}
    wide = {"or": [leaf] * 99 + [{"and": [leaf, leaf]}]}
    for tree in (
        deep,
        wide,
        {"or": [leaf] * 100},
        {"in": {"property": ["externalId"], "values": list("x" * 101)}},
    ):
        response = api.post(records_path("alarms-live", "filter"), {"filter": tree})
        assert response.status_code == 400 and "filter" in response.json()["error"]["message"]


def test_unknown_names_are_named(scada):
    api = scada
    cases = {
        "/streams/no-such-stream/records/filter": "no-such-stream",
        "/streams/Not_Valid/records/filter": "streamId",
    }
    for path, fragment in cases.items():
        response = api.post(path, {})
        assert response.status_code in (400, 404) and fragment in response.json()["error"]["message"]
    unknown = {"source": {"type": "container", "space": "scada", "externalId": "Nope"}, "properties": ["*"]}
    for path, body in itertools.product(
        [records_path("alarms-live", "filter"), records_path("alarms-live", "sync")],
        [{"sources": [unknown], "initializeCursor": "1d-ago"}],
    ):
        if path.endswith("filter"):
            body = {"sources": body["sources"]}
        response = api.post(path, body)
        assert response.status_code == 400 and "scada:Nope" in response.json()["error"]["message"]


@pytest.mark.usefixtures("fault_injection")  # its last request injects a fault
def test_json_nested_too_deep_is_refused_cleanly(scada):
    """Security: JSON nested too deep for Python gets a CDF error body, never a 500: a request body, a json
    property's value and a sync cursor."""
    api = scada
    too_deep = "[" * 100_000
    for path in BODIES:
        response = api.session.post(api.base + path, data=too_deep, timeout=30)
        assert response.status_code == 400, path
        assert "nested more than 100 levels deep" in response.json()["error"]["message"]
    assert api.session.post(f"{api.root}/_faults", data=too_deep, timeout=30).status_code == 400
    payload = '{"a":' * 900 + "1" + "}" * 900
    body = json.dumps({"items": [alarm("deep", payload=None)]})
    body = body.replace('"payload": null', f'"payload": {payload}')
    response = api.session.post(api.base + records_path("alarms-live"), data=body, timeout=30)
    assert response.status_code == 400 and "nested more than 100" in response.json()["error"]["message"]
    cursor = base64.urlsafe_b64encode(too_deep[:70_000].encode()).decode()
    response = api.post(records_path("alarms-live", "sync"), {"cursor": cursor})
    assert response.status_code == 400 and "not a valid sync cursor" in response.json()["error"]["message"]
    assert filter_all(api) == []


def test_strings_that_cannot_be_stored_are_refused_cleanly(scada):
    """Security: a NUL or an unpaired surrogate in a request body gets a CDF error body, never a 500
    (PostgreSQL can neither store nor search for a NUL; UTF-8 cannot encode a lone surrogate)."""
    api = scada
    for path, spelled in itertools.product([*BODIES, "/models/spaces/byids"], ["a\\u0000", "\\ud800"]):
        ids = f'"space": "{spelled}", "externalId": "{spelled}"'
        equals = f'{{"equals": {{"property": ["externalId"], "value": "{spelled}"}}}}'
        body = f'{{"items": [{{{ids}}}], "filter": {equals}}}'
        response = api.session.post(api.base + path, data=body, timeout=30)
        assert response.status_code == 400, (path, spelled, response.text[:300])
        assert "holds a NUL (\\u0000) or an unpaired surrogate" in response.json()["error"]["message"]
    assert filter_all(api) == []
