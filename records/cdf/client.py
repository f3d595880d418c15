"""The CDF client: the one place that speaks HTTP to CDF (or to the embedded emulator).

Make one `CdfClient` per request (`get_client`), so it can carry the signed-in user's token; all
clients share one pooled `requests.Session`. Every call has a timeout, is retried per `RetryPolicy`,
and fails with a `CdfError` subclass. Record writes are chunked and do not raise: their `WriteResult`
tells each record's outcome and holds the errors met (`raise_for_errors()` to raise the first).
Container definitions and the token's capabilities are kept in Django's cache, per caller.
"""

import functools
import hashlib
import itertools
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import DefaultCookiePolicy

import requests
from django.conf import settings
from django.core.cache import cache
from requests.adapters import HTTPAdapter

from .auth import token_source_from_settings
from .calls import BASE_HEADERS, PreparedCall, prepare_call, project_url
from .errors import CdfError, CdfNetworkError, CdfTimeoutError, error_from_response
from .retry import RETRY_STATUSES, RetryBudget, RetryPolicy, parse_retry_after
from .writes import RecordOutcome, WriteResult, chunk_items

logger = logging.getLogger(__name__)

BY_IDS_LIMIT = 100  # items per spaces/containers byids request
LIST_LIMIT = 1000
# Partial-failure codes of a record worth sending again; a 409 (exists, or changed concurrently) is not.
RETRY_RECORD_CODES = {500, 503}
POOL_SIZE = 32


@functools.cache
def shared_session() -> requests.Session:
    """The connection pool of the process. Retries are the client's own, so urllib3 makes none."""
    session = requests.Session()
    # Every caller's requests go through it: a cookie one caller got must not ride along another's.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    adapter = HTTPAdapter(pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# What a token may do is asked on every page; it is kept this long.
CAPABILITY_CACHE_SECONDS = 60.0


def project_capabilities(answer: dict, project: str) -> set[str]:
    """The capabilities ("streamsAcl:READ", ...) a token/inspect answer grants in `project`.

    An acl of any scope counts (one scoped to some spaces still grants its actions there): what is
    missing here surely fails, and CDF's own 403 explains the rest.
    """
    granted = set()
    for capability in answer.get("capabilities", []):
        scope = capability.get("projectScope", {})
        if "allProjects" not in scope and project not in scope.get("projects", []):
            continue
        for acl, grant in capability.items():
            if acl != "projectScope" and isinstance(grant, dict):
                granted.update(f"{acl}:{action}" for action in grant.get("actions", []))
    return granted


class CdfClient:
    def __init__(
        self,
        base_url: str,
        project: str,
        token_source,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        max_workers: int = 4,
        schema_cache_seconds: float = 30.0,
        sleep=time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.project = project
        self.token_source = token_source
        self.session = session or shared_session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.max_workers = max_workers
        self.schema_cache_seconds = schema_cache_seconds
        self.sleep = sleep
        self.root = project_url(self.base_url, project)

    def __repr__(self) -> str:
        return f"CdfClient({self.base_url!r}, project={self.project!r})"

    def describe_request(
        self,
        endpoint: str,
        *,
        stream_id: str | None = None,
        params: dict | None = None,
        body: dict | None = None,
    ) -> PreparedCall:
        """The exact request for an endpoint (a key of calls.ENDPOINTS), e.g. to show it as curl."""
        return prepare_call(self.root, endpoint, stream_id=stream_id, params=params, body=body)

    # --- the token ---------------------------------------------------------------------

    def inspect_token(self) -> dict:
        """CDF's answer about the token: {"subject", "projects", "capabilities"} (outside the project)."""
        call = PreparedCall("token/inspect", "GET", f"{self.base_url}/api/v1/token/inspect")
        return self._send(call, self._budget())

    def capabilities(self) -> set[str]:
        """What the token may do in this project (see `project_capabilities`); cached for a minute."""
        key = self._cache_key("capabilities")
        granted = cache.get(key)
        if granted is None:
            granted = project_capabilities(self.inspect_token(), self.project)
            cache.set(key, granted, CAPABILITY_CACHE_SECONDS)
        return granted

    def _cache_key(self, *parts: str) -> str:
        """The key of what CDF answered this caller in this project: CDF shows each caller only what
        they may see, so no caller is served another's answer. Hashed: it holds no token."""
        named = json.dumps([self.base_url, self.project, self.token_source.identity(), *parts])
        return "cdf:" + hashlib.sha256(named.encode()).hexdigest()

    # --- streams -------------------------------------------------------------------------

    def list_streams(self) -> list[dict]:
        return self._call("streams/list")["items"]

    def retrieve_stream(self, stream_id: str, include_statistics: bool = False) -> dict:
        """The stream; with statistics, `consumed` is filled in its limits. CdfNotFoundError if unknown."""
        params = {"includeStatistics": "true"} if include_statistics else None
        return self._call("streams/retrieve", stream_id=stream_id, params=params)

    def create_stream(self, stream_id: str, template: str) -> dict:
        item = {"externalId": stream_id, "settings": {"template": {"name": template}}}
        return self._call("streams/create", body={"items": [item]})["items"][0]

    def delete_stream(self, stream_id: str) -> None:
        self._call("streams/delete", body={"items": [{"externalId": stream_id}]})

    # --- spaces and record containers ----------------------------------------------------

    def list_spaces(self) -> list[dict]:
        return self._list_all("spaces/list", {"limit": LIST_LIMIT})

    def retrieve_spaces(self, spaces: list[str]) -> list[dict]:
        """The spaces that exist among `spaces`."""
        found = []
        for chunk in itertools.batched(dict.fromkeys(spaces), BY_IDS_LIMIT):
            body = {"items": [{"space": space} for space in chunk]}
            found.extend(self._call("spaces/byids", body=body)["items"])
        return found

    def list_containers(self) -> list[dict]:
        """Every record container (`usedFor=record`) of the project; cached for a few seconds."""
        key = self._cache_key("containers")
        containers = cache.get(key)
        if containers is None:
            containers = self._list_all("containers/list", {"usedFor": "record", "limit": LIST_LIMIT})
            cache.set(key, containers, self.schema_cache_seconds)
            self._cache_containers(containers)
        return containers

    def retrieve_containers(self, ids: list[tuple[str, str]]) -> list[dict]:
        """The containers that exist among `ids` ((space, externalId) pairs); cached for a few seconds."""
        wanted = list(dict.fromkeys((space, external_id) for space, external_id in ids))
        keys = {ref: self._cache_key("container", *ref) for ref in wanted}
        cached = cache.get_many(keys.values())
        found = {ref: cached.get(key) for ref, key in keys.items()}
        unknown = [ref for ref, container in found.items() if container is None]
        for chunk in itertools.batched(unknown, BY_IDS_LIMIT):
            body = {"items": [{"space": space, "externalId": external_id} for space, external_id in chunk]}
            read = self._call("containers/byids", body=body)["items"]
            found.update(((c["space"], c["externalId"]), c) for c in read)
            self._cache_containers(read)
        return [found[ref] for ref in wanted if found[ref] is not None]

    def _cache_containers(self, containers: list[dict]) -> None:
        by_key = {self._cache_key("container", c["space"], c["externalId"]): c for c in containers}
        cache.set_many(by_key, self.schema_cache_seconds)

    # --- records -------------------------------------------------------------------------

    def ingest_records(self, stream_id: str, items: list[dict]) -> WriteResult:
        return self._write("records/ingest", stream_id, items)

    def upsert_records(self, stream_id: str, items: list[dict]) -> WriteResult:
        return self._write("records/upsert", stream_id, items)

    def delete_records(self, stream_id: str, ids: list[dict]) -> WriteResult:
        """Delete records given as {"space", "externalId"}; unknown ids are ignored by CDF."""
        return self._write("records/delete", stream_id, ids)

    def filter_records(self, stream_id: str, query: dict) -> dict:
        """The filter answer ({"items", "typing"?}) for a body of records-api.md §6.3."""
        return self._call("records/filter", stream_id=stream_id, body=query)

    def sync_records(self, stream_id: str, query: dict) -> dict:
        """One page of the change feed ({"items", "nextCursor", "hasNext"}), records-api.md §6.4."""
        return self._call("records/sync", stream_id=stream_id, body=query)

    def aggregate_records(self, stream_id: str, query: dict) -> dict:
        """The aggregate answer ({"aggregates", "typing"?}) for a body of records-api.md §6.5."""
        return self._call("records/aggregate", stream_id=stream_id, body=query)

    # --- the wire ------------------------------------------------------------------------

    def _budget(self) -> RetryBudget:
        return RetryBudget(self.retry)

    def _call(
        self, endpoint: str, *, budget: RetryBudget | None = None, request_ids: list | None = None, **request
    ) -> dict:
        return self._send(self.describe_request(endpoint, **request), budget or self._budget(), request_ids)

    def _list_all(self, endpoint: str, params: dict) -> list[dict]:
        """Every item of a list endpoint, following `nextCursor`."""
        items, cursor = [], None
        while True:
            page = self._call(endpoint, params={**params, "cursor": cursor} if cursor else params)
            items.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return items

    def _send(self, call: PreparedCall, budget: RetryBudget, request_ids: list | None = None) -> dict:
        """The JSON answer of a successful call, retrying while the policy allows; the answer's
        x-request-id is added to `request_ids` when given."""
        while True:
            try:
                response = self._request(call)
            except requests.RequestException as error:
                failure = _network_error(call, error, self.timeout)
                # A failed connect sent nothing; anything later may have reached CDF.
                retryable = call.idempotent or isinstance(error, requests.ConnectTimeout)
                delay = budget.next_delay() if retryable else None
                if delay is None:
                    raise failure from None
                logger.warning(
                    "CDF %s failed (%s); retry %d in %.2f s", call.endpoint, failure, budget.retries, delay
                )
                self.sleep(delay)
                continue
            if response.ok:
                if request_ids is not None and response.headers.get("x-request-id"):
                    request_ids.append(response.headers["x-request-id"])
                return _json(response)
            error = error_from_response(response)
            status = response.status_code
            # A partial failure is the write's to retry, for its failed records only.
            retryable = not error.partial and (
                status == 429 or (call.idempotent and status in RETRY_STATUSES)
            )
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            delay = budget.next_delay(retry_after) if retryable else None
            if delay is None:
                raise error
            logger.warning(
                "CDF %s answered %s; retry %d in %.2f s", call.endpoint, error, budget.retries, delay
            )
            self.sleep(delay)

    def _request(self, call: PreparedCall) -> requests.Response:
        headers = {**BASE_HEADERS, "Authorization": f"Bearer {self.token_source.token()}"}
        return self.session.request(
            call.method, call.url, data=call.data(), headers=headers, timeout=self.timeout
        )

    def _write(self, endpoint: str, stream_id: str, items: list[dict]) -> WriteResult:
        chunks = list(chunk_items(items))
        result = WriteResult()
        if len(chunks) > 1 and self.max_workers > 1:
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(chunks))) as pool:
                parts = list(pool.map(lambda chunk: self._write_chunk(endpoint, stream_id, chunk), chunks))
        else:
            parts = [self._write_chunk(endpoint, stream_id, chunk) for chunk in chunks]
        for part in parts:
            result.extend(part)
        return result

    def _write_chunk(self, endpoint: str, stream_id: str, items: list[dict]) -> WriteResult:
        """Write one request's worth of records; on a partial failure send the 500/503 ones again."""
        budget = self._budget()
        success = 200 if endpoint == "records/delete" else 202
        outcomes: dict[int, RecordOutcome] = {}
        errors = []
        request_ids = []
        pending = list(range(len(items)))
        while pending:
            try:
                self._call(
                    endpoint,
                    stream_id=stream_id,
                    body={"items": [items[i] for i in pending]},
                    budget=budget,
                    request_ids=request_ids,
                )
            except CdfError as error:
                if error.request_id:
                    request_ids.append(error.request_id)
                by_id = {(p.get("space"), p.get("externalId")): p for p in error.partial}
                retry = set()
                for i in pending:
                    part = by_id.get((items[i].get("space"), items[i].get("externalId"))) or {}
                    code = part.get("code", error.status)
                    if code in (200, 202):
                        # CDF says 202 in `partial` for every write; report the endpoint's own success.
                        outcomes[i] = _outcome(items[i], success)
                        continue
                    outcomes[i] = _outcome(items[i], code, part.get("message") or error.message)
                    if code in RETRY_RECORD_CODES and part:
                        retry.add(i)
                delay = budget.next_delay() if retry else None
                if delay is None or any(not outcomes[i].ok and i not in retry for i in pending):
                    errors.append(error)
                if delay is None:
                    break
                logger.warning("CDF %s: %d records failed (%s); retrying them", endpoint, len(retry), error)
                self.sleep(delay)
                pending = sorted(retry)
            else:
                for i in pending:
                    outcomes[i] = _outcome(items[i], success)
                break
        return WriteResult([outcomes[i] for i in range(len(items))], errors, request_ids)


def _json(response: requests.Response) -> dict:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise CdfError(
            f"CDF answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from None


def _outcome(item: dict, code: int | None, message: str = "") -> RecordOutcome:
    return RecordOutcome(item.get("space", ""), item.get("externalId", ""), code, message)


def _network_error(call: PreparedCall, error: requests.RequestException, timeout: float) -> CdfNetworkError:
    # The requests exception carries the request, headers and token included: keep only its kind.
    if isinstance(error, requests.Timeout):
        return CdfTimeoutError(f"CDF did not answer {call.method} {call.url} within {timeout} s")
    return CdfNetworkError(f"Could not reach CDF for {call.method} {call.url}: {type(error).__name__}")


def get_client(user_token: str | None = None) -> CdfClient:
    """A client as the settings say; `user_token` is the signed-in user's (CDF_TOKEN_SOURCE=forwarded)."""
    retry = RetryPolicy(
        max_retries=settings.CDF_MAX_RETRIES,
        backoff_seconds=settings.CDF_RETRY_BACKOFF_SECONDS,
        max_backoff_seconds=settings.CDF_RETRY_MAX_BACKOFF_SECONDS,
        total_seconds=settings.CDF_RETRY_TOTAL_SECONDS,
    )
    return CdfClient(
        settings.CDF_BASE_URL,
        settings.CDF_PROJECT,
        token_source_from_settings(user_token),
        timeout=settings.CDF_TIMEOUT_SECONDS,
        retry=retry,
        schema_cache_seconds=settings.CDF_SCHEMA_CACHE_SECONDS,
    )
