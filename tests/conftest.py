"""Fixtures for every layer: real infrastructure for integration and e2e tests."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from tests.support.infra import Infra, discover

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def infra() -> Infra:
    return discover()


@pytest.fixture(scope="session")
def run_id() -> str:
    return RUN_ID


@pytest.fixture
def topic_prefix() -> str:
    """A fresh prefix per test: its topics are its own."""
    return f"t{RUN_ID}.{uuid.uuid4().hex[:6]}."


@pytest.fixture
async def new_database(infra: Infra) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Creates empty databases for this test; returns SQLAlchemy URLs. Dropped afterwards."""
    created: list[str] = []

    async def create(label: str) -> str:
        name = f"t_{RUN_ID}_{label}_{uuid.uuid4().hex[:6]}"
        conn = await asyncpg.connect(infra.pg_admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        return infra.database_url(name)

    yield create
    conn = await asyncpg.connect(infra.pg_admin_url)
    try:
        for name in created:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def issuer():  # type: ignore[no-untyped-def]
    """Signs access tokens the services verify through a real JWKS endpoint."""
    from tests.support.tokens import test_issuer

    async with test_issuer() as issuer:
        yield issuer
