"""Who is signed in, and what they may do.

AUTH_MODE picks where identity comes from:
- "proxy": headers set by the company's SSO proxy (e.g. oauth2-proxy), trusted only from the
  addresses in TRUSTED_PROXIES;
- "oidc": the app signs users in with OpenID Connect itself (records/web/oidc.py), their groups or
  app roles taken from the token's claims;
- "dev": a local sign-in page listing demo users of each role, only with DEBUG on.

Roles come from groups (ROLE_GROUPS): viewer (browse, query, export), editor (also write
records and import), admin (also create and delete streams, see everyone's audit log).
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..cdf import CdfClient, get_client

logger = logging.getLogger(__name__)

ROLES = ("viewer", "editor", "admin")
ROLE_HELP = {
    "viewer": "browse, query and export records",
    "editor": "also edit, create, delete and import records",
    "admin": "also create and delete streams and see everyone's audit log",
}
# Django's user name column: a longer name is refused rather than cut, so two people never share one account.
USERNAME_MAX_LENGTH = 150
# Where records/web/oidc.py keeps the signed-in user's groups (or app roles) from the provider's claims.
OIDC_GROUPS_SESSION_KEY = "oidc_groups"
OIDC_REQUIRED_SETTINGS = (
    "OIDC_RP_CLIENT_ID",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


def check_auth_mode() -> None:
    """Refuse to serve with a sign-in that is unsafe or unknown."""
    if settings.AUTH_MODE not in ("proxy", "oidc", "dev"):
        raise ImproperlyConfigured(f"AUTH_MODE must be 'proxy', 'oidc' or 'dev', not {settings.AUTH_MODE!r}")
    missing = [name for name in OIDC_REQUIRED_SETTINGS if not getattr(settings, name, "")]
    if settings.AUTH_MODE == "oidc" and missing:
        raise ImproperlyConfigured(f"AUTH_MODE=oidc needs {', '.join(missing)} set (see .env.example).")
    if settings.AUTH_MODE == "oidc" and settings.CDF_TOKEN_SOURCE == "forwarded":
        # No proxy forwards the user's token in this mode: every CDF call would fail.
        raise ImproperlyConfigured(
            "CDF_TOKEN_SOURCE=forwarded needs AUTH_MODE=proxy; with AUTH_MODE=oidc use client-credentials."
        )
    if settings.AUTH_MODE == "dev" and not settings.DEBUG:
        raise ImproperlyConfigured(
            "AUTH_MODE=dev signs anyone in without a password; it is refused unless DEBUG is on. "
            "Use AUTH_MODE=proxy behind your single sign-on."
        )


def role_for_groups(groups: list[str]) -> str | None:
    """The highest role any of the groups maps to, by ROLE_GROUPS."""
    granted = None
    for role in ROLES:
        if set(groups) & set(settings.ROLE_GROUPS.get(role, ())):
            granted = role
    return granted


def has_role(request, role: str) -> bool:
    current = getattr(request, "role", None)
    return current is not None and ROLES.index(current) >= ROLES.index(role)


def cdf_client(request) -> CdfClient:
    """A CDF client for this request, carrying the user's own token when CDF_TOKEN_SOURCE=forwarded."""
    return get_client(getattr(request, "cdf_token", None))


def account_username(identity: str) -> str:
    """The account name of an identity: itself when it fits Django's column, otherwise its start and a
    hash of the whole, so two long identities that share their first 150 characters stay two people."""
    if len(identity) <= USERNAME_MAX_LENGTH:
        return identity
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"{identity[: USERNAME_MAX_LENGTH - len(digest) - 1]}~{digest}"
