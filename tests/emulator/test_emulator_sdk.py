"""The official Python SDK (cognite-sdk from PyPI) works against the emulator unchanged."""

import pytest
from cognite.client import ClientConfig, CogniteClient, global_config
from cognite.client.credentials import Token
from cognite.client.data_classes import filters
from cognite.client.data_classes.data_modeling import ContainerApply, ContainerProperty, SpaceApply
from cognite.client.data_classes.data_modeling.data_types import Enum, EnumValue, Float64, Text, Timestamp
from cognite.client.data_classes.data_modeling.records import (
    RecordContainerId,
    RecordId,
    RecordSource,
    RecordSourceSelector,
    RecordWrite,
)
from cognite.client.data_classes.data_modeling.streams import StreamTemplate, StreamWrite, StreamWriteSettings

from tests.conftest import TOKEN

global_config.disable_pypi_version_check = True
global_config.silence_feature_preview_warnings = True


@pytest.fixture
def client(live_server, transactional_db) -> CogniteClient:
    config = ClientConfig(
        client_name="streams-admin-tests",
        project="test",
        credentials=Token(TOKEN),
        base_url=f"{live_server.url}/emulator",
    )
    return CogniteClient(config)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sdk_round_trip(client):
    client.data_modeling.spaces.apply(SpaceApply("scada"))
    container = ContainerApply(
        space="scada",
        external_id="ScadaAlarm",
        used_for="record",
        properties={
            "severity": ContainerProperty(Enum({"LOW": EnumValue(), "HIGH": EnumValue()}), nullable=False),
            "value": ContainerProperty(Float64()),
            "raisedAt": ContainerProperty(Timestamp()),
            "note": ContainerProperty(Text()),
        },
    )
    (applied,) = client.data_modeling.containers.apply([container])
    assert applied.used_for == "record"
    assert set(applied.properties) == {"severity", "value", "raisedAt", "note"}

    stream = client.data_modeling.streams.create(
        StreamWrite("alarms-live", StreamWriteSettings(StreamTemplate("BasicLiveData")))
    )
    assert stream.external_id == "alarms-live" and stream.type == "Mutable"
    assert client.data_modeling.streams.retrieve("nope") is None

    source = RecordContainerId("scada", "ScadaAlarm")

    def write(external_id: str, severity: str, value: float) -> RecordWrite:
        properties = {"severity": severity, "value": value, "raisedAt": "2026-08-01T12:00:00Z"}
        return RecordWrite("scada", external_id, [RecordSource(source, properties)])

    client.data_modeling.records.ingest(
        [write(f"A-{n}", "HIGH", float(n)) for n in range(5)], stream_id="alarms-live"
    )

    found = client.data_modeling.records.filter(
        "alarms-live",
        filter=filters.Range(["scada", "ScadaAlarm", "value"], gte=3),
        sources=[RecordSourceSelector(source, ["*"])],
        limit=10,
    )
    assert sorted(r.external_id for r in found) == ["A-3", "A-4"]

    client.data_modeling.records.upsert([write("A-0", "LOW", 99.0)], stream_id="alarms-live")
    client.data_modeling.records.delete([RecordId("scada", "A-1")], stream_id="alarms-live")

    chunks = list(client.data_modeling.records.sync("alarms-live", initialize_cursor="1h-ago", chunk_size=2))
    latest = {r.external_id: r.status for chunk in chunks for r in chunk}
    assert latest == {
        "A-0": "updated",
        "A-1": "deleted",
        "A-2": "created",
        "A-3": "created",
        "A-4": "created",
    }
    assert len(chunks) == 3

    result = client.data_modeling.records.aggregate(
        {
            "bySeverity": {"uniqueValues": {"property": ["scada", "ScadaAlarm", "severity"]}},
            "total": {"count": {}},
        },
        stream_id="alarms-live",
    )
    assert result.dump()["aggregates"]["total"] == {"count": 4}
    buckets = result.dump()["aggregates"]["bySeverity"]["uniqueValueBuckets"]
    assert {(b["value"], b["count"]) for b in buckets} == {("HIGH", 3), ("LOW", 1)}

    client.data_modeling.streams.delete("alarms-live")
    assert client.data_modeling.streams.retrieve("alarms-live") is None
