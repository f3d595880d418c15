"""Record writes in pieces CDF accepts, and what became of each record.

CDF takes at most 1000 items and 10 MB per write request (records-api.md §7), and a write is not
transactional: some records can fail while the others are written (§5.5).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import CdfError

MAX_ITEMS = 1000
MAX_BYTES = 10 * 1024 * 1024
# `{"items":[` and `]}` around the items, which are separated by commas.
ENVELOPE_BYTES = len(b'{"items":[]}')


def item_size(item: dict) -> int:
    """The size of an item in a request body, serialized the way the client sends it."""
    return len(json.dumps(item, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())


def body_size(items: list[dict]) -> int:
    """The size of a request body holding `items`; ValueError when they cannot be sent as JSON."""
    body = {"items": items}
    return len(json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())


def chunk_items(
    items: list[dict], max_items: int = MAX_ITEMS, max_bytes: int = MAX_BYTES
) -> Iterator[list[dict]]:
    """Consecutive runs of `items` whose request bodies hold at most max_items items and max_bytes bytes.

    An item too large on its own goes alone, for CDF to refuse it with a message.
    """
    start = 0
    # Most runs of max_items fit: one encoding of the run says so, cheaper than one per item.
    while start < len(items):
        run = items[start : start + max_items]
        try:
            fits = body_size(run) <= max_bytes
        except ValueError:
            fits = False  # item by item, below, names the one that cannot be sent
        if not fits:
            yield from _chunks_by_size(items, start, max_items, max_bytes)
            return
        yield run
        start += len(run)


def _chunks_by_size(items: list[dict], start: int, max_items: int, max_bytes: int) -> Iterator[list[dict]]:
    chunk, size = [], ENVELOPE_BYTES
    for index in range(start, len(items)):
        item = items[index]
        try:
            added = item_size(item) + (1 if chunk else 0)
        except ValueError as error:
            raise ValueError(f"items[{index}] cannot be sent as JSON: {error}") from None
        if chunk and (len(chunk) == max_items or size + added > max_bytes):
            yield chunk
            chunk, size, added = [], ENVELOPE_BYTES, added - 1
        chunk.append(item)
        size += added
    if chunk:
        yield chunk


@dataclass(frozen=True)
class RecordOutcome:
    """What became of one record: `code` 200/202 when written, else CDF's code and message for it."""

    space: str
    external_id: str
    code: int | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.code in (200, 202)


@dataclass
class WriteResult:
    """The outcome of every record of a write, in the order given, the errors met on the way, and
    CDF's x-request-id of every call made (to quote in the audit log)."""

    outcomes: list[RecordOutcome] = field(default_factory=list)
    errors: list[CdfError] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(outcome.ok for outcome in self.outcomes)

    @property
    def succeeded(self) -> list[RecordOutcome]:
        return [outcome for outcome in self.outcomes if outcome.ok]

    @property
    def failed(self) -> list[RecordOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    def raise_for_errors(self) -> None:
        """Raise the first error met, for callers that treat any failure as the failure of the whole."""
        if self.errors:
            raise self.errors[0]

    def extend(self, other: "WriteResult") -> None:
        self.outcomes.extend(other.outcomes)
        self.errors.extend(other.errors)
        self.request_ids.extend(other.request_ids)
