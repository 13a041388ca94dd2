"""JWT verification against a JWKS served over HTTP: what a service accepts and refuses."""

import uuid

import httpx
from fastapi import FastAPI
from joserfc.jwk import RSAKey
from psy_platform.auth import CurrentUser, JwksVerifier
from psy_platform.errors import install_error_handlers

from tests.support.serve import serving
from tests.support.tokens import AUDIENCE, ISSUER, TestIssuer


def protected_app(jwks_url: str) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.verifier = JwksVerifier(jwks_url, ISSUER, AUDIENCE, refetch_after=0)

    @app.get("/whoami")
    async def whoami(user: CurrentUser) -> dict[str, str]:
        return {"id": str(user.id), "role": user.role}

    return app


async def call(base: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base) as client:
        return await client.get("/whoami", headers=headers)


async def test_valid_token_names_the_caller(issuer: TestIssuer) -> None:
    user = uuid.uuid4()
    async with serving(protected_app(issuer.jwks_url)) as base:
        response = await call(base, issuer.token(user, "parent"))
    assert response.status_code == 200
    assert response.json() == {"id": str(user), "role": "parent"}


async def test_refusals_carry_a_stable_code(issuer: TestIssuer) -> None:
    user = uuid.uuid4()
    stranger = TestIssuer(jwks_url=issuer.jwks_url)  # same claims, a key the JWKS does not have
    forged = issuer.token(user, "parent")[:-4] + "AAAA"
    cases = {
        "no token": (None, "unauthenticated"),
        "expired": (issuer.token(user, "parent", ttl=-60), "token_expired"),
        "wrong audience": (issuer.token(user, "parent", aud="other"), "token_invalid"),
        "wrong issuer": (issuer.token(user, "parent", iss="evil"), "token_invalid"),
        "wrong key": (stranger.token(user, "admin"), "token_invalid"),
        "forged signature": (forged, "token_invalid"),
        "garbage": ("not-a-jwt", "token_invalid"),
    }
    async with serving(protected_app(issuer.jwks_url)) as base:
        for name, (token, code) in cases.items():
            response = await call(base, token)
            assert response.status_code == 401, name
            assert response.json()["error"]["code"] == code, name
            assert response.json()["error"]["message"], name


async def test_a_rotated_key_is_picked_up_without_restart(issuer: TestIssuer) -> None:
    user = uuid.uuid4()
    async with serving(protected_app(issuer.jwks_url)) as base:
        assert (await call(base, issuer.token(user, "child"))).status_code == 200
        old_key = issuer.key
        issuer.key = RSAKey.generate_key(2048, {"kid": uuid.uuid4().hex})
        try:
            assert (await call(base, issuer.token(user, "child"))).status_code == 200
        finally:
            issuer.key = old_key
