"""Identity served for real against the simulators (ESIA, VK ID) on loopback ports."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from psy_identity.__main__ import MIGRATIONS
from psy_identity.app import create_app
from psy_identity.config import IdentitySettings
from psy_identity.keys import Keyring
from psy_platform.migrations import migrate

from tests.support.serve import serving


@pytest.fixture(scope="session")
async def simulators() -> AsyncIterator[str]:
    from psy_localstack.simulators.app import app

    async with serving(app) as base:
        yield base


@dataclass
class Running:
    base: str
    settings: IdentitySettings
    app: FastAPI

    @property
    def keyring(self) -> Keyring:
        keyring: Keyring = self.app.state.keyring
        return keyring

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/.well-known/jwks.json"


@pytest.fixture
def identity_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change settings."""
    return {}


@pytest.fixture
async def identity(
    new_database, infra, topic_prefix, simulators, identity_overrides
) -> AsyncIterator[Running]:  # type: ignore[no-untyped-def]
    url = await new_database("identity")
    await asyncio.to_thread(migrate, url, MIGRATIONS)
    settings = {
        "env": "test",
        "database_url": url,
        "kafka_bootstrap_servers": infra.kafka,
        "kafka_topic_prefix": topic_prefix,
        "redis_url": infra.redis_url,
        "redis_prefix": f"{topic_prefix}identity:",
        "esia_url": simulators,
        "vkid_url": f"{simulators}/vkid",
        "signing_key_activation_seconds": 0,
        **identity_overrides,
    }
    async with replica(settings) as running:
        yield running


@contextlib.asynccontextmanager
async def replica(values: dict[str, Any]) -> AsyncIterator[Running]:
    """One identity process (an app on its own port); several may share a database."""
    settings = IdentitySettings(**values)
    app = create_app(settings)
    async with serving(app) as base:
        # ESIA and VK ID must redirect browsers back to wherever this instance listens.
        settings.public_url = base
        yield Running(base, settings, app)
