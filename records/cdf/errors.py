"""Typed exceptions for CDF answers other than success, built from the CDF error envelope
`{"error": {"code", "message", "missing"?, "duplicated"?, "partial"?}}` (records-api.md §1.4, §5.5).

An exception never holds the access token: only the status, CDF's message, the request id and the
per-record detail of the body.
"""

MAX_TEXT_MESSAGE = 500


class CdfError(Exception):
    """A call to CDF failed.

    `status` is the HTTP status (None when no answer came), `message` CDF's own text, `request_id`
    the `x-request-id` of the answer (quote it to Cognite support). `partial` lists the per-record
    outcomes of a partially failed write ({space, externalId, code, message?}); `duplicated` and
    `missing` the objects CDF found duplicated or missing.
    """

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        partial: list[dict] | None = None,
        duplicated: list[dict] | None = None,
        missing: list[dict] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.request_id = request_id
        self.partial = partial or []
        self.duplicated = duplicated or []
        self.missing = missing or []

    def __str__(self) -> str:
        text = f"{self.status} {self.message}" if self.status else self.message
        return f"{text} (request id {self.request_id})" if self.request_id else text


class CdfBadRequestError(CdfError):
    status = 400


class CdfUnauthorizedError(CdfError):
    status = 401


class CdfForbiddenError(CdfError):
    status = 403


class CdfNotFoundError(CdfError):
    status = 404


class CdfConflictError(CdfError):
    status = 409


class CdfUnprocessableError(CdfError):
    status = 422


class CdfUnavailableError(CdfError):
    """CDF stayed unavailable (500, 502, 503, 504) after the retries allowed."""


class CdfThrottledError(CdfUnavailableError):
    """CDF kept answering 429 Too Many Requests after the retries allowed."""

    status = 429


class CdfNetworkError(CdfError):
    """No answer: the connection failed or was dropped."""


class CdfTimeoutError(CdfNetworkError):
    """No answer within the configured timeout."""


ERRORS_BY_STATUS = {
    400: CdfBadRequestError,
    401: CdfUnauthorizedError,
    403: CdfForbiddenError,
    404: CdfNotFoundError,
    409: CdfConflictError,
    422: CdfUnprocessableError,
    429: CdfThrottledError,
    500: CdfUnavailableError,
    502: CdfUnavailableError,
    503: CdfUnavailableError,
    504: CdfUnavailableError,
}


def error_from_response(response) -> CdfError:
    """The exception for a failed `requests.Response` (or any object with its status_code, headers,
    json() and text)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    envelope = body.get("error") if isinstance(body, dict) else None
    if isinstance(envelope, dict) and isinstance(envelope.get("message"), str):
        message = envelope["message"]
    else:
        # Gateways answer with HTML or plain text; keep the start of it.
        envelope = {}
        message = (response.text or "").strip()[:MAX_TEXT_MESSAGE] or f"HTTP {response.status_code}"
    error_class = ERRORS_BY_STATUS.get(response.status_code, CdfError)
    return error_class(
        message,
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
        partial=_list_of_objects(envelope.get("partial")),
        duplicated=_list_of_objects(envelope.get("duplicated")),
        missing=_list_of_objects(envelope.get("missing")),
    )


def _list_of_objects(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
