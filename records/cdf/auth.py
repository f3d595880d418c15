"""Where the bearer token comes from: a token source has `token() -> str`, and `identity() -> str`
naming its caller (a hash) for what is cached of CDF's answers to them.

`settings.CDF_TOKEN_SOURCE` chooses: "static" (CDF_TOKEN), "client-credentials" (an OAuth2 service
principal: CDF_TOKEN_URL, CDF_CLIENT_ID, CDF_CLIENT_SECRET, CDF_SCOPES) or "forwarded" (the
signed-in user's own token, handed over by the single-sign-on integration).
"""

import hashlib
import json
import threading
import time
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import CdfNetworkError, CdfTimeoutError, CdfUnauthorizedError

TOKEN_SOURCES = ("static", "client-credentials", "forwarded")


class StaticToken:
    """A token given as is."""

    missing_message = "No CDF token is configured (CDF_TOKEN)"

    def __init__(self, token: str):
        self._token = token

    def token(self) -> str:
        if not self._token:
            raise CdfUnauthorizedError(self.missing_message)
        return self._token

    def identity(self) -> str:
        """Who calls CDF, to key what CDF answered them: a hash of the token, never the token."""
        return hashlib.sha256(self.token().encode()).hexdigest()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<hidden>)"


class ForwardedToken(StaticToken):
    """The signed-in user's token, so CDF applies the user's own access rights."""

    missing_message = "No access token was forwarded for the signed-in user; sign in again"


class ClientCredentials:
    """OAuth2 client-credentials grant: a token fetched from the identity provider, cached, and
    fetched again `leeway_seconds` before it expires. Safe to share between threads."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: list[str] | tuple[str, ...] = (),
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        leeway_seconds: float = 30.0,
        clock=time.monotonic,
    ):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.leeway_seconds = leeway_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._token = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def identity(self) -> str:
        """The service principal, the same across its tokens (and secrets): a hash of who it is."""
        return hashlib.sha256(json.dumps([self.token_url, self.client_id, self.scopes]).encode()).hexdigest()

    def token(self) -> str:
        # One thread fetches while the others wait for its token, rather than all fetching at once.
        with self._lock:
            if self._token is None or self.clock() >= self._refresh_at:
                started = self.clock()
                token, expires_in = self._request_token()
                # A token that lives shorter than twice the leeway is renewed halfway through its life.
                leeway = min(self.leeway_seconds, expires_in / 2)
                self._token, self._refresh_at = token, started + expires_in - leeway
            return self._token

    def _request_token(self) -> tuple[str, float]:
        """A new access token and its lifetime in seconds, from the token endpoint."""
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        # HTTP Basic with the id and secret form-encoded first (RFC 6749 §2.3.1), as authlib does.
        auth = (quote(self.client_id, safe=""), quote(self._client_secret, safe=""))
        try:
            response = self.session.post(self.token_url, data=form, auth=auth, timeout=self.timeout)
        except requests.Timeout:
            raise CdfTimeoutError(
                f"The token endpoint {self.token_url} did not answer within {self.timeout} s"
            ) from None
        except requests.RequestException as error:
            raise CdfNetworkError(
                f"The token endpoint {self.token_url} could not be reached: {type(error).__name__}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            detail = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise CdfUnauthorizedError(
                f"The token endpoint {self.token_url} refused client {self.client_id!r}: {detail}",
                status=response.status_code,
            )
        try:
            return str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise CdfUnauthorizedError(
                f"The token endpoint {self.token_url} answered without access_token and expires_in"
            ) from None


_shared_credentials: dict[tuple, ClientCredentials] = {}
_shared_credentials_lock = threading.Lock()


def token_source_from_settings(user_token: str | None = None):
    """The token source that the settings choose; `user_token` is used by the "forwarded" source."""
    kind = settings.CDF_TOKEN_SOURCE
    if kind == "static":
        return StaticToken(settings.CDF_TOKEN)
    if kind == "forwarded":
        return ForwardedToken(user_token or "")
    if kind == "client-credentials":
        key = (
            settings.CDF_TOKEN_URL,
            settings.CDF_CLIENT_ID,
            settings.CDF_CLIENT_SECRET,
            tuple(settings.CDF_SCOPES),
        )
        if not all(key[:3]):
            raise ImproperlyConfigured(
                "CDF_TOKEN_SOURCE=client-credentials needs CDF_TOKEN_URL, CDF_CLIENT_ID and CDF_CLIENT_SECRET"
            )
        # One source per process, so its cached token serves every request.
        with _shared_credentials_lock:
            if key not in _shared_credentials:
                _shared_credentials[key] = ClientCredentials(*key, timeout=settings.CDF_TIMEOUT_SECONDS)
            return _shared_credentials[key]
    raise ImproperlyConfigured(f"CDF_TOKEN_SOURCE must be one of {', '.join(TOKEN_SOURCES)}, not {kind!r}")
