"""The record browser without HTTP: its state in the query string, the CDF queries it makes, keyset
paging of the filter endpoint, and the typed display of record values.

The query string is the state (so a view can be bookmarked and shared):
    mode=sync|sorted, filter=<the CDF filter JSON, compact; see query/builder.py for the builder's fields>,
    source=<space>.<container> (repeated, at most 10),
    column=<space>.<container>.<property> (repeated), size=1..1000,
    sync: start=1h|1d|7d|30d|custom, start_custom=<n><unit>, scroll=1;
    sorted: window=1h|1d|7d|30d|all|custom, window_custom=<n><unit>, sort=<key> + dir=asc|desc (paired, 5).
Paging adds cursor=... (sync) or before=<ms> + seen=<space>:<externalId> (sorted), and shown=<n>.
Ids never contain a dot (records-api.md §1.5), so dotted names are unambiguous.
"""

import json
import re
from dataclasses import dataclass, field

from django.http import QueryDict

from cdftypes.values import parse_json

from ..query import builder, filter_json, filter_tree, validation
from ..query.filter_json import to_filter, to_param
from ..query.filter_tree import EMPTY as EMPTY_FILTER
from ..web.presentation import ISO_DURATION_RE

# Where a next-page link starts; not part of a view's state.
PAGING_PARAMETERS = ("cursor", "before", "seen", "shown")
MAX_SOURCES = 10  # sources selectors per read request (records-api.md §6.2)
READ_IDS = 500  # ids per read of whole records: two records each fill the 1000 items of an answer
MAX_SORTS = 5
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
DEFAULT_COLUMNS_PER_CONTAINER = 3
STREAM_ID_RE = re.compile(r"^[a-z]([a-z0-9_-]{0,98}[a-z0-9])?$")

UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
UNIT_NAMES = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
DURATION_RE = re.compile(r"^([1-9][0-9]{0,5})(m|h|d|w)$")
PRESETS = ["1h", "1d", "7d", "30d"]
DEFAULT_START = "30d"
DEFAULT_WINDOW = "30d"  # clamped to maxFilteringInterval on immutable streams
ALL_TIME = "all"
CUSTOM = "custom"
TOP_LEVEL_SORTS = ["lastUpdatedTime", "createdTime", "externalId", "space"]
DEFAULT_SORT = [("lastUpdatedTime", "desc"), ("externalId", "desc")]
DIRECTIONS = {"asc": "ascending", "desc": "descending"}
# List and JSON properties cannot be sorted on.
UNSORTABLE_TYPES = {"json"}


class InvalidDuration(ValueError):
    pass


def duration_ms(text: str) -> int:
    """ "3h" -> 10 800 000. Units m, h, d, w; InvalidDuration otherwise."""
    match = DURATION_RE.match(text.strip())
    if not match:
        raise InvalidDuration(
            f"{text!r} is not a duration: write a whole number and a unit, m, h, d or w "
            "(for example 3h or 2d)"
        )
    return int(match.group(1)) * UNIT_MS[match.group(2)]


def format_duration(ms: int) -> str:
    """The duration text of whole minutes in the largest unit up to days: 604 800 000 -> "7d"."""
    for unit in ("d", "h", "m"):
        if ms % UNIT_MS[unit] == 0:
            return f"{ms // UNIT_MS[unit]}{unit}"
    return f"{max(ms // UNIT_MS['m'], 1)}m"


def describe_duration(text: str) -> str:
    """ "7d" -> "7 days"."""
    match = DURATION_RE.match(text)
    if not match:
        return text
    amount, unit = int(match.group(1)), UNIT_NAMES[match.group(2)]
    return f"{amount} {unit}{'s' if amount != 1 else ''}"


def iso_duration_ms(text: str | None) -> int | None:
    """Stream settings durations ("PT168H", "P42D"); a month counts 30 days and a year 365, as CDF's do."""
    match = ISO_DURATION_RE.match(text or "")
    if not match or text in ("P", "PT"):
        return None
    years, months, weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total_days = years * 365 + months * 30 + weeks * 7 + days
    return ((total_days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000


def max_window_ms(stream: dict) -> int | None:
    """The widest lastUpdatedTime window a query of the stream may span (None: no limit)."""
    return iso_duration_ms(stream["settings"]["limits"].get("maxFilteringInterval"))


def container_ref(container: dict) -> str:
    return f"{container['space']}.{container['externalId']}"


@dataclass(frozen=True)
class Column:
    container: str  # "space.externalId"
    property: str
    type: dict
    label: str

    @property
    def key(self) -> str:
        return f"{self.container}.{self.property}"

    @property
    def path(self) -> list[str]:
        space, external_id = self.container.split(".")
        return [space, external_id, self.property]


def container_columns(container: dict) -> list[Column]:
    ref = container_ref(container)
    return [
        Column(ref, pid, spec["type"], spec.get("name") or pid)
        for pid, spec in container["properties"].items()
    ]


def default_choice(containers: list[dict], saved: dict | None = None) -> dict:
    """The sources and columns of a first visit: the saved choice (minus what no longer exists), or
    the first containers with their first few properties."""
    known = {container_ref(c): c for c in containers}
    if saved:
        sources = [ref for ref in saved.get("sources", []) if ref in known][:MAX_SOURCES]
        all_columns = {col.key for ref in sources for col in container_columns(known[ref])}
        columns = [key for key in saved.get("columns", []) if key in all_columns]
        if sources:
            return {"sources": sources, "columns": columns}
    chosen = containers[:MAX_SOURCES]
    return {
        "sources": [container_ref(c) for c in chosen],
        "columns": [col.key for c in chosen for col in container_columns(c)[:DEFAULT_COLUMNS_PER_CONTAINER]],
    }


# A filters aggregate takes at most 10 filters, and a request at most 30 filter buckets.
FILTERS_PER_AGGREGATE = 10
MAX_FILTER_BUCKETS = 30


def has_data_query(stream: dict, containers: list[dict], now_ms: int) -> dict:
    """An aggregate that counts the stream's records holding data for each container (the first 30)."""
    refs = [
        {"type": "container", "space": c["space"], "externalId": c["externalId"]}
        for c in containers[:MAX_FILTER_BUCKETS]
    ]
    aggregates = {
        f"containers{start}": {
            "filters": {
                "filters": [{"hasData": [ref]} for ref in refs[start : start + FILTERS_PER_AGGREGATE]]
            }
        }
        for start in range(0, len(refs), FILTERS_PER_AGGREGATE)
    }
    query = {"aggregates": aggregates}
    width = max_window_ms(stream)
    if width:
        query["lastUpdatedTime"] = time_window(width, now_ms)
    return query


def containers_with_data(answer: dict, containers: list[dict]) -> list[dict]:
    """The containers the has_data_query answer found records for, in their order."""
    counts = []
    for start in range(0, min(len(containers), MAX_FILTER_BUCKETS), FILTERS_PER_AGGREGATE):
        counts += [bucket["count"] for bucket in answer["aggregates"][f"containers{start}"]["filterBuckets"]]
    return [container for container, count in zip(containers, counts, strict=False) if count]


def default_query(stream: dict, containers: list[dict], saved: dict | None = None) -> QueryDict:
    """The query string of the default view of a stream."""
    choice = default_choice(containers, saved)
    query = QueryDict(mutable=True)
    query["mode"] = "sync"
    query.setlist("source", choice["sources"])
    query.setlist("column", choice["columns"])
    query["start"] = DEFAULT_START
    query["size"] = str(DEFAULT_PAGE_SIZE)
    return query


@dataclass
class BrowserState:
    """What the user chose, checked against the stream and its containers. `errors` maps a form field
    to a message; `values` keeps what the user typed so the form can show it back."""

    stream: dict
    containers: list[dict]
    mode: str = "sync"
    sources: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    start: str = DEFAULT_START
    start_custom: str = ""
    window: str = ALL_TIME
    window_custom: str = ""
    sort: list[tuple[str, str]] = field(default_factory=lambda: list(DEFAULT_SORT))
    size: int = DEFAULT_PAGE_SIZE
    scroll: bool = False
    tree: filter_tree.Node = filter_tree.EMPTY
    # Messages by path of the filter's nodes (validation.validate's, or the API's).
    filter_errors: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def immutable(self) -> bool:
        return self.stream["type"] == "Immutable"

    @property
    def start_duration(self) -> str:
        return self.start_custom if self.start == CUSTOM else self.start

    @property
    def window_duration(self) -> str | None:
        """The window as a duration text, None for all time."""
        if self.window == ALL_TIME:
            return None
        return self.window_custom if self.window == CUSTOM else self.window

    @property
    def keyset_paging(self) -> bool:
        """Whether sorted mode can page: only when the newest records come first (records-api.md §13)."""
        return self.sort[0] == ("lastUpdatedTime", "desc")

    def query(self) -> QueryDict:
        """The canonical query string of this state (paging parameters excluded)."""
        query = QueryDict(mutable=True)
        query["mode"] = self.mode
        if self.tree != EMPTY_FILTER:
            query["filter"] = to_param(self.tree)
        query.setlist("source", self.sources)
        query.setlist("column", [c.key for c in self.columns])
        query["size"] = str(self.size)
        if self.mode == "sync":
            query["start"] = self.start
            if self.start == CUSTOM:
                query["start_custom"] = self.start_custom
            if self.scroll:
                query["scroll"] = "1"
        else:
            query["window"] = self.window
            if self.window == CUSTOM:
                query["window_custom"] = self.window_custom
            query.setlist("sort", [key for key, _ in self.sort])
            query.setlist("dir", [direction for _, direction in self.sort])
        return query

    def sort_options(self) -> list[tuple[str, str]]:
        """(key, label) of every property the sort can use, given the chosen sources."""
        options = [(key, key) for key in TOP_LEVEL_SORTS]
        known = {container_ref(c): c for c in self.containers}
        for ref in self.sources:
            for column in container_columns(known[ref]):
                if not column.type.get("list") and column.type["type"] not in UNSORTABLE_TYPES:
                    options.append((column.key, f"{known[ref].get('name') or ref} · {column.label}"))
        return options


def parse_state(params, stream: dict, containers: list[dict]) -> BrowserState:
    """The state of a query string (a QueryDict), every problem recorded against its form field."""
    state = BrowserState(stream=stream, containers=containers)
    errors = state.errors
    values = state.values
    known = {container_ref(c): c for c in containers}

    state.mode = params.get("mode", "sync")
    if state.mode not in ("sync", "sorted"):
        errors["mode"] = f"Unknown mode {state.mode!r}: choose change feed (sync) or sorted."
        state.mode = "sync"

    sources = list(dict.fromkeys(params.getlist("source")))
    unknown = [ref for ref in sources if ref not in known]
    if unknown:
        errors["source"] = f"Unknown record container {', '.join(unknown)}: it is not in this CDF project."
    state.sources = [ref for ref in sources if ref in known]
    if not sources and containers:
        errors["source"] = "Choose at least one container."
    elif len(state.sources) > MAX_SOURCES:
        errors["source"] = (
            f"Choose at most {MAX_SOURCES} containers (the API's limit); you chose {len(sources)}."
        )
    # Columns of a container that is not chosen are dropped: the user unticked the container.
    by_key = {col.key: col for ref in state.sources for col in container_columns(known[ref])}
    wanted = list(dict.fromkeys(params.getlist("column")))
    bad = [
        key
        for key in wanted
        if key not in by_key
        and (key.rsplit(".", 1)[0] not in known or key.rsplit(".", 1)[0] in state.sources)
    ]
    if bad:
        errors["column"] = f"Unknown property {', '.join(bad)}: the container has no such property."
    # Grouped by container, in the containers' own order, for the table's grouped headers.
    state.columns = [column for key, column in by_key.items() if key in wanted]

    values["size"] = params.get("size", str(DEFAULT_PAGE_SIZE))
    try:
        state.size = int(values["size"])
    except ValueError:
        state.size = 0
    if not 1 <= state.size <= MAX_PAGE_SIZE:
        errors["size"] = (
            f"Page size must be a whole number from 1 to {MAX_PAGE_SIZE}, not {values['size']!r}."
        )
        state.size = DEFAULT_PAGE_SIZE

    limit = max_window_ms(stream)
    state.start = params.get("start", DEFAULT_START)
    state.start_custom = params.get("start_custom", "").strip()
    state.scroll = params.get("scroll") == "1"
    if state.start not in [*PRESETS, CUSTOM]:
        errors["start"] = (
            f"Unknown start {state.start!r}: choose one of the listed starts or a custom duration."
        )
        state.start = DEFAULT_START
    if state.start == CUSTOM and state.mode == "sync":
        try:
            duration_ms(state.start_custom)
        except InvalidDuration as error:
            errors["start_custom"] = f"Custom start: {error}."

    # The default window of an immutable stream is clamped to what the stream allows.
    default_window = format_duration(min(limit, duration_ms(DEFAULT_WINDOW))) if limit else ALL_TIME
    default_custom = ""
    if default_window not in [*PRESETS, ALL_TIME]:
        default_window, default_custom = CUSTOM, default_window
    state.window = params.get("window", default_window)
    state.window_custom = params.get("window_custom", default_custom).strip()
    if state.window not in [*PRESETS, ALL_TIME, CUSTOM]:
        errors["window"] = f"Unknown window {state.window!r}: choose one of the listed windows."
        state.window = default_window
    if state.mode == "sorted":
        _check_window(state, limit)
        _parse_sort(state, params)
    _parse_filter(state, params)
    return state


FILTER_NEEDS_FIXING = "Some conditions of the filter need fixing: see the messages next to them."


def _parse_filter(state: BrowserState, params) -> None:
    """The filter of the builder's fields (a submitted form) or of the `filter` parameter (a link),
    checked before anything is sent."""
    values = state.values
    values["filter"] = params.get("filter", "")
    try:
        if builder.in_form(params):
            state.tree = builder.read_form(params, state.containers)
        else:
            state.tree = filter_json.from_param(values["filter"], state.containers)
    except filter_tree.FilterError as error:
        state.errors["filter"] = str(error)
        return
    state.filter_errors = validation.validate(state.tree, state.containers)
    if state.filter_errors:
        state.errors["filter"] = FILTER_NEEDS_FIXING


def refuse_filter(state: BrowserState, path: str, message: str) -> None:
    """Record the API's refusal of the filter next to the node it concerns."""
    state.filter_errors.setdefault(path, []).append(message)
    state.errors["filter"] = FILTER_NEEDS_FIXING


def _check_window(state: BrowserState, limit: int | None) -> None:
    field_name = "window_custom" if state.window == CUSTOM else "window"
    text = state.window_duration
    if text is None:
        if limit is not None:
            state.errors["window"] = (
                "This stream is immutable: every query needs a time window no wider than "
                f"{describe_duration(format_duration(limit))} (its maxFilteringInterval)."
            )
        return
    try:
        width = duration_ms(text)
    except InvalidDuration as error:
        state.errors[field_name] = f"Custom window: {error}."
        return
    if limit is not None and width > limit:
        state.errors[field_name] = (
            f"The window of {describe_duration(text)} is wider than this stream allows: queries of an "
            f"immutable stream may span at most {describe_duration(format_duration(limit))} "
            "(its maxFilteringInterval). Choose a shorter window."
        )


def _parse_sort(state: BrowserState, params) -> None:
    keys = params.getlist("sort")
    if not keys:
        return
    directions = params.getlist("dir")
    allowed = {key for key, _ in state.sort_options()}
    sort = []
    for position, key in enumerate(keys):
        if not key:
            continue
        direction = directions[position] if position < len(directions) else "asc"
        if key not in allowed:
            state.errors["sort"] = (
                f"Sort key {position + 1}: {key!r} is not a sortable property of the chosen containers."
            )
        elif direction not in DIRECTIONS:
            state.errors["sort"] = (
                f"Sort key {position + 1}: direction must be asc or desc, not {direction!r}."
            )
        else:
            sort.append((key, direction))
    if len(sort) > MAX_SORTS:
        state.errors["sort"] = f"Sort by at most {MAX_SORTS} keys; you gave {len(sort)}."
    if sort and "sort" not in state.errors:
        state.sort = sort


# --- queries -----------------------------------------------------------------------------


def sources_selector(state: BrowserState) -> list[dict]:
    """The sources of a read: each chosen container with its shown properties (all if none is shown)."""
    selectors = []
    for ref in state.sources:
        space, external_id = ref.split(".")
        properties = [c.property for c in state.columns if c.container == ref]
        selectors.append(
            {
                "source": {"type": "container", "space": space, "externalId": external_id},
                "properties": properties or ["*"],
            }
        )
    return selectors


def sync_query(state: BrowserState, cursor: str | None = None) -> dict:
    query = {"limit": state.size}
    if cursor:
        query["cursor"] = cursor
    else:
        query["initializeCursor"] = f"{state.start_duration}-ago"
    _add_filter(query, state)
    if state.sources:
        query["sources"] = sources_selector(state)
    return query


def _add_filter(body: dict, state: BrowserState) -> None:
    data = to_filter(state.tree)
    if data is not None:
        body["filter"] = data


def time_window(width_ms: int, now_ms: int, before: int | None = None) -> dict:
    """Both bounds, so the width CDF checks is exactly the one asked for (its clock may run ahead)."""
    high = now_ms if before is None else min(before, now_ms)
    return {"gte": now_ms - width_ms, "lte": high}


@dataclass(frozen=True)
class Keyset:
    """Where the next page of the sorted mode starts: at or before `before` (epoch ms), without the
    records already shown that carry exactly that timestamp."""

    before: int
    seen: frozenset[tuple[str, str]]

    def query(self) -> QueryDict:
        query = QueryDict(mutable=True)
        query["before"] = str(self.before)
        query.setlist("seen", sorted(f"{space}:{external_id}" for space, external_id in self.seen))
        return query


def parse_keyset(params) -> Keyset | None:
    """The keyset of a next-page link; ValueError if it was tampered with."""
    if "before" not in params:
        return None
    before = int(params["before"])
    if before < 0:
        raise ValueError("before must be epoch milliseconds")
    seen = set()
    for item in params.getlist("seen"):
        space, sep, external_id = item.partition(":")
        if not sep or not space or not external_id:
            raise ValueError(f"seen must be space:externalId, not {item!r}")
        seen.add((space, external_id))
    return Keyset(before, frozenset(seen))


def filter_query(state: BrowserState, now_ms: int, keyset: Keyset | None = None) -> dict:
    """A page of the sorted mode. Asking for the seen records too keeps a page full after they are
    dropped (they come first among the records of the boundary timestamp); one more tells whether
    there is a next page."""
    seen = len(keyset.seen) if keyset else 0
    query = {
        "sort": [
            {"property": key.split("."), "direction": DIRECTIONS[direction]} for key, direction in state.sort
        ],
        "limit": min(state.size + seen + 1, MAX_PAGE_SIZE),
    }
    window = state.window_duration
    if window is not None:
        query["lastUpdatedTime"] = time_window(duration_ms(window), now_ms, keyset and keyset.before)
    elif keyset:
        query["lastUpdatedTime"] = {"gte": 0, "lte": keyset.before}
    _add_filter(query, state)
    if state.sources:
        query["sources"] = sources_selector(state)
    return query


def sorted_page(items: list[dict], state: BrowserState, requested: int, keyset: Keyset | None):
    """(rows of this page, the keyset of the next page or None at the end) from a filter answer to a
    request for `requested` records. When the API's limit capped the request, a full answer may or may
    not have more after it."""
    capped_and_full = requested == MAX_PAGE_SIZE and len(items) == requested
    if keyset:
        items = [item for item in items if not _seen(item, keyset)]
    page = items[: state.size]
    more = len(items) > state.size or capped_and_full
    if not (more and page and state.keyset_paging):
        return page, None
    last = page[-1]["lastUpdatedTime"]
    seen = {(item["space"], item["externalId"]) for item in page if item["lastUpdatedTime"] == last}
    if keyset and keyset.before == last:
        seen |= keyset.seen
    return page, Keyset(last, frozenset(seen))


def _seen(item: dict, keyset: Keyset) -> bool:
    return item["lastUpdatedTime"] == keyset.before and (item["space"], item["externalId"]) in keyset.seen


def count_query(state: BrowserState, now_ms: int) -> tuple[dict, str | None]:
    """The aggregate body counting the records of the current window, and that window as text (None:
    all records). In the change feed the window is "since the start point", clamped on immutable
    streams to what they allow."""
    text = state.start_duration if state.mode == "sync" else state.window_duration
    query = {"aggregates": {"count": {"count": {}}}}
    _add_filter(query, state)
    if text is None:
        return query, None
    width = duration_ms(text)
    limit = max_window_ms(state.stream)
    if limit is not None and width > limit:
        width, text = limit, format_duration(limit)
    query["lastUpdatedTime"] = time_window(width, now_ms)
    return query, text


def record_query(space: str, external_id: str, stream: dict, containers: list[dict], now_ms: int) -> dict:
    """The filter that fetches one record with all its properties (records-api.md §13)."""
    return records_query(space, [external_id], stream, containers, now_ms)


def records_query(
    space: str, external_ids: list[str], stream: dict, containers: list[dict], now_ms: int
) -> dict:
    """The filter that fetches the records with these ids (at most READ_IDS) with all their properties:
    up to two per id, as an immutable stream may hold several records with one id; over the widest
    window it allows. One id is matched with `equals`, which reads best in the record page's curl."""
    if len(external_ids) == 1:
        named = {"equals": {"property": ["externalId"], "value": external_ids[0]}}
        id_filter = {"and": [{"equals": {"property": ["space"], "value": space}}, named]}
    else:
        id_filter = filter_json.ids_filter(space, external_ids)
    body = {"filter": id_filter, "limit": 2 * len(external_ids)}
    if containers:
        body["sources"] = [
            {
                "source": {"type": "container", "space": c["space"], "externalId": c["externalId"]},
                "properties": ["*"],
            }
            for c in containers[:MAX_SOURCES]
        ]
    limit = max_window_ms(stream)
    if limit is not None:
        body["lastUpdatedTime"] = time_window(limit, now_ms)
    return body


def add_container_values(record: dict, item: dict) -> None:
    """Add to a record the values of the same record read with other containers named."""
    for space, by_container in (item.get("properties") or {}).items():
        record.setdefault("properties", {}).setdefault(space, {}).update(by_container)


# --- showing values ----------------------------------------------------------------------


def display_value(value, prop_type: dict | None, *, in_list: bool = False) -> dict:
    """How a property value is shown: {"kind": ..., "text": ...}, or {"kind": "list", "items": [...]}.
    Kinds: empty, text, timestamp, json, direct. Never marked safe: templates escape the text."""
    prop_type = prop_type or {}
    if value is None:
        return {"kind": "empty", "text": ""}
    if isinstance(value, list) and (prop_type.get("list") or not prop_type) and not in_list:
        return {"kind": "list", "items": [display_value(v, prop_type, in_list=True) for v in value]}
    kind = prop_type.get("type")
    if kind == "timestamp" and isinstance(value, str):
        return {"kind": "timestamp", "text": value}
    if kind == "direct" and isinstance(value, dict) and {"space", "externalId"} <= value.keys():
        return {"kind": "direct", "text": f"{value['space']}:{value['externalId']}"}
    if isinstance(value, bool):
        return {"kind": "text", "text": "true" if value else "false"}
    if kind == "json" or isinstance(value, dict | list):
        return {
            "kind": "json",
            "text": json.dumps(value, indent=2, ensure_ascii=False),
            "compact": json.dumps(value, ensure_ascii=False),
        }
    unit = (prop_type.get("unit") or {}).get("externalId")
    return {"kind": "text", "text": str(value), "unit": unit}


def record_groups(record: dict, containers: list[dict]) -> list[dict]:
    """Every property of a record grouped by container, in the container's order, typed for display."""
    known = {(c["space"], c["externalId"]): c for c in containers}
    groups = []
    for space, by_container in record.get("properties", {}).items():
        for external_id, values in by_container.items():
            definition = known.get((space, external_id), {"properties": {}})
            order = [pid for pid in definition["properties"] if pid in values]
            order += [pid for pid in values if pid not in definition["properties"]]
            groups.append(
                {
                    "space": space,
                    "externalId": external_id,
                    "name": definition.get("name") or external_id,
                    "properties": [
                        {
                            "id": pid,
                            "type": _type_label(definition["properties"].get(pid, {}).get("type")),
                            "value": display_value(
                                values[pid], definition["properties"].get(pid, {}).get("type")
                            ),
                        }
                        for pid in order
                    ],
                }
            )
    return groups


def _type_label(prop_type: dict | None) -> str:
    if not prop_type:
        return ""
    return f"{prop_type['type']}[]" if prop_type.get("list") else prop_type["type"]


def with_selection(params, records: list[tuple[str, str]]) -> QueryDict:
    """A view's query string narrowed to some of its records ((space, externalId) pairs): its filter,
    and those ids."""
    by_space: dict[str, list[str]] = {}
    for space, external_id in records:
        by_space.setdefault(space, []).append(external_id)
    selection = {"or": [filter_json.ids_filter(space, ids) for space, ids in by_space.items()]}
    narrowed = params.copy()
    try:
        current = parse_json(params["filter"]) if params.get("filter") else None
    except ValueError:
        return params  # parse_state says what is wrong with the view's filter
    narrowed["filter"] = json.dumps({"and": [current, selection]} if current else selection)
    return narrowed
