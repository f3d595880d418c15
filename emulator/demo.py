"""Demo data for the emulator: a plant with equipment, sensor readings and alarms.

Two record containers cover every property type (single and list); alarm records populate two
containers. Records are spread over the past weeks (their lastUpdatedTime is backdated), with a
fixed random seed so every machine gets the same demo.
"""

import random
from datetime import UTC, datetime, timedelta

SPACE = "plant"
DAY_MS = 86_400_000

EQUIPMENT_KINDS = ["PUMP", "COMPRESSOR", "VALVE", "MOTOR", "HEAT_EXCHANGER", "FAN"]
SITES = ["Bergen", "Stavanger", "Kårstø", "Mongstad", "Hammerfest"]
STATUSES = ["RUNNING", "IDLE", "STOPPED", "FAULT"]
SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
TAGS = ["critical", "offshore", "onshore", "inspected", "legacy", "spare", "redundant", "atex", "subsea"]
ALARM_TEXTS = [
    "High discharge temperature",
    "Vibration above limit",
    "Low suction pressure",
    "Motor current imbalance",
    "Seal leak detected",
    "Bearing temperature rising",
    "Flow below minimum",
]


def _enum(*keys: str) -> dict:
    return {"type": "enum", "values": {key: {"name": key.replace("_", " ").title()} for key in keys}}


SPACES = {
    "items": [{"space": SPACE, "name": "Plant", "description": "Demo plant: equipment, readings, alarms"}]
}

CONTAINERS = {
    "items": [
        {
            "space": SPACE,
            "externalId": "Equipment",
            "name": "Equipment",
            "description": "A piece of equipment on a site",
            "usedFor": "record",
            "properties": {
                "name": {"type": {"type": "text"}, "nullable": False, "name": "Name"},
                "kind": {"type": _enum(*EQUIPMENT_KINDS), "nullable": False},
                "site": {"type": {"type": "text"}},
                "tags": {"type": {"type": "text", "list": True, "maxListSize": 20}},
                "serialNumber": {"type": {"type": "int64"}},
                "ratedPowerKw": {"type": {"type": "float64", "unit": {"externalId": "power:kilowatt"}}},
                "efficiency": {"type": {"type": "float32"}},
                "installedOn": {"type": {"type": "date"}},
                "commissionedAt": {"type": {"type": "timestamp"}},
                "active": {"type": {"type": "boolean"}, "defaultValue": True},
                "parent": {"type": {"type": "direct"}, "description": "The equipment this one is part of"},
                "specs": {"type": {"type": "json"}},
                "maintenanceDates": {"type": {"type": "date", "list": True}},
                "inspections": {"type": {"type": "timestamp", "list": True}},
                "modes": {"type": {**_enum("AUTO", "MANUAL", "STANDBY"), "list": True}},
                "relatedTo": {"type": {"type": "direct", "list": True}},
                "documents": {"type": {"type": "json", "list": True}},
            },
        },
        {
            "space": SPACE,
            "externalId": "Reading",
            "name": "Sensor reading",
            "description": "A measurement taken on a piece of equipment",
            "usedFor": "record",
            "properties": {
                "equipment": {"type": {"type": "direct"}, "nullable": False},
                "observedAt": {"type": {"type": "timestamp"}, "nullable": False},
                "status": {"type": _enum(*STATUSES)},
                "temperature": {"type": {"type": "float64", "unit": {"externalId": "temperature:deg_c"}}},
                "pressure": {"type": {"type": "float32", "unit": {"externalId": "pressure:bar"}}},
                "rpm": {"type": {"type": "int32"}},
                "ok": {"type": {"type": "boolean"}},
                "samples": {"type": {"type": "float64", "list": True, "maxListSize": 100}},
                "weights": {"type": {"type": "float32", "list": True}},
                "errorCodes": {"type": {"type": "int32", "list": True}},
                "batchIds": {"type": {"type": "int64", "list": True}},
                "checks": {"type": {"type": "boolean", "list": True}},
                "notes": {"type": {"type": "text"}, "description": "Free text from the operator"},
            },
        },
        {
            "space": SPACE,
            "externalId": "Alarm",
            "name": "Alarm",
            "description": "An alarm raised by the control system",
            "usedFor": "record",
            "properties": {
                "severity": {"type": _enum(*SEVERITIES), "nullable": False},
                "raisedAt": {"type": {"type": "timestamp"}, "nullable": False},
                "message": {"type": {"type": "text"}},
                "equipment": {"type": {"type": "direct"}},
                "acknowledged": {"type": {"type": "boolean"}, "defaultValue": False},
                "ackedBy": {"type": {"type": "text"}},
                "context": {"type": {"type": "json"}},
            },
        },
    ]
}

# (stream id, template); records are added only when a stream is created, so loading twice is harmless.
STREAMS = [
    ("equipment", "BasicLiveData"),
    ("alarms", "BasicLiveData"),
    ("sensor-readings", "ImmutableTestStream"),
    ("readings-archive", "BasicArchive"),
]


def _source(container: str, properties: dict) -> dict:
    return {
        "source": {"type": "container", "space": SPACE, "externalId": container},
        "properties": properties,
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def equipment(rng: random.Random, count: int, now: datetime) -> list[tuple[int, dict]]:
    """(backdated ms, record) pairs for the equipment stream."""
    items = []
    for number in range(1, count + 1):
        kind = rng.choice(EQUIPMENT_KINDS)
        installed = now - timedelta(days=rng.randint(200, 4000))
        properties = {
            "name": f"{kind.replace('_', ' ').title()} {number:03d}",
            "kind": kind,
            "site": rng.choice(SITES),
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "serialNumber": rng.randint(10**9, 10**12),
            "ratedPowerKw": round(rng.uniform(5, 2500), 1),
            "efficiency": round(rng.uniform(0.6, 0.97), 3),
            "installedOn": installed.date().isoformat(),
            "commissionedAt": _iso(installed + timedelta(days=rng.randint(5, 60))),
            "active": rng.random() > 0.1,
            "specs": {"manufacturer": rng.choice(["Aker", "Siemens", "ABB", "Grundfos"]), "ratedRpm": 1500},
            "maintenanceDates": sorted(
                (now - timedelta(days=rng.randint(1, 700))).date().isoformat()
                for _ in range(rng.randint(0, 3))
            ),
            "inspections": [_iso(now - timedelta(days=rng.randint(1, 90)))],
            "modes": rng.sample(["AUTO", "MANUAL", "STANDBY"], rng.randint(1, 2)),
        }
        if number > 10:
            parent = rng.randint(1, 10)
            properties["parent"] = {"space": SPACE, "externalId": f"eq-{parent:03d}"}
            properties["relatedTo"] = [{"space": SPACE, "externalId": f"eq-{parent:03d}"}]
        if rng.random() < 0.3:
            properties["documents"] = [{"title": "Datasheet", "pages": rng.randint(2, 40)}]
        when = now - timedelta(days=rng.uniform(1, 40))
        items.append(
            (
                when,
                {
                    "space": SPACE,
                    "externalId": f"eq-{number:03d}",
                    "sources": [_source("Equipment", properties)],
                },
            )
        )
    return items


def _reading(rng: random.Random, equipment_count: int, at: datetime) -> dict:
    status = rng.choices(STATUSES, weights=[70, 15, 10, 5])[0]
    running = status == "RUNNING"
    properties = {
        "equipment": {"space": SPACE, "externalId": f"eq-{rng.randint(1, equipment_count):03d}"},
        "observedAt": _iso(at),
        "status": status,
        "temperature": round(rng.gauss(70 if running else 25, 12), 2),
        "pressure": round(rng.uniform(1, 12), 2),
        "rpm": rng.randint(1400, 1600) if running else 0,
        "ok": status != "FAULT",
        "samples": [round(rng.gauss(1.0, 0.2), 3) for _ in range(rng.randint(1, 5))],
    }
    if status == "FAULT":
        properties["errorCodes"] = rng.sample([101, 204, 305, 408, 512], rng.randint(1, 2))
        properties["notes"] = rng.choice(ALARM_TEXTS)
    if rng.random() < 0.2:
        properties["weights"] = [round(rng.random(), 2) for _ in range(3)]
        properties["batchIds"] = [rng.randint(10**10, 10**11)]
        properties["checks"] = [rng.random() > 0.2 for _ in range(3)]
    return properties


def readings(rng: random.Random, count: int, days: float, equipment_count: int, now: datetime, prefix: str):
    items = []
    for number in range(count):
        at = now - timedelta(days=days * (count - number) / count)
        items.append(
            (
                at,
                {
                    "space": SPACE,
                    "externalId": f"{prefix}-{number:06d}",
                    "sources": [_source("Reading", _reading(rng, equipment_count, at))],
                },
            )
        )
    return items


def alarms(rng: random.Random, count: int, equipment_count: int, now: datetime):
    items = []
    for number in range(count):
        at = now - timedelta(days=30 * (count - number) / count)
        equipment_ref = {"space": SPACE, "externalId": f"eq-{rng.randint(1, equipment_count):03d}"}
        acknowledged = rng.random() < 0.6
        alarm = {
            "severity": rng.choices(SEVERITIES, weights=[40, 30, 20, 10])[0],
            "raisedAt": _iso(at),
            "message": rng.choice(ALARM_TEXTS),
            "equipment": equipment_ref,
            "acknowledged": acknowledged,
            "context": {"limit": rng.choice([80, 90, 100]), "unit": "degC"},
        }
        if acknowledged:
            alarm["ackedBy"] = rng.choice(["kari.nordmann", "ola.hansen", "ingrid.berg"])
        sources = [_source("Alarm", alarm)]
        # Half of the alarms carry the reading that raised them: records of two containers.
        if rng.random() < 0.5:
            reading = _reading(rng, equipment_count, at)
            reading["equipment"] = equipment_ref
            sources.append(_source("Reading", reading))
        items.append((at, {"space": SPACE, "externalId": f"alarm-{number:05d}", "sources": sources}))
    return items


def stream_records(stream_id: str, now: datetime | None = None) -> list[tuple[datetime, dict]]:
    """The demo records of a stream, oldest first, each with the moment it was (notionally) written."""
    now = now or datetime.now(UTC)
    rng = random.Random(f"streams-admin-demo-{stream_id}")
    equipment_count = 120
    builders = {
        "equipment": lambda: equipment(rng, equipment_count, now),
        "alarms": lambda: alarms(rng, 800, equipment_count, now),
        # Within the last 6 days: the stream's window (maxFilteringInterval) is 7 days.
        "sensor-readings": lambda: readings(rng, 3000, 6, equipment_count, now, "r"),
        "readings-archive": lambda: readings(rng, 1500, 60, equipment_count, now, "a"),
    }
    return sorted(builders[stream_id](), key=lambda pair: pair[0])
