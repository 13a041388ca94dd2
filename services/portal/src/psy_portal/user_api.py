"""Calls on behalf of the logged-in person: a fresh access token, refreshed when it expires."""

import time
from typing import Any

import httpx

from psy_portal.backend import Backend, ServiceError, error_from, unavailable
from psy_portal.web_session import SessionStore, WebSession


class LoginRequired(Exception):
    """No session, or identity refused to refresh it: the person logs in again."""


class UserApi:
    def __init__(
        self, backend: Backend, store: SessionStore, session: WebSession, margin: float
    ) -> None:
        self.backend = backend
        self.store = store
        self.session = session
        self.margin = margin

    async def token(self, force_refresh: bool = False) -> str:
        session = self.session
        if not session.logged_in:
            raise LoginRequired
        if not force_refresh and session.access_fresh(self.margin):
            return session.access_token  # type: ignore[return-value]
        stale = session.access_token
        async with self.store.lock(session):
            # Another request of this browser may have refreshed while we waited for the lock.
            current = await self.store.load(session.id)
            if current is None or not current.logged_in:
                raise LoginRequired
            if current.access_token != stale and current.access_fresh(self.margin):
                self._adopt(current)
                return current.access_token  # type: ignore[return-value]
            if not current.refresh_token:
                raise LoginRequired
            try:
                tokens = await self.backend.refresh(current.refresh_token)
            except ServiceError as exc:
                if exc.status in (400, 401, 403):
                    await self.store.delete(current)
                    raise LoginRequired from exc
                raise
            current.sign_in(tokens, time.time())
            await self.store.save_tokens(current)
            self._adopt(current)
            return current.access_token  # type: ignore[return-value]

    def _adopt(self, fresh: WebSession) -> None:
        self.session.access_token = fresh.access_token
        self.session.refresh_token = fresh.refresh_token
        self.session.access_expires_at = fresh.access_expires_at

    async def send(self, service: str, method: str, path: str, **kw: Any) -> httpx.Response:
        response = await self.backend.send(service, method, path, token=await self.token(), **kw)
        if response.status_code == 401:
            # Revoked or expired early (clock skew): one refresh, one retry.
            token = await self.token(force_refresh=True)
            response = await self.backend.send(service, method, path, token=token, **kw)
            if response.status_code == 401:
                raise LoginRequired
        return response

    async def call(self, service: str, method: str, path: str, **kw: Any) -> Any:
        response = await self.send(service, method, path, **kw)
        if response.status_code >= 400:
            raise error_from(service, response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise unavailable(service) from exc

    async def get(self, service: str, path: str, **kw: Any) -> Any:
        return await self.call(service, "GET", path, **kw)

    async def post(self, service: str, path: str, **kw: Any) -> Any:
        return await self.call(service, "POST", path, **kw)

    async def delete(self, service: str, path: str, **kw: Any) -> Any:
        return await self.call(service, "DELETE", path, **kw)
