"""Composition root of the booking service."""

from datetime import timedelta

from fastapi import FastAPI
from psy_contracts import topics
from psy_contracts.topics import dead_letter
from psy_platform.runtime import ServiceRuntime
from psy_platform.service import create_app as assemble

from psy_booking import api, consumers
from psy_booking.config import BookingSettings
from psy_booking.context import Clock, UseCases, utc_now
from psy_booking.domain import Rules
from psy_booking.holds import Holds
from psy_booking.store import OUTBOX, PROCESSED

GROUP = "booking"
CONSUMES = {
    topics.CATALOG: consumers.on_catalog,
    topics.IDENTITY: consumers.on_identity,
    topics.SESSIONS: consumers.on_sessions,
}


def rules_of(settings: BookingSettings) -> Rules:
    return Rules(
        min_lead=timedelta(minutes=settings.min_lead_minutes),
        max_ahead=timedelta(days=settings.max_ahead_days),
        active_limit=settings.active_limit,
        comment_max_chars=settings.comment_max_chars,
        reason_max_chars=settings.reason_max_chars,
        self_booking_age=settings.self_booking_age,
    )


def create_app(settings: BookingSettings, clock: Clock = utc_now) -> FastAPI:
    """`clock` is for tests that need time to pass (the window, «too late»)."""
    runtime = ServiceRuntime(GROUP, settings, OUTBOX, PROCESSED)
    assert runtime.consumers is not None and runtime.redis is not None
    for topic, handler in CONSUMES.items():
        runtime.consumers.subscribe(topic, GROUP, handler)
        runtime.topics += [topic, dead_letter(topic, GROUP)]
    runtime.topics.append(topics.BOOKING)
    app = assemble(runtime, api.router, title="Цифровой психолог — запись")
    app.state.runtime = runtime  # also set by the lifespan; here so __main__ can serve it
    app.state.use_cases = UseCases(
        db=runtime.db,
        holds=Holds(runtime.redis, settings.hold_seconds),
        rules=rules_of(settings),
        clock=clock,
    )
    return app
