"""Exports without HTTP: every record of a browser view read through the change feed, written as CSV
or JSON Lines with the view's columns. Values are written as the import reads them: a CSV cell as
`schema.format_text` gives it, a JSON value as CDF stores it, so an export imports back unchanged.

A spreadsheet runs a CSV cell that starts with = + - @ (or a tab or carriage return) as a formula,
which a record value could use to run commands on a colleague's machine (CSV injection). Such a cell
is written with an apostrophe in front, as spreadsheets mark text, and the import takes it off."""

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator

from .. import schema
from ..browse import browsing
from ..cdf import CdfClient

FORMATS = {
    "csv": ("CSV", "text/csv; charset=utf-8"),
    "jsonl": ("JSON Lines", "application/x-ndjson; charset=utf-8"),
}
PAGE_SIZE = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def pages(client: CdfClient, stream_id: str, state: browsing.BrowserState) -> Iterator[list[dict]]:
    """The records of the view, a sync page at a time; deleted records (tombstones) left out."""
    for records, _ in cursor_pages(client, stream_id, state):
        yield records


def cursor_pages(
    client: CdfClient, stream_id: str, state: browsing.BrowserState, cursor: str | None = None
) -> Iterator[tuple[list[dict], str | None]]:
    """(records, the cursor of what follows them; None at the end), from `cursor` on."""
    while True:
        query = {**browsing.sync_query(state, cursor), "limit": PAGE_SIZE}
        answer = client.sync_records(stream_id, query)
        cursor = answer.get("nextCursor") if answer.get("hasNext") else None
        yield [item for item in answer["items"] if item.get("status") != "deleted"], cursor
        if not cursor:
            return


def export_columns(state: browsing.BrowserState) -> list[browsing.Column]:
    """The view's columns; a chosen container without chosen columns gives all of its properties."""
    known = {browsing.container_ref(c): c for c in state.containers}
    shown = {column.container for column in state.columns}
    columns = list(state.columns)
    for ref in state.sources:
        if ref not in shown:
            columns += browsing.container_columns(known[ref])
    return columns


def header(columns: list[browsing.Column]) -> list[str]:
    return ["space", "externalId", *(column.key for column in columns)]


def row_values(record: dict, columns: list[browsing.Column]) -> dict:
    """{column key: value} of the record's values for the columns it has."""
    values = {}
    for column in columns:
        space, container, prop = column.path
        value = record.get("properties", {}).get(space, {}).get(container, {}).get(prop)
        if value is not None:
            values[column.key] = value
    return values


def write(kind: str, columns: list[browsing.Column], record_pages: Iterable[list[dict]]) -> Iterator[str]:
    """The export file, a page of records at a time."""
    yield head(kind, columns)
    for page in record_pages:
        yield page_text(kind, columns, page)


def head(kind: str, columns: list[browsing.Column]) -> str:
    """What the file starts with: the CSV header (JSON Lines have none)."""
    return csv_line(header(columns)) if kind == "csv" else ""


def page_text(kind: str, columns: list[browsing.Column], page: list[dict]) -> str:
    out = io.StringIO()
    for record in page:
        values = row_values(record, columns)
        if kind == "csv":
            cells = [record["space"], record["externalId"]]
            cells += [
                schema.format_text(column.type, values[column.key]) if column.key in values else ""
                for column in columns
            ]
            out.write(csv_line(cells))
        else:
            line = {"space": record["space"], "externalId": record["externalId"], **values}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return out.getvalue()


def csv_line(cells) -> str:
    """One CSV line, with the cells that a spreadsheet would run as formulas made text."""
    out = io.StringIO()
    csv.writer(out).writerow([formula_safe(str(cell)) for cell in cells])
    return out.getvalue()


def formula_safe(text: str) -> str:
    """The cell with an apostrophe in front when it would start a formula (a negative number does
    not). Text that already starts with apostrophes before such a start gets one more, so that
    `from_formula_safe` gives back exactly what was written."""
    return "'" + text if _starts_formula(text) else text


def from_formula_safe(cell: str) -> str:
    """The text of a cell `formula_safe` wrote (any other cell as it is)."""
    return cell[1:] if cell.startswith("'") and _starts_formula(cell) else cell


def _starts_formula(text: str) -> bool:
    bare = text.lstrip("'")
    return bare.startswith(FORMULA_STARTS) and not PLAIN_NUMBER_RE.fullmatch(bare)
