"""Composition root of the catalog service."""

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psy_contracts import topics
from psy_platform.errors import error_body
from psy_platform.runtime import ServiceRuntime
from psy_platform.service import create_app as assemble

from psy_catalog import api, api_manage, nearest
from psy_catalog.config import CatalogSettings
from psy_catalog.consumers import on_booking_event
from psy_catalog.domain import Rejected
from psy_catalog.schedule import generate_all
from psy_catalog.store import outbox, processed

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
GROUP = "catalog"

log = logging.getLogger(__name__)


def create_app(settings: CatalogSettings) -> FastAPI:
    runtime = ServiceRuntime("catalog", settings, outbox, processed, use_redis=False)
    runtime.topics += [topics.CATALOG, topics.BOOKING, topics.dead_letter(topics.BOOKING, GROUP)]
    assert runtime.consumers is not None
    runtime.consumers.subscribe(topics.BOOKING, GROUP, on_booking_event)

    async def generate_slots() -> None:
        """Keep the booking window filled from weekly rules: at start, then every interval."""
        while True:
            try:
                opened = await generate_all(runtime.db, settings.booking_window_days)
                log.info("slot generation: %d slots opened", opened)
            except Exception as exc:  # PostgreSQL away: try again next round
                log.warning("slot generation failed: %s", exc)
            await asyncio.sleep(settings.schedule_interval_seconds)

    async def refresh_nearest() -> None:
        """A nearest free slot that has begun is no longer free to book: recompute it."""
        while True:
            try:
                while True:
                    async with runtime.db.transaction() as session:
                        if await nearest.refresh_overtaken(session) == 0:
                            break
            except Exception as exc:
                log.warning("nearest-slot refresh failed: %s", exc)
            await asyncio.sleep(settings.nearest_refresh_seconds)

    if settings.schedule_worker:
        runtime.workers.append(generate_slots)
    runtime.workers.append(refresh_nearest)

    app = assemble(runtime, api.router, api_manage.router, title="Цифровой психолог — каталог")
    app.state.runtime = runtime

    @app.exception_handler(Rejected)
    async def _rejected(_: Request, exc: Rejected) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    return app
