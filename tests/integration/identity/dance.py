"""The browser's part of the login and Сферум flows, step by step, without following blindly."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

APP = "http://127.0.0.1:9/after-login"  # a portal page; never fetched, only redirected to


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Dance:
    """Each hop of one login, so a test can replay or tamper with any of them."""

    authorize_url: str
    callback_url: str
    ticket: str


async def esia_dance(client: httpx.AsyncClient, base: str, oid: str, return_to: str = APP) -> Dance:
    start = await client.get(
        f"{base}/auth/login", params={"return_to": return_to, "login_hint": oid}
    )
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    approved = await client.get(authorize)
    assert approved.status_code == 302, approved.text
    callback = approved.headers["location"]
    assert callback.startswith(f"{base}/auth/callback?")
    landed = await client.get(callback)
    assert landed.status_code == 302, landed.text
    assert landed.headers["location"].startswith(return_to)
    return Dance(authorize, callback, query(landed.headers["location"])["ticket"])


async def tokens_for(client: httpx.AsyncClient, base: str, ticket: str) -> dict[str, str]:
    response = await client.post(
        f"{base}/auth/token", json={"grant_type": "ticket", "ticket": ticket}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def log_in(client: httpx.AsyncClient, base: str, oid: str) -> dict[str, str]:
    """The whole dance: login → ESIA → callback → ticket → tokens."""
    dance = await esia_dance(client, base, oid)
    return await tokens_for(client, base, dance.ticket)


def bearer(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def me(client: httpx.AsyncClient, base: str, pair: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{base}/me", headers=bearer(pair))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
