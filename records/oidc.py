"""Signing in with OpenID Connect (AUTH_MODE=oidc), through mozilla-django-oidc.

The authorization code flow with PKCE: the sign-in view sends the user to the provider, the
callback trades the code (and the PKCE verifier) for tokens, checks the ID token's signature
against the provider's keys, and signs the user in. The groups or app roles in the claim named
by OIDC_GROUPS_CLAIM are kept in the session; SignInMiddleware derives the role from them.
"""

from django.conf import settings
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .auth import OIDC_GROUPS_SESSION_KEY, refuse


def username_from_claims(claims: dict) -> str:
    return (claims.get("preferred_username") or claims.get("email") or claims["sub"])[:150]


def groups_from_claims(claims: dict) -> list[str]:
    """The groups or app roles the provider lists; a single one may come as a plain string."""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    return [groups] if isinstance(groups, str) else [str(group) for group in groups]


class OIDCBackend(OIDCAuthenticationBackend):
    """Creates or updates the Django user named by the claims, and notes their groups on it."""

    def get_userinfo(self, access_token, id_token, payload):
        # Some providers (Entra ID) put groups and app roles in the ID token only, not in userinfo.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=username_from_claims(claims))

    def create_user(self, claims):
        user = self.UserModel(username=username_from_claims(claims))
        user.set_unusable_password()
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        user.email = claims.get("email", "")
        user.first_name = claims.get("given_name", "")[:150]
        user.last_name = claims.get("family_name", "")[:150]
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
