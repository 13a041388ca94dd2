"""An issuer of access tokens for tests of services other than identity.

It serves a real JWKS over HTTP and signs RS256 tokens exactly as identity does (iss, aud, sub,
role, exp, iat, jti), so a service under test verifies them through its real JWKS code path.
"""

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.support.serve import serving

ISSUER, AUDIENCE = "psy-identity", "psy"


@dataclass
class TestIssuer:
    __test__ = False
    jwks_url: str = ""
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, {"kid": uuid.uuid4().hex})
    )

    def token(self, sub: uuid.UUID | str, role: str, ttl: int = 300, **claims: object) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(sub),
            "role": role,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, body, self.key)

    def headers(self, sub: uuid.UUID | str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, role)}"}


@asynccontextmanager
async def test_issuer() -> AsyncIterator[TestIssuer]:
    issuer = TestIssuer()
    app = FastAPI()

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        return dict(KeySet([issuer.key]).as_dict(private=False))

    async with serving(app) as base:
        issuer.jwks_url = f"{base}/.well-known/jwks.json"
        yield issuer
