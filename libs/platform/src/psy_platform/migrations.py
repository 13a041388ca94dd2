"""Alembic glue: each service keeps its own migrations/ folder; this runs them.

`migrate()` is also the pre-start step: wait for PostgreSQL, create the database when missing,
upgrade to head.
"""

import asyncio
import logging
import time
from pathlib import Path

import asyncpg
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import async_engine_from_config

from psy_platform.db import new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table

log = logging.getLogger(__name__)


def run_env(metadata: MetaData) -> None:
    """Body of a service's migrations/env.py (online mode, async engine)."""
    config = context.config

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())


def create_platform_tables() -> None:
    """In a service's first migration: the outbox and processed-event tables, exactly as
    psy_platform defines them, so no service spells them out again."""
    metadata = new_metadata()
    outbox_table(metadata)
    processed_table(metadata)
    metadata.create_all(op.get_bind())


async def _ensure_database(url: str, wait_seconds: float) -> None:
    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
            break
        except (OSError, asyncpg.PostgresError) as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for PostgreSQL: %s", exc)
            await asyncio.sleep(1)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", target.database
        )
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{target.database}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # another replica's pre-start was first
    finally:
        await conn.close()


def migrate(database_url: str, migrations_dir: Path, wait_seconds: float = 60) -> None:
    """Blocking; call it before the event loop, or through asyncio.to_thread."""
    asyncio.run(_ensure_database(database_url, wait_seconds))
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
