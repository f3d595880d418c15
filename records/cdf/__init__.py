"""The service module: everything the app says to CDF goes through here (see client.py)."""

from .auth import ClientCredentials, ForwardedToken, StaticToken, token_source_from_settings
from .calls import PreparedCall, as_curl
from .client import CdfClient, get_client, project_capabilities
from .errors import (
    CdfBadRequestError,
    CdfConflictError,
    CdfError,
    CdfForbiddenError,
    CdfNetworkError,
    CdfNotFoundError,
    CdfThrottledError,
    CdfTimeoutError,
    CdfUnauthorizedError,
    CdfUnavailableError,
    CdfUnprocessableError,
)
from .retry import RetryPolicy
from .writes import RecordOutcome, WriteResult

__all__ = [
    "CdfBadRequestError",
    "CdfClient",
    "CdfConflictError",
    "CdfError",
    "CdfForbiddenError",
    "CdfNetworkError",
    "CdfNotFoundError",
    "CdfThrottledError",
    "CdfTimeoutError",
    "CdfUnauthorizedError",
    "CdfUnavailableError",
    "CdfUnprocessableError",
    "ClientCredentials",
    "ForwardedToken",
    "PreparedCall",
    "RecordOutcome",
    "RetryPolicy",
    "StaticToken",
    "WriteResult",
    "as_curl",
    "get_client",
    "project_capabilities",
    "token_source_from_settings",
]
