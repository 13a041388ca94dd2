"""Access and refresh tokens: issue a pair, rotate a refresh token, detect reuse, log out."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psy_platform.db import Database
from psy_platform.errors import ApiError
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from psy_identity import store
from psy_identity.domain import access_claims, digest, judge_refresh, new_secret
from psy_identity.keys import Keyring

INVALID_REFRESH = ApiError(
    401, "refresh_token_invalid", "Сеанс недействителен или истёк. Войдите снова."
)
REUSED_REFRESH = ApiError(
    401,
    "refresh_token_reused",
    "Этот токен обновления уже был использован. Из соображений безопасности сеанс завершён; "
    "войдите снова.",
)


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    access_ttl: int
    refresh_ttl: int


async def _new_refresh(
    session: AsyncSession, account_id: uuid.UUID, family_id: uuid.UUID, ttl: int
) -> str:
    secret = new_secret()
    await session.execute(
        store.refresh_token.insert().values(
            id=uuid.uuid4(),
            token_hash=digest(secret),
            family_id=family_id,
            account_id=account_id,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )
    )
    return secret


async def _pair(
    session: AsyncSession,
    keyring: Keyring,
    policy: TokenPolicy,
    account: Row[Any],
    family: uuid.UUID,
) -> dict[str, object]:
    refresh = await _new_refresh(session, account.id, family, policy.refresh_ttl)
    claims = access_claims(
        account.id,
        account.role,
        datetime.now(UTC),
        policy.access_ttl,
        policy.issuer,
        policy.audience,
    )
    return {
        "access_token": await keyring.sign(claims),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": policy.access_ttl,
    }


async def issue(
    db: Database, keyring: Keyring, policy: TokenPolicy, account_id: uuid.UUID
) -> dict[str, object]:
    """A new login: a new refresh-token family."""
    async with db.transaction() as session:
        account = await store.account_by_id(session, account_id)
        if account is None:
            raise INVALID_REFRESH
        return await _pair(session, keyring, policy, account, uuid.uuid4())


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    t = store.refresh_token
    await session.execute(
        t.update()
        .where(t.c.family_id == family_id, t.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def rotate(
    db: Database, keyring: Keyring, policy: TokenPolicy, presented: str
) -> dict[str, object]:
    t = store.refresh_token
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(t).where(t.c.token_hash == digest(presented)).with_for_update()
            )
        ).first()
        if row is None:
            raise INVALID_REFRESH
        decision = judge_refresh(row.used_at, row.revoked_at, row.expires_at, datetime.now(UTC))
        if decision.outcome == "rotate":
            await session.execute(
                t.update().where(t.c.id == row.id).values(used_at=datetime.now(UTC))
            )
            account = await store.account_by_id(session, row.account_id)
            if account is None:
                raise INVALID_REFRESH
            return await _pair(session, keyring, policy, account, row.family_id)
        if decision.outcome == "reused":
            # Someone holds a copy of a rotated token: end the whole login, for both holders.
            await _revoke_family(session, row.family_id)
    raise REUSED_REFRESH if decision.outcome == "reused" else INVALID_REFRESH


async def logout(db: Database, presented: str) -> None:
    t = store.refresh_token
    async with db.transaction() as session:
        family = await session.scalar(
            select(t.c.family_id).where(t.c.token_hash == digest(presented))
        )
        if family is not None:
            await _revoke_family(session, family)
