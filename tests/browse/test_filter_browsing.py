"""The query builder on the record browser, over HTTP against the live emulator: the records it finds are
the ones CDF returns for the same filter, bad input is named next to the condition and nothing is sent,
CDF's refusals come back to the condition, and the request preview is the request."""

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.demo import stream_records
from records.query import filter_json
from tests.conftest import TOKEN, EmulatorApi
from tests.query.filter_trees import CONTAINERS, filters

ROW_ID = re.compile(r'<th scope="row"><a href="[^"]*">([^<]*)</a>')
STREAM = "equipment"
EQUIPMENT = ["plant", "Equipment"]


def browse_path(data=None, **more) -> str:
    params = {"mode": "sorted", "window": "all", "size": "1000", "source": "plant.Equipment", **more}
    if data is not None:
        params["filter"] = json.dumps(data)
    return f"/streams/{STREAM}/?{urlencode(params)}"


def shown_ids(html: str) -> list[str]:
    return [unescape(external_id) for external_id in ROW_ID.findall(html)]


def demo_values() -> dict:
    """Every value the demo's equipment records hold, by property path: filters built from them match."""
    pool: dict = {}
    for _, record in stream_records(STREAM):
        pool.setdefault(("space",), []).append(record["space"])
        pool.setdefault(("externalId",), []).append(record["externalId"])
        for source in record["sources"]:
            container = source["source"]
            for pid, value in source["properties"].items():
                path = (container["space"], container["externalId"], pid)
                pool.setdefault(path, []).extend(value if isinstance(value, list) else [value])
    return {path: values[:50] for path, values in pool.items()}


@pytest.fixture
def cdf(app) -> EmulatorApi:
    return EmulatorApi(app.url, project="demo")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=filters(pool=demo_values(), raw=False))
def test_the_page_shows_exactly_the_records_cdf_returns_for_the_filter(app, steward, cdf, data):
    page = steward.get(app.url + browse_path(data))
    assert page.status_code == 200
    assert "need fixing" not in page.text, data
    answer = cdf.post(
        f"/streams/{STREAM}/records/filter",
        {
            "filter": data,
            "sort": [
                {"property": ["lastUpdatedTime"], "direction": "descending"},
                {"property": ["externalId"], "direction": "descending"},
            ],
            "limit": 1000,
        },
    )
    assert answer.status_code == 200, answer.text
    assert shown_ids(page.text) == [item["externalId"] for item in answer.json()["items"]]


def test_a_filter_narrows_the_change_feed_the_count_and_names_itself(app, steward, cdf):
    kind_is_pump = {"equals": {"property": ["plant", "Equipment", "kind"], "value": "PUMP"}}
    name_starts = {"prefix": {"property": ["plant", "Equipment", "name"], "value": "Pump 00"}}
    data = {"and": [kind_is_pump, {"not": name_starts}]}
    page = steward.get(app.url + browse_path(data, mode="sync", start="30d")).text
    expected = cdf.post(f"/streams/{STREAM}/records/sync", {"filter": data, "initializeCursor": "30d-ago",
                                                            "limit": 1000}).json()["items"]  # fmt: skip
    assert expected and shown_ids(page) == [item["externalId"] for item in expected]
    assert f"<strong>{len(expected)}</strong> record" in page
    summary = re.search(r'<p id="filter-summary">(.*?)</p>', page, re.S).group(1)
    assert "kind is PUMP and not name starts with &#x27;Pump 00&#x27;" in summary


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"equals": {"property": ["plant", "Equipment", "serialNumber"], "value": "12x"}},
         "must be an integer (int64)"),
        ({"range": {"property": [*EQUIPMENT, "installedOn"], "gt": "2026-01-02", "lt": "2026-01-01"}},
         "is empty; no record can match"),
        ({"in": {"property": ["plant", "Equipment", "site"], "values": []}}, "in needs at least one value"),
        ({"equals": {"property": ["plant", "Equipment", "nope"], "value": 1}}, "unknown property"),
        ({"prefix": {"property": ["plant", "Equipment", "serialNumber"], "value": "1"}},
         "prefix cannot be used on this int64 property"),
        ({"search": {"query": "pump"}}, "The search filter is not supported for records"),
        ({"equals": {"property": [*EQUIPMENT, "kind"], "value": "ROCKET"}}, "must be one of the enum"),
        ({"exists": {"property": ["id"]}}, "id: not a property"),
        ({"range": {"property": ["plant", "Equipment", "commissionedAt"], "gte": "2026-01-01T00:00:00"}},
         "must give its time zone"),
    ],
)  # fmt: skip
def test_bad_conditions_are_named_next_to_them_and_nothing_is_sent(app, steward, data, message):
    page = steward.get(app.url + browse_path(data)).text
    assert "Some conditions of the filter need fixing" in page
    errors = re.search(r'<ul class="field-error node-errors" id="q-errors">(.*?)</ul>', page, re.S)
    assert errors and message in unescape(errors.group(1))
    assert 'id="record-rows"' not in page  # nothing was asked of CDF


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"equals": ', "The filter parameter is not valid JSON"),
        ('{"and": [], "or": []}', "exactly one key, got 2 keys"),
        (json.dumps({"and": [{"matchAll": {}}] * 101}), "102 nodes; the API allows at most 100"),
        ("x" * 20_000, "at most 16000 are accepted"),
    ],
)
def test_a_tampered_filter_parameter_gets_a_message_and_its_text_is_kept(app, steward, text, message):
    response = steward.get(app.url + f"/streams/{STREAM}/?" + urlencode({"mode": "sync", "filter": text}))
    assert response.status_code == 200
    assert message in unescape(
        re.search(r'<p class="field-error" id="filter-error">(.*?)</p>', response.text).group(1)
    )
    if len(text) < 1000:
        kept = re.search(r'<textarea id="filter-json"[^>]*>(.*?)</textarea>', response.text, re.S).group(1)
        assert unescape(kept).strip() == text.strip()


def test_a_condition_cdf_refuses_gets_cdfs_message_next_to_it(app, steward):
    # Kept as written (values is not a list), so only CDF can judge it.
    data = {
        "or": [{"matchAll": {}}, {"in": {"property": ["plant", "Equipment", "site"], "values": "Bergen"}}]
    }
    page = steward.get(app.url + browse_path(data)).text
    errors = re.search(r'id="q.1-errors">(.*?)</ul>', page, re.S)
    assert errors and "CDF refused this condition: filter.or[1].in" in unescape(errors.group(1))


def htmx_post(app, session, fields: dict, **headers):
    session.get(app.url + f"/streams/{STREAM}/?mode=sync")
    token = session.cookies["csrftoken"]
    return session.post(
        app.url + f"/streams/{STREAM}/",
        data=fields,
        headers={"HX-Request": "true", "X-CSRFToken": token, **headers},
    )


BASE_FORM = {"mode": "sorted", "window": "all", "size": "50", "source": "plant.Equipment"}


def condition(prop: str, operator: str, value: str) -> dict:
    """The builder's fields of one condition on an equipment property, as the form submits them."""
    key = f"plant.Equipment.{prop}"
    return {"q-kind": "clause", "q-nots": "0", "q-property": key, "q-was_property": key,
            "q-operator": operator, "value:q-value": value}  # fmt: skip


def test_a_builder_button_redraws_the_builder_alone(app, steward):
    response = htmx_post(app, steward, {**BASE_FORM, "q-kind": "group", "q-nots": "0", "q-op": "and",
                                        "action": "add-clause:"})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#builder" and response.headers["HX-Push-Url"] == "false"
    assert 'name="q.0-kind" value="clause"' in response.text
    assert 'id="record-rows"' not in response.text


def test_showing_records_with_bad_input_keeps_the_results_and_redraws_the_form(app, steward):
    fields = {**BASE_FORM, **condition("serialNumber", "equals", "12x")}
    response = htmx_post(app, steward, fields)
    assert response.headers["HX-Retarget"] == "#browser-form"
    assert 'value="12x"' in response.text and "must be a whole number (int64)" in response.text


def test_showing_records_pushes_the_tidy_link_with_the_filter(app, steward):
    fields = {**BASE_FORM, **condition("site", "equals", "Bergen"), "q-nots": "1"}
    response = htmx_post(app, steward, fields)
    pushed = response.headers["HX-Push-Url"]
    assert "q-kind" not in pushed
    assert re.search(r"filter=([^&]+)", pushed)
    data = {"not": {"equals": {"property": ["plant", "Equipment", "site"], "value": "Bergen"}}}
    expected = filter_json.to_param(filter_json.from_filter(data, CONTAINERS))
    assert parse_qs(urlsplit(pushed).query)["filter"] == [expected]
    # The same form without JavaScript lands on the same link.
    plain = steward.get(app.url + f"/streams/{STREAM}/?" + urlencode(fields), allow_redirects=False)
    assert plain.status_code == 302 and plain.headers["Location"] == pushed


@pytest.mark.filterwarnings("ignore::UserWarning")  # the SDK calls its records API a preview
def test_the_request_preview_runs_as_python_and_finds_the_same_records(app, steward):
    from cognite.client import ClientConfig, CogniteClient
    from cognite.client.credentials import Token

    data = {"range": {"property": ["plant", "Equipment", "ratedPowerKw"], "gte": 100}}
    page = steward.get(app.url + browse_path(data, size="20")).text
    python = unescape(re.search(r'<pre id="request-python">(.*?)</pre>', page, re.S).group(1))
    curl = unescape(re.search(r'<pre id="request-curl">(.*?)</pre>', page, re.S).group(1))
    assert "records/filter" in curl and '"ratedPowerKw"' in curl and "$CDF_TOKEN" in curl
    client = CogniteClient(ClientConfig(client_name="preview", project="demo", credentials=Token(TOKEN),
                                        base_url=f"{app.url}/emulator"))  # fmt: skip
    scope = {"client": client}
    exec(python.replace("client = CogniteClient()\n", ""), scope)
    found = [record.external_id for record in scope["records"]]
    assert found and found[:20] == shown_ids(page)


@given(st.text(max_size=200))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_filter_parameter_gives_a_page_not_a_server_error(app, steward, text):
    response = steward.get(app.url + f"/streams/{STREAM}/?" + urlencode({"mode": "sync", "filter": text}))
    assert response.status_code == 200
