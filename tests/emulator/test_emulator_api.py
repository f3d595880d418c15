"""The emulator over real HTTP: every endpoint, its error paths, and the spec's shapes."""

import gzip
import json
import time

import pytest
import requests

from emulator.models import Fault
from tests.conftest import ALARM, EmulatorApi, alarm, filter_all, records_path

from .contract import assert_contract

RECORDS = "/streams/{streamId}/records"


def test_worked_exchange(scada):
    """records-api.md §14.2, step by step."""
    api = scada
    assert api.post(records_path("alarms-live"), {"items": [alarm("A-1")]}).status_code == 202

    again = api.post(records_path("alarms-live"), {"items": [alarm("A-1")]})
    assert again.status_code == 409
    assert_contract("post", RECORDS, again)
    assert again.json()["error"]["partial"] == [
        {
            "space": "scada",
            "externalId": "A-1",
            "code": 409,
            "message": "A record with this id already exists",
        }
    ]

    found = api.post(
        records_path("alarms-live", "filter"),
        {
            "filter": {"equals": {"property": ["externalId"], "value": "A-1"}},
            "sources": [{"source": ALARM, "properties": ["*"]}],
            "limit": 10,
        },
    )
    assert found.status_code == 200
    assert_contract("post", RECORDS + "/filter", found)
    (record,) = found.json()["items"]
    assert record["properties"] == {
        "scada": {
            "ScadaAlarm": {
                "severity": "HIGH",
                "raisedAt": "2026-08-01T12:00:00.000Z",
                "value": 73.5,
                "acked": False,
            }
        }
    }

    assert (
        api.post(records_path("alarms-live", "upsert"), {"items": [alarm("A-1", "LOW")]}).status_code == 202
    )
    deleted = api.post(
        records_path("alarms-live", "delete"), {"items": [{"space": "scada", "externalId": "A-1"}]}
    )
    assert deleted.status_code == 200 and deleted.json() == {}

    sync = api.post(records_path("alarms-live", "sync"), {"initializeCursor": "1h-ago", "limit": 10})
    assert sync.status_code == 200
    assert_contract("post", RECORDS + "/sync", sync)
    page = sync.json()
    assert page["hasNext"] is False
    (tombstone,) = page["items"]
    assert tombstone["status"] == "deleted" and "properties" not in tombstone
    assert tombstone["createdTime"] == record["createdTime"]
    assert tombstone["lastUpdatedTime"] > record["lastUpdatedTime"]

    immutable = api.post(records_path("archive", "upsert"), {"items": [alarm("A-2")]})
    assert immutable.status_code == 422
    assert_contract("post", RECORDS + "/upsert", immutable)
    no_window = api.post(records_path("archive", "filter"), {})
    assert (
        no_window.status_code == 400 and "lastUpdatedTime is required" in no_window.json()["error"]["message"]
    )


def test_aggregate_of_the_worked_exchange(scada):
    api = scada
    items = [alarm(f"A-{n}", "HIGH", value) for n, value in enumerate([70, 72, 68.6, 70.2])]
    items[3]["sources"][0]["properties"]["raisedAt"] = "2026-08-02T09:00:00Z"
    assert api.post(records_path("alarms-live"), {"items": items}).status_code == 202
    response = api.post(
        records_path("alarms-live", "aggregate"),
        {
            "aggregates": {
                "bySeverity": {
                    "uniqueValues": {
                        "property": ["scada", "ScadaAlarm", "severity"],
                        "size": 5,
                        "aggregates": {"avgValue": {"avg": {"property": ["scada", "ScadaAlarm", "value"]}}},
                    }
                },
                "perDay": {
                    "timeHistogram": {
                        "property": ["scada", "ScadaAlarm", "raisedAt"],
                        "calendarInterval": "1d",
                        "aggregates": {"n": {"count": {}}},
                    }
                },
            }
        },
    )
    assert response.status_code == 200, response.text
    assert_contract("post", RECORDS + "/aggregate", response)
    result = response.json()["aggregates"]
    (bucket,) = result["bySeverity"]["uniqueValueBuckets"]
    assert bucket["value"] == "HIGH" and bucket["count"] == 4
    assert bucket["aggregates"]["avgValue"]["avg"] == pytest.approx(70.2)
    days = result["perDay"]["timeHistogramBuckets"]
    assert [(d["intervalStart"][:10], d["count"]) for d in days] == [("2026-08-01", 3), ("2026-08-02", 1)]


def test_streams_lifecycle(scada):
    api = scada
    listed = api.get("/streams")
    assert_contract("get", "/streams", listed)
    assert [s["externalId"] for s in listed.json()["items"]] == ["alarms-live", "archive"]

    api.post(records_path("alarms-live"), {"items": [alarm("A-1"), alarm("A-2")]})
    detail = api.get("/streams/alarms-live", params={"includeStatistics": "true"})
    assert_contract("get", "/streams/{streamId}", detail)
    limits = detail.json()["settings"]["limits"]
    assert limits["maxRecordsTotal"]["consumed"] == 2 and limits["maxGigaBytesTotal"]["consumed"] > 0
    assert "consumed" not in api.get("/streams/alarms-live").json()["settings"]["limits"]["maxRecordsTotal"]
    archive = api.get("/streams/archive").json()
    assert (
        archive["type"] == "Immutable" and archive["settings"]["limits"]["maxFilteringInterval"] == "PT168H"
    )

    duplicate = api.post(
        "/streams", {"items": [{"externalId": "archive", "settings": {"template": {"name": "BasicArchive"}}}]}
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["duplicated"] == [
        {"externalId": "archive"}
    ]
    assert_contract("post", "/streams", duplicate)

    gone = api.delete("/streams/archive")
    assert gone.status_code == 410
    assert_contract("delete", "/streams/{streamId}", gone)

    assert api.post("/streams/delete", {"items": [{"externalId": "archive"}]}).json() == {}
    assert api.get("/streams/archive").status_code == 404
    assert api.post(records_path("archive", "sync"), {"initializeCursor": "1d-ago"}).status_code == 404
    again = api.post(
        "/streams",
        {"items": [{"externalId": "archive", "settings": {"template": {"name": "ImmutableTestStream"}}}]},
    )
    assert again.status_code == 409 and "reserved" in again.json()["error"]["message"]
    # Deleting an unknown stream is not an error.
    assert api.post("/streams/delete", {"items": [{"externalId": "never-was"}]}).status_code == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {"items": [{"externalId": "Bad_Id", "settings": {"template": {"name": "BasicLiveData"}}}]},
            "items[0].externalId",
        ),
        (
            {"items": [{"externalId": "cdf_x", "settings": {"template": {"name": "BasicLiveData"}}}]},
            "reserved",
        ),
        ({"items": [{"externalId": "ok", "settings": {"template": {"name": "Nope"}}}]}, "template.name"),
        ({"items": []}, "exactly one"),
    ],
)
def test_stream_create_rejects(api, body, fragment):
    response = api.post("/streams", body)
    assert response.status_code == 400
    assert_contract("post", "/streams", response)
    assert fragment in response.json()["error"]["message"]
    assert api.get("/streams").json()["items"] == []


def test_spaces_and_containers(scada):
    api = scada
    spaces = api.get("/models/spaces", params={"limit": 1})
    assert_contract("get", "/models/spaces", spaces)
    assert [s["space"] for s in spaces.json()["items"]] == ["assets"]
    second = api.get("/models/spaces", params={"limit": 1, "cursor": spaces.json()["nextCursor"]}).json()
    assert [s["space"] for s in second["items"]] == ["scada"] and "nextCursor" not in second
    by_ids = api.post("/models/spaces/byids", {"items": [{"space": "scada"}, {"space": "nope"}]})
    assert_contract("post", "/models/spaces/byids", by_ids)
    assert [s["space"] for s in by_ids.json()["items"]] == ["scada"]

    hidden = api.get("/models/containers")
    assert hidden.json()["items"] == []  # record containers only show with usedFor=record
    listed = api.get("/models/containers", params={"usedFor": "record"})
    assert_contract("get", "/models/containers", listed)
    (container,) = listed.json()["items"]
    assert (
        container["properties"]["tags"]["type"]
        == {"type": "text", "list": True, "maxListSize": 3, "collation": "ucs_basic"}
        or container["properties"]["tags"]["type"]["maxListSize"] == 3
    )
    by_ids = api.post("/models/containers/byids", {"items": [{"space": "scada", "externalId": "ScadaAlarm"}]})
    assert_contract("post", "/models/containers/byids", by_ids)
    assert by_ids.json()["items"][0]["externalId"] == "ScadaAlarm"

    deleted = api.post(
        "/models/containers/delete", {"items": [{"space": "scada", "externalId": "ScadaAlarm"}]}
    )
    assert_contract("post", "/models/containers/delete", deleted)
    assert deleted.json()["items"] == [{"space": "scada", "externalId": "ScadaAlarm"}]
    unknown = api.post(records_path("alarms-live"), {"items": [alarm("A-1")]})
    assert unknown.status_code == 400 and "ScadaAlarm does not exist" in unknown.json()["error"]["message"]
    assert api.post("/models/spaces/delete", {"items": [{"space": "assets"}]}).json()["items"] == [
        {"space": "assets"}
    ]


def test_auth_and_projects(scada, live_server):
    anonymous = EmulatorApi(live_server.url, token=None)
    response = anonymous.get("/streams")
    assert response.status_code == 401
    assert_contract("get", "/streams", response)
    reader = EmulatorApi(live_server.url, token="readonly-token")
    assert reader.get("/streams").status_code == 200
    assert reader.post(records_path("alarms-live", "filter"), {}).status_code == 200
    denied = reader.post(records_path("alarms-live"), {"items": [alarm("A-1")]})
    assert denied.status_code == 403 and "streamRecordsAcl:WRITE" in denied.json()["error"]["message"]
    assert filter_all(scada) == []
    other = EmulatorApi(live_server.url, project="elsewhere")
    assert other.get("/streams").status_code == 403


def test_mutable_writes(scada):
    api = scada
    duplicate = api.post(records_path("alarms-live"), {"items": [alarm("A-1"), alarm("A-1", "LOW")]})
    assert duplicate.status_code == 422
    assert_contract("post", RECORDS, duplicate)
    assert duplicate.json()["error"]["duplicated"] == [{"externalId": "scada.A-1"}]
    assert filter_all(api) == []

    api.post(
        records_path("alarms-live"),
        {"items": [alarm("A-1", tags=["x"], asset={"space": "assets", "externalId": "p"})]},
    )
    (before,) = filter_all(api)
    time.sleep(0.005)
    api.post(records_path("alarms-live", "upsert"), {"items": [alarm("A-1", "LOW", 1.5)]})
    (after,) = filter_all(api)
    # Upsert replaces the whole record: tags and asset are gone; createdTime is kept.
    assert after["properties"]["scada"]["ScadaAlarm"] == {
        "severity": "LOW",
        "value": 1.5,
        "raisedAt": "2026-08-01T12:00:00.000Z",
        "acked": False,
    }
    assert after["createdTime"] == before["createdTime"] < after["lastUpdatedTime"]

    assert (
        api.post(
            records_path("alarms-live", "delete"), {"items": [{"space": "scada", "externalId": "nope"}]}
        ).status_code
        == 200
    )
    twice = api.post(
        records_path("alarms-live", "delete"), {"items": [{"space": "scada", "externalId": "A-1"}] * 2}
    )
    assert twice.status_code == 422
    assert_contract("post", RECORDS + "/delete", twice)
    assert len(filter_all(api)) == 1


def test_immutable_writes(scada):
    api = scada
    window = {"lastUpdatedTime": {"gte": int(time.time() * 1000) - 3_600_000}}
    assert (
        api.post(
            records_path("archive"), {"items": [alarm("A-1"), alarm("A-1"), alarm("A-1", "LOW")]}
        ).status_code
        == 202
    )
    assert api.post(records_path("archive"), {"items": [alarm("A-1")]}).status_code == 202
    # Exact duplicates are dropped; the same id with other content is kept.
    assert sorted(
        r["properties"]["scada"]["ScadaAlarm"]["severity"] for r in filter_all(api, "archive", **window)
    ) == ["HIGH", "LOW"]
    assert (
        api.post(
            records_path("archive", "delete"), {"items": [{"space": "scada", "externalId": "A-1"}]}
        ).status_code
        == 422
    )
    too_wide = api.post(records_path("archive", "filter"), {"lastUpdatedTime": {"gte": 0}})
    assert too_wide.status_code == 400 and "maxFilteringInterval" in too_wide.json()["error"]["message"]
    assert_contract("post", RECORDS + "/filter", too_wide)
    both = api.post(records_path("archive", "filter"), {"lastUpdatedTime": {"gt": 1, "gte": 1}})
    assert both.status_code == 400
    relative = api.post(
        records_path("archive", "aggregate"),
        {"lastUpdatedTime": {"gte": "1h-ago"}, "aggregates": {"n": {"count": {}}}},
    )
    assert relative.status_code == 400 and "lastUpdatedTime.gte" in relative.json()["error"]["message"]
    count = api.post(records_path("archive", "aggregate"), {**window, "aggregates": {"n": {"count": {}}}})
    assert count.json()["aggregates"]["n"] == {"count": 2}


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"severity": "MEDIUM"}, "severity"),
        ({"severity": "HIGH", "raisedAt": 1754049600000}, "raisedAt"),
        ({"severity": "HIGH", "raisedAt": "2026-08-01T12:00:00Z", "value": "hot"}, "value"),
        ({"severity": "HIGH", "raisedAt": "2026-08-01T12:00:00Z", "tags": ["a", "b", "c", "d"]}, "tags"),
        ({"severity": "HIGH", "raisedAt": "2026-08-01T12:00:00Z", "nope": 1}, "nope"),
        ({"raisedAt": "2026-08-01T12:00:00Z"}, "severity"),
        (
            {
                "severity": "HIGH",
                "raisedAt": "2026-08-01T12:00:00Z",
                "asset": {"space": "nowhere", "externalId": "x"},
            },
            "nowhere",
        ),
        ({"severity": "HIGH", "raisedAt": "2026-08-01T12:00:00Z", "payload": {"a": "x\u0000"}}, "payload"),
    ],
)
def test_bad_values_change_nothing(scada, properties, fragment):
    api = scada
    good = alarm("A-0")
    bad = {"space": "scada", "externalId": "A-1", "sources": [{"source": ALARM, "properties": properties}]}
    response = api.post(records_path("alarms-live"), {"items": [good, bad]})
    assert response.status_code == 400, response.text
    assert_contract("post", RECORDS, response)
    message = response.json()["error"]["message"]
    assert "items[1]" in message and fragment in message
    assert filter_all(api) == []


def test_filter_sort_sources_and_typing(scada):
    api = scada
    items = [alarm(f"A-{n}", "HIGH" if n % 2 else "LOW", float(n), tags=[f"t{n % 3}"]) for n in range(10)]
    api.post(records_path("alarms-live"), {"items": items})
    response = api.post(
        records_path("alarms-live", "filter"),
        {
            "filter": {
                "and": [
                    {"equals": {"property": ["scada", "ScadaAlarm", "severity"], "value": "HIGH"}},
                    {"range": {"property": ["scada", "ScadaAlarm", "value"], "gte": 3}},
                    {"not": {"containsAny": {"property": ["scada", "ScadaAlarm", "tags"], "values": ["t0"]}}},
                ]
            },
            "sort": [{"property": ["scada", "ScadaAlarm", "value"], "direction": "descending"}],
            "sources": [{"source": ALARM, "properties": ["value"]}],
            "includeTyping": True,
            "limit": 2,
        },
    )
    assert response.status_code == 200, response.text
    assert_contract("post", RECORDS + "/filter", response)
    body = response.json()
    assert [r["externalId"] for r in body["items"]] == ["A-7", "A-5"]
    assert body["items"][0]["properties"] == {"scada": {"ScadaAlarm": {"value": 7.0}}}
    typing = body["typing"]["scada"]["ScadaAlarm"]
    assert typing["value"]["type"]["type"] == "float64" and typing["severity"]["nullable"] is False

    bad_sort = api.post(
        records_path("alarms-live", "filter"), {"sort": [{"property": ["scada", "ScadaAlarm", "tags"]}]}
    )
    assert bad_sort.status_code == 400 and "sort[0]" in bad_sort.json()["error"]["message"]
    bad_source = api.post(
        records_path("alarms-live", "filter"), {"sources": [{"source": ALARM, "properties": ["space"]}]}
    )
    assert bad_source.status_code == 400 and "sources[0]" in bad_source.json()["error"]["message"]
    bad_limit = api.post(records_path("alarms-live", "filter"), {"limit": 1001})
    assert bad_limit.status_code == 400 and "limit" in bad_limit.json()["error"]["message"]
    bad_filter = api.post(
        records_path("alarms-live", "filter"),
        {"filter": {"range": {"property": ["scada", "ScadaAlarm", "raisedAt"], "gt": 5}}},
    )
    assert bad_filter.status_code == 400 and "filter.range" in bad_filter.json()["error"]["message"]


def test_sync_pages_and_cursors(scada):
    api = scada
    api.post(records_path("alarms-live"), {"items": [alarm(f"A-{n}") for n in range(25)]})
    api.post(records_path("alarms-live", "upsert"), {"items": [alarm("A-3", "LOW")]})
    seen, body, pages = [], {"initializeCursor": "1d-ago", "limit": 10}, 0
    while True:
        response = api.post(records_path("alarms-live", "sync"), body)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [(item["externalId"], item["status"]) for item in page["items"]]
        pages += 1
        if not page["hasNext"]:
            break
        body = {"cursor": page["nextCursor"], "limit": 10}
    # A record changed twice appears once, with its latest state, after the others.
    assert len(seen) == 25 and seen[-1] == ("A-3", "updated") and pages == 3
    quiet = api.post(records_path("alarms-live", "sync"), {"cursor": page["nextCursor"]}).json()
    assert quiet["items"] == [] and quiet["hasNext"] is False and quiet["nextCursor"] == page["nextCursor"]

    api.post(records_path("alarms-live", "delete"), {"items": [{"space": "scada", "externalId": "A-4"}]})
    latest = api.post(
        records_path("alarms-live", "sync"),
        {"cursor": page["nextCursor"], "filter": {"equals": {"property": ["externalId"], "value": "A-4"}}},
    ).json()
    assert [(i["externalId"], i["status"]) for i in latest["items"]] == [("A-4", "deleted")]

    for body, fragment in [
        ({}, "initializeCursor"),
        ({"initializeCursor": "yesterday"}, "initializeCursor"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": page["nextCursor"].replace("a", "b", 1) + "!!"}, "cursor"),
    ]:
        response = api.post(records_path("alarms-live", "sync"), body)
        assert response.status_code == 400, body
        assert fragment in response.json()["error"]["message"]
        assert_contract("post", RECORDS + "/sync", response)
    other = api.post(records_path("archive", "sync"), {"cursor": page["nextCursor"]})
    assert other.status_code == 400 and "another stream" in other.json()["error"]["message"]


def test_sync_start_point_excludes_older_changes(scada):
    api = scada
    api.post(records_path("alarms-live"), {"items": [alarm("old")]})
    time.sleep(1.2)
    api.post(records_path("alarms-live"), {"items": [alarm("new")]})
    page = api.post(records_path("alarms-live", "sync"), {"initializeCursor": "1s-ago"}).json()
    assert [i["externalId"] for i in page["items"]] == ["new"]


def test_wire_details(scada):
    api = scada
    body = json.dumps({"items": [alarm("Z-1")]}).encode()
    response = api.session.post(
        api.base + records_path("alarms-live"),
        data=gzip.compress(body),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 202 and response.headers["x-request-id"]
    assert api.post(records_path("alarms-live"), None).status_code == 400
    broken = api.session.post(api.base + records_path("alarms-live"), data=b"{nope", timeout=30)
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]
    huge = api.post(records_path("alarms-live"), {"items": [alarm("big", payload={"x": "y" * 11_000_000})]})
    assert huge.status_code == 413
    too_many = api.post(records_path("alarms-live"), {"items": [alarm(f"n{i}") for i in range(1001)]})
    assert too_many.status_code == 400 and "1000" in too_many.json()["error"]["message"]
    assert [r["externalId"] for r in filter_all(api)] == ["Z-1"]


@pytest.mark.usefixtures("fault_injection")
def test_fault_injection(scada, live_server):
    api = scada
    faults = f"{live_server.url}/emulator/_faults"
    requests.post(
        faults,
        json={"project": "test", "endpoint": "records/ingest", "status": 429, "count": 1, "retryAfter": 2},
        timeout=10,
    )
    throttled = api.post(records_path("alarms-live"), {"items": [alarm("A-1")]})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert filter_all(api) == []
    assert api.post(records_path("alarms-live"), {"items": [alarm("A-1")]}).status_code == 202

    requests.post(
        faults,
        json={"project": "test", "endpoint": "records/upsert", "status": 503, "failRecords": ["scada:B-2"]},
        timeout=10,
    )
    partial = api.post(records_path("alarms-live", "upsert"), {"items": [alarm("B-1"), alarm("B-2")]})
    assert partial.status_code == 503
    assert_contract("post", RECORDS + "/upsert", partial)
    codes = {p["externalId"]: p["code"] for p in partial.json()["error"]["partial"]}
    assert codes == {"B-1": 202, "B-2": 503}
    assert sorted(r["externalId"] for r in filter_all(api)) == ["A-1", "B-1"]

    requests.post(faults, json={"project": "test", "endpoint": "records/filter", "delayMs": 600}, timeout=10)
    started = time.monotonic()
    assert api.post(records_path("alarms-live", "filter"), {}).status_code == 200
    assert time.monotonic() - started >= 0.6
    requests.post(faults, json={"project": "test", "endpoint": "*", "status": 500}, timeout=10)
    requests.delete(faults, timeout=10)
    assert api.get("/streams").status_code == 200


def test_a_filter_on_ids_finds_what_a_scan_finds_after_upserts_and_deletes(scada):
    """A filter naming externalIds is answered from the emulator's id index (an import's lookup);
    the same filter under an `or` with a condition that matches nothing makes it scan the stream."""
    items = [alarm(f"a-{n}", value=n) for n in range(30)]
    assert scada.post(records_path("alarms-live"), {"items": items}).status_code == 202
    changed = {"items": [alarm("a-3", value=99)]}
    assert scada.post(records_path("alarms-live", "upsert"), changed).status_code == 202
    gone = {"items": [{"space": "scada", "externalId": "a-4"}]}
    assert scada.post(records_path("alarms-live", "delete"), gone).status_code == 200
    named = {"in": {"property": ["externalId"], "values": ["a-3", "a-4", "a-5", "nope"]}}
    a7 = {"equals": {"property": ["externalId"], "value": "a-7"}}
    narrowed = {"and": [{"equals": {"property": ["space"], "value": "scada"}}, {"or": [named, a7]}]}
    by_index = filter_all(scada, filter=narrowed)
    by_scan = filter_all(scada, filter={"or": [narrowed, {"not": {"matchAll": {}}}]})
    assert sorted(record["externalId"] for record in by_index) == ["a-3", "a-5", "a-7"]
    assert by_index == by_scan
    a3 = next(record for record in by_index if record["externalId"] == "a-3")
    assert a3["properties"]["scada"]["ScadaAlarm"]["value"] == 99


# --- security: without DEBUG (as in every test unless asked) ----------------------------------


@pytest.mark.django_db
def test_fault_injection_is_not_found_without_debug(client):
    """Security: without DEBUG nobody may inject faults, by any method, cross-site form posts included."""
    spec = {"project": "test", "endpoint": "*", "delayMs": 60_000, "count": 1000}
    assert client.get("/emulator/_faults").status_code == 404
    assert client.post("/emulator/_faults", spec, content_type="application/json").status_code == 404
    assert client.post("/emulator/_faults", json.dumps(spec), content_type="text/plain").status_code == 404
    assert client.delete("/emulator/_faults").status_code == 404
    assert not Fault.objects.exists()


def as_bearer(client, token: str, body: dict | None = None):
    """List the streams of the project "test" with this token, or create the ones in `body`."""
    path, headers = "/emulator/api/v1/projects/test/streams", {"Authorization": f"Bearer {token}"}
    if body is None:
        return client.get(path, headers=headers)
    return client.post(path, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_without_debug_only_issued_and_configured_tokens_are_accepted(client, settings):
    """Security: without DEBUG an unknown token gets CDF's 401 and changes nothing; a token the
    token endpoint issued, or one in EMULATOR_TOKENS, works."""
    pumps = {"items": [{"externalId": "pumps", "settings": {"template": {"name": "BasicLiveData"}}}]}
    unknown = as_bearer(client, "made-up", pumps)
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == 401
    assert as_bearer(client, "made-up").status_code == 401
    inspect = client.get("/emulator/api/v1/token/inspect", headers={"Authorization": "Bearer made-up"})
    assert inspect.status_code == 401

    form = {"grant_type": "client_credentials", "client_id": "streams-admin"}
    issued = client.post("/emulator/oauth2/token", {**form, "client_secret": "emulator-secret"})
    token = issued.json()["access_token"]
    assert as_bearer(client, token, pumps).status_code == 201
    assert as_bearer(client, token + "x").status_code == 401
    assert [s["externalId"] for s in as_bearer(client, "readonly-token").json()["items"]] == ["pumps"]

    settings.EMULATOR_CLIENTS = {}  # a client taken out of the settings loses its tokens
    assert as_bearer(client, token).status_code == 401
    settings.DEBUG = True  # development: any token may do everything, as always
    assert as_bearer(client, "made-up").status_code == 200
