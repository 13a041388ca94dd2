"""A real catalog per test: fresh database (migrated), own topic prefix, served over HTTP."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from psy_catalog.app import MIGRATIONS, create_app
from psy_catalog.config import CatalogSettings
from psy_platform.migrations import migrate
from psy_platform.runtime import ServiceRuntime

from tests.support.serve import serving
from tests.support.tokens import TestIssuer

ADMIN = uuid.uuid4()
PARENT = uuid.uuid4()


@dataclass
class Catalog:
    http: httpx.AsyncClient
    settings: CatalogSettings
    runtime: ServiceRuntime
    issuer: TestIssuer

    def as_(self, role: str, user: uuid.UUID | None = None) -> dict[str, str]:
        return self.issuer.headers(user or uuid.uuid4(), role)

    @property
    def parent(self) -> dict[str, str]:
        return self.issuer.headers(PARENT, "parent")

    async def add_psychologist(self, full_name: str, **fields: Any) -> uuid.UUID:
        pid = fields.pop("id", None) or uuid.uuid4()
        body = {
            "full_name": full_name,
            "school": "МБОУ «Школа № 1»",
            "region": "Самарская область",
            "timezone": "Europe/Samara",
            "topics": ["anxiety"],
            "formats": ["video", "chat", "in_person"],
            "place": "Школа № 1, кабинет 12",
            **fields,
        }
        response = await self.http.put(
            f"/psychologists/{pid}", json=body, headers=self.as_("admin", ADMIN)
        )
        assert response.status_code in (200, 201), response.text
        return pid

    async def open_slot(
        self, pid: uuid.UUID, starts_at: str, formats: list[str] | None = None, minutes: int = 45
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/me/slots",
            json={
                "starts_at": starts_at,
                "duration_minutes": minutes,
                "formats": formats or ["video"],
            },
            headers=self.as_("psychologist", pid),
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def search(self, **params: Any) -> dict[str, Any]:
        response = await self.http.get("/psychologists", params=params, headers=self.parent)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def names(self, **params: Any) -> list[str]:
        return [item["full_name"] for item in (await self.search(**params))["items"]]


def local_day(days_ahead: int, tz: str = "Europe/Samara") -> date:
    return (datetime.now(UTC).astimezone(ZoneInfo(tz)) + timedelta(days=days_ahead)).date()


@pytest.fixture
async def catalog(new_database, topic_prefix, infra, issuer) -> AsyncIterator[Catalog]:  # type: ignore[no-untyped-def]
    url = await new_database("catalog")
    await asyncio.to_thread(migrate, url, MIGRATIONS)
    settings = CatalogSettings(
        env="test",
        database_url=url,
        kafka_topic_prefix=topic_prefix,
        kafka_bootstrap_servers=infra.kafka,
        redis_url=infra.redis_url,
        jwks_url=issuer.jwks_url,
    )
    app = create_app(settings)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield Catalog(http, settings, app.state.runtime, issuer)
