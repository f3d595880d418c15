"""The wire: bearer tokens and capabilities, JSON (and gzip) bodies, the error envelope,
`x-request-id`, and injected faults, shared by every emulator endpoint."""

import functools
import gzip
import logging
import time
import uuid
import zlib

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cdftypes.values import parse_json

from . import faults, oauth
from .errors import ApiError, bad_request

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
ALL_CAPABILITIES = None  # a token that may do everything


def token_capabilities(token: str) -> set[str] | None:
    """The capabilities of a bearer token: the configured set, or None (everything).

    With DEBUG on any other token may do everything; without it only tokens the token endpoint
    issued may, and any other token gets a 401, as CDF answers a token it does not know.
    """
    for entry in settings.EMULATOR_TOKENS.split(";"):
        name, _, capabilities = entry.strip().partition("=")
        if name and name == token:
            return set(capabilities.split())
    if settings.DEBUG or oauth.issued_to(token):
        return ALL_CAPABILITIES
    raise ApiError(401, "Unauthorized: the access token is not valid (unknown, expired or revoked)")


def bearer_token(request) -> str:
    """The request's bearer token; a 401 without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Unauthorized: send an access token as 'Authorization: Bearer <token>'")
    return token.strip()


def authorize(request, capabilities: tuple[str, ...]) -> None:
    granted = token_capabilities(bearer_token(request))
    missing = [c for c in capabilities if granted is not ALL_CAPABILITIES and c not in granted]
    if missing:
        raise ApiError(403, f"Forbidden: the token lacks the capability {', '.join(missing)}")


def check_project(project: str) -> None:
    if project not in settings.EMULATOR_PROJECTS:
        raise ApiError(403, f"Project '{project}' does not exist or the token has no access to it")


def read_json(request) -> object:
    """The request body as JSON: gzip inflated, at most 10 MB, a 400 naming the problem."""
    raw = request.body
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, MAX_BODY_BYTES + 1)
        except (zlib.error, gzip.BadGzipFile) as error:
            raise bad_request(f"Request body is not valid gzip: {error}") from None
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"Request body is larger than the limit of {MAX_BODY_BYTES} bytes (10 MB)")
    if not raw.strip():
        raise bad_request("Request body is empty; a JSON object is required")
    try:
        body = parse_json(raw)
    except ValueError as error:
        raise bad_request(f"Request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def api_view(endpoint: str | dict, capabilities: tuple[str, ...] = (), methods: tuple[str, ...] = ("POST",)):
    """Make a view an emulator endpoint.

    The view takes (request, project, **kwargs) and returns (status, body) or raises ApiError.
    `endpoint` names it for fault injection (e.g. "records/ingest"), or maps methods to names.
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, project, **kwargs):
            request_id = str(uuid.uuid4())
            headers = {}
            try:
                if request.method not in methods:
                    raise ApiError(
                        405, f"Method {request.method} is not allowed here; use {', '.join(methods)}"
                    )
                check_project(project)
                authorize(request, capabilities)
                name = endpoint if isinstance(endpoint, str) else endpoint[request.method]
                fault = faults.take(project, name)
                if fault and fault.delay_ms:
                    time.sleep(fault.delay_ms / 1000)
                if fault and fault.status and not fault.fail_records:
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                    raise ApiError(fault.status, f"Injected fault: {fault.status}", headers=headers)
                request.fault = fault
                status, body = view(request, project, **kwargs)
            except ApiError as error:
                status, body, headers = error.code, error.body(), error.headers
            response = JsonResponse(body, status=status)
            response["x-request-id"] = request_id
            for name, value in headers.items():
                response[name] = value
            return response

        return wrapper

    return decorate
