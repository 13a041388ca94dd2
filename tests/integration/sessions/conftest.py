"""The sessions service served for real: PostgreSQL, Kafka, the Сферум simulator over HTTP."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from psy_contracts import new_event, topics
from psy_contracts.events.booking import BookingCancelled, BookingCreated, BookingRescheduled
from psy_localstack.simulators.sferum import RoomRegistry, build_router
from psy_platform.migrations import migrate
from psy_sessions.__main__ import MIGRATIONS
from psy_sessions.app import create_app
from psy_sessions.config import SessionsSettings
from pydantic import BaseModel

from tests.support.kafka import create_topics
from tests.support.serve import serving


class FakeClock:
    """The service's notion of now, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


@dataclass
class Sferum:
    url: str
    rooms: RoomRegistry

    def room_url(self, booking_id: uuid.UUID, generation: int = 0) -> str:
        room = self.rooms.by_key[f"{booking_id}:{generation}"]
        return f"{self.url}/rooms/{room.room_id}"


@pytest.fixture
async def sferum() -> AsyncIterator[Sferum]:
    rooms = RoomRegistry()
    app = FastAPI()
    app.include_router(build_router(rooms), prefix="/sferum")
    async with serving(app) as base:
        yield Sferum(f"{base}/sferum", rooms)


@dataclass
class Family:
    parent: uuid.UUID
    child: uuid.UUID
    psychologist: uuid.UUID


def new_family() -> Family:
    return Family(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


def created(
    family: Family,
    starts_at: datetime,
    fmt: str = "video",
    for_child: bool = True,
    minutes: int = 50,
) -> BookingCreated:
    return BookingCreated(
        booking_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        psychologist_id=family.psychologist,
        booked_by=family.parent,
        participant_id=family.child if for_child else family.parent,
        participant_kind="child" if for_child else "self",
        format=fmt,  # type: ignore[arg-type]
        topics=["anxiety"],
        comment=None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        timezone="Europe/Samara",
        place="Школа №1, каб. 12" if fmt == "in_person" else None,
    )


def cancelled(booking: BookingCreated) -> BookingCancelled:
    return BookingCancelled(
        booking_id=booking.booking_id,
        slot_id=booking.slot_id,
        cancelled_by=booking.booked_by,
        reason="Заболел",
    )


def rescheduled(booking: BookingCreated, starts_at: datetime) -> BookingRescheduled:
    return BookingRescheduled(
        booking_id=booking.booking_id,
        old_slot_id=booking.slot_id,
        slot_id=uuid.uuid4(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
    )


@dataclass
class Running:
    base: str
    clock: FakeClock
    app: FastAPI
    settings: SessionsSettings
    publish: Callable[[BaseModel], Awaitable[str]]
    republish: Callable[[bytes, str], Awaitable[None]]

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base, follow_redirects=False) as client:
            return await client.get(path, headers=headers or {})


def start_of_next_hour() -> datetime:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=3)


@pytest.fixture
def settings_for(new_database, infra, topic_prefix, issuer, sferum):  # type: ignore[no-untyped-def]
    async def make(**overrides: object) -> SessionsSettings:
        url = await new_database("sessions")
        await asyncio.to_thread(migrate, url, MIGRATIONS)
        values: dict[str, object] = {
            "env": "test",
            "database_url": url,
            "kafka_topic_prefix": topic_prefix,
            "kafka_bootstrap_servers": infra.kafka,
            "redis_url": infra.redis_url,
            "jwks_url": issuer.jwks_url,
            "sferum_url": sferum.url,
            "public_url": "http://sessions.test",
            "dispatch_poll_seconds": 0.1,
            "outcome_poll_seconds": 0.1,
            "room_poll_seconds": 0.1,
            "outbox_poll_seconds": 0.1,
            **overrides,
        }
        return SessionsSettings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def run_sessions(settings_for, infra, topic_prefix):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def run(now: datetime, **overrides: object) -> AsyncIterator[Running]:
        settings = await settings_for(**overrides)
        await create_topics(
            infra.kafka,
            *(settings.topic(t) for t in (topics.BOOKING, topics.SESSIONS, topics.SESSION_LINKS)),
        )
        clock = FakeClock(now)
        app = create_app(settings, clock=clock)
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka)
        await producer.start()

        async def publish(data: BaseModel) -> str:
            event = new_event(data, str(data.booking_id))  # type: ignore[attr-defined]
            await republish(event.to_json(), event.subject)
            return event.subject

        async def republish(raw: bytes, key: str) -> None:
            await producer.send_and_wait(settings.topic(topics.BOOKING), raw, key=key.encode())

        try:
            async with serving(app) as base:
                yield Running(base, clock, app, settings, publish, republish)
        finally:
            await producer.stop()

    return run
