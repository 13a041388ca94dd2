"""The ESIA (Госуслуги) adapter: OAuth 2.0 code flow with PKCE, state and nonce, over Authlib.

Real ESIA additionally wants the client secret as a detached GOST signature of
scope+timestamp+client_id+state, a `timestamp` and `access_type`, and signs its ID tokens with
GOST keys from a certificate rather than a JWKS. The local simulator checks none of that; this
adapter's code path (authorize → token → ID token → /rs/prns) is otherwise the real one.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from psy_identity.domain import Person, new_secret, parse_esia_date
from psy_identity.oauth import TLS, AsyncOAuth2Client


class EsiaError(Exception):
    """ESIA refused or answered something we cannot accept."""


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str
    nonce: str


@dataclass(frozen=True)
class EsiaLogin:
    oid: str
    access_token: str


class EsiaClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        scope: str,
        issuer: str,
        timeout: float = 10.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._issuer = issuer
        self._timeout = timeout
        self._jwks: KeySet | None = None
        self._jwks_at = 0.0
        self._jwks_lock = asyncio.Lock()

    def _oauth(self, redirect_uri: str | None = None) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=self._scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",
            timeout=self._timeout,
            verify=TLS,
        )

    async def authorization(
        self, redirect_uri: str, login_hint: str | None
    ) -> AuthorizationRequest:
        state, verifier, nonce = new_secret(), new_secret(48), new_secret()
        extra = {"login_hint": login_hint} if login_hint else {}
        async with self._oauth(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                f"{self._base}/aas/oauth2/ac",
                state=state,
                code_verifier=verifier,
                nonce=nonce,
                **extra,
            )
        return AuthorizationRequest(url, state, verifier, nonce)

    async def exchange(
        self, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> EsiaLogin:
        """Code → tokens; the ID token must be ESIA's, for us, for this login attempt."""
        try:
            async with self._oauth(redirect_uri) as client:
                token = await client.fetch_token(
                    f"{self._base}/aas/oauth2/te", code=code, code_verifier=code_verifier
                )
        except Exception as exc:
            raise EsiaError(f"token exchange refused: {exc}") from exc
        id_token, access_token = token.get("id_token"), token.get("access_token")
        if not id_token or not access_token:
            raise EsiaError("token response without id_token or access_token")
        claims = await self._verified_claims(id_token, nonce)
        return EsiaLogin(oid=str(claims["sub"]), access_token=access_token)

    async def _verified_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            try:
                decoded = jwt.decode(id_token, await self._keys(), algorithms=["RS256"])
            except (ValueError, JoseError):
                decoded = jwt.decode(id_token, await self._keys(force=True), algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": self._issuer},
                aud={"essential": True, "value": self._client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (ValueError, JoseError) as exc:
            raise EsiaError(f"ID token rejected: {exc}") from exc
        return dict(decoded.claims)

    async def _keys(self, force: bool = False) -> KeySet:
        async with self._jwks_lock:
            if self._jwks is None or (force and time.monotonic() - self._jwks_at > 5):
                async with httpx.AsyncClient(timeout=self._timeout, verify=TLS) as http:
                    response = await http.get(f"{self._base}/aas/oauth2/jwks")
                    response.raise_for_status()
                self._jwks = KeySet.import_key_set(response.json())
                self._jwks_at = time.monotonic()
            return self._jwks

    async def service_token(self) -> str:
        """A token of this service itself (client credentials), for reads an admin asks for."""
        try:
            async with self._oauth() as client:
                token = await client.fetch_token(
                    f"{self._base}/aas/oauth2/te", grant_type="client_credentials"
                )
        except Exception as exc:
            raise EsiaError(f"client credentials refused: {exc}") from exc
        return str(token["access_token"])

    async def _get(self, path: str, access_token: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=self._timeout, verify=TLS) as http:
            response = await http.get(
                f"{self._base}{path}", headers={"Authorization": f"Bearer {access_token}"}
            )
        if response.status_code == 404:
            raise LookupError(path)
        if response.status_code != 200:
            raise EsiaError(f"GET {path}: HTTP {response.status_code}")
        body: dict[str, Any] = response.json()
        return body

    async def person(self, oid: str, access_token: str) -> Person:
        """The person, their e-mail and the region of their registered address."""
        body = await self._get(f"/rs/prns/{oid}", access_token)
        if body.get("trusted") is False:
            raise EsiaError("untrusted ESIA account")
        addresses = await self._get(f"/rs/prns/{oid}/addrs", access_token)
        region = next(
            (a.get("region") for a in addresses.get("elements", []) if a.get("region")), None
        )
        return _person(oid, body, region=region)

    async def kids(self, oid: str, access_token: str) -> list[Person]:
        body = await self._get(f"/rs/prns/{oid}/kids", access_token)
        return [_person(str(k["oid"]), k) for k in body.get("elements", [])]


def _person(oid: str, body: dict[str, Any], region: str | None = None) -> Person:
    try:
        return Person(
            oid=oid,
            last_name=body["lastName"],
            first_name=body["firstName"],
            middle_name=body.get("middleName") or "",
            birth_date=parse_esia_date(body["birthDate"]),
            email=body.get("email") or None,
            region=region,
        )
    except (KeyError, ValueError) as exc:
        raise EsiaError(f"incomplete person record: {exc}") from exc
