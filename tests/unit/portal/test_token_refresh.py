"""The BFF keeps the tokens: a stale access token is refreshed once, even by parallel requests
(identity's refresh tokens are single-use: a second use would revoke the whole login)."""

import asyncio
import time
from typing import Any

import pytest
from psy_portal.backend import ServiceError
from psy_portal.user_api import LoginRequired, UserApi
from psy_portal.web_session import WebSession


class FakeStore:
    """The session store's contract, in memory; the lock is a real mutual exclusion."""

    def __init__(self) -> None:
        self.saved: dict[str, WebSession] = {}
        self._lock = asyncio.Lock()

    async def load(self, session_id: str) -> WebSession | None:
        found = self.saved.get(session_id)
        return WebSession(**vars(found)) if found else None

    async def save(self, session: WebSession) -> None:
        self.saved[session.id] = WebSession(**vars(session))

    async def save_tokens(self, session: WebSession) -> None:
        await self.save(session)

    async def delete(self, session: WebSession) -> None:
        self.saved.pop(session.id, None)

    def lock(self, _: WebSession) -> asyncio.Lock:
        return self._lock


class FakeIdentity:
    def __init__(self, refuse: bool = False) -> None:
        self.refreshes: list[str] = []
        self.refuse = refuse

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        self.refreshes.append(refresh_token)
        await asyncio.sleep(0.01)  # let the other request reach the lock meanwhile
        if self.refuse:
            raise ServiceError(401, "refresh_invalid", "Сеанс истёк.")
        n = len(self.refreshes)
        return {"access_token": f"access-{n}", "refresh_token": f"refresh-{n}", "expires_in": 900}


async def stale_session(store: FakeStore) -> WebSession:
    session = WebSession(id="sid", csrf="c", access_token="old", refresh_token="refresh-0")
    session.access_expires_at = time.time() - 1
    await store.save(session)
    return session


async def test_a_fresh_token_is_used_as_is() -> None:
    store, identity = FakeStore(), FakeIdentity()
    session = WebSession(id="sid", csrf="c", access_token="a", refresh_token="r")
    session.access_expires_at = time.time() + 600
    api = UserApi(identity, store, session, margin=30)  # type: ignore[arg-type]
    assert await api.token() == "a"
    assert identity.refreshes == []


async def test_parallel_requests_with_a_stale_token_refresh_once() -> None:
    store, identity = FakeStore(), FakeIdentity()
    session = await stale_session(store)
    # Two requests of the same browser, each with its own copy of the session (as loaded).
    first = UserApi(identity, store, await store.load("sid"), margin=30)  # type: ignore[arg-type]
    second = UserApi(identity, store, await store.load("sid"), margin=30)  # type: ignore[arg-type]
    tokens = await asyncio.gather(first.token(), second.token())
    assert tokens == ["access-1", "access-1"]
    assert identity.refreshes == ["refresh-0"]
    assert store.saved["sid"].refresh_token == "refresh-1"  # the rotated one is kept
    assert session.access_token == "old"  # callers' copies were updated, not this one


async def test_a_refused_refresh_ends_the_session() -> None:
    store, identity = FakeStore(), FakeIdentity(refuse=True)
    session = await stale_session(store)
    api = UserApi(identity, store, session, margin=30)  # type: ignore[arg-type]
    with pytest.raises(LoginRequired):
        await api.token()
    assert "sid" not in store.saved


async def test_no_tokens_means_login() -> None:
    api = UserApi(FakeIdentity(), FakeStore(), WebSession(id="x", csrf="c"), margin=30)  # type: ignore[arg-type]
    with pytest.raises(LoginRequired):
        await api.token()
