"""Assembling and serving one service: the app with its ops routes, and the process entry point."""

import asyncio
import logging
from pathlib import Path

import uvicorn
from fastapi import APIRouter, FastAPI

from psy_platform.errors import install_error_handlers
from psy_platform.logs import configure_logging
from psy_platform.migrations import migrate
from psy_platform.ops import add_ops_routes
from psy_platform.runtime import ServiceRuntime

log = logging.getLogger(__name__)


def create_app(runtime: ServiceRuntime, *routers: APIRouter, title: str) -> FastAPI:
    app = FastAPI(title=title, lifespan=runtime.lifespan)
    install_error_handlers(app)
    add_ops_routes(app, runtime.name, runtime.checks())
    for router in routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, runtime: ServiceRuntime, migrations_dir: Path | None) -> None:
    """Pre-start (wait for PostgreSQL, migrate), then serve until SIGTERM, then drain."""
    settings = runtime.settings
    configure_logging(runtime.name, settings.log_level)
    if migrations_dir is not None:
        migrate(settings.database_url, migrations_dir)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=20,
        proxy_headers=True,
    )
    asyncio.run(uvicorn.Server(config).serve())
