"""Signing in with OpenID Connect (AUTH_MODE=oidc): a real authorization code round trip with PKCE
against a small OpenID provider run by the test."""

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from records.web.auth import check_auth_mode
from records.web.oidc import username_from_claims

CLIENT_ID, CLIENT_SECRET = "streams-admin", "provider-secret"
OLGA = {
    "sub": "0b5e-olga",
    "email": "olga@example.com",
    "preferred_username": "olga",
    "given_name": "Olga",
    "family_name": "Owens",
    "groups": ["everyone", "streams-editors"],
}


class FakeProvider:
    """An OpenID provider that signs in `user` without asking, checking PKCE and signing ID tokens
    RS256 with a key of its own. It records the authorization and token requests it gets."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user = OLGA
        # Claims the userinfo endpoint answers on top of the user's.
        self.userinfo_changes: dict = {}
        self.authorizations: list[dict] = []
        self.token_requests: list[dict] = []
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                query = {name: values[0] for name, values in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    self.send_response(302)
                    self.send_header("Location", provider.authorize(query))
                    self.end_headers()
                elif url.path == "/jwks":
                    self.reply(200, provider.jwks())
                elif url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider._access_tokens.get(token)
                    if claims:
                        self.reply(200, {**claims, **provider.userinfo_changes})
                    else:
                        self.reply(401, {"error": "invalid_token"})
                else:
                    self.reply(404, {"error": "not_found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {name: values[0] for name, values in parse_qs(body).items()}
                status, answer = provider.token(form) if self.path == "/token" else (404, {})
                self.reply(status, answer)

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args):
                pass

        return Handler

    def authorize(self, query: dict) -> str:
        self.authorizations.append(query)
        code = secrets.token_urlsafe(16)
        self._codes[code] = {**query, "user": self.user}
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict) -> tuple[int, dict]:
        self.token_requests.append(form)
        grant = self._codes.pop(form.get("code"), None)
        if grant is None or (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return 400, {"error": "invalid_grant"}
        if pkce_challenge(form.get("code_verifier", "")) != grant.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "code_verifier does not match"}
        user = grant["user"]
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": user["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})
        access_token = secrets.token_urlsafe(16)
        self._access_tokens[access_token] = user
        return 200, {"id_token": id_token, "access_token": access_token, "token_type": "Bearer"}

    def jwks(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "test-key", "alg": "RS256", "use": "sig"}]}


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of RFC 7636 §4.2."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
def provider():
    provider = FakeProvider()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.fixture
def oidc_app(app, settings, provider):
    settings.AUTH_MODE = "oidc"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = provider.url + "/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = provider.url + "/token"
    settings.OIDC_OP_USER_ENDPOINT = provider.url + "/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = provider.url + "/jwks"
    settings.OIDC_OP_LOGOUT_URL = provider.url + "/logout"
    return app


def test_sign_in_with_openid_connect_and_pkce(oidc_app, provider):
    browser = requests.Session()
    page = browser.get(oidc_app.url + "/streams/alarms-live/?q=1", timeout=30)

    hops = [response.headers["Location"] for response in page.history]
    assert hops[0] == "/oidc/authenticate/?next=%2Fstreams%2Falarms-live%2F%3Fq%3D1"
    assert hops[1].startswith(provider.url + "/authorize?")
    assert hops[2].startswith(oidc_app.url + "/oidc/callback/?code=")
    assert hops[3] == "/streams/alarms-live/?q=1"
    assert page.url == oidc_app.url + "/streams/alarms-live/?q=1"
    assert "Olga Owens" in page.text and '<small class="badge">editor</small>' in page.text

    (authorization,) = provider.authorizations
    assert authorization["client_id"] == CLIENT_ID and authorization["scope"] == "openid email profile"
    assert authorization["code_challenge_method"] == "S256"
    (token_request,) = provider.token_requests
    assert token_request["grant_type"] == "authorization_code"
    assert pkce_challenge(token_request["code_verifier"]) == authorization["code_challenge"]

    # The session stays signed in without going back to the provider.
    assert browser.get(oidc_app.url + "/", allow_redirects=False, timeout=30).status_code == 200
    assert len(provider.authorizations) == 1


def test_groups_that_map_to_no_role_are_refused(oidc_app, provider):
    provider.user = {**OLGA, "groups": ["everyone"]}
    page = requests.Session().get(oidc_app.url + "/", timeout=30)
    assert page.status_code == 403 and "has no Streams Admin role" in page.text
    assert len(provider.token_requests) == 1  # signed in, but without a role


def test_app_roles_claim_and_updated_user(oidc_app, provider, settings):
    settings.OIDC_GROUPS_CLAIM = "roles"
    provider.user = {**OLGA, "given_name": "Olga B.", "roles": "streams-admins"}
    page = requests.Session().get(oidc_app.url + "/", timeout=30)
    assert "Olga B. Owens" in page.text and '<small class="badge">admin</small>' in page.text


def test_security_accounts_are_keyed_on_subject_and_issuer_not_username():
    """Security: an account belongs to one subject of one issuer, never to a preferred_username or an
    email; a key too long for a username is hashed whole, not cut, so two subjects never share one."""
    key = username_from_claims
    olga = {**OLGA, "iss": "https://login.example.com/tenant/v2.0"}
    assert key(olga) == "0b5e-olga@https://login.example.com/tenant/v2.0"
    assert key(olga) == key({**olga, "preferred_username": "o", "email": ""})
    assert key(olga) != key({**olga, "sub": "1c6f-olga"})
    assert key(olga) != key({**olga, "iss": "https://other.example.com"})
    long_sub = "s" * 300
    first, second = key({**olga, "sub": long_sub}), key({**olga, "sub": long_sub[:150] + "t" * 150})
    assert first != second and len(first) == len(second) <= 150
    assert key({"sub": "a@b", "iss": "c"}) != key({"sub": "a", "iss": "b@c"})


def test_security_two_people_with_one_username_get_two_accounts(oidc_app, provider):
    """Security: two subjects with the same preferred_username sign in to two accounts, each shown by
    name; the same subject signing in again gets its own account back; long subjects are not cut."""

    def sign_in(claims: dict) -> str:
        provider.user = claims
        page = requests.Session().get(oidc_app.url + "/", timeout=30)
        assert page.status_code == 200
        return page.text

    assert "Olga Owens" in sign_in(OLGA)
    namesake = {"sub": "7d1a-other", "preferred_username": "olga", "groups": ["streams-viewers"]}
    page = sign_in(namesake)
    assert "olga <small" in page and '<small class="badge">viewer</small>' in page
    assert '<small class="badge">editor</small>' in sign_in(OLGA)
    long_sub = "s" * 300
    sign_in({**namesake, "sub": long_sub})
    sign_in({**namesake, "sub": long_sub[:150] + "t" * 150})
    accounts = get_user_model().objects.filter(first_name__in=["Olga", "olga"])
    assert accounts.count() == 4
    assert accounts.get(first_name="Olga").username == f"0b5e-olga@{provider.url}"


def test_userinfo_about_another_subject_is_refused(oidc_app, provider):
    """Security: the account is the signed ID token's subject; userinfo naming another is not believed."""
    provider.userinfo_changes = {"sub": "someone-else", "groups": ["streams-admins"]}
    page = requests.Session().get(oidc_app.url + "/", timeout=30)
    assert page.status_code == 403 and "did not succeed" in page.text
    assert not get_user_model().objects.filter(username__startswith="someone-else").exists()


def test_sign_out_ends_the_session_and_the_providers(oidc_app, provider):
    browser = requests.Session()
    page = browser.get(oidc_app.url + "/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    signed_out = browser.post(
        oidc_app.url + "/signout/", data={"csrfmiddlewaretoken": token}, allow_redirects=False, timeout=30
    )
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == provider.url + "/logout"
    again = browser.get(oidc_app.url + "/", allow_redirects=False, timeout=30)
    assert again.status_code == 302 and again.headers["Location"] == "/oidc/authenticate/?next=%2F"


def test_provider_refusal_is_explained(oidc_app):
    page = requests.get(oidc_app.url + "/oidc/callback/?error=access_denied&state=x", timeout=30)
    assert page.status_code == 403 and "did not succeed" in page.text


def test_openid_connect_needs_its_endpoints(settings):
    settings.AUTH_MODE = "oidc"
    settings.OIDC_RP_CLIENT_ID = "streams-admin"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://login.example.com/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = settings.OIDC_OP_USER_ENDPOINT = settings.OIDC_OP_JWKS_ENDPOINT = ""
    with pytest.raises(
        ImproperlyConfigured, match="OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT"
    ):
        check_auth_mode()
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://login.example.com/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://login.example.com/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://login.example.com/keys"
    check_auth_mode()
    settings.CDF_TOKEN_SOURCE = "forwarded"
    with pytest.raises(ImproperlyConfigured, match="CDF_TOKEN_SOURCE=forwarded needs AUTH_MODE=proxy"):
        check_auth_mode()
