"""Reading import files and turning rows into records, without HTTP: each format, bad rows and bad files."""

import io
import json
import time
import tracemalloc

import pytest

from cdftypes.values import TOO_DEEP, UNSTORABLE
from records.bulk import importing

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


def read_file(path, kind: str) -> list[importing.Row]:
    with path.open("rb") as binary:
        return list(importing.read_rows(binary, kind))


@pytest.mark.parametrize(
    ("kind", "head", "endless", "message"),
    [
        ("csv", b"externalId,message\n", b"x" * 1000, "Line 2 is longer than 1024 KB"),
        ("csv", b'externalId,message\na,"', b"x" * 1000 + b"\n", "The row starting on line 2 is longer"),
        ("csv", b"", b"x" * 1000, "Line 1 is longer than 1024 KB"),
        (
            "jsonl",
            b'{"externalId": "a"}\n\n{"message": "',
            b"x" * 1000,
            "Line 3 is longer than 1024 KB",
        ),
        (
            "json",
            b'[{"externalId": "a"}, {"message": "',
            b"x" * 1000,
            "Item 2 of the JSON array is longer",
        ),
        ("json", b"[[", b"1, " * 100, "Item 1 of the JSON array is longer than 1024 KB"),
    ],
)
def test_security_a_long_line_is_refused_at_once_without_being_held(tmp_path, kind, head, endless, message):
    """Security: a row that never ends (a 32 MB line, CSV row or JSON array item) is refused as soon
    as it passes IMPORT_MAX_LINE_KILOBYTES, naming its line, in linear time and bounded memory."""
    path = tmp_path / f"long.{kind}"
    with path.open("wb") as out:
        out.write(head)
        for _ in range(32 * 1024 * 1024 // len(endless)):
            out.write(endless)
    started = time.monotonic()
    with pytest.raises(importing.FileProblem, match=message):
        read_file(path, kind)
    assert time.monotonic() - started < 2
    tracemalloc.start()
    try:
        with pytest.raises(importing.FileProblem, match=message):
            read_file(path, kind)
        assert tracemalloc.get_traced_memory()[1] < 16 * 1024 * 1024
    finally:
        tracemalloc.stop()


def test_the_longest_row_is_a_setting(settings):
    settings.IMPORT_MAX_LINE_KILOBYTES = 1
    line = json.dumps({"externalId": "a", "message": "x" * 900})
    assert len(line) < 1024 and rows(line + "\n", "jsonl")[0].cells["message"] == "x" * 900
    with pytest.raises(importing.FileProblem, match="Line 2 is longer than 1 KB"):
        rows(line + "\n" + line.replace("x", "xx"), "jsonl")


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def payload_row(cell: str) -> tuple[importing.Plan, importing.Row]:
    """A CSV row with `cell` in a column of a json property, and its plan."""
    container = {**ALARM, "properties": {**ALARM["properties"], "payload": {"type": {"type": "json"}}}}
    cell = '"' + cell.replace('"', '""') + '"'
    [row] = rows(f"externalId,severity,raisedAt,payload\na,LOW,2026-08-01T12:00:00Z,{cell}\n", "csv")
    mapping = {**importing.auto_mapping(list(row.cells), [container]), "space": "plant"}
    return importing.make_plan(mapping, [container], "csv", list(row.cells)), row


@pytest.mark.parametrize("depth", [101, 500, 100_000])
def test_security_json_nested_too_deep_is_refused_with_a_reason(depth):
    """Security: JSON nested deeper than the import takes (past Python's recursion at about 1000
    levels, and at 500 for the checks that follow) is a bad row or file, never an exception."""
    item = f'{{"externalId": "a", "message": {nested(depth)}}}'
    [good, bad] = rows('{"externalId": "z"}\n' + item + "\n", "jsonl")
    assert not good.problem
    assert bad.problem == f"This line is not usable JSON: {TOO_DEEP}."
    array = f'[{{"externalId": "z"}}, {item}]'
    if depth < 900:
        assert rows(array, "json")[1].problem == f"This item is not usable JSON: {TOO_DEEP}."
    else:
        refusal = f"Item 2 of the JSON array is not usable JSON: {TOO_DEEP}"
        with pytest.raises(importing.FileProblem, match=refusal):
            rows(array, "json")
    with pytest.raises(importing.RowInvalid, match=rf"payload, json\) is not valid JSON: {TOO_DEEP}"):
        importing.record_of(*payload_row(nested(depth)))
    assert importing.record_of(*payload_row(nested(50)))["sources"][0]["properties"]["payload"]


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"externalId,mess\x00age\na,b\n", "csv", "Line 1 holds a NUL character"),
        (b"externalId,message\na,b\nc,d\x00\n", "csv", "Line 3 holds a NUL character"),
        (b'{"externalId": "a"}\n{"externalId": "b\x00"}\n', "jsonl", "Line 2 holds a NUL character"),
        (
            "externalId\na\n".encode("utf-16-le"),
            "csv",
            "Line 1 holds a NUL character, which text does not: the file may be UTF-16",
        ),
    ],
)
def test_security_nul_characters_in_the_text_refuse_the_file(data, kind, message):
    """Security: a NUL character (which PostgreSQL refuses in text) refuses the file, naming its line."""
    with pytest.raises(importing.FileProblem, match=message):
        rows(data, kind)


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\uDFFF"])
def test_security_json_escapes_of_what_cannot_be_stored_make_the_row_invalid(escape):
    """Security: a JSON escape of NUL or of an unpaired surrogate, in a value or a key, makes the row
    invalid with its reason, and nothing of it is kept (PostgreSQL refuses both)."""
    lines = [
        '{"externalId": "ok", "message": "\\ud83d\\ude00 \\u00e9"}',
        f'{{"externalId": "a", "message": "x{escape}"}}',
        f'{{"externalId": "b", "tags": [{{"x{escape}": 1}}]}}',
    ]
    read = rows("\n".join(lines), "jsonl")
    assert read[0].cells["message"] == "\U0001f600 é"
    reasons = [f"is not usable JSON: {UNSTORABLE} at {place}." for place in ("message", "tags[0]")]
    assert [(row.cells, row.problem) for row in read[1:]] == [({}, f"This line {r}") for r in reasons]
    array = rows("[" + ", ".join(lines) + "]", "json")
    assert [(row.cells, row.problem) for row in array[1:]] == [({}, f"This item {r}") for r in reasons]
    with pytest.raises(importing.RowInvalid, match=r"Column payload \(payload, json\) .*NUL"):
        importing.record_of(*payload_row(f'{{"k": "{escape}"}}'))


def test_a_row_with_a_column_the_first_rows_lack_is_invalid_naming_it():
    """Data loss: a key first met after the rows the mapping was made from is never dropped silently."""
    lines = [{"externalId": f"a-{n}", "severity": "LOW"} for n in range(3)]
    lines.append({"externalId": "a-3", "severity": "LOW", "plant.Alarm.message": "late"})
    for kind, data in (("jsonl", "\n".join(map(json.dumps, lines))), ("json", json.dumps(lines))):
        read = rows(data, kind)
        columns, _ = importing.sample_columns(iter(read), limit=3)
        chosen = importing.make_plan(
            {**importing.auto_mapping(columns, [ALARM]), "space": "plant"}, [ALARM], kind, columns
        )
        with pytest.raises(importing.RowInvalid, match=r"a column plant\.Alarm\.message, which the file"):
            importing.record_of(chosen, read[3])
    read = rows("externalId,severity\na,LOW\nb,LOW,late\n", "csv")
    assert read[1].problem == "This row has 3 cells; the header has 2 columns."


def test_security_white_space_between_json_array_items_is_skipped_at_once(tmp_path):
    """Security: 32 MB of white space between two items of a JSON array is skipped in well under 2 s."""
    path = tmp_path / "spaced.json"
    with path.open("wb") as out:
        out.write(b'[{"a": 1}')
        for _ in range(32 * 1024):
            out.write(b" \n" * 512)
        out.write(b', {"b": 2}]')
    started = time.monotonic()
    assert [row.cells for row in read_file(path, "json")] == [{"a": 1}, {"b": 2}]
    assert time.monotonic() - started < 2
