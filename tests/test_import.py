"""Reading import files and turning rows into records, without HTTP: each format, bad rows and bad files."""

import io
import json

import pytest

from records import importing

ALARM = {
    "space": "plant",
    "externalId": "Alarm",
    "properties": {
        "severity": {"type": {"type": "enum", "values": {"LOW": {}, "HIGH": {}}}, "nullable": False},
        "raisedAt": {"type": {"type": "timestamp"}, "nullable": False},
        "message": {"type": {"type": "text"}},
        "count": {"type": {"type": "int32"}},
        "tags": {"type": {"type": "text", "list": True}},
        "acknowledged": {"type": {"type": "boolean"}, "defaultValue": False},
    },
}


def rows(data: bytes | str, kind: str) -> list[importing.Row]:
    binary = io.BytesIO(data.encode() if isinstance(data, str) else data)
    return list(importing.read_rows(binary, kind))


def plan(kind: str, columns: list[str], **mapping) -> importing.Plan:
    chosen = importing.auto_mapping(columns, [ALARM])
    chosen.update(mapping)
    result = importing.make_plan(chosen, [ALARM], kind, columns)
    assert result.valid, result.errors
    return result


CSV = 'externalId,severity,raisedAt,count,tags\na-1,HIGH,2026-08-01T12:00:00Z,3,"[""x""]"\n'


def test_csv_rows_are_read_as_text_by_header():
    [row] = rows(CSV, "csv")
    assert row.number == 1
    assert row.cells == {
        "externalId": "a-1",
        "severity": "HIGH",
        "raisedAt": "2026-08-01T12:00:00Z",
        "count": "3",
        "tags": '["x"]',
    }


def test_a_csv_row_becomes_the_record_with_typed_values():
    [row] = rows(CSV, "csv")
    record = importing.record_of(plan("csv", list(row.cells), space="plant"), row)
    assert record == {
        "space": "plant",
        "externalId": "a-1",
        "sources": [
            {
                "source": {"type": "container", "space": "plant", "externalId": "Alarm"},
                "properties": {
                    "severity": "HIGH",
                    "raisedAt": "2026-08-01T12:00:00.000Z",
                    "count": 3,
                    "tags": ["x"],
                },
            }
        ],
    }


def test_json_lines_and_json_arrays_give_the_same_rows():
    items = [{"externalId": f"a-{n}", "severity": "LOW", "count": n, "tags": ["t"]} for n in range(1, 4)]
    lines = "\n".join(json.dumps(item) for item in items) + "\n\n"
    assert [row.cells for row in rows(lines, "jsonl")] == items
    assert [row.cells for row in rows(json.dumps(items, indent=2), "json")] == items


def test_a_json_array_is_read_across_buffer_boundaries(monkeypatch):
    monkeypatch.setattr(importing, "READ_BYTES", 7)
    items = [{"externalId": f"a-{n}", "count": 12345 * n, "message": "é" * n} for n in range(1, 30)]
    assert [row.cells for row in rows(json.dumps(items), "json")] == items


def test_records_in_the_read_shape_are_flattened_to_property_columns():
    item = {"space": "plant", "externalId": "a", "properties": {"plant": {"Alarm": {"count": 2}}}}
    [row] = rows(json.dumps(item), "jsonl")
    assert row.cells == {"space": "plant", "externalId": "a", "plant.Alarm.count": 2}


def test_columns_are_matched_by_full_name_property_id_or_name():
    columns = ["ID", "Space", "plant.Alarm.severity", "raised_at", "Count", "unknown"]
    mapping = importing.auto_mapping(columns, [ALARM])
    assert mapping["id_column"] == "ID"
    assert mapping["space_column"] == "Space"
    assert mapping["columns"] == {
        "plant.Alarm.severity": "plant.Alarm.severity",
        "raised_at": "plant.Alarm.raisedAt",
        "Count": "plant.Alarm.count",
    }


def test_bad_rows_get_their_reason_and_good_rows_still_read():
    text = (
        "externalId,severity,raisedAt,count\n"
        "a-1,HIGH,2026-08-01T12:00:00Z,3\n"
        "a-2,HUGE,2026-08-01T12:00:00Z,3\n"
        "a-3,LOW,2026-08-01T12:00:00Z,three\n"
        "a-4,LOW,2026-08-01T12:00:00Z\n"
        ",LOW,2026-08-01T12:00:00Z,1\n"
        "a-6,LOW,,1\n"
    )
    read = rows(text, "csv")
    chosen = plan("csv", list(read[0].cells), space="plant")
    problems = {}
    for row in read:
        try:
            importing.record_of(chosen, row)
        except importing.RowInvalid as error:
            problems[row.number] = str(error)
    assert set(problems) == {2, 3, 4, 5, 6}
    assert "HUGE" in problems[2] and "enum" in problems[2]
    assert "three" in problems[3] and "whole number" in problems[3]
    assert problems[4] == "This row has 3 cells; the header has 4 columns."
    assert "needs an externalId" in problems[5]
    assert problems[6] == "plant.Alarm needs raisedAt, which the row leaves empty."


def test_json_values_of_the_wrong_type_are_invalid():
    line = {"externalId": "a", "severity": "LOW", "raisedAt": "2026-08-01T12:00:00Z", "count": "3"}
    [row] = rows(json.dumps(line), "jsonl")
    with pytest.raises(importing.RowInvalid, match="must be an integer"):
        importing.record_of(plan("jsonl", list(row.cells), space="plant"), row)


def test_json_lines_items_that_are_not_objects_are_invalid_rows():
    read = rows('{"externalId": "a"}\n[1, 2]\n{"externalId": \n', "jsonl")
    problems = [row.problem[:25] for row in read]
    assert problems == ["", "This item is [1, 2], not ", "This line is not JSON: Ex"]


def test_an_id_template_numbers_the_rows():
    read = rows("severity,raisedAt,message\nLOW,2026-08-01T12:00:00Z,pump\n", "csv")
    chosen = plan("csv", list(read[0].cells), space="plant", id_template="alarm-{message}-{row}")
    assert importing.record_of(chosen, read[0])["externalId"] == "alarm-pump-1"


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"", "csv", "The file holds no rows"),
        (b"externalId,severity\n", "csv", "The file holds no rows"),
        (b"externalId,severity\na,\xe9t\xe9\n", "csv", "not UTF-8 text: byte 23 (0xe9)"),
        (b"externalId;severity\na;LOW\n", "csv", "another separator than commas"),
        (b"id,id\n1,2\n", "csv", "names id more than once"),
        (b'[{"a": 1}, {"a": 2}', "json", "ends early, after 2 items"),
        (b'{"a": 1}', "json", "is not a JSON array"),
        (b'[{"a": 1}]', "jsonl", "is a JSON array, not JSON Lines"),
        (b"a,b\n1,2\n", "jsonl", "is not JSON Lines"),
        (b"\x89PNG\r\n\x1a\n", "csv", "not UTF-8 text"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused_with_a_reason(data, kind, message):
    with pytest.raises(importing.FileProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        rows(data, kind)


def test_a_mapping_must_name_the_space_and_the_id():
    problems = importing.make_plan({"columns": {"a": "plant.Alarm.nope"}}, [ALARM], "csv", ["a"]).errors
    assert problems == {
        "column:a": "There is no property plant.Alarm.nope in the record containers.",
        "columns": "Map at least one column to a container property.",
        "space": "Choose the space of the records, or the column that holds it.",
        "id": "Choose the column holding the externalId, or a template such as item-{row}.",
    }


def test_classification_compares_normalized_values_and_lists_the_changes():
    containers = {"plant.Alarm": ALARM}
    record = {
        "space": "plant",
        "externalId": "a",
        "sources": [
            {
                "source": {"type": "container", "space": "plant", "externalId": "Alarm"},
                "properties": {"severity": "HIGH", "raisedAt": "2026-08-01T14:00:00+02:00", "count": 4},
            }
        ],
    }
    # CDF stores a property's default value when a write leaves it out.
    stored = {
        "plant": {
            "Alarm": {
                "severity": "HIGH",
                "raisedAt": "2026-08-01T12:00:00.000Z",
                "count": 3,
                "acknowledged": False,
            }
        }
    }
    assert importing.classify(record, None, "upsert", containers)[0] == "create"
    kind, changes = importing.classify(record, {"properties": stored}, "upsert", containers)
    assert (kind, changes) == ("update", {"plant.Alarm": {"count": {"before": 3, "after": 4}}})
    same = {"plant": {"Alarm": {**stored["plant"]["Alarm"], "count": 4}}}
    assert importing.classify(record, {"properties": same}, "upsert", containers) == ("unchanged", {})
    with pytest.raises(importing.RowInvalid, match="ingest only creates records"):
        importing.classify(record, {"properties": stored}, "ingest", containers)
