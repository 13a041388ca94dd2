"""The browser's session: an opaque id in a cookie; the tokens stay here, in Redis.

One Redis hash per session (`portal:session:<id>`: the profile and the tokens, each a JSON
field written separately), expiring after the idle TTL. A session exists
before login too (it carries the CSRF token and the login state), with no tokens in it.
"""

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from psy_portal.csrf import new_token

PREFIX = "portal:session:"
ANONYMOUS_TTL_SECONDS = 30 * 60
TOKENS = ("access_token", "refresh_token", "access_expires_at")


@dataclass
class WebSession:
    id: str
    csrf: str
    access_token: str | None = None
    refresh_token: str | None = None
    access_expires_at: float = 0.0
    user_id: str | None = None
    role: str | None = None
    full_name: str | None = None
    timezone: str | None = None
    login_state: str | None = None
    # Notices shown once on the next page (after a redirect), e.g. «Сферум привязан».
    flash: list[dict[str, str]] = field(default_factory=list)

    @property
    def logged_in(self) -> bool:
        return self.refresh_token is not None or self.access_token is not None

    def access_fresh(self, margin: float, now: float | None = None) -> bool:
        return self.access_token is not None and (now or time.time()) < (
            self.access_expires_at - margin
        )

    def sign_in(self, tokens: dict[str, Any], now: float | None = None) -> None:
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token", self.refresh_token)
        self.access_expires_at = (now or time.time()) + float(tokens.get("expires_in", 300))


class SessionStore:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    def new(self) -> WebSession:
        return WebSession(id=secrets.token_urlsafe(32), csrf=new_token())

    async def load(self, session_id: str | None) -> WebSession | None:
        if not session_id or len(session_id) > 100:
            return None
        fields = await self.redis.hgetall(PREFIX + session_id)
        if not fields.get("profile"):
            return None
        data = json.loads(fields["profile"]) | json.loads(fields.get("tokens") or "{}")
        return WebSession(**{k: v for k, v in data.items() if k in WebSession.__dataclass_fields__})

    async def save(self, session: WebSession) -> None:
        """The whole session: a new one, or one that just logged in."""
        await self._write(session, profile=True, tokens=True)

    async def save_profile(self, session: WebSession) -> None:
        """Everything but the tokens: a request that did not refresh never writes them back, so
        it cannot put a rotated (now revoked) refresh token over the one a parallel request got."""
        await self._write(session, profile=True, tokens=False)

    async def save_tokens(self, session: WebSession) -> None:
        await self._write(session, profile=False, tokens=True)

    async def touch(self, session: WebSession) -> None:
        """Slides the idle expiry."""
        await self.redis.expire(PREFIX + session.id, self._ttl(session))

    async def _write(self, session: WebSession, profile: bool, tokens: bool) -> None:
        data = asdict(session)
        mapping: dict[Any, Any] = {}
        if profile:
            mapping["profile"] = json.dumps({k: v for k, v in data.items() if k not in TOKENS})
        if tokens:
            mapping["tokens"] = json.dumps({k: data[k] for k in TOKENS})
        key = PREFIX + session.id
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, self._ttl(session))
            await pipe.execute()

    def _ttl(self, session: WebSession) -> int:
        # A session that never logged in only carries a login state: it need not live long.
        return self.ttl if session.logged_in else min(self.ttl, ANONYMOUS_TTL_SECONDS)

    async def delete(self, session: WebSession) -> None:
        await self.redis.delete(PREFIX + session.id)

    def lock(self, session: WebSession):  # type: ignore[no-untyped-def]
        """Serialises token refreshes of one session: a refresh token is single-use."""
        return self.redis.lock(f"{PREFIX}{session.id}:refresh", timeout=15, blocking_timeout=15)
