"""The record browser's state, queries and keyset paging, without HTTP."""

import pytest
from django.http import QueryDict

from records.browse import browsing

NOW = 1_800_000_000_000
DAY = 86_400_000


def stream(immutable=False, interval="PT168H"):
    limits = {"maxRecordsTotal": {"provisioned": 1}, "maxGigaBytesTotal": {"provisioned": 1}}
    if immutable:
        limits["maxFilteringInterval"] = interval
    return {
        "externalId": "s",
        "type": "Immutable" if immutable else "Mutable",
        "settings": {"limits": limits, "lifecycle": {"retainedAfterSoftDelete": "P42D"}},
    }


def container(external_id, *properties, **types):
    props = {pid: {"type": {"type": "text"}} for pid in properties}
    props.update({pid: {"type": t} for pid, t in types.items()})
    return {"space": "plant", "externalId": external_id, "name": external_id, "properties": props}


CONTAINERS = [
    container("Alarm", "severity", "message", "ackedBy", "extra", context={"type": "json"}),
    container("Reading", "notes", samples={"type": "float64", "list": True}),
]


def parse(query, immutable=False):
    return browsing.parse_state(QueryDict(query), stream(immutable), CONTAINERS)


def test_durations():
    assert browsing.duration_ms("3h") == 3 * 3_600_000
    assert browsing.duration_ms("2w") == 14 * DAY
    assert browsing.format_duration(7 * DAY) == "7d"
    assert browsing.format_duration(90 * 60_000) == "90m"
    assert browsing.describe_duration("1d") == "1 day"
    assert browsing.iso_duration_ms("PT168H") == 7 * DAY
    assert browsing.iso_duration_ms("P365D") == 365 * DAY
    for bad in ("3", "h", "0h", "3x", "-1d", "1.5h"):
        with pytest.raises(browsing.InvalidDuration, match="not a duration"):
            browsing.duration_ms(bad)


def test_default_query_picks_first_columns_or_the_saved_choice():
    query = browsing.default_query(stream(), CONTAINERS)
    assert query.getlist("source") == ["plant.Alarm", "plant.Reading"]
    assert query.getlist("column") == [
        "plant.Alarm.severity",
        "plant.Alarm.message",
        "plant.Alarm.ackedBy",
        "plant.Reading.notes",
        "plant.Reading.samples",
    ]
    saved = {"sources": ["plant.Reading", "plant.Gone"], "columns": ["plant.Reading.notes", "plant.Gone.x"]}
    query = browsing.default_query(stream(), CONTAINERS, saved)
    assert query.getlist("source") == ["plant.Reading"]
    assert query.getlist("column") == ["plant.Reading.notes"]
    assert query["mode"] == "sync" and query["size"] == "50"


def test_state_round_trips_through_its_query():
    state = parse(
        "mode=sorted&source=plant.Alarm&column=plant.Alarm.message&column=plant.Alarm.severity"
        "&window=custom&window_custom=12h&sort=plant.Alarm.severity&dir=asc&sort=&dir=desc&size=20"
    )
    assert state.valid, state.errors
    # Columns come in the container's order, whatever the order of the query.
    assert [c.key for c in state.columns] == ["plant.Alarm.severity", "plant.Alarm.message"]
    assert state.sort == [("plant.Alarm.severity", "asc")]
    assert state.window_duration == "12h" and state.size == 20
    again = browsing.parse_state(state.query(), stream(), CONTAINERS)
    assert again.query().urlencode() == state.query().urlencode()
    assert not again.keyset_paging


def test_bad_input_is_reported_per_field_and_other_choices_kept():
    state = parse(
        "mode=sync&source=plant.Alarm&source=plant.Nope&column=plant.Alarm.nope&column=plant.Alarm.message"
        "&size=5000&start=custom&start_custom=3x"
    )
    assert "plant.Nope" in state.errors["source"]
    assert "plant.Alarm.nope" in state.errors["column"]
    assert "'5000'" in state.errors["size"] and state.values["size"] == "5000"
    assert "'3x'" in state.errors["start_custom"]
    assert state.sources == ["plant.Alarm"]
    assert [c.key for c in state.columns] == ["plant.Alarm.message"]
    assert "at least one" in parse("mode=sync&size=10").errors["source"]
    assert "1 to 1000" in parse("source=plant.Alarm&size=abc").errors["size"]
    assert parse("source=plant.Alarm&mode=weird").errors["mode"].startswith("Unknown mode")


def test_columns_of_an_unticked_container_are_dropped_quietly():
    state = parse("source=plant.Reading&column=plant.Alarm.message&column=plant.Reading.notes")
    assert state.valid
    assert [c.key for c in state.columns] == ["plant.Reading.notes"]


def test_immutable_window_is_clamped_by_default_and_a_wider_one_refused():
    state = parse("mode=sorted&source=plant.Alarm", immutable=True)
    assert state.valid and state.window == "7d"
    too_wide = parse("mode=sorted&source=plant.Alarm&window=30d", immutable=True)
    assert "wider than this stream allows" in too_wide.errors["window"]
    assert "7 days" in too_wide.errors["window"]
    custom = parse("mode=sorted&source=plant.Alarm&window=custom&window_custom=8d", immutable=True)
    assert "window" not in custom.errors and "8 days" in custom.errors["window_custom"]
    assert "immutable" in parse("mode=sorted&source=plant.Alarm&window=all", immutable=True).errors["window"]
    odd = browsing.parse_state(QueryDict("mode=sorted&source=plant.Alarm"), stream(True, "PT5H"), CONTAINERS)
    assert odd.valid and (odd.window, odd.window_custom) == ("custom", "5h")
    assert parse("mode=sorted&source=plant.Alarm").window == "all"


def test_sort_keys_are_checked():
    assert "not a sortable" in parse("mode=sorted&source=plant.Alarm&sort=plant.Alarm.context").errors["sort"]
    assert "not a sortable" in parse("mode=sorted&source=plant.Alarm&sort=plant.Reading.notes").errors["sort"]
    assert "direction" in parse("mode=sorted&source=plant.Alarm&sort=space&dir=up").errors["sort"]
    six = "&".join(f"sort={k}&dir=asc" for k in ["space", "externalId", "createdTime", "lastUpdatedTime"] * 2)
    assert "at most 5" in parse(f"mode=sorted&source=plant.Alarm&{six}").errors["sort"]
    options = dict(parse("mode=sorted&source=plant.Reading").sort_options())
    assert "plant.Reading.notes" in options and "plant.Reading.samples" not in options


def test_sync_query():
    state = parse("source=plant.Alarm&source=plant.Reading&column=plant.Alarm.message&start=7d&size=25")
    assert browsing.sync_query(state) == {
        "limit": 25,
        "initializeCursor": "7d-ago",
        "sources": [
            {
                "source": {"type": "container", "space": "plant", "externalId": "Alarm"},
                "properties": ["message"],
            },
            {"source": {"type": "container", "space": "plant", "externalId": "Reading"}, "properties": ["*"]},
        ],
    }
    next_page = browsing.sync_query(state, "abc")
    assert next_page["cursor"] == "abc" and "initializeCursor" not in next_page
    custom = parse("source=plant.Alarm&start=custom&start_custom=3h")
    assert browsing.sync_query(custom)["initializeCursor"] == "3h-ago"


def test_filter_query_bounds_the_window_on_both_sides():
    state = parse("mode=sorted&source=plant.Alarm&column=plant.Alarm.severity&size=10", immutable=True)
    query = browsing.filter_query(state, NOW)
    assert query["lastUpdatedTime"] == {"gte": NOW - 7 * DAY, "lte": NOW}
    assert query["sort"] == [
        {"property": ["lastUpdatedTime"], "direction": "descending"},
        {"property": ["externalId"], "direction": "descending"},
    ]
    assert query["limit"] == 11  # one more than a page, to tell whether there is a next page
    keyset = browsing.Keyset(NOW - DAY, frozenset({("plant", "a"), ("plant", "b")}))
    following = browsing.filter_query(state, NOW, keyset)
    assert following["lastUpdatedTime"] == {"gte": NOW - 7 * DAY, "lte": NOW - DAY}
    assert following["limit"] == 13
    mutable = parse("mode=sorted&source=plant.Alarm&window=all")
    assert "lastUpdatedTime" not in browsing.filter_query(mutable, NOW)
    assert browsing.filter_query(mutable, NOW, keyset)["lastUpdatedTime"] == {"gte": 0, "lte": NOW - DAY}


def item(external_id, updated):
    return {"space": "plant", "externalId": external_id, "createdTime": 0, "lastUpdatedTime": updated}


def test_keyset_paging_walks_ties_without_repeats_or_gaps():
    # Ten records, sorted as CDF sorts them (lastUpdatedTime desc, externalId desc), many sharing a time.
    records = sorted(
        [item(f"r{i}", 100 if i < 6 else 50) for i in range(10)],
        key=lambda r: (r["lastUpdatedTime"], r["externalId"]),
        reverse=True,
    )
    state = parse("mode=sorted&source=plant.Alarm&size=4&window=all")

    def answer(query):
        high = query.get("lastUpdatedTime", {}).get("lte", 10**15)
        return [r for r in records if r["lastUpdatedTime"] <= high][: query["limit"]]

    seen_ids, keyset, pages = [], None, 0
    while True:
        query = browsing.filter_query(state, NOW, keyset)
        page, keyset = browsing.sorted_page(answer(query), state, query["limit"], keyset)
        seen_ids += [r["externalId"] for r in page]
        pages += 1
        if keyset is None:
            break
        assert pages < 10
    assert seen_ids == [r["externalId"] for r in records]
    assert pages == 3


def test_keyset_link_round_trip_and_tampering():
    keyset = browsing.Keyset(123, frozenset({("plant", "a:b"), ("plant", "c")}))
    assert browsing.parse_keyset(keyset.query()) == keyset
    assert browsing.parse_keyset(QueryDict("")) is None
    for bad in ("before=x", "before=-5", "before=1&seen=nocolon", "before=1&seen=:x"):
        with pytest.raises(ValueError):
            browsing.parse_keyset(QueryDict(bad))


def test_count_query_follows_the_mode_and_is_clamped_on_immutable_streams():
    sync = parse("source=plant.Alarm&start=30d", immutable=True)
    query, window = browsing.count_query(sync, NOW)
    assert query == {
        "aggregates": {"count": {"count": {}}},
        "lastUpdatedTime": {"gte": NOW - 7 * DAY, "lte": NOW},
    }
    assert window == "7d"
    every = parse("mode=sorted&source=plant.Alarm&window=all")
    assert browsing.count_query(every, NOW) == ({"aggregates": {"count": {"count": {}}}}, None)


def test_record_query():
    query = browsing.record_query("plant", "eq-1", stream(True), CONTAINERS, NOW)
    assert query["filter"] == {
        "and": [
            {"equals": {"property": ["space"], "value": "plant"}},
            {"equals": {"property": ["externalId"], "value": "eq-1"}},
        ]
    }
    assert query["limit"] == 2
    assert [s["properties"] for s in query["sources"]] == [["*"], ["*"]]
    assert query["lastUpdatedTime"] == {"gte": NOW - 7 * DAY, "lte": NOW}
    many = [container(f"C{i}", "x") for i in range(12)]
    mutable = browsing.record_query("plant", "eq-1", stream(), many, NOW)
    assert len(mutable["sources"]) == 10 and "lastUpdatedTime" not in mutable


def test_display_value_is_typed():
    assert browsing.display_value("2026-01-01T00:00:00.000Z", {"type": "timestamp"})["kind"] == "timestamp"
    assert browsing.display_value({"space": "s", "externalId": "x"}, {"type": "direct"}) == {
        "kind": "direct",
        "text": "s:x",
    }
    shown = browsing.display_value({"a": [1]}, {"type": "json"})
    assert shown["kind"] == "json" and shown["text"] == '{\n  "a": [\n    1\n  ]\n}'
    assert shown["compact"] == '{"a": [1]}'
    listed = browsing.display_value([True, False], {"type": "boolean", "list": True})
    assert [v["text"] for v in listed["items"]] == ["true", "false"]
    assert browsing.display_value(None, {"type": "text"})["kind"] == "empty"
    unit = browsing.display_value(1.5, {"type": "float64", "unit": {"externalId": "pressure:bar"}})
    assert (unit["text"], unit["unit"]) == ("1.5", "pressure:bar")


def test_record_groups_follow_the_container_order():
    record = {"properties": {"plant": {"Alarm": {"message": "hi", "severity": "LOW", "unknown": 1}}}}
    [group] = browsing.record_groups(record, CONTAINERS)
    assert group["name"] == "Alarm"
    assert [p["id"] for p in group["properties"]] == ["severity", "message", "unknown"]
    assert group["properties"][0]["type"] == "text"


def test_values_render_escaped_html_of_every_kind():
    from records.web.presentation import value_html

    assert (
        value_html({"kind": "list", "items": []})
        == '<ul class="value-list"><li class="muted">(empty list)</li></ul>'
    )
    assert value_html({"kind": "list", "items": [{"kind": "text", "text": "<b>"}]}) == (
        '<ul class="value-list"><li>&lt;b&gt;</li></ul>'
    )
    assert value_html({"kind": "text", "text": "5", "unit": "temperature:deg_c"}) == (
        '5 <small class="muted">temperature:deg_c</small>'
    )
    assert value_html(
        {"kind": "json", "text": '{\n  "a": "<"\n}', "compact": '{"a": "<"}'}, compact=False
    ) == ("<pre>{\n  &quot;a&quot;: &quot;&lt;&quot;\n}</pre>")
    assert "no value" in value_html({"kind": "empty", "text": ""})
    assert value_html({"kind": "timestamp", "text": "2026-01-01T00:00:00.000Z"}).startswith(
        '<time datetime="2026'
    )


def test_rows_escape_every_value():
    from records.browse.views import _row

    columns = [("s", "C", "note", {"type": "text", "list": False})]
    item = {
        "space": "s",
        "externalId": '<img src=x onerror="alert(1)">',
        "createdTime": 0,
        "lastUpdatedTime": 0,
        "status": '"><script>',
        "properties": {"s": {"C": {"note": "<script>alert(1)</script>"}}},
    }
    html = _row("/streams/x/records", columns, item)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/streams/x/records/s/%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E"' in html


def test_first_visit_shows_the_containers_the_stream_holds_data_for():
    containers = [{"space": "s", "externalId": f"C{n}", "properties": {}} for n in range(12)]
    immutable = {"settings": {"limits": {"maxFilteringInterval": "PT168H"}}}
    query = browsing.has_data_query(immutable, containers, now_ms=1_000_000_000_000)
    assert list(query["aggregates"]) == ["containers0", "containers10"]
    first = query["aggregates"]["containers0"]["filters"]["filters"]
    assert len(first) == 10 and first[3] == {
        "hasData": [{"type": "container", "space": "s", "externalId": "C3"}]
    }
    assert query["lastUpdatedTime"] == {"gte": 1_000_000_000_000 - 168 * 3_600_000, "lte": 1_000_000_000_000}
    assert "lastUpdatedTime" not in browsing.has_data_query({"settings": {"limits": {}}}, containers, 0)

    counts = [0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    answer = {
        "aggregates": {
            "containers0": {"filterBuckets": [{"count": c} for c in counts[:10]]},
            "containers10": {"filterBuckets": [{"count": c} for c in counts[10:]]},
        }
    }
    assert [c["externalId"] for c in browsing.containers_with_data(answer, containers)] == ["C1", "C11"]
