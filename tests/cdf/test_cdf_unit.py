"""The CDF service module without a server: chunking, backoff, token caching, curl, error mapping."""

import itertools
import json
import shlex
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from records.cdf import (
    CdfBadRequestError,
    CdfClient,
    CdfConflictError,
    CdfError,
    CdfForbiddenError,
    CdfNotFoundError,
    CdfThrottledError,
    CdfUnauthorizedError,
    CdfUnavailableError,
    CdfUnprocessableError,
    ClientCredentials,
    ForwardedToken,
    RetryPolicy,
    StaticToken,
    as_curl,
)
from records.cdf.calls import prepare_call, project_url
from records.cdf.errors import error_from_response
from records.cdf.retry import RetryBudget, backoff_delay, parse_retry_after
from records.cdf.writes import ENVELOPE_BYTES, chunk_items, item_size

SECRET_TOKEN = "s3cr3t-token-value"


def record(external_id: str, padding: int = 0) -> dict:
    return {
        "space": "scada",
        "externalId": external_id,
        "sources": [
            {
                "source": {"type": "container", "space": "scada", "externalId": "ScadaAlarm"},
                "properties": {"note": "x" * padding},
            }
        ],
    }


def body_size(chunk: list[dict]) -> int:
    return len(json.dumps({"items": chunk}, separators=(",", ":"), ensure_ascii=False).encode())


# --- chunking --------------------------------------------------------------------------------


def test_chunks_by_count():
    items = [record(f"r{i}") for i in range(2501)]
    chunks = list(chunk_items(items))
    assert [len(c) for c in chunks] == [1000, 1000, 501]
    assert [item for chunk in chunks for item in chunk] == items


def test_chunks_by_serialized_size():
    items = [record(f"r{i}", padding=300) for i in range(40)]
    limit = 4000
    chunks = list(chunk_items(items, max_bytes=limit))
    assert len(chunks) > 1
    assert [item for chunk in chunks for item in chunk] == items
    for chunk in chunks:
        assert body_size(chunk) <= limit
    # Each chunk is as full as it can be: the next item would not have fitted.
    for chunk, following in itertools.pairwise(chunks):
        assert body_size([*chunk, following[0]]) > limit


def test_chunk_size_counts_non_ascii_as_utf8_bytes():
    item = {"space": "s", "externalId": "æøå" * 10}
    assert item_size(item) == len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode())
    exact = ENVELOPE_BYTES + item_size(item) * 2 + 1
    assert len(list(chunk_items([item, item], max_bytes=exact))) == 1
    assert len(list(chunk_items([item, item], max_bytes=exact - 1))) == 2


def test_an_item_larger_than_the_limit_goes_alone():
    big, small = record("big", padding=5000), record("small")
    assert list(chunk_items([small, big, small], max_bytes=1000)) == [[small], [big], [small]]


def test_chunking_names_an_item_that_is_not_json():
    with pytest.raises(ValueError, match=r"items\[1\]"):
        list(chunk_items([record("a"), {"space": "s", "externalId": "b", "value": float("nan")}]))


# --- backoff and Retry-After -----------------------------------------------------------------


def test_backoff_is_full_jitter_under_a_capped_exponential():
    policy = RetryPolicy(backoff_seconds=0.5, max_backoff_seconds=3.0)
    assert [backoff_delay(n, policy, rng=lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delay(3, policy, rng=lambda: 0.25) == 0.75
    assert backoff_delay(2, policy, rng=lambda: 0.0) == 0.0


def test_retry_after_as_seconds_or_http_date():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == 7.0
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=7), usegmt=True), now=now.timestamp()) == 0
    )


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_is_bounded_in_count():
    budget = RetryBudget(RetryPolicy(max_retries=2, total_seconds=100), clock=FakeClock(), rng=lambda: 1.0)
    assert budget.next_delay() == 0.5
    assert budget.next_delay() == 1.0
    assert budget.next_delay() is None


def test_budget_is_bounded_in_time_and_honours_retry_after():
    clock = FakeClock()
    budget = RetryBudget(RetryPolicy(max_retries=10, total_seconds=5), clock=clock, rng=lambda: 1.0)
    assert budget.next_delay(retry_after=4) == 4
    clock.now += 4
    # A second wait of 4 s would end after the 5 s allowed.
    assert budget.next_delay(retry_after=4) is None
    assert budget.next_delay() == 1.0  # the backoff for retry number 1 still fits


# --- token sources ---------------------------------------------------------------------------


class CountingCredentials(ClientCredentials):
    """Client credentials whose identity provider is a function, counting the tokens it hands out."""

    def __init__(self, lifetime: float, clock, delay: float = 0.0):
        super().__init__("https://idp.example/token", "app", "secret", ["scope"], clock=clock)
        self.lifetime = lifetime
        self.delay = delay
        self.fetched = 0

    def _request_token(self):
        time.sleep(self.delay)
        self.fetched += 1
        return f"token-{self.fetched}", self.lifetime


def test_client_credentials_token_is_cached_until_shortly_before_expiry():
    clock = FakeClock()
    source = CountingCredentials(lifetime=3600, clock=clock)
    assert source.token() == "token-1"
    clock.now += 3600 - 31
    assert source.token() == "token-1"
    clock.now += 1  # within the 30 s leeway
    assert source.token() == "token-2"
    assert source.fetched == 2


def test_short_lived_token_is_renewed_halfway():
    clock = FakeClock()
    source = CountingCredentials(lifetime=40, clock=clock)
    source.token()
    clock.now += 19
    assert source.token() == "token-1"
    clock.now += 1
    assert source.token() == "token-2"


def test_client_credentials_fetch_once_for_concurrent_callers():
    source = CountingCredentials(lifetime=3600, clock=time.monotonic, delay=0.2)
    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(source.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens == ["token-1"] * 8
    assert source.fetched == 1


def test_token_sources_never_show_their_token():
    for source in (StaticToken(SECRET_TOKEN), ForwardedToken(SECRET_TOKEN)):
        assert source.token() == SECRET_TOKEN
        assert SECRET_TOKEN not in repr(source)
    credentials = ClientCredentials("https://idp.example/token", "app", SECRET_TOKEN)
    assert SECRET_TOKEN not in repr(credentials)


def test_missing_forwarded_token_is_unauthorized():
    with pytest.raises(CdfUnauthorizedError, match="signed-in user"):
        ForwardedToken("").token()


# --- requests as values, and curl -------------------------------------------------------------


def test_prepared_call_encodes_the_stream_id_and_params():
    root = project_url("https://westeurope-1.cognitedata.com/", "acme")
    call = prepare_call(root, "streams/retrieve", stream_id="a/b c", params={"includeStatistics": "true"})
    assert call.method == "GET"
    assert call.url == (
        "https://westeurope-1.cognitedata.com/api/v1/projects/acme/streams/a%2Fb%20c?includeStatistics=true"
    )
    with pytest.raises(ValueError, match="records/filter needs a stream id"):
        prepare_call(root, "records/filter")


def test_describe_request_is_what_the_client_sends():
    client = CdfClient("http://cdf.example", "acme", StaticToken(SECRET_TOKEN))
    body = {"filter": {"equals": {"property": ["externalId"], "value": "A-1"}}, "limit": 10}
    call = client.describe_request("records/filter", stream_id="alarms", body=body)
    assert call.url == "http://cdf.example/api/v1/projects/acme/streams/alarms/records/filter"
    assert json.loads(call.data()) == body


def test_as_curl_uses_a_placeholder_for_the_token():
    client = CdfClient("http://cdf.example", "acme", StaticToken(SECRET_TOKEN))
    body = {"items": [{"space": "scada", "externalId": "it's"}]}
    command = as_curl(client.describe_request("records/delete", stream_id="alarms", body=body))
    assert SECRET_TOKEN not in command
    assert '"Authorization: Bearer $CDF_TOKEN"' in command
    words = shlex.split(command.replace("\\\n", " "), posix=True)
    assert words[:4] == [
        "curl",
        "-X",
        "POST",
        "http://cdf.example/api/v1/projects/acme/streams/alarms/records/delete",
    ]
    assert "cdf-version: 20230101" in words
    assert json.loads(words[words.index("--data-raw") + 1]) == body


def test_as_curl_of_a_get_has_no_body():
    call = prepare_call(project_url("http://cdf.example", "acme"), "streams/list")
    assert "--data-raw" not in as_curl(call)
    assert as_curl(call).startswith("curl -X GET http://cdf.example/api/v1/projects/acme/streams")


# --- error mapping -----------------------------------------------------------------------------


class CannedResponse:
    def __init__(self, status_code: int, body, headers: dict | None = None):
        self.status_code = status_code
        self.text = body if isinstance(body, str) else json.dumps(body)
        self.headers = headers or {}

    def json(self):
        return json.loads(self.text)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, CdfBadRequestError),
        (401, CdfUnauthorizedError),
        (403, CdfForbiddenError),
        (404, CdfNotFoundError),
        (409, CdfConflictError),
        (422, CdfUnprocessableError),
        (429, CdfThrottledError),
        (503, CdfUnavailableError),
        (410, CdfError),
    ],
)
def test_error_class_by_status(status, error_class):
    response = CannedResponse(
        status, {"error": {"code": status, "message": "Nope"}}, {"x-request-id": "req-1"}
    )
    error = error_from_response(response)
    assert type(error) is error_class
    assert (error.status, error.message, error.request_id) == (status, "Nope", "req-1")
    assert str(error) == f"{status} Nope (request id req-1)"


def test_error_keeps_partial_duplicated_and_missing():
    partial = [
        {"space": "scada", "externalId": "A-1", "code": 202},
        {"space": "scada", "externalId": "A-2", "code": 409, "message": "Record already exists"},
    ]
    body = {"error": {"code": 409, "message": "1 of 2 failed", "partial": partial}}
    error = error_from_response(CannedResponse(409, body))
    assert isinstance(error, CdfConflictError)
    assert error.partial == partial
    body = {"error": {"code": 422, "message": "Duplicates", "duplicated": [{"externalId": "scada.A-1"}]}}
    assert error_from_response(CannedResponse(422, body)).duplicated == [{"externalId": "scada.A-1"}]
    body = {"error": {"code": 400, "message": "Unknown", "missing": [{"space": "s", "externalId": "C"}]}}
    assert error_from_response(CannedResponse(400, body)).missing == [{"space": "s", "externalId": "C"}]


def test_error_from_a_gateway_page_keeps_its_text():
    error = error_from_response(CannedResponse(502, "<html>Bad Gateway</html>"))
    assert isinstance(error, CdfUnavailableError)
    assert error.message == "<html>Bad Gateway</html>"
    assert error.partial == [] and error.request_id is None
    assert error_from_response(CannedResponse(504, "")).message == "HTTP 504"
