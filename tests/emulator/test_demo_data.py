"""The demo plant: loading it twice changes nothing, and it covers what a steward explores."""

from django.core.management import call_command

from emulator import demo
from tests.conftest import EmulatorApi


def stream_counts(api: EmulatorApi) -> dict[str, int]:
    counts = {}
    for stream in api.get("/streams").json()["items"]:
        detail = api.get(f"/streams/{stream['externalId']}", params={"includeStatistics": "true"}).json()
        counts[stream["externalId"]] = detail["settings"]["limits"]["maxRecordsTotal"]["consumed"]
    return counts


def test_demo_loads_once_and_covers_every_property_type(live_server, transactional_db):
    api = EmulatorApi(live_server.url, project="demo")
    call_command("load_demo", project="demo")
    first = stream_counts(api)
    call_command("load_demo", project="demo")
    assert (
        stream_counts(api)
        == first
        == {"equipment": 120, "alarms": 800, "sensor-readings": 3000, "readings-archive": 1500}
    )

    containers = api.get("/models/containers", params={"usedFor": "record", "limit": 100}).json()["items"]
    kinds = {(p["type"]["type"], p["type"]["list"]) for c in containers for p in c["properties"].values()}
    for kind in (
        "text",
        "int32",
        "int64",
        "float32",
        "float64",
        "boolean",
        "timestamp",
        "date",
        "json",
        "direct",
        "enum",
    ):
        assert (kind, False) in kinds and (kind, True) in kinds, kind

    two_containers = api.post(
        "/streams/alarms/records/filter",
        {
            "filter": {
                "hasData": [
                    {"type": "container", "space": demo.SPACE, "externalId": "Alarm"},
                    {"type": "container", "space": demo.SPACE, "externalId": "Reading"},
                ]
            },
            "limit": 1000,
        },
    ).json()["items"]
    assert 200 < len(two_containers) < 600
    # Spread over past weeks: the oldest readings of the archive are about sixty days old.
    times = [
        r["lastUpdatedTime"]
        for r in api.post("/streams/equipment/records/filter", {"limit": 1000}).json()["items"]
    ]
    assert max(times) - min(times) > 20 * demo.DAY_MS
