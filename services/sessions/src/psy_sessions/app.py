"""Composition root of the sessions service."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI
from psy_contracts import topics
from psy_platform.runtime import ServiceRuntime
from psy_platform.service import create_app as assemble

from psy_sessions import store
from psy_sessions.api import Context, router
from psy_sessions.clock import Clock, SystemClock
from psy_sessions.config import SessionsSettings
from psy_sessions.consumers import booking_handler
from psy_sessions.dispatcher import Dispatcher
from psy_sessions.links import JoinLinks
from psy_sessions.outcomes import OutcomeJudge
from psy_sessions.room_opener import RoomOpener
from psy_sessions.rooms import RoomProvider, SferumRooms

GROUP = "sessions"


def create_app(
    settings: SessionsSettings,
    clock: Clock | None = None,
    rooms: RoomProvider | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    # Sessions keeps nothing in Redis: the schedule is durable in PostgreSQL.
    runtime = ServiceRuntime("sessions", settings, store.outbox, store.processed, use_redis=False)
    runtime.topics += [topics.BOOKING, topics.SESSIONS, topics.SESSION_LINKS]
    assert runtime.consumers is not None
    runtime.consumers.subscribe(topics.BOOKING, GROUP, booking_handler(settings.link_lead))

    links = JoinLinks(settings.link_secret, settings.public_url)
    sferum = rooms or SferumRooms(settings.sferum_url, settings.sferum_timeout_seconds)
    dispatcher = Dispatcher(
        runtime.db,
        sferum,
        links,
        clock,
        batch_size=settings.dispatch_batch_size,
        room_concurrency=settings.room_concurrency,
        poll_seconds=settings.dispatch_poll_seconds,
    )
    opener = RoomOpener(
        runtime.db,
        sferum,
        clock,
        settings.room_lead,
        batch_size=settings.dispatch_batch_size,
        room_concurrency=settings.room_concurrency,
        poll_seconds=settings.room_poll_seconds,
    )
    judge = OutcomeJudge(
        runtime.db,
        clock,
        settings.outcome_grace,
        batch_size=settings.outcome_batch_size,
        poll_seconds=settings.outcome_poll_seconds,
    )
    runtime.workers += [opener.run, dispatcher.run, judge.run]
    if isinstance(sferum, SferumRooms):
        runtime.workers.append(_closing(sferum))

    app = assemble(runtime, router, title="Цифровой психолог — sessions")
    app.state.runtime = runtime
    app.state.sessions = Context(runtime.db, clock, links, settings)
    app.state.dispatcher = dispatcher
    app.state.outcomes = judge
    return app


def _closing(sferum: SferumRooms) -> Callable[[], Coroutine[Any, Any, None]]:
    """A worker that only waits for shutdown, to close the provider's connections then."""

    async def close_rooms_client() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await sferum.close()

    return close_rooms_client
