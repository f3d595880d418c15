"""The requests the client makes, as values: the endpoint table, `PreparedCall` and `as_curl`.

The client sends exactly what `prepare_call` builds, so the "copy as curl" of the UI shows the real
request, with `$CDF_TOKEN` in place of the access token.
"""

import json
import pprint
import shlex
from dataclasses import dataclass
from urllib.parse import quote, urlencode

API_VERSION = "20230101"
# Sent with every call; the Authorization header is added when the call is sent.
BASE_HEADERS = {
    "cdf-version": API_VERSION,
    "Content-Type": "application/json",
    "Accept": "application/json",
    "x-cdp-app": "streams-admin",
}
TOKEN_PLACEHOLDER = "$CDF_TOKEN"

# endpoint name -> (method, path under the project). The names are those of the emulator's faults.
ENDPOINTS = {
    "streams/list": ("GET", "/streams"),
    "streams/retrieve": ("GET", "/streams/{stream}"),
    "streams/create": ("POST", "/streams"),
    "streams/delete": ("POST", "/streams/delete"),
    "spaces/list": ("GET", "/models/spaces"),
    "spaces/byids": ("POST", "/models/spaces/byids"),
    "containers/list": ("GET", "/models/containers"),
    "containers/byids": ("POST", "/models/containers/byids"),
    "records/ingest": ("POST", "/streams/{stream}/records"),
    "records/upsert": ("POST", "/streams/{stream}/records/upsert"),
    "records/delete": ("POST", "/streams/{stream}/records/delete"),
    "records/filter": ("POST", "/streams/{stream}/records/filter"),
    "records/sync": ("POST", "/streams/{stream}/records/sync"),
    "records/aggregate": ("POST", "/streams/{stream}/records/aggregate"),
}
# Creating or deleting a stream twice is not harmless (the second answers 409, or deletes a stream
# created in between), so these are retried only when CDF surely did nothing: on 429 or when the
# connection could not be made. The Python SDK draws the same line.
NOT_IDEMPOTENT = {"streams/create", "streams/delete"}
WRITES = {"records/ingest", "records/upsert", "records/delete"}


@dataclass(frozen=True)
class PreparedCall:
    endpoint: str
    method: str
    url: str
    body: dict | None = None

    @property
    def idempotent(self) -> bool:
        return self.endpoint not in NOT_IDEMPOTENT

    def data(self) -> bytes | None:
        """The body as sent: compact JSON, NaN and Infinity refused (CDF rejects them)."""
        if self.body is None:
            return None
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def project_url(base_url: str, project: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/projects/{quote(project, safe='')}"


def prepare_call(
    project_root: str,
    endpoint: str,
    *,
    stream_id: str | None = None,
    params: dict | None = None,
    body: dict | None = None,
) -> PreparedCall:
    """The call of `endpoint` (a key of ENDPOINTS) under `project_root` (see `project_url`)."""
    method, path = ENDPOINTS[endpoint]
    if "{stream}" in path:
        if not stream_id:
            raise ValueError(f"{endpoint} needs a stream id")
        path = path.replace("{stream}", quote(stream_id, safe=""))
    url = project_root + path
    if params:
        url += "?" + urlencode(params, doseq=True)
    return PreparedCall(endpoint, method, url, body)


def as_curl(call: PreparedCall) -> str:
    """A curl command line for the call, reading the token from the CDF_TOKEN environment variable."""
    lines = [
        f"curl -X {call.method} {shlex.quote(call.url)}",
        # Double quotes so that the shell expands the placeholder: the token is never written out.
        f'-H "Authorization: Bearer {TOKEN_PLACEHOLDER}"',
    ]
    lines.extend(f"-H {shlex.quote(f'{name}: {value}')}" for name, value in BASE_HEADERS.items())
    if call.body is not None:
        lines.append(f"--data-raw {shlex.quote(call.data().decode())}")
    return " \\\n  ".join(lines)


SDK_IMPORTS = (
    "from cognite.client import CogniteClient\n"
    "from cognite.client.data_classes.data_modeling.instances import InstanceSort\n"
    "from cognite.client.data_classes.data_modeling.records import (\n"
    "    RecordContainerId,\n    RecordSourceSelector,\n    TimeRange,\n)\n\n"
    "client = CogniteClient()\n"
)


def as_python(call: PreparedCall, stream_id: str) -> str | None:
    """The same read as a call of the official Python SDK (cognite-sdk), or None for other calls."""
    body = call.body or {}
    arguments = [f"stream_id={stream_id!r}"]
    if call.endpoint == "records/sync":
        if "cursor" in body:
            arguments.append(f"cursor={body['cursor']!r}")
        else:
            arguments.append(f"initialize_cursor={body['initializeCursor']!r}")
    if "lastUpdatedTime" in body:
        bounds = ", ".join(f"{bound}={value!r}" for bound, value in body["lastUpdatedTime"].items())
        arguments.append(f"last_updated_time=TimeRange({bounds})")
    if "filter" in body:
        arguments.append(f"filter={_python_literal(body['filter'])}")
    if "sources" in body:
        selectors = [
            f"RecordSourceSelector(RecordContainerId({selector['source']['space']!r}, "
            f"{selector['source']['externalId']!r}), {selector['properties']!r})"
            for selector in body["sources"]
        ]
        arguments.append("sources=[\n        " + ",\n        ".join(selectors) + ",\n    ]")
    if "sort" in body:
        sorts = ", ".join(f"InstanceSort({s['property']!r}, {s['direction']!r})" for s in body["sort"])
        arguments.append(f"sort=[{sorts}]")
    if call.endpoint == "records/filter":
        arguments.append(f"limit={body.get('limit', 10)}")
        head = "records = client.data_modeling.records.filter("
    elif call.endpoint == "records/sync":
        # The SDK pages through the whole feed; the page asks for one chunk of this size.
        arguments.append(f"chunk_size={body.get('limit', 1000)}")
        head = "for chunk in client.data_modeling.records.sync("
    else:
        return None
    tail = "):\n    print(chunk)" if call.endpoint == "records/sync" else ")"
    return SDK_IMPORTS + head + "\n    " + ",\n    ".join(arguments) + ",\n" + tail + "\n"


def _python_literal(value) -> str:
    """JSON as Python source (True, False, None), indented under the call."""
    return pprint.pformat(value, width=100, sort_dicts=False).replace("\n", "\n    ")
