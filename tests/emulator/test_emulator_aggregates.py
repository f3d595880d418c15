"""The aggregate evaluator: results of every aggregate kind, moving functions, and request checks."""

import pytest

from emulator.aggregates import referenced_properties, run_aggregates
from emulator.errors import ApiError
from emulator.schema import Schema
from emulator.values import timestamp_to_ms

SPACE, CONTAINER = "scada", "ScadaAlarm"


def prop_def(kind: str, is_list: bool = False) -> dict:
    return {"type": {"type": kind, "list": is_list}, "nullable": True, "defaultValue": None}


SCHEMA = Schema(
    {
        (SPACE, CONTAINER): {
            "space": SPACE,
            "externalId": CONTAINER,
            "usedFor": "record",
            "properties": {
                "severity": prop_def("text"),
                "raisedAt": prop_def("timestamp"),
                "value": prop_def("float64"),
                "level": prop_def("int32"),
                "readings": prop_def("float64", is_list=True),
                "tags": prop_def("text", is_list=True),
                "day": prop_def("date"),
                "asset": prop_def("direct"),
                "active": prop_def("boolean"),
                "payload": prop_def("json"),
            },
        },
        (SPACE, "Node"): {"space": SPACE, "externalId": "Node", "usedFor": "node", "properties": {}},
    }
)


def p(name: str) -> list[str]:
    return [SPACE, CONTAINER, name]


def record(external_id: str, space: str = SPACE, created: int = 1_000, **values) -> dict:
    return {
        "space": space,
        "externalId": external_id,
        "createdTime": created,
        "lastUpdatedTime": created + 1,
        "properties": {SPACE: {CONTAINER: values}} if values else {},
    }


def run(aggregates: dict, records: list[dict]) -> dict:
    return run_aggregates(aggregates, records, SCHEMA)


def rejected(aggregates: object, records: list[dict] | None = None) -> str:
    with pytest.raises(ApiError) as caught:
        run_aggregates(aggregates, records or [], SCHEMA)
    assert caught.value.code == 400
    return caught.value.message


# Metrics.


def test_count_counts_records_or_records_holding_a_value():
    records = [record("a", value=1.0), record("b", tags=[]), record("c", tags=["x", "y"]), record("d")]
    result = run(
        {
            "all": {"count": {}},
            "withValue": {"count": {"property": p("value")}},
            "withTags": {"count": {"property": p("tags")}},
        },
        records,
    )
    assert result == {"all": {"count": 4}, "withValue": {"count": 1}, "withTags": {"count": 1}}


def test_numeric_metrics_use_every_list_element():
    records = [
        record("a", value=2.0, readings=[1.0, 9.0]),
        record("b", value=4.5, readings=[2.0]),
        record("c"),
    ]
    result = run(
        {
            "avgValue": {"avg": {"property": p("value")}},
            "sumValue": {"sum": {"property": p("value")}},
            "minReading": {"min": {"property": p("readings")}},
            "maxReading": {"max": {"property": p("readings")}},
            "avgReading": {"avg": {"property": p("readings")}},
        },
        records,
    )
    assert result == {
        "avgValue": {"avg": 3.25},
        "sumValue": {"sum": 6.5},
        "minReading": {"min": 1.0},
        "maxReading": {"max": 9.0},
        "avgReading": {"avg": 4.0},
    }


def test_metrics_over_no_values():
    result = run(
        {
            "n": {"count": {}},
            "a": {"avg": {"property": p("value")}},
            "s": {"sum": {"property": p("value")}},
            "lo": {"min": {"property": p("value")}},
            "hi": {"max": {"property": p("value")}},
        },
        [record("a", severity="HIGH")],
    )
    assert result == {
        "n": {"count": 1},
        "a": {"avg": None},
        "s": {"sum": 0},
        "lo": {"min": None},
        "hi": {"max": None},
    }


def test_min_max_of_times_are_epoch_milliseconds():
    records = [
        record("a", created=5_000, raisedAt="2026-08-01T12:00:00.000Z", day="2026-08-03"),
        record("b", created=7_000, raisedAt="2026-08-02T00:00:00.500Z", day="2026-08-01"),
    ]
    result = run(
        {
            "first": {"min": {"property": p("raisedAt")}},
            "last": {"max": {"property": p("raisedAt")}},
            "firstDay": {"min": {"property": p("day")}},
            "created": {"max": {"property": ["createdTime"]}},
            "updated": {"min": {"property": ["lastUpdatedTime"]}},
        },
        records,
    )
    assert result == {
        "first": {"min": timestamp_to_ms("2026-08-01T12:00:00Z")},
        "last": {"max": timestamp_to_ms("2026-08-02T00:00:00.500Z")},
        "firstDay": {"min": timestamp_to_ms("2026-08-01T00:00:00Z")},
        "created": {"max": 7_000},
        "updated": {"min": 5_001},
    }


# uniqueValues.


def test_unique_values_order_by_count_then_value_and_cut_to_size():
    severities = ["LOW", "HIGH", "MID", "HIGH", "LOW", "AAA"]
    records = [record(str(i), severity=s) for i, s in enumerate(severities)]
    result = run({"bySeverity": {"uniqueValues": {"property": p("severity"), "size": 3}}}, records)
    assert result["bySeverity"]["uniqueValueBuckets"] == [
        {"value": "HIGH", "count": 2},
        {"value": "LOW", "count": 2},
        {"value": "AAA", "count": 1},
    ]


def test_unique_values_default_size_is_ten():
    records = [record(str(i), level=i) for i in range(12)]
    buckets = run({"u": {"uniqueValues": {"property": p("level")}}}, records)["u"]["uniqueValueBuckets"]
    assert [b["value"] for b in buckets] == list(range(10))


def test_unique_values_of_lists_count_each_record_once_per_value():
    records = [record("a", tags=["x", "y", "x"]), record("b", tags=["x"])]
    buckets = run({"u": {"uniqueValues": {"property": p("tags")}}}, records)["u"]["uniqueValueBuckets"]
    assert buckets == [{"value": "x", "count": 2}, {"value": "y", "count": 1}]


def test_unique_values_of_direct_relations_space_and_booleans():
    pump = {"space": "assets", "externalId": "pump-1"}
    valve = {"space": "assets", "externalId": "valve-1"}
    records = [
        record("a", asset=pump, active=True),
        record("b", space="other", asset=valve, active=False),
        record("c", asset=pump, active=True),
    ]
    result = run(
        {
            "byAsset": {"uniqueValues": {"property": p("asset")}},
            "bySpace": {"uniqueValues": {"property": ["space"]}},
            "byActive": {"uniqueValues": {"property": p("active")}},
        },
        records,
    )
    assert result["byAsset"]["uniqueValueBuckets"] == [
        {"value": pump, "count": 2},
        {"value": valve, "count": 1},
    ]
    assert result["bySpace"]["uniqueValueBuckets"] == [
        {"value": SPACE, "count": 2},
        {"value": "other", "count": 1},
    ]
    assert result["byActive"]["uniqueValueBuckets"] == [
        {"value": True, "count": 2},
        {"value": False, "count": 1},
    ]


def test_sub_aggregates_run_on_each_bucket_through_three_levels():
    records = [
        record("a", severity="HIGH", level=1, value=10.0),
        record("b", severity="HIGH", level=1, value=20.0),
        record("c", severity="HIGH", level=2, value=5.0),
        record("d", severity="LOW", level=1, value=1.0),
    ]
    result = run(
        {
            "bySeverity": {
                "uniqueValues": {
                    "property": p("severity"),
                    "aggregates": {
                        "byLevel": {
                            "uniqueValues": {
                                "property": p("level"),
                                "aggregates": {"total": {"sum": {"property": p("value")}}},
                            }
                        },
                        "top": {"max": {"property": p("value")}},
                    },
                }
            }
        },
        records,
    )
    assert result == {
        "bySeverity": {
            "uniqueValueBuckets": [
                {
                    "value": "HIGH",
                    "count": 3,
                    "aggregates": {
                        "byLevel": {
                            "uniqueValueBuckets": [
                                {"value": 1, "count": 2, "aggregates": {"total": {"sum": 30.0}}},
                                {"value": 2, "count": 1, "aggregates": {"total": {"sum": 5.0}}},
                            ]
                        },
                        "top": {"max": 20.0},
                    },
                },
                {
                    "value": "LOW",
                    "count": 1,
                    "aggregates": {
                        "byLevel": {
                            "uniqueValueBuckets": [
                                {"value": 1, "count": 1, "aggregates": {"total": {"sum": 1.0}}}
                            ]
                        },
                        "top": {"max": 1.0},
                    },
                },
            ]
        }
    }


# Histograms.


def test_number_histogram_fills_empty_buckets_between_first_and_last():
    records = [
        record("a", value=3.0),
        record("b", value=7.0),
        record("c", value=31.0),
        record("d", value=-2.0),
    ]
    result = run(
        {
            "h": {
                "numberHistogram": {
                    "property": p("value"),
                    "interval": 10,
                    "aggregates": {"n": {"count": {}}},
                }
            }
        },
        records,
    )
    buckets = result["h"]["numberHistogramBuckets"]
    assert [(b["intervalStart"], b["count"]) for b in buckets] == [
        (-10, 1),
        (0, 2),
        (10, 0),
        (20, 0),
        (30, 1),
    ]
    assert [b["aggregates"]["n"]["count"] for b in buckets] == [1, 2, 0, 0, 1]


def test_number_histogram_hard_bounds_are_inclusive_on_keys_and_lists_fall_in_each_bucket():
    records = [record("a", readings=[0.4, 1.2, 1.4, 2.6]), record("b", readings=[3.1])]
    result = run(
        {
            "h": {
                "numberHistogram": {
                    "property": p("readings"),
                    "interval": 0.5,
                    "hardBounds": {"min": 1, "max": 2.5},
                }
            }
        },
        records,
    )
    assert result["h"]["numberHistogramBuckets"] == [
        {"intervalStart": 1.0, "count": 1},
        {"intervalStart": 1.5, "count": 0},
        {"intervalStart": 2.0, "count": 0},
        {"intervalStart": 2.5, "count": 1},
    ]


def test_histograms_over_no_values_have_no_buckets():
    result = run(
        {
            "n": {"numberHistogram": {"property": p("value"), "interval": 1}},
            "t": {"timeHistogram": {"property": p("raisedAt"), "calendarInterval": "1d"}},
        },
        [record("a")],
    )
    assert result == {"n": {"numberHistogramBuckets": []}, "t": {"timeHistogramBuckets": []}}


def time_buckets(aggregate: dict, times: list[str], prop: str = "raisedAt") -> list[tuple[str, int]]:
    records = [record(str(i), **{prop: t}) for i, t in enumerate(times)]
    result = run({"t": {"timeHistogram": {"property": p(prop), **aggregate}}}, records)
    return [(b["intervalStart"], b["count"]) for b in result["t"]["timeHistogramBuckets"]]


def test_time_histogram_daily_in_utc_with_empty_days():
    times = ["2026-08-01T23:59:59.999Z", "2026-08-01T00:00:00.000Z", "2026-08-03T05:00:00.000Z"]
    assert time_buckets({"calendarInterval": "1d"}, times) == [
        ("2026-08-01T00:00:00Z", 2),
        ("2026-08-02T00:00:00Z", 0),
        ("2026-08-03T00:00:00Z", 1),
    ]


@pytest.mark.parametrize(
    ("interval", "times", "expected"),
    [
        # 2026-08-02 is a Sunday: its week starts on Monday 2026-07-27.
        (
            "1w",
            ["2026-08-02T23:00:00Z", "2026-08-03T00:00:00Z", "2026-08-17T00:00:00Z"],
            [
                ("2026-07-27T00:00:00Z", 1),
                ("2026-08-03T00:00:00Z", 1),
                ("2026-08-10T00:00:00Z", 0),
                ("2026-08-17T00:00:00Z", 1),
            ],
        ),
        (
            "1M",
            ["2026-08-31T23:59:59Z", "2026-08-01T00:00:00Z", "2026-11-01T00:00:00Z"],
            [
                ("2026-08-01T00:00:00Z", 2),
                ("2026-09-01T00:00:00Z", 0),
                ("2026-10-01T00:00:00Z", 0),
                ("2026-11-01T00:00:00Z", 1),
            ],
        ),
        (
            "1q",
            ["2026-09-30T10:00:00Z", "2026-07-01T00:00:00Z", "2027-01-02T00:00:00Z"],
            [("2026-07-01T00:00:00Z", 2), ("2026-10-01T00:00:00Z", 0), ("2027-01-01T00:00:00Z", 1)],
        ),
        (
            "1y",
            ["2026-12-31T23:59:59Z", "2028-02-29T12:00:00Z"],
            [("2026-01-01T00:00:00Z", 1), ("2027-01-01T00:00:00Z", 0), ("2028-01-01T00:00:00Z", 1)],
        ),
        (
            "1h",
            ["2026-08-02T10:30:00Z", "2026-08-02T12:59:59Z"],
            [("2026-08-02T10:00:00Z", 1), ("2026-08-02T11:00:00Z", 0), ("2026-08-02T12:00:00Z", 1)],
        ),
        (
            "1m",
            ["2026-08-02T10:30:59Z", "2026-08-02T10:31:00Z"],
            [("2026-08-02T10:30:00Z", 1), ("2026-08-02T10:31:00Z", 1)],
        ),
        ("1s", ["2026-08-02T10:30:59.999Z"], [("2026-08-02T10:30:59Z", 1)]),
    ],
)
def test_time_histogram_calendar_intervals(interval, times, expected):
    assert time_buckets({"calendarInterval": interval}, times) == expected


def test_time_histogram_fixed_interval_is_aligned_to_the_epoch():
    times = ["2026-08-01T00:10:00Z", "2026-08-01T01:29:59Z", "2026-08-01T03:05:00Z"]
    assert time_buckets({"fixedInterval": "90m"}, times) == [
        ("2026-08-01T00:00:00Z", 2),
        ("2026-08-01T01:30:00Z", 0),
        ("2026-08-01T03:00:00Z", 1),
    ]


def test_time_histogram_fixed_interval_below_a_second_shows_milliseconds():
    times = ["2026-08-01T00:00:00.100Z", "2026-08-01T00:00:00.700Z"]
    assert time_buckets({"fixedInterval": "500ms"}, times) == [
        ("2026-08-01T00:00:00Z", 1),
        ("2026-08-01T00:00:00.500Z", 1),
    ]


def test_time_histogram_hard_bounds_keep_min_and_drop_max_keys():
    times = ["2026-08-01T10:00:00Z", "2026-08-02T10:00:00Z", "2026-08-03T10:00:00Z", "2026-08-04T10:00:00Z"]
    bounds = {"min": "2026-08-02T02:00:00+02:00", "max": "2026-08-04T00:00:00.000Z"}
    assert time_buckets({"calendarInterval": "1d", "hardBounds": bounds}, times) == [
        ("2026-08-02T00:00:00Z", 1),
        ("2026-08-03T00:00:00Z", 1),
    ]


def test_time_histogram_of_dates_and_created_time():
    assert time_buckets({"calendarInterval": "1M"}, ["2026-08-31", "2026-09-01"], prop="day") == [
        ("2026-08-01T00:00:00Z", 1),
        ("2026-09-01T00:00:00Z", 1),
    ]
    records = [record("a", created=timestamp_to_ms("2026-08-01T12:00:00Z"))]
    result = run({"t": {"timeHistogram": {"property": ["createdTime"], "calendarInterval": "1d"}}}, records)
    assert result["t"]["timeHistogramBuckets"] == [{"intervalStart": "2026-08-01T00:00:00Z", "count": 1}]


def test_histogram_with_more_than_ten_thousand_buckets_is_rejected():
    records = [record("a", value=0.0), record("b", value=10_000.0)]
    message = rejected({"h": {"numberHistogram": {"property": p("value"), "interval": 1}}}, records)
    assert message.startswith("aggregates.h.numberHistogram: ")
    assert "10000 buckets" in message
    allowed = run(
        {"h": {"numberHistogram": {"property": p("value"), "interval": 1}}},
        [records[0], record("c", value=9_999.0)],
    )
    assert len(allowed["h"]["numberHistogramBuckets"]) == 10_000


def test_extreme_histograms_are_a_400_or_end_at_the_last_bucket():
    records = [record("a", value=1e300)]
    message = rejected({"h": {"numberHistogram": {"property": p("value"), "interval": 1e-300}}}, records)
    assert message.startswith("aggregates.h.numberHistogram: the histogram would have more than")
    assert time_buckets({"calendarInterval": "1y"}, ["9999-12-31T23:59:59Z"]) == [("9999-01-01T00:00:00Z", 1)]


# filters.


def test_filters_buckets_follow_request_order_with_sub_aggregates():
    records = [
        record("a", severity="HIGH", value=1.0),
        record("b", severity="LOW", value=2.0),
        record("c", value=4.0),
    ]
    result = run(
        {
            "f": {
                "filters": {
                    "filters": [
                        {"equals": {"property": p("severity"), "value": "LOW"}},
                        {"matchAll": {}},
                        {"equals": {"property": ["externalId"], "value": "nope"}},
                    ],
                    "aggregates": {"total": {"sum": {"property": p("value")}}},
                }
            }
        },
        records,
    )
    assert result == {
        "f": {
            "filterBuckets": [
                {"count": 1, "aggregates": {"total": {"sum": 2.0}}},
                {"count": 3, "aggregates": {"total": {"sum": 7.0}}},
                {"count": 0, "aggregates": {"total": {"sum": 0}}},
            ]
        }
    }


def test_filters_aggregate_reports_filter_errors_with_its_path():
    message = rejected({"f": {"filters": {"filters": [{"matchAll": {}}, {"bogus": {}}]}}})
    assert "aggregates.f.filters.filters[1]" in message


# Moving functions.


def error_log_records() -> list[dict]:
    """The SPEC's error_log example: daily counts 10, 5, 12, 1, 20 and daily max severity 13, 7, 100, 1, 1."""
    records = []
    for day, (count, top) in enumerate([(10, 13), (5, 7), (12, 100), (1, 1), (20, 1)], start=25):
        for i in range(count):
            severity = top if i == 0 else 1
            records.append(record(f"{day}-{i}", raisedAt=f"2025-05-{day}T0{i % 10}:00:00Z", level=severity))
    return records


def daily_with(aggregates: dict, records: list[dict]) -> list[dict]:
    spec = {"calendarInterval": "1d", "property": p("raisedAt"), "aggregates": aggregates}
    return run({"daily": {"timeHistogram": spec}}, records)["daily"]["timeHistogramBuckets"]


def fn_values(buckets: list[dict], name: str) -> list:
    return [bucket["aggregates"][name]["fnValue"] for bucket in buckets]


def test_moving_average_of_counts_reproduces_the_spec_example():
    moving = {"bucketsPath": "_count", "window": 3, "function": "MovingFunctions.unweightedAvg"}
    buckets = daily_with({"avg3": {"movingFunction": moving}}, error_log_records())
    assert [b["count"] for b in buckets] == [10, 5, 12, 1, 20]
    assert fn_values(buckets, "avg3") == [0, 7.5, 9, 6, 11]


def test_moving_average_of_a_sibling_metric_reproduces_the_spec_example():
    aggregates = {
        "maxSeverity": {"max": {"property": p("level")}},
        "avgMax": {
            "movingFunction": {
                "bucketsPath": "maxSeverity",
                "window": 100000,
                "function": "MovingFunctions.unweightedAvg",
            }
        },
        "avg3": {
            "movingFunction": {
                "bucketsPath": "_count",
                "window": 3,
                "function": "MovingFunctions.unweightedAvg",
            }
        },
    }
    buckets = daily_with(aggregates, error_log_records())
    assert [b["aggregates"]["maxSeverity"]["max"] for b in buckets] == [13, 7, 100, 1, 1]
    assert fn_values(buckets, "avgMax") == [0, 10, 40, 30.25, 24.4]
    assert fn_values(buckets, "avg3") == [0, 7.5, 9, 6, 11]
    assert list(buckets[0]["aggregates"]) == ["maxSeverity", "avgMax", "avg3"]


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("MovingFunctions.sum", [0, 15, 27, 18, 33]),
        ("max", [0, 10, 12, 12, 20]),
        ("MovingFunctions.min", [0, 5, 5, 1, 1]),
        # weights 1..n, oldest first: (10 + 2*5) / 3, (10 + 2*5 + 3*12) / 6, (5 + 2*12 + 3*1) / 6, ...
        ("MovingFunctions.linearWeightedAvg", [0, 20 / 3, 56 / 6, 32 / 6, 74 / 6]),
    ],
)
def test_other_moving_functions(function, expected):
    moving = {"bucketsPath": "_count", "window": 3, "function": function}
    buckets = daily_with({"m": {"movingFunction": moving}}, error_log_records())
    assert fn_values(buckets, "m") == pytest.approx(expected)


def test_moving_function_with_a_keyed_buckets_path_and_gaps():
    records = [
        record("a", raisedAt="2026-08-01T01:00:00Z", severity="HIGH", value=4.0),
        record("b", raisedAt="2026-08-01T02:00:00Z", severity="LOW", value=1.0),
        record("c", raisedAt="2026-08-02T01:00:00Z", severity="LOW", value=1.0),
        record("d", raisedAt="2026-08-03T01:00:00Z", severity="HIGH", value=8.0),
    ]
    aggregates = {
        "bySeverity": {
            "uniqueValues": {
                "property": p("severity"),
                "aggregates": {"avgValue": {"avg": {"property": p("value")}}},
            }
        },
        "highCount": {
            "movingFunction": {"bucketsPath": 'bySeverity["HIGH"]>_count', "window": 5, "function": "sum"}
        },
        "highAvg": {
            "movingFunction": {
                "bucketsPath": 'bySeverity["HIGH"]>avgValue',
                "window": 5,
                "function": "unweightedAvg",
            }
        },
    }
    buckets = daily_with(aggregates, records)
    assert fn_values(buckets, "highCount") == [0, 1, 2]
    # Day 2 has no HIGH bucket: it is skipped, not counted as zero.
    assert fn_values(buckets, "highAvg") == [0, 4.0, 6.0]


def test_moving_function_inside_a_number_histogram():
    records = [record(str(v), value=float(v)) for v in (1, 2, 2, 7)]
    aggregates = {"running": {"movingFunction": {"bucketsPath": "_count", "window": 100, "function": "sum"}}}
    result = run(
        {"h": {"numberHistogram": {"property": p("value"), "interval": 5, "aggregates": aggregates}}}, records
    )
    assert result["h"]["numberHistogramBuckets"] == [
        {"intervalStart": 0, "count": 3, "aggregates": {"running": {"fnValue": 0}}},
        {"intervalStart": 5, "count": 1, "aggregates": {"running": {"fnValue": 4}}},
    ]


# The worked exchange of records-api.md §14.2.


def test_worked_exchange_shape():
    records = [
        record("A-1", severity="HIGH", raisedAt="2026-08-01T12:00:00.000Z", value=73.5),
        record("A-2", severity="HIGH", raisedAt="2026-08-01T13:00:00.000Z", value=70.0),
        record("A-3", severity="HIGH", raisedAt="2026-08-01T14:00:00.000Z", value=68.0),
        record("A-4", severity="HIGH", raisedAt="2026-08-02T09:00:00.000Z", value=69.3),
    ]
    aggregates = {
        "bySeverity": {
            "uniqueValues": {
                "property": p("severity"),
                "size": 5,
                "aggregates": {"avgValue": {"avg": {"property": p("value")}}},
            }
        },
        "perDay": {
            "timeHistogram": {
                "property": p("raisedAt"),
                "calendarInterval": "1d",
                "aggregates": {
                    "n": {"count": {}},
                    "trend": {
                        "movingFunction": {
                            "bucketsPath": "n",
                            "window": 3,
                            "function": "MovingFunctions.unweightedAvg",
                        }
                    },
                },
            }
        },
    }
    result = run(aggregates, records)
    assert result["bySeverity"]["uniqueValueBuckets"][0]["aggregates"]["avgValue"]["avg"] == pytest.approx(
        70.2
    )
    result["bySeverity"]["uniqueValueBuckets"][0]["aggregates"]["avgValue"]["avg"] = 70.2
    assert result == {
        "bySeverity": {
            "uniqueValueBuckets": [{"value": "HIGH", "count": 4, "aggregates": {"avgValue": {"avg": 70.2}}}]
        },
        "perDay": {
            "timeHistogramBuckets": [
                {
                    "intervalStart": "2026-08-01T00:00:00Z",
                    "count": 3,
                    "aggregates": {"n": {"count": 3}, "trend": {"fnValue": 0}},
                },
                {
                    "intervalStart": "2026-08-02T00:00:00Z",
                    "count": 1,
                    "aggregates": {"n": {"count": 1}, "trend": {"fnValue": 2}},
                },
            ]
        },
    }


def test_referenced_properties_lists_container_properties_of_the_whole_tree():
    aggregates = {
        "u": {
            "uniqueValues": {
                "property": ["space"],
                "aggregates": {"s": {"sum": {"property": p("value")}}},
            }
        },
        "t": {"timeHistogram": {"property": ["createdTime"], "calendarInterval": "1d"}},
        "f": {"filters": {"filters": [{"equals": {"property": p("severity"), "value": "HIGH"}}]}},
        "m": {"max": {"property": p("raisedAt")}},
    }
    assert referenced_properties(aggregates) == {
        (SPACE, CONTAINER, "value"),
        (SPACE, CONTAINER, "severity"),
        (SPACE, CONTAINER, "raisedAt"),
    }


# Request checks.


def nested(depth: int) -> dict:
    spec = {f"level{depth}": {"count": {}}}
    for level in range(depth - 1, 0, -1):
        spec = {f"level{level}": {"uniqueValues": {"property": p("severity"), "aggregates": spec}}}
    return spec


def test_trees_five_deep_and_sixteen_in_total_are_accepted():
    assert run(nested(5), []) == {"level1": {"uniqueValueBuckets": []}}
    sixteen = {
        f"top{i}": {
            "uniqueValues": {
                "property": p("severity"),
                "aggregates": {f"sub{i}{j}": {"count": {}} for j in range(1, 3)},
            }
        }
        for i in range(5)
    }
    sixteen["top0"]["uniqueValues"]["aggregates"]["sub03"] = {"count": {}}
    assert len(run(sixteen, [record("a", severity="X")])) == 5


def seventeen() -> dict:
    tree = {
        f"top{i}": {
            "uniqueValues": {
                "property": p("severity"),
                "aggregates": {f"sub{i}{j}": {"count": {}} for j in range(1, 3)},
            }
        }
        for i in range(5)
    }
    tree["top0"]["uniqueValues"]["aggregates"].update({"sub03": {"count": {}}, "sub04": {"count": {}}})
    return tree


def many_filter_buckets() -> dict:
    ten = [{"matchAll": {}}] * 10
    return {f"f{i}": {"filters": {"filters": ten}} for i in range(4)}


def time_histogram(**fields) -> dict:
    return {"perDay": {"timeHistogram": {"property": p("raisedAt"), **fields}}}


def moving(**fields) -> dict:
    spec = {"bucketsPath": "_count", "window": 3, "function": "MovingFunctions.sum", **fields}
    return {
        "h": {
            "numberHistogram": {
                "property": p("value"),
                "interval": 1,
                "aggregates": {"m": {"movingFunction": spec}, "avgValue": {"avg": {"property": p("value")}}},
            }
        }
    }


@pytest.mark.parametrize(
    ("aggregates", "expected"),
    [
        ([], "aggregates: must be an object with 1 to 5 aggregates"),
        ({}, "aggregates: must be an object with 1 to 5 aggregates"),
        ({f"a{i}": {"count": {}} for i in range(6)}, "aggregates: must be an object with 1 to 5 aggregates"),
        ({"a.b": {"count": {}}}, "aggregates: aggregate id 'a.b' must be"),
        ({"a>b": {"count": {}}}, "aggregates: aggregate id 'a>b' must be"),
        ({"a[0]": {"count": {}}}, "aggregates: aggregate id 'a[0]' must be"),
        ({"": {"count": {}}}, "aggregates: aggregate id '' must be"),
        ({"x" * 256: {"count": {}}}, "must be 1 to 255 characters"),
        ({"_count": {"count": {}}}, "aggregates: aggregate id '_count'"),
        ({"_bucket_count": {"count": {}}}, "aggregates: aggregate id '_bucket_count'"),
        (
            {"a": {"uniqueValues": {"property": p("severity"), "aggregates": {"a": {"count": {}}}}}},
            "aggregates.a.uniqueValues.aggregates: aggregate id 'a' is used twice",
        ),
        (
            nested(6),
            "aggregates.level1.uniqueValues.aggregates.level2.uniqueValues.aggregates.level3.uniqueValues"
            ".aggregates.level4.uniqueValues.aggregates.level5.uniqueValues.aggregates: aggregate trees may",
        ),
        (seventeen(), "at most 16 aggregates"),
        ({"a": {"count": {}, "sum": {}}}, "aggregates.a: must be an object with exactly one of"),
        ({"a": {"median": {}}}, "aggregates.a: must be an object with exactly one of"),
        ({"a": {"count": []}}, "aggregates.a.count: must be an object"),
        ({"a": {"count": {"property": p("value"), "size": 3}}}, "aggregates.a.count: unknown fields size"),
        (
            {"a": {"count": {"property": ["createdTime"]}}},
            "aggregates.a.count.property: must be [space, container, property]",
        ),
        ({"a": {"avg": {}}}, "aggregates.a.avg.property: must be [space, container, property]"),
        ({"a": {"avg": {"property": p("severity")}}}, "aggregates.a.avg.property: avg needs a"),
        ({"a": {"sum": {"property": p("raisedAt")}}}, "aggregates.a.sum.property: sum needs a"),
        ({"a": {"sum": {"property": ["createdTime"]}}}, "aggregates.a.sum.property: must be"),
        ({"a": {"min": {"property": p("severity")}}}, "aggregates.a.min.property: min needs a"),
        (
            {"a": {"max": {"property": ["space"]}}},
            "aggregates.a.max.property: must be [space, container, property] or ['createdTime']",
        ),
        (
            {"a": {"avg": {"property": p("missing")}}},
            "aggregates.a.avg.property: Property 'missing' does not exist",
        ),
        (
            {"a": {"avg": {"property": [SPACE, "Nope", "x"]}}},
            "aggregates.a.avg.property: Container scada:Nope does not exist",
        ),
        (
            {"a": {"avg": {"property": [SPACE, "Node", "x"]}}},
            "aggregates.a.avg.property: Container scada:Node is not a record",
        ),
        (
            {"a": {"uniqueValues": {"property": ["externalId"]}}},
            "aggregates.a.uniqueValues.property: must be [space, container, property] or ['space']",
        ),
        (
            {"a": {"uniqueValues": {"property": p("payload")}}},
            "aggregates.a.uniqueValues.property: json properties",
        ),
        (
            {"a": {"uniqueValues": {"property": p("severity"), "size": 0}}},
            "aggregates.a.uniqueValues.size: must be an integer from 1 to 2000",
        ),
        (
            {"a": {"uniqueValues": {"property": p("severity"), "size": 2001}}},
            "aggregates.a.uniqueValues.size",
        ),
        ({"a": {"uniqueValues": {"property": p("severity"), "size": "5"}}}, "aggregates.a.uniqueValues.size"),
        (
            {"a": {"numberHistogram": {"property": p("value")}}},
            "aggregates.a.numberHistogram.interval: must be a number greater than 0",
        ),
        (
            {"a": {"numberHistogram": {"property": p("value"), "interval": 0}}},
            "aggregates.a.numberHistogram.interval",
        ),
        (
            {"a": {"numberHistogram": {"property": p("value"), "interval": -5}}},
            "aggregates.a.numberHistogram.interval",
        ),
        (
            {"a": {"numberHistogram": {"property": p("value"), "interval": "10"}}},
            "aggregates.a.numberHistogram.interval",
        ),
        (
            {"a": {"numberHistogram": {"property": p("severity"), "interval": 1}}},
            "aggregates.a.numberHistogram.property: numberHistogram needs",
        ),
        (
            {"a": {"numberHistogram": {"property": p("value"), "interval": 1, "hardBounds": {}}}},
            "aggregates.a.numberHistogram.hardBounds: must be",
        ),
        (
            {"a": {"numberHistogram": {"property": p("value"), "interval": 1, "hardBounds": {"min": "1"}}}},
            "aggregates.a.numberHistogram.hardBounds.min: must be a number",
        ),
        (
            {
                "a": {
                    "numberHistogram": {
                        "property": p("value"),
                        "interval": 1,
                        "hardBounds": {"min": 5, "max": 1},
                    }
                }
            },
            "hardBounds: min must not be greater than max",
        ),
        (
            time_histogram(),
            "aggregates.perDay.timeHistogram: give exactly one of calendarInterval or fixedInterval",
        ),
        (
            time_histogram(calendarInterval="1d", fixedInterval="1d"),
            "aggregates.perDay.timeHistogram: give exactly one",
        ),
        (
            time_histogram(calendarInterval="2d"),
            "aggregates.perDay.timeHistogram.calendarInterval: must be one of",
        ),
        (
            time_histogram(fixedInterval="1w"),
            "aggregates.perDay.timeHistogram.fixedInterval: must be a whole number",
        ),
        (time_histogram(fixedInterval="0h"), "aggregates.perDay.timeHistogram.fixedInterval"),
        (time_histogram(fixedInterval="1M"), "aggregates.perDay.timeHistogram.fixedInterval"),
        (time_histogram(fixedInterval=60000), "aggregates.perDay.timeHistogram.fixedInterval"),
        (
            time_histogram(calendarInterval="1d", hardBounds={"min": 1754006400000}),
            "aggregates.perDay.timeHistogram.hardBounds.min: must be an ISO-8601 date-time with a zone",
        ),
        (
            time_histogram(calendarInterval="1d", hardBounds={"max": "2026-08-01T00:00:00"}),
            "aggregates.perDay.timeHistogram.hardBounds.max: must be an ISO-8601",
        ),
        (
            time_histogram(calendarInterval="1d", hardBounds={"min": "2026-08-01"}),
            "aggregates.perDay.timeHistogram.hardBounds.min",
        ),
        (
            time_histogram(calendarInterval="1d", hardBounds={"from": "2026-08-01T00:00:00Z"}),
            "aggregates.perDay.timeHistogram.hardBounds: must be",
        ),
        (
            {"t": {"timeHistogram": {"property": p("value"), "calendarInterval": "1d"}}},
            "aggregates.t.timeHistogram.property: timeHistogram needs",
        ),
        (
            {"t": {"timeHistogram": {"property": ["space"], "calendarInterval": "1d"}}},
            "aggregates.t.timeHistogram.property: must be",
        ),
        (
            {"f": {"filters": {"filters": []}}},
            "aggregates.f.filters.filters: must be a list of 1 to 10 filters",
        ),
        (
            {"f": {"filters": {"filters": [{"matchAll": {}}] * 11}}},
            "aggregates.f.filters.filters: must be a list",
        ),
        ({"f": {"filters": {}}}, "aggregates.f.filters.filters: must be a list"),
        (
            many_filter_buckets(),
            "aggregates.f3.filters.filters: a request may have at most 30 filter buckets",
        ),
        (
            {"m": {"movingFunction": {"bucketsPath": "_count", "window": 1, "function": "sum"}}},
            "aggregates.m.movingFunction: a movingFunction must sit directly under",
        ),
        (
            {
                "u": {
                    "uniqueValues": {
                        "property": p("severity"),
                        "aggregates": {
                            "m": {"movingFunction": {"bucketsPath": "_count", "window": 1, "function": "sum"}}
                        },
                    }
                }
            },
            "aggregates.u.uniqueValues.aggregates.m.movingFunction: a movingFunction must sit directly under",
        ),
        (
            moving(window=0),
            "m.movingFunction.window: must be an integer of at least 1",
        ),
        (moving(window=1.5), "movingFunction.window"),
        (
            moving(function="MovingFunctions.median"),
            "aggregates.h.numberHistogram.aggregates.m.movingFunction.function: must be one of",
        ),
        (moving(function="movingfunctions.sum"), "movingFunction.function"),
        (moving(bucketsPath=""), "movingFunction.bucketsPath: must be a string of 1 to 1280"),
        (moving(bucketsPath="x" * 1281), "movingFunction.bucketsPath: must be a string of 1 to 1280"),
        (moving(bucketsPath="avgValue.value"), "movingFunction.bucketsPath: 'avgValue.value' must look like"),
        (
            moving(bucketsPath="nope"),
            "bucketsPath: 'nope' is not one of the aggregates it can refer to (_count, avgValue)",
        ),
        (moving(bucketsPath="m"), "movingFunction.bucketsPath: 'm' is not one of"),
        (
            moving(bucketsPath="_count>avgValue"),
            "movingFunction.bucketsPath: _count must be the last segment",
        ),
        (moving(bucketsPath='avgValue["x"]'), "movingFunction.bucketsPath: 'avgValue' is a metric"),
        (moving(bucketsPath="avgValue>_count"), "movingFunction.bucketsPath: 'avgValue' is a metric"),
        (
            {"m": {"movingFunction": {"window": 1, "function": "sum"}}},
            "movingFunction: a movingFunction must sit",
        ),
    ],
)
def test_request_checks(aggregates, expected):
    assert expected in rejected(aggregates)


def test_moving_function_fields_are_required_and_bucket_paths_need_a_key():
    base = {"property": p("value"), "interval": 1}
    for missing in ("bucketsPath", "window", "function"):
        spec = {"bucketsPath": "_count", "window": 1, "function": "sum"}
        del spec[missing]
        message = rejected(
            {"h": {"numberHistogram": {**base, "aggregates": {"m": {"movingFunction": spec}}}}}
        )
        assert message == f"aggregates.h.numberHistogram.aggregates.m.movingFunction.{missing}: is required"
    keyless = {
        "u": {"uniqueValues": {"property": p("severity")}},
        "m": {"movingFunction": {"bucketsPath": "u>_count", "window": 1, "function": "sum"}},
    }
    message = rejected({"h": {"numberHistogram": {**base, "aggregates": keyless}}})
    where = "aggregates.h.numberHistogram.aggregates.m.movingFunction.bucketsPath"
    assert message == f"{where}: 'u' has buckets; pick one with u[\"key\"]"


def test_the_whole_tree_is_checked_before_any_work():
    records = [record(str(i), value=float(i * 1000)) for i in range(20)]
    aggregates = {
        "tooMany": {"numberHistogram": {"property": p("value"), "interval": 0.001}},
        "bad": {"uniqueValues": {"property": p("severity"), "size": 0}},
    }
    assert rejected(aggregates, records).startswith("aggregates.bad.uniqueValues.size")


def test_custom_path_prefixes_messages():
    with pytest.raises(ApiError) as caught:
        run_aggregates({"a": {"avg": {}}}, [], SCHEMA, path="body.aggregates")
    assert caught.value.message.startswith("body.aggregates.a.avg.property: ")
