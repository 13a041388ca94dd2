"""JWT verification against identity's JWKS, as a FastAPI dependency.

Keys are cached; a token signed with an unknown `kid` triggers one refetch (rate-limited), which
is how a rotated key is picked up without a restart.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from psy_platform.errors import ApiError


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    role: str
    token_id: str


class JwksVerifier:
    def __init__(
        self, jwks_url: str, issuer: str, audience: str, refetch_after: float = 10.0
    ) -> None:
        self._url = jwks_url
        self._issuer = issuer
        self._audience = audience
        self._refetch_after = refetch_after
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _key_set(self, force: bool = False) -> KeySet:
        async with self._lock:
            stale = time.monotonic() - self._fetched_at > self._refetch_after
            if self._keys is None or (force and stale):
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(self._url)
                    response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
                self._fetched_at = time.monotonic()
            return self._keys

    async def verify(self, token: str) -> Principal:
        try:
            keys = await self._key_set()
            try:
                decoded = jwt.decode(token, keys, algorithms=["RS256"])
            except (ValueError, JoseError) as exc:
                if "kid" not in str(exc).lower() and "key" not in str(exc).lower():
                    raise
                decoded = jwt.decode(token, await self._key_set(force=True), algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self._issuer},
                aud={"essential": True, "value": self._audience},
                sub={"essential": True},
                exp={"essential": True},
                role={"essential": True},
            ).validate(decoded.claims)
            return Principal(
                id=uuid.UUID(decoded.claims["sub"]),
                role=decoded.claims["role"],
                token_id=str(decoded.claims.get("jti", "")),
            )
        except ExpiredTokenError as exc:
            raise ApiError(401, "token_expired", "Сеанс истёк. Войдите снова.") from exc
        except (JoseError, ValueError, KeyError) as exc:
            raise ApiError(401, "token_invalid", "Недействительный токен доступа.") from exc
        except httpx.HTTPError as exc:
            raise ApiError(503, "auth_unavailable", "Проверка входа временно недоступна.") from exc


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_principal(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthenticated", "Войдите в систему.")
    verifier: JwksVerifier = request.app.state.verifier
    return await verifier.verify(token)


CurrentUser = Annotated[Principal, Depends(current_principal)]
