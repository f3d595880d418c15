"""The CDF service module over real HTTP against the embedded emulator: every call, client
credentials, retries (429 with Retry-After, partial 503), timeouts and a dropped connection."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.test import override_settings
from requests.adapters import HTTPAdapter

from records.cdf import (
    CdfBadRequestError,
    CdfClient,
    CdfConflictError,
    CdfForbiddenError,
    CdfNetworkError,
    CdfNotFoundError,
    CdfThrottledError,
    CdfTimeoutError,
    CdfUnauthorizedError,
    CdfUnavailableError,
    CdfUnprocessableError,
    ClientCredentials,
    ForwardedToken,
    RetryPolicy,
    StaticToken,
    get_client,
)
from records.cdf.client import shared_session
from tests.conftest import PROJECT, TOKEN, EmulatorApi

FAST = RetryPolicy(max_retries=3, backoff_seconds=0.01, max_backoff_seconds=0.05, total_seconds=10)
ALARM = {"type": "container", "space": "scada", "externalId": "ScadaAlarm"}
EVERYTHING = [{"source": ALARM, "properties": ["*"]}]


def alarm(external_id: str, severity: str = "HIGH", value: float = 1.5) -> dict:
    properties = {"severity": severity, "value": value}
    return {
        "space": "scada",
        "externalId": external_id,
        "sources": [{"source": ALARM, "properties": properties}],
    }


def recording_session() -> requests.Session:
    """A session that keeps every request it sent (in `session.sent`)."""
    session = requests.Session()
    session.sent = []
    session.hooks["response"].append(lambda response, *args, **kwargs: session.sent.append(response.request))
    return session


def sent_bodies(session: requests.Session, path_end: str) -> list[dict]:
    return [json.loads(r.body) for r in session.sent if r.url.endswith(path_end)]


def make_client(api: EmulatorApi, **options) -> CdfClient:
    options = {"retry": FAST, "timeout": 10, "session": recording_session(), **options}
    return CdfClient(api.root, PROJECT, StaticToken(TOKEN), **options)


def inject(api: EmulatorApi, **fault) -> None:
    response = api.session.post(f"{api.root}/_faults", json={"project": PROJECT, **fault}, timeout=10)
    assert response.status_code == 201, response.text


def external_ids(client: CdfClient, stream: str = "alarms") -> list[str]:
    found = client.filter_records(stream, {"limit": 1000})["items"]
    return sorted(record["externalId"] for record in found)


@pytest.fixture
def emulator(api: EmulatorApi) -> EmulatorApi:
    """A space with a record container and a node container, and a mutable stream "alarms"."""
    assert api.post("/models/spaces", {"items": [{"space": "scada"}]}).status_code == 200
    containers = [
        {
            "space": "scada",
            "externalId": "ScadaAlarm",
            "usedFor": "record",
            "properties": {"severity": {"type": {"type": "text"}}, "value": {"type": {"type": "float64"}}},
        },
        {
            "space": "scada",
            "externalId": "Pump",
            "usedFor": "node",
            "properties": {"name": {"type": {"type": "text"}}},
        },
    ]
    response = api.post("/models/containers", {"items": containers})
    assert response.status_code == 200, response.text
    body = {"items": [{"externalId": "alarms", "settings": {"template": {"name": "BasicLiveData"}}}]}
    assert api.post("/streams", body).status_code == 201
    return api


# --- every call --------------------------------------------------------------------------------


def test_streams(emulator):
    client = make_client(emulator)
    created = client.create_stream("archive", "ImmutableTestStream")
    assert created["externalId"] == "archive" and created["type"] == "Immutable"
    assert [s["externalId"] for s in client.list_streams()] == ["alarms", "archive"]

    plain = client.retrieve_stream("alarms")
    assert "consumed" not in plain["settings"]["limits"]["maxRecordsTotal"]
    client.ingest_records("alarms", [alarm("A-1")]).raise_for_errors()
    statistics = client.retrieve_stream("alarms", include_statistics=True)
    assert statistics["settings"]["limits"]["maxRecordsTotal"]["consumed"] == 1

    with pytest.raises(CdfConflictError) as conflict:
        client.create_stream("archive", "ImmutableTestStream")
    assert conflict.value.duplicated == [{"externalId": "archive"}]

    client.delete_stream("archive")
    with pytest.raises(CdfNotFoundError) as missing:
        client.retrieve_stream("archive")
    assert missing.value.status == 404 and missing.value.request_id
    assert [s["externalId"] for s in client.list_streams()] == ["alarms"]


def test_spaces_and_record_containers(emulator):
    client = make_client(emulator)
    assert [s["space"] for s in client.list_spaces()] == ["scada"]
    assert [s["space"] for s in client.retrieve_spaces(["scada", "nowhere", "scada"])] == ["scada"]

    (container,) = client.list_containers()
    assert (container["externalId"], container["usedFor"]) == ("ScadaAlarm", "record")
    found = client.retrieve_containers([("scada", "ScadaAlarm"), ("scada", "Nope")])
    assert [c["externalId"] for c in found] == ["ScadaAlarm"]
    # The listed container came from the cache; only the unknown one was asked for.
    listing, by_ids = (r for r in client.session.sent if "/models/containers" in r.url)
    assert (
        listing.url
        == client.describe_request("containers/list", params={"usedFor": "record", "limit": 1000}).url
    )
    assert json.loads(by_ids.body) == {"items": [{"space": "scada", "externalId": "Nope"}]}


def test_security_container_definitions_are_cached_per_caller(emulator, settings):
    """Security: one caller's container definitions are never served to another. A token without
    dataModelsAcl:READ is refused right after a token that may read them filled the cache."""
    settings.EMULATOR_TOKENS += ";no-models-token=streamsAcl:READ streamRecordsAcl:READ"
    reader = make_client(emulator)
    assert reader.list_containers() and reader.retrieve_containers([("scada", "ScadaAlarm")])
    blind = CdfClient(emulator.root, PROJECT, ForwardedToken("no-models-token"), retry=FAST, timeout=10)
    with pytest.raises(CdfForbiddenError, match="dataModelsAcl:READ"):
        blind.list_containers()
    with pytest.raises(CdfForbiddenError, match="dataModelsAcl:READ"):
        blind.retrieve_containers([("scada", "ScadaAlarm")])


def test_security_a_cookie_one_caller_got_is_not_sent_for_another():
    """Security: the connection pool every client shares keeps no cookies, so a cookie a gateway in
    front of CDF gives one user's call (a session, a sticky route) never rides along another's."""
    cookies_sent = []

    class Gateway(BaseHTTPRequestHandler):
        def do_GET(self):
            cookies_sent.append(self.headers.get("Cookie"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "gateway-session=for-whoever-called; Path=/")
            self.end_headers()
            self.wfile.write(b'{"items": []}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for token in ("user-a", "user-b"):
            url = f"http://127.0.0.1:{server.server_port}"
            CdfClient(url, PROJECT, ForwardedToken(token), session=shared_session()).list_streams()
    finally:
        server.shutdown()
        server.server_close()
    assert cookies_sent == [None, None]


def test_the_app_credentials_are_one_identity_across_their_tokens():
    """Security: what CDF answered the app's service principal is kept for that principal, not for
    each of its short-lived tokens, and never for another client."""
    first = ClientCredentials("https://idp/token", "app", "secret", ["scope"])
    again = ClientCredentials("https://idp/token", "app", "rotated-secret", ["scope"])
    other = ClientCredentials("https://idp/token", "other-app", "secret", ["scope"])
    assert first.identity() == again.identity() != other.identity()
    assert StaticToken("a").identity() != StaticToken("b").identity() == ForwardedToken("b").identity()


def test_container_definitions_are_cached_briefly(emulator):
    client = make_client(emulator, schema_cache_seconds=0.5)
    client.list_containers()
    client.list_containers()
    client.retrieve_containers([("scada", "ScadaAlarm")])
    assert len([r for r in client.session.sent if "/models/containers" in r.url]) == 1

    # Another client of the same process shares the cache; a copy is returned, not the cached object.
    other = make_client(emulator)
    other.list_containers()[0]["properties"].clear()
    assert other.session.sent == []
    assert client.list_containers()[0]["properties"]

    time.sleep(0.6)
    client.retrieve_containers([("scada", "ScadaAlarm")])
    assert [r.url.rsplit("/", 1)[1] for r in client.session.sent] == [
        "containers?usedFor=record&limit=1000",
        "byids",
    ]


def test_records(emulator):
    client = make_client(emulator)
    written = client.ingest_records("alarms", [alarm("A-1", value=1), alarm("A-2", value=3)])
    assert written.ok
    assert [(o.external_id, o.code) for o in written.outcomes] == [("A-1", 202), ("A-2", 202)]

    assert client.upsert_records("alarms", [alarm("A-1", "LOW", 2)]).ok
    found = client.filter_records(
        "alarms",
        {
            "filter": {"equals": {"property": ["externalId"], "value": "A-1"}},
            "sources": EVERYTHING,
            "limit": 10,
        },
    )["items"]
    assert [r["properties"]["scada"]["ScadaAlarm"]["severity"] for r in found] == ["LOW"]

    total = client.aggregate_records(
        "alarms", {"aggregates": {"total": {"sum": {"property": ["scada", "ScadaAlarm", "value"]}}}}
    )
    assert total["aggregates"]["total"] == {"sum": 5}

    deleted = client.delete_records("alarms", [{"space": "scada", "externalId": "A-2"}])
    assert [(o.external_id, o.code) for o in deleted.outcomes] == [("A-2", 200)]
    assert external_ids(client) == ["A-1"]

    page = client.sync_records("alarms", {"initializeCursor": "1h-ago", "limit": 10})
    assert {(r["externalId"], r["status"]) for r in page["items"]} == {("A-1", "updated"), ("A-2", "deleted")}
    assert page["hasNext"] is False and page["nextCursor"]


def test_a_large_write_is_chunked_and_sent_in_parallel(emulator):
    client = make_client(emulator, max_workers=3)
    items = [alarm(f"A-{n:04}") for n in range(2100)]
    result = client.ingest_records("alarms", items)
    assert result.ok and len(result.succeeded) == 2100
    assert [o.external_id for o in result.outcomes] == [i["externalId"] for i in items]
    assert sorted(len(body["items"]) for body in sent_bodies(client.session, "/records")) == [100, 1000, 1000]
    count = client.aggregate_records("alarms", {"aggregates": {"n": {"count": {}}}})
    assert count["aggregates"]["n"] == {"count": 2100}


def test_a_conflict_is_reported_per_record_and_not_retried(emulator):
    client = make_client(emulator)
    client.ingest_records("alarms", [alarm("A-1")]).raise_for_errors()
    result = client.ingest_records("alarms", [alarm("A-1"), alarm("A-2")])
    assert not result.ok
    assert [(o.external_id, o.code) for o in result.succeeded] == [("A-2", 202)]
    (failed,) = result.failed
    assert (failed.external_id, failed.code) == ("A-1", 409) and "already exists" in failed.message
    (error,) = result.errors
    assert isinstance(error, CdfConflictError) and error.request_id
    assert len(sent_bodies(client.session, "/records")) == 2
    with pytest.raises(CdfConflictError):
        result.raise_for_errors()


def test_request_errors_fail_every_record_of_the_request_without_retry(emulator):
    client = make_client(emulator)
    unknown = alarm("A-1")
    unknown["sources"][0]["source"] = {"type": "container", "space": "scada", "externalId": "Nope"}
    result = client.ingest_records("alarms", [alarm("A-0"), unknown])
    assert [o.code for o in result.outcomes] == [400, 400]
    (error,) = result.errors
    assert isinstance(error, CdfBadRequestError) and "Nope" in error.message
    assert result.failed[1].message == error.message

    duplicated = client.upsert_records("alarms", [alarm("A-1"), alarm("A-1")])
    (error,) = duplicated.errors
    assert isinstance(error, CdfUnprocessableError) and error.duplicated == [{"externalId": "scada.A-1"}]
    assert len(client.session.sent) == 2
    assert external_ids(client) == []


def test_reads_raise_typed_errors(emulator):
    client = make_client(emulator)
    with pytest.raises(CdfBadRequestError) as bad:
        client.filter_records("alarms", {"limit": 5000})
    assert "limit" in bad.value.message
    with pytest.raises(CdfNotFoundError):
        client.filter_records("no-such-stream", {})
    assert len(client.session.sent) == 2


def test_errors_never_carry_the_token(emulator):
    secret = "very-secret-token-1234"
    client = CdfClient(emulator.root, "no-such-project", StaticToken(secret), retry=FAST)
    with pytest.raises(CdfForbiddenError) as raised:
        client.list_streams()
    assert secret not in f"{raised.value} {raised.value!r} {vars(raised.value)}"


# --- tokens -----------------------------------------------------------------------------------


def test_client_credentials_against_the_token_endpoint(emulator):
    token_url = f"{emulator.root}/oauth2/token"
    credentials = ClientCredentials(token_url, "streams-admin", "emulator-secret", ["user_impersonation"])
    client = CdfClient(emulator.root, PROJECT, credentials, retry=FAST, session=recording_session())
    assert [s["externalId"] for s in client.list_streams()] == ["alarms"]
    assert client.list_streams()
    sent = {r.headers["Authorization"] for r in client.session.sent}
    (header,) = sent  # the cached token served both calls
    assert header.startswith("Bearer ") and header != "Bearer "
    assert header == f"Bearer {credentials.token()}"

    wrong = ClientCredentials(token_url, "streams-admin", "wrong-secret")
    with pytest.raises(CdfUnauthorizedError, match="refused client 'streams-admin'") as refused:
        wrong.token()
    assert refused.value.status == 401 and "wrong-secret" not in str(refused.value)


def test_token_endpoint_takes_form_credentials_and_refuses_other_grants(emulator):
    token_url = f"{emulator.root}/oauth2/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": "streams-admin",
        "client_secret": "emulator-secret",
    }
    answer = requests.post(token_url, data=form, timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]

    wrong = requests.post(token_url, data={**form, "client_secret": "nope"}, timeout=10)
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    password = requests.post(token_url, data={**form, "grant_type": "password"}, timeout=10)
    assert (password.status_code, password.json()["error"]) == (400, "unsupported_grant_type")
    assert requests.get(token_url, timeout=10).status_code == 405


def test_client_from_settings(emulator):
    with override_settings(CDF_BASE_URL=emulator.root, CDF_PROJECT=PROJECT, CDF_TOKEN_SOURCE="static"):
        assert [s["externalId"] for s in get_client().list_streams()] == ["alarms"]
    token_url = f"{emulator.root}/oauth2/token"
    with override_settings(
        CDF_BASE_URL=emulator.root,
        CDF_PROJECT=PROJECT,
        CDF_TOKEN_SOURCE="client-credentials",
        CDF_TOKEN_URL=token_url,
        CDF_CLIENT_ID="streams-admin",
        CDF_CLIENT_SECRET="emulator-secret",
    ):
        first, second = get_client(), get_client()
        assert first is not second and first.token_source is second.token_source
        assert [s["externalId"] for s in first.list_streams()] == ["alarms"]
    with override_settings(CDF_BASE_URL=emulator.root, CDF_PROJECT=PROJECT, CDF_TOKEN_SOURCE="forwarded"):
        assert get_client("the-users-token").token_source.token() == "the-users-token"
        with pytest.raises(CdfUnauthorizedError):
            get_client().list_streams()


# --- retries, timeouts, dropped connections ---------------------------------------------------


@pytest.mark.usefixtures("fault_injection")
def test_429_is_retried_after_the_time_retry_after_asks(emulator):
    client = make_client(emulator)
    inject(emulator, endpoint="records/filter", status=429, count=2, retryAfter=1)
    started = time.monotonic()
    assert client.filter_records("alarms", {"limit": 10}) == {"items": []}
    assert time.monotonic() - started >= 2
    assert len(client.session.sent) == 3


@pytest.mark.usefixtures("fault_injection")
def test_throttled_after_the_retries_allowed(emulator):
    client = make_client(emulator, retry=RetryPolicy(max_retries=2, backoff_seconds=0.01, total_seconds=5))
    inject(emulator, endpoint="streams/list", status=429, count=5)
    with pytest.raises(CdfThrottledError):
        client.list_streams()
    assert len(client.session.sent) == 3


@pytest.mark.usefixtures("fault_injection")
def test_a_retry_after_beyond_the_time_allowed_is_not_waited_for(emulator):
    client = make_client(emulator, retry=RetryPolicy(max_retries=5, total_seconds=2))
    inject(emulator, endpoint="records/ingest", status=503, count=1, retryAfter=30)
    started = time.monotonic()
    result = client.ingest_records("alarms", [alarm("A-1")])
    assert time.monotonic() - started < 2
    assert isinstance(result.errors[0], CdfUnavailableError) and result.failed[0].code == 503
    assert len(client.session.sent) == 1


@pytest.mark.usefixtures("fault_injection")
def test_a_partial_503_retries_only_the_failed_records(emulator):
    client = make_client(emulator)
    items = [alarm(f"A-{n}") for n in range(5)]
    inject(emulator, endpoint="records/ingest", status=503, count=1, failRecords=["scada:A-1", "scada:A-3"])
    result = client.ingest_records("alarms", items)
    assert result.ok and [o.code for o in result.outcomes] == [202] * 5
    # Both calls' request ids, the failed one's and the retry's, for the audit log.
    assert len(result.request_ids) == 2 and len(set(result.request_ids)) == 2 and all(result.request_ids)
    first, second = sent_bodies(client.session, "/records")
    assert [i["externalId"] for i in first["items"]] == ["A-0", "A-1", "A-2", "A-3", "A-4"]
    assert [i["externalId"] for i in second["items"]] == ["A-1", "A-3"]
    assert external_ids(client) == ["A-0", "A-1", "A-2", "A-3", "A-4"]


@pytest.mark.usefixtures("fault_injection")
def test_a_partial_409_is_not_retried(emulator):
    client = make_client(emulator)
    inject(emulator, endpoint="records/upsert", status=409, count=1, failRecords=["scada:A-2"])
    result = client.upsert_records("alarms", [alarm("A-1"), alarm("A-2")])
    assert [(o.external_id, o.code) for o in result.outcomes] == [("A-1", 202), ("A-2", 409)]
    assert isinstance(result.errors[0], CdfConflictError)
    assert len(client.session.sent) == 1
    assert external_ids(client) == ["A-1"]


@pytest.mark.usefixtures("fault_injection")
def test_a_partial_503_that_keeps_failing_reports_those_records(emulator):
    client = make_client(emulator, retry=RetryPolicy(max_retries=1, backoff_seconds=0.01))
    inject(emulator, endpoint="records/delete", status=503, count=5, failRecords=["scada:A-2"])
    client.ingest_records("alarms", [alarm("A-1"), alarm("A-2")]).raise_for_errors()
    ids = [{"space": "scada", "externalId": "A-1"}, {"space": "scada", "externalId": "A-2"}]
    result = client.delete_records("alarms", ids)
    assert [(o.external_id, o.code) for o in result.outcomes] == [("A-1", 200), ("A-2", 503)]
    assert result.failed[0].message
    assert len(sent_bodies(client.session, "/records/delete")) == 2
    assert external_ids(client) == ["A-2"]


@pytest.mark.usefixtures("fault_injection")
def test_stream_create_is_not_retried_on_503(emulator):
    client = make_client(emulator)
    inject(emulator, endpoint="streams/create", status=503, count=1)
    with pytest.raises(CdfUnavailableError):
        client.create_stream("archive", "ImmutableTestStream")
    assert len(client.session.sent) == 1


@pytest.mark.usefixtures("fault_injection")
def test_a_slow_answer_times_out(emulator):
    client = make_client(emulator, timeout=0.3, retry=RetryPolicy(max_retries=0))
    inject(emulator, endpoint="records/filter", delayMs=1000)
    started = time.monotonic()
    with pytest.raises(CdfTimeoutError, match=r"within 0\.3 s"):
        client.filter_records("alarms", {})
    assert time.monotonic() - started < 0.9
    # Let the emulator finish the slow answer before the test database is flushed.
    time.sleep(1)


@pytest.mark.usefixtures("fault_injection")
def test_a_read_that_timed_out_is_retried(emulator):
    client = make_client(emulator, timeout=0.3)
    inject(emulator, endpoint="records/filter", delayMs=1000)
    assert client.filter_records("alarms", {}) == {"items": []}
    time.sleep(1)


class DropOnce(HTTPAdapter):
    """Drops the connection of the first request, as a network might; the emulator cannot."""

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def send(self, request, **kwargs):
        if not self.dropped:
            self.dropped += 1
            raise requests.ConnectionError("Connection aborted: RemoteDisconnected")
        return super().send(request, **kwargs)


def test_a_dropped_connection_is_retried(emulator):
    session = recording_session()
    adapter = DropOnce()
    session.mount("http://", adapter)
    client = make_client(emulator, session=session)
    assert [s["externalId"] for s in client.list_streams()] == ["alarms"]
    assert adapter.dropped == 1 and len(session.sent) == 1


def test_a_dropped_connection_on_stream_create_is_not_retried(emulator):
    session = recording_session()
    session.mount("http://", DropOnce())
    client = make_client(emulator, session=session)
    with pytest.raises(CdfNetworkError, match="Could not reach CDF for POST") as raised:
        client.create_stream("archive", "ImmutableTestStream")
    assert raised.value.status is None and TOKEN not in str(raised.value)
    # The requests exception, which holds the request and its headers, is not chained.
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert session.sent == []
