"""Signing in with OpenID Connect (AUTH_MODE=oidc), through mozilla-django-oidc.

The authorization code flow with PKCE: the sign-in view sends the user to the provider, the
callback trades the code (and the PKCE verifier) for tokens, checks the ID token's signature
against the provider's keys, and signs the user in. The groups or app roles in the claim named
by OIDC_GROUPS_CLAIM are kept in the session; SignInMiddleware derives the role from them.
"""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .auth import OIDC_GROUPS_SESSION_KEY, USERNAME_MAX_LENGTH
from .views import refuse


def username_from_claims(claims: dict) -> str:
    """The account of the ID token's subject: its `sub` at its issuer, which no one else has (unlike
    preferred_username or email, which providers let people share or change). Too long for a username,
    or with an issuer that would make it ambiguous, it is hashed whole rather than cut: cutting could
    give two people one account. The person is shown by name instead (see `update_user`)."""
    subject, issuer = claims["sub"], claims["iss"]
    key = f"{subject}@{issuer}"
    if len(key) > USERNAME_MAX_LENGTH or "@" in issuer:
        # No "@" in a hashed key, so it never equals a readable one.
        return "oidc-sha256-" + hashlib.sha256(json.dumps([subject, issuer]).encode()).hexdigest()
    return key


def groups_from_claims(claims: dict) -> list[str]:
    """The groups or app roles the provider lists; a single one may come as a plain string."""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    return [groups] if isinstance(groups, str) else [str(group) for group in groups]


class OIDCBackend(OIDCAuthenticationBackend):
    """Creates or updates the Django user named by the claims, and notes their groups on it."""

    def get_userinfo(self, access_token, id_token, payload):
        userinfo = super().get_userinfo(access_token, id_token, payload)
        # Userinfo about anyone but the ID token's subject must not be used (OpenID Connect Core §5.3.2).
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The provider's userinfo is about another subject than its ID token")
        # Some providers (Entra ID) put groups and app roles in the ID token only, not in userinfo.
        # The issuer is the signed ID token's.
        return {**payload, **userinfo, "iss": payload.get("iss")}

    def verify_claims(self, claims):
        return all(isinstance(claims.get(name), str) and claims[name] for name in ("sub", "iss"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=username_from_claims(claims))

    def create_user(self, claims):
        user = self.UserModel(username=username_from_claims(claims))
        user.set_unusable_password()
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        user.email = claims.get("email", "")
        first, last = claims.get("given_name", ""), claims.get("family_name", "")
        if not (first or last):
            # The username is a key; the page names the person.
            first = claims.get("name") or claims.get("preferred_username") or user.email
        user.first_name = first[:150]
        user.last_name = last[:150]
        user.save()
        user.oidc_groups = groups_from_claims(claims)
        return user


class OidcOnlyMixin:
    """The sign-in URLs are always routed (AUTH_MODE is read per request), but only work in oidc mode."""

    def dispatch(self, request, *args, **kwargs):
        if settings.AUTH_MODE != "oidc":
            raise Http404("Signing in with OpenID Connect is off (AUTH_MODE is not oidc).")
        return super().dispatch(request, *args, **kwargs)


class SignInView(OidcOnlyMixin, OIDCAuthenticationRequestView):
    pass


class CallbackView(OidcOnlyMixin, OIDCAuthenticationCallbackView):
    def login_success(self):
        response = super().login_success()
        self.request.session[OIDC_GROUPS_SESSION_KEY] = self.user.oidc_groups
        return response

    def login_failure(self):
        # The default sends the user to "/", which would start another sign-in: say what happened instead.
        return refuse(
            self.request,
            "Signing in with your identity provider did not succeed. Try again, or ask an administrator.",
        )
