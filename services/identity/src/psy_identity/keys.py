"""Access-token signing keys kept in PostgreSQL so every replica signs and publishes the same set.

Rotation: a new key is published at once but signs only after `activation` (so verifiers have
fetched it); the old key stops signing then and stays in the JWKS until the last token it signed
has expired (access TTL plus a minute of clock leeway).
"""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from psy_platform.db import Database
from sqlalchemy import delete, func, or_, select, text

from psy_identity.store import signing_key

log = logging.getLogger(__name__)

_KEYS_LOCK = 7_340_101  # advisory lock: one replica creates or rotates keys at a time
CLOCK_LEEWAY = timedelta(seconds=60)


@dataclass(frozen=True)
class StoredKey:
    kid: str
    key: RSAKey
    created_at: datetime
    retired_at: datetime | None


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": kid, "alg": "RS256", "use": "sig"}, private=True)


class Keyring:
    def __init__(
        self,
        db: Database,
        access_ttl: timedelta,
        rotate_after: timedelta,
        activation: timedelta,
        refresh_seconds: float,
    ) -> None:
        self._db = db
        self._access_ttl = access_ttl
        self._rotate_after = rotate_after
        self._activation = activation
        self._refresh_seconds = refresh_seconds
        self._keys: list[StoredKey] = []
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    def _published_since(self, now: datetime) -> datetime:
        return now - self._access_ttl - CLOCK_LEEWAY

    async def _load(self, force: bool = False) -> list[StoredKey]:
        async with self._lock:
            if force or time.monotonic() - self._loaded_at > self._refresh_seconds:
                await self._ensure_key()
                now = datetime.now(UTC)
                async with self._db.transaction() as session:
                    rows = (
                        await session.execute(
                            select(signing_key)
                            .where(
                                or_(
                                    signing_key.c.retired_at.is_(None),
                                    signing_key.c.retired_at > self._published_since(now),
                                )
                            )
                            .order_by(signing_key.c.created_at)
                        )
                    ).all()
                self._keys = [
                    StoredKey(
                        r.kid,
                        RSAKey.import_key(
                            r.private_pem, {"kid": r.kid, "alg": "RS256", "use": "sig"}
                        ),
                        r.created_at,
                        r.retired_at,
                    )
                    for r in rows
                ]
                self._loaded_at = time.monotonic()
            return self._keys

    async def _ensure_key(self) -> None:
        async with self._db.transaction() as session:
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _KEYS_LOCK})
            active = await session.scalar(
                select(signing_key.c.kid).where(signing_key.c.retired_at.is_(None)).limit(1)
            )
            if active is None:
                # The very first key signs at once: there are no tokens or verifiers yet.
                kid = uuid.uuid4().hex
                await session.execute(
                    signing_key.insert().values(
                        kid=kid,
                        private_pem=_new_key(kid).as_pem(private=True).decode(),
                        created_at=datetime.now(UTC) - self._activation,
                    )
                )

    async def signer(self) -> StoredKey:
        """The newest key already active."""
        keys = await self._load()
        now = datetime.now(UTC)
        active = [
            k
            for k in keys
            if k.created_at <= now - self._activation
            and (k.retired_at is None or k.retired_at > now)
        ]
        return active[-1] if active else keys[-1]

    async def sign(self, claims: dict[str, object]) -> str:
        key = await self.signer()
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key.key)

    async def public_set(self) -> KeySet:
        return KeySet([k.key for k in await self._load()])

    async def jwks(self) -> dict[str, object]:
        return dict((await self.public_set()).as_dict(private=False))

    async def rotate(self, unless_newer_than: datetime | None = None) -> str | None:
        """Publish a new key now; it signs after the activation delay, when the old one retires.

        With `unless_newer_than`, nothing happens when another replica already rotated.
        """
        kid = uuid.uuid4().hex
        now = datetime.now(UTC)
        async with self._db.transaction() as session:
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _KEYS_LOCK})
            if unless_newer_than is not None:
                newest = await session.scalar(select(func.max(signing_key.c.created_at)))
                if newest is not None and newest >= unless_newer_than:
                    return None
            await session.execute(
                signing_key.update()
                .where(signing_key.c.retired_at.is_(None))
                .values(retired_at=now + self._activation)
            )
            await session.execute(
                signing_key.insert().values(
                    kid=kid, private_pem=_new_key(kid).as_pem(private=True).decode(), created_at=now
                )
            )
        await self._load(force=True)
        log.info("signing key rotated; new kid %s", kid)
        return kid

    async def maintain(self) -> None:
        """Background loop: rotate when the active key is old, drop keys nobody can need."""
        while True:
            try:
                await self._maintain_once()
            except Exception as exc:
                log.warning("keyring maintenance failed: %s", exc)
            await asyncio.sleep(max(self._refresh_seconds, 1.0))

    async def _maintain_once(self) -> None:
        now = datetime.now(UTC)
        keys = await self._load(force=True)
        if keys[-1].created_at < now - self._rotate_after:
            await self.rotate(unless_newer_than=now - self._rotate_after)
        async with self._db.transaction() as session:
            await session.execute(
                delete(signing_key).where(
                    signing_key.c.retired_at < self._published_since(now) - timedelta(days=1)
                )
            )
