"""Import files without HTTP: reading CSV, JSON Lines and JSON arrays row by row (a file is streamed,
never loaded whole), mapping columns to container properties, turning a row into the record CDF takes,
and classifying it against the live record as create / update / unchanged / invalid.

Values go through the shared rules: a CSV cell through `schema.parse_text`, a JSON value through
`cdftypes.values.normalize_value`; exports write what these read back (see exporting.py).
"""

import codecs
import csv
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from cdftypes.values import TOO_DEEP, InvalidValue, normalize_value, short, unusable_json

from .. import schema
from ..browse.browsing import container_columns, container_ref
from .exporting import from_formula_safe

FORMATS = {"csv": "CSV", "jsonl": "JSON Lines", "json": "JSON array"}
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
ID_COLUMNS = ("externalid", "external_id", "id")
SPACE_COLUMNS = ("space",)
PREVIEW_ROWS = 10
READ_BYTES = 64 * 1024
TEMPLATE_RE = re.compile(r"\{(row|[^{}]+)\}")
# A CSV cell can be as large as a record value may be.
csv.field_size_limit(10 * 1024 * 1024)


class FileProblem(ValueError):
    """The file as a whole cannot be read: the message says why, for the user."""


@dataclass
class Row:
    """One data row: its 1-based number, its cells by column (text for CSV, JSON values otherwise),
    or the reason it could not be read."""

    number: int
    cells: dict
    problem: str = ""


def detect_format(file_name: str, head: bytes) -> str:
    """The format by the file's extension, else by its first character."""
    for extension, kind in EXTENSIONS.items():
        if file_name.lower().endswith(extension):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    return "csv"


def text_chunks(binary) -> Iterator[str]:
    """The file's text in pieces, decoded as UTF-8 (a byte order mark is dropped); FileProblem with
    the position of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset = 0
    while True:
        data = binary.read(READ_BYTES)
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise FileProblem(
                f"The file is not UTF-8 text: byte {offset + error.start + 1} (0x{data[error.start]:02x}) "
                "cannot be read. Save it as UTF-8 (in Excel: CSV UTF-8) and upload it again."
            ) from None
        offset += len(data)
        if text:
            yield text
        if not data:
            return


class _Lines:
    """The text's lines (each with its newline), read in linear time however long they are. FileProblem
    for a NUL character, or as soon as a row grows longer than `limit` characters (before it is held
    whole), naming the line it starts on; a CSV row may span lines, so its reader says where rows start."""

    def __init__(self, chunks: Iterator[str], limit: int):
        self.chunks = chunks
        self.limit = limit
        self.number = 0  # lines read
        self.row_start = 1  # the line the row being read starts on
        self.row_chars = 0

    def start_row(self) -> None:
        self.row_start, self.row_chars = self.number + 1, 0

    def _grow(self, chars: int) -> None:
        self.row_chars += chars
        if self.row_chars > self.limit:
            where = f"Line {self.row_start}"
            if self.number >= self.row_start:
                where = f"The row starting on line {self.row_start}"
            raise too_long(where, self.limit)

    def __iter__(self) -> Iterator[str]:
        pending: list[str] = []  # the start of a line that goes on in the next chunk
        for chunk in self.chunks:
            nul = chunk.find("\x00")
            if nul != -1:
                line = self.number + 1 + chunk.count("\n", 0, nul)
                raise FileProblem(
                    f"Line {line} holds a NUL character, which text does not: the file may be UTF-16 or "
                    "binary. Save it as UTF-8 text and upload it again."
                )
            start = 0
            while end := chunk.find("\n", start) + 1:
                self._grow(end - start)
                line = chunk[start:end]
                if pending:
                    line, pending = "".join(pending) + line, []
                self.number += 1
                yield line
                start = end
            if start < len(chunk):
                self._grow(len(chunk) - start)
                pending.append(chunk[start:])
        if pending:
            self.number += 1
            yield "".join(pending)


def too_long(where: str, limit: int) -> FileProblem:
    return FileProblem(
        f"{where} is longer than {limit // 1024} KB, the most a row of an import may be "
        "(IMPORT_MAX_LINE_KILOBYTES)."
    )


def max_row_chars() -> int:
    return settings.IMPORT_MAX_LINE_KILOBYTES * 1024


def read_rows(binary, kind: str) -> Iterator[Row]:
    """Every data row of an open binary file, read as it goes. FileProblem for a file that is not
    what it claims to be (or empty); a row that cannot be read comes with its problem."""
    readers = {"csv": _csv_rows, "jsonl": _jsonl_rows, "json": _json_array_rows}
    empty = True
    for row in readers[kind](text_chunks(binary), max_row_chars()):
        empty = False
        yield row
    if empty:
        raise FileProblem(f"The file holds no rows: it is empty or has only a {FORMATS[kind]} header.")


def _csv_rows(chunks: Iterator[str], limit: int) -> Iterator[Row]:
    lines = _Lines(chunks, limit)
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise FileProblem(f"The first line is not a CSV header: {error}.") from None
    if not header or not any(cell.strip() for cell in header):
        return
    header = [from_formula_safe(cell.strip()) for cell in header]
    duplicated = sorted({cell for cell in header if header.count(cell) > 1 and cell})
    if duplicated:
        raise FileProblem(f"The CSV header names {', '.join(duplicated)} more than once.")
    if len(header) == 1 and ("\t" in header[0] or ";" in header[0]):
        raise FileProblem(
            "The CSV header has a single column: the file seems to use another separator than commas. "
            "Save it as comma-separated values."
        )
    number = 0
    while True:
        lines.start_row()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            yield Row(number, {}, f"This row is not valid CSV: {error}.")
            continue
        if not cells:
            continue  # a blank line
        number += 1
        if len(cells) != len(header):
            yield Row(
                number,
                dict(zip(header, map(from_formula_safe, cells), strict=False)),
                f"This row has {len(cells)} cells; the header has {len(header)} columns.",
            )
            continue
        # Cells an export made safe from spreadsheets' formulas are read as they were.
        yield Row(number, dict(zip(header, map(from_formula_safe, cells), strict=True)))


def _jsonl_rows(chunks: Iterator[str], limit: int) -> Iterator[Row]:
    number = 0
    lines = _Lines(chunks, limit)
    for line in lines:
        lines.start_row()
        if not line.strip():
            continue
        number += 1
        if number == 1 and line.lstrip().startswith("["):
            raise FileProblem("The file is a JSON array, not JSON Lines: choose the JSON array format.")
        try:
            value = json.loads(line)
        except RecursionError:
            yield Row(number, {}, f"This line is not usable JSON: {TOO_DEEP}.")
            continue
        except ValueError as error:
            if number == 1:
                raise FileProblem(
                    f"The file is not JSON Lines: its first line is not JSON ({error})."
                ) from None
            yield Row(number, {}, f"This line is not JSON: {error}.")
            continue
        yield _object_row(number, value, "line", line)


_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _json_array_rows(chunks: Iterator[str], limit: int) -> Iterator[Row]:
    """The items of a top-level JSON array, decoded one at a time from a sliding buffer."""
    decoder = json.JSONDecoder()
    buffer, position, number = "", 0, 0
    exhausted = False

    def fill(until: int = 0) -> None:
        """Read at least one more piece, and on until the buffer holds `until` characters from
        `position` (or the file ends)."""
        nonlocal buffer, position, exhausted
        pieces, size = [], len(buffer) - position
        while not pieces or size < until:
            piece = next(chunks, None)
            if piece is None:
                exhausted = True
                break
            pieces.append(piece)
            size += len(piece)
        if pieces:
            buffer = buffer[position:] + "".join(pieces)
            position = 0

    def skip_space() -> str:
        """The next character that is not white space ("" at the end of the file)."""
        nonlocal position
        while True:
            position = _JSON_SPACE.match(buffer, position).end()
            if position < len(buffer):
                return buffer[position]
            if exhausted:
                return ""
            fill()

    first = skip_space()
    if first == "":
        return
    if first != "[":
        raise FileProblem(f"The file is not a JSON array: it starts with {short(buffer[position:][:20])}.")
    position += 1
    expect_item = True
    while True:
        char = skip_space()
        if char == "":
            raise FileProblem(f"The JSON array ends early, after {number} items: the file is cut short.")
        if char == "]" and (number == 0 or not expect_item):
            return
        if not expect_item:
            if char != ",":
                raise FileProblem(f"After item {number} of the JSON array comes {short(char)}, not a comma.")
            position += 1
            expect_item = True
            continue
        item = f"Item {number + 1} of the JSON array"
        while True:
            try:
                value, end = decoder.raw_decode(buffer, position)
                # A number at the end of the buffer may go on in the next piece.
                done = end < len(buffer) or exhausted
            except RecursionError:
                raise FileProblem(f"{item} is not usable JSON: {TOO_DEEP}.") from None
            except ValueError as error:
                if exhausted or not _cut_short(error, len(buffer)):
                    raise FileProblem(f"{item} is not valid JSON: {error}.") from None
                done = False
            if done and end - position <= limit:
                break
            if len(buffer) - position > limit:
                raise too_long(item, limit)
            # Twice as much before decoding the item again, so that a long item costs linear time.
            fill(2 * (len(buffer) - position))
        start, position = position, end
        number += 1
        expect_item = False
        yield _object_row(number, value, "item", buffer[start:end])


def _cut_short(error: ValueError, length: int) -> bool:
    """Whether decoding failed only where the buffer ends (the item may go on after it)."""
    if not isinstance(error, json.JSONDecodeError):
        return False  # e.g. a number of too many digits
    return error.msg.startswith("Unterminated string") or error.pos >= length - len("-Infinity")


def _object_row(number: int, value, what: str, text: str) -> Row:
    """The row of a JSON value read from `text`, or why it is not one."""
    reason = unusable_json(value, text)
    if reason:
        return Row(number, {}, f"This {what} is not usable JSON: {reason}.")
    if not isinstance(value, dict):
        return Row(number, {}, f"This item is {short(value)}, not a JSON object.")
    return Row(number, flatten(value))


def flatten(item: dict) -> dict:
    """A record in CDF's read shape ({"space", "externalId", "properties": {space: {container: {...}}}})
    as flat columns "space.container.property"; any other object as it is."""
    properties = item.get("properties")
    if not isinstance(properties, dict) or "externalId" not in item:
        return item
    flat = {key: value for key, value in item.items() if key != "properties"}
    for space, containers in properties.items():
        for container, values in (containers or {}).items():
            for prop, value in (values or {}).items():
                flat[f"{space}.{container}.{prop}"] = value
    return flat


# --- mapping ---------------------------------------------------------------------------------


def _simple(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name).lower()


@dataclass
class Target:
    """A container property a column is written to."""

    container: str  # "space.externalId"
    property: str
    type: dict
    spec: dict

    @property
    def key(self) -> str:
        return f"{self.container}.{self.property}"

    def where(self, column: str) -> str:
        """How messages name a value of this target read from `column`."""
        return f"column {column} ({self.property}, {schema.type_label(self.type)})"


def targets(containers: list[dict]) -> dict[str, Target]:
    """Every property a column can be mapped to, by "space.container.property"."""
    found = {}
    for container in containers:
        for column in container_columns(container):
            spec = container["properties"][column.property]
            found[column.key] = Target(container_ref(container), column.property, column.type, spec)
    return found


def auto_mapping(columns: list[str], containers: list[dict]) -> dict:
    """The mapping guessed from the column names: a full "space.container.property" name, else a
    property id or name found in exactly one container; "space" and "externalId" columns as such."""
    known = targets(containers)
    by_simple: dict[str, list[str]] = {}
    for key, target in known.items():
        names = {_simple(target.property), _simple(target.spec.get("name") or target.property)}
        for name in names:
            by_simple.setdefault(name, []).append(key)
    mapping = {"columns": {}, "space": "", "space_column": "", "id_column": "", "id_template": ""}
    for column in columns:
        simple = _simple(column)
        if not mapping["id_column"] and simple in [_simple(name) for name in ID_COLUMNS]:
            mapping["id_column"] = column
        elif not mapping["space_column"] and simple in SPACE_COLUMNS:
            mapping["space_column"] = column
        elif column in known:
            mapping["columns"][column] = column
        elif len(by_simple.get(simple, [])) == 1:
            mapping["columns"][column] = by_simple[simple][0]
    return mapping


def sample_columns(rows: Iterator[Row], limit: int = 200) -> tuple[list[str], list[Row]]:
    """The columns seen in the first rows (in order of appearance) and those rows. A later row with
    another column is refused by `record_of`, naming it (reading every row here would hold the upload
    for minutes on a large file of short rows)."""
    columns, sample = {}, []
    for row in rows:
        sample.append(row)
        columns.update(dict.fromkeys(row.cells))
        if len(sample) >= limit:
            break
    return list(columns), sample


class RowInvalid(ValueError):
    """A row that cannot become a record; the message says why, for the user."""


@dataclass
class Plan:
    """How rows become records: the mapping checked against the containers, and the write mode."""

    mapping: dict
    targets: dict[str, Target]  # column -> target
    containers: dict[str, dict]  # "space.externalId" -> container
    kind: str  # csv, jsonl, json
    columns: frozenset  # of the file's first rows, as read at its upload
    errors: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    @functools.cached_property
    def wheres(self) -> dict[str, str]:
        return {column: target.where(column) for column, target in self.targets.items()}

    @functools.cached_property
    def required(self) -> dict[str, list[str]]:
        """The properties each container needs a value for (not nullable, no default)."""
        return {ref: required_properties(container) for ref, container in self.containers.items()}


def required_properties(container: dict) -> list[str]:
    return [
        pid
        for pid, spec in container["properties"].items()
        if not spec.get("nullable", True) and spec.get("defaultValue") is None
    ]


def make_plan(mapping: dict, containers: list[dict], kind: str, columns: list[str]) -> Plan:
    """The plan of a mapping, with a message per form field for what cannot work."""
    known = targets(containers)
    plan = Plan(mapping, {}, {container_ref(c): c for c in containers}, kind, frozenset(columns))
    for column, key in mapping.get("columns", {}).items():
        if not key:
            continue
        if key not in known:
            plan.errors[f"column:{column}"] = f"There is no property {key} in the record containers."
        else:
            plan.targets[column] = known[key]
    used = [target.key for target in plan.targets.values()]
    twice = sorted({key for key in used if used.count(key) > 1})
    if twice:
        plan.errors["columns"] = f"Two columns are mapped to {', '.join(twice)}; map each property once."
    if not plan.targets:
        plan.errors["columns"] = "Map at least one column to a container property."
    if not mapping.get("space") and not mapping.get("space_column"):
        plan.errors["space"] = "Choose the space of the records, or the column that holds it."
    if mapping.get("space_column") and mapping["space_column"] not in columns:
        plan.errors["space"] = f"There is no column {mapping['space_column']} in the file."
    if mapping.get("id_column"):
        if mapping["id_column"] not in columns:
            plan.errors["id"] = f"There is no column {mapping['id_column']} in the file."
    elif mapping.get("id_template"):
        names = TEMPLATE_RE.findall(mapping["id_template"])
        unknown = [name for name in names if name != "row" and name not in columns]
        if unknown:
            plan.errors["id"] = f"The id template names {', '.join(unknown)}: the file has no such column."
        elif not names:
            plan.errors["id"] = "The id template must contain {row} or a {column}, or all records get one id."
    else:
        plan.errors["id"] = "Choose the column holding the externalId, or a template such as item-{row}."
    return plan


def record_of(plan: Plan, row: Row) -> dict:
    """The record to write for a row ({"space", "externalId", "sources"}); RowInvalid says why not."""
    if row.problem:
        raise RowInvalid(row.problem)
    if not row.cells.keys() <= plan.columns:
        unknown = next(key for key in row.cells if key not in plan.columns)
        raise RowInvalid(
            f"The row has a column {unknown}, which the file's first rows (whose columns are mapped) do "
            "not have. Download the invalid rows and import them as a file of their own to map it."
        )
    space = _text_cell(row, plan.mapping.get("space_column")) or plan.mapping.get("space", "")
    if not space:
        raise RowInvalid(f"The {plan.mapping.get('space_column')} column is empty: the record needs a space.")
    if plan.mapping.get("id_column"):
        external_id = _text_cell(row, plan.mapping["id_column"])
        if not external_id:
            raise RowInvalid(
                f"The {plan.mapping['id_column']} column is empty: a record needs an externalId."
            )
    else:
        external_id = TEMPLATE_RE.sub(
            lambda m: str(row.number) if m.group(1) == "row" else _text_cell(row, m.group(1)),
            plan.mapping["id_template"],
        )
    if len(external_id) > 256:
        raise RowInvalid(f"The externalId {short(external_id)} is longer than 256 characters.")
    sources: dict[str, dict] = {}
    for column, target in plan.targets.items():
        value = row.cells.get(column)
        if value is None or (value == "" and (plan.kind == "csv" or target.type["type"] != "text")):
            continue  # absent: no value for the property
        where = plan.wheres[column]
        try:
            if plan.kind == "csv":
                value = schema.parse_text(target.type, value, where)
            value = normalize_value(target.type, value, where)
        except InvalidValue as error:
            raise RowInvalid(str(error).rstrip(".") + ".") from None
        sources.setdefault(target.container, {})[target.property] = value
    if not sources:
        raise RowInvalid("The row has no value for any mapped property.")
    for ref, values in sources.items():
        missing = [pid for pid in plan.required[ref] if pid not in values]
        if missing:
            raise RowInvalid(f"{ref} needs {', '.join(missing)}, which the row leaves empty.")
    return {
        "space": space,
        "externalId": external_id,
        "sources": [
            {"source": source_ref(ref), "properties": values} for ref, values in sorted(sources.items())
        ],
    }


def _text_cell(row: Row, column: str | None) -> str:
    if not column:
        return ""
    value = row.cells.get(column)
    return "" if value is None else str(value).strip()


def source_ref(ref: str) -> dict:
    space, external_id = ref.split(".")
    return {"type": "container", "space": space, "externalId": external_id}


# --- classification ------------------------------------------------------------------------------


def stored_properties(record: dict) -> dict:
    """A write item's (or a read record's) values as {"space.container": {property: value}}."""
    if "sources" in record:
        return {
            f"{s['source']['space']}.{s['source']['externalId']}": dict(s["properties"])
            for s in record["sources"]
        }
    return {
        f"{space}.{container}": dict(values)
        for space, containers in record.get("properties", {}).items()
        for container, values in containers.items()
    }


def diff(before: dict, after: dict, containers: dict[str, dict]) -> dict:
    """{"space.container": {property: {"before", "after"}}} for every value that differs; an upsert
    replaces the whole record, so values the new record lacks are changes too."""
    changes = {}
    for ref in sorted(set(before) | set(after)):
        old, new = before.get(ref, {}), after.get(ref, {})
        props = containers.get(ref, {}).get("properties", {})
        for prop in sorted(set(old) | set(new)):
            if _same(props.get(prop), old.get(prop), new.get(prop)):
                continue
            change = {}
            if prop in old and old[prop] is not None:
                change["before"] = old[prop]
            if prop in new and new[prop] is not None:
                change["after"] = new[prop]
            changes.setdefault(ref, {})[prop] = change
    return changes


def _same(spec: dict | None, old, new) -> bool:
    if old is None or new is None or spec is None:
        return old == new
    try:
        return normalize_value(spec["type"], old, "") == normalize_value(spec["type"], new, "")
    except InvalidValue:
        return old == new


def with_defaults(values: dict, containers: dict[str, dict]) -> dict:
    """The values as CDF stores them: a property left out takes its container's default value."""
    completed = {}
    for ref, props in values.items():
        defaults = {
            pid: spec["defaultValue"]
            for pid, spec in containers.get(ref, {}).get("properties", {}).items()
            if spec.get("defaultValue") is not None
        }
        completed[ref] = {**defaults, **props}
    return completed


def classify(record: dict, existing: dict | None, mode: str, containers: dict[str, dict]) -> tuple[str, dict]:
    """("create" | "update" | "unchanged", changes) of writing `record` where `existing` (read shape)
    is what CDF holds; RowInvalid when the mode cannot write it."""
    if existing is None:
        return "create", {}
    after = with_defaults(stored_properties(record), containers)
    changes = diff(stored_properties(existing), after, containers)
    if not changes:
        return "unchanged", {}
    if mode == "ingest":
        raise RowInvalid(
            f"A record {record['space']}:{record['externalId']} already exists with other values; "
            "ingest only creates records (choose upsert to replace it)."
        )
    return "update", changes
