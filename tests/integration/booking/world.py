"""A served booking service on real PostgreSQL, Kafka and Redis, and the events that feed it.

Replicas are built the way production builds them: by publishing identity, catalog and sessions
events to Kafka (psy_contracts models in CloudEvents envelopes) and letting the service consume
them. `synced()` waits until the service has recorded every published event id.
"""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from psy_booking.app import create_app
from psy_booking.config import BookingSettings
from psy_booking.store import PROCESSED
from psy_contracts import CloudEvent, new_event, topics
from psy_contracts.events import catalog, identity
from psy_contracts.registry import topic_of
from psy_contracts.topics import dead_letter
from psy_platform.migrations import migrate
from pydantic import BaseModel
from sqlalchemy import func, select, text

from tests.support.infra import Infra
from tests.support.kafka import create_topics, read_topic, wait_until
from tests.support.serve import serving
from tests.support.tokens import TestIssuer

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/booking/migrations"
TOPIC = "psy-topic-anxiety"
TOPICS = [TOPIC, "psy-topic-school", "psy-topic-family"]


class MovableClock:
    """Real time plus an offset, so a test can stand at the start of a consultation."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @contextlib.contextmanager
    def moved(self, by: timedelta):  # type: ignore[no-untyped-def]
        self.offset += by
        try:
            yield
        finally:
            self.offset -= by


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    role: str
    headers: dict[str, str]


@dataclass
class World:
    infra: Infra
    issuer: TestIssuer
    prefix: str
    base: str
    http: httpx.AsyncClient
    producer: AIOKafkaProducer
    app: Any
    clock: MovableClock
    published: set[uuid.UUID] = field(default_factory=set)

    # ------------------------------------------------------------------ feeding replicas
    async def publish(self, data: BaseModel, subject: object) -> CloudEvent:
        event = new_event(data, str(subject))
        await self.publish_event(event)
        return event

    async def publish_event(self, event: CloudEvent) -> None:
        topic = self.prefix + topic_of(event.type)
        await self.producer.send_and_wait(topic, event.to_json(), key=event.subject.encode())
        self.published.add(event.id)

    async def synced(self, timeout: float = 30) -> None:
        async def all_handled() -> bool:
            async with self.db.transaction() as session:
                seen = await session.scalar(
                    select(func.count())
                    .select_from(PROCESSED)
                    .where(PROCESSED.c.event_id.in_(self.published))
                )
            return seen == len(self.published)

        await wait_until(all_handled, timeout=timeout)

    def person(self, role: str, account_id: uuid.UUID | None = None) -> Person:
        pid = account_id or uuid.uuid4()
        return Person(pid, role, self.issuer.headers(pid, role))

    async def account(
        self, role: str, birth_date: date | None = None, parent: Person | None = None
    ) -> Person:
        who = self.person(role)
        await self.publish(
            identity.AccountRegistered(
                account_id=who.id,
                role=role,  # type: ignore[arg-type]
                full_name="Тестовый Пользователь",
                timezone="Europe/Samara",
                birth_date=birth_date,
            ),
            who.id,
        )
        if parent is not None:
            await self.publish(identity.FamilyLinked(parent_id=parent.id, child_id=who.id), who.id)
        return who

    async def child(self, age: int, parent: Person | None) -> Person:
        today = datetime.now(UTC).date()
        born = today.replace(year=today.year - age) - timedelta(days=30)
        return await self.account("child", born, parent)

    async def psychologist(
        self, topics_: list[str] | None = None, timezone: str = "Europe/Samara"
    ) -> Person:
        who = await self.account("psychologist")
        await self.publish(
            catalog.PsychologistPublished(
                psychologist_id=who.id,
                full_name="Иванова Мария Петровна",
                school="Школа № 1",
                region="Самарская область",
                timezone=timezone,
                formats=["video", "chat", "in_person"],
                topics=topics_ or TOPICS,
            ),
            who.id,
        )
        return who

    async def slot(
        self,
        psychologist: Person,
        starts_in: timedelta = timedelta(days=1),
        formats: tuple[str, ...] = ("video", "chat"),
        place: str | None = None,
        timezone: str = "Europe/Samara",
    ) -> uuid.UUID:
        slot_id = uuid.uuid4()
        # Whole minutes, as catalog's schedules are; starts relative to the service's clock.
        starts = (self.clock() + starts_in).replace(second=0, microsecond=0)
        await self.publish(
            catalog.SlotOpened(
                slot_id=slot_id,
                psychologist_id=psychologist.id,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                timezone=timezone,
                formats=list(formats),  # type: ignore[arg-type]
                place=place,
            ),
            slot_id,
        )
        return slot_id

    # ------------------------------------------------------------------ using the API
    async def book(
        self,
        who: Person,
        slot_id: uuid.UUID,
        key: str | None = "",
        **body: Any,
    ) -> httpx.Response:
        payload = {"slot_id": str(slot_id), "format": "video", "topics": [TOPIC], **body}
        payload = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in payload.items()}
        headers = dict(who.headers)
        if key is not None:
            headers["Idempotency-Key"] = key or uuid.uuid4().hex
        return await self.http.post("/bookings", json=payload, headers=headers)

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.app.state.runtime.db

    async def counts(self) -> dict[str, int]:
        """Rows a refused request must not have written."""
        async with self.db.transaction() as session:
            return {
                table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                for table in ("booking", "idempotency_key", "outbox")
            }

    async def booking_events(self, expect: int, settle: float = 1.0) -> list[CloudEvent]:
        received = await read_topic(
            self.infra.kafka, self.prefix + topics.BOOKING, expect=expect, settle=settle
        )
        return [CloudEvent.model_validate_json(r.value) for r in received]

    async def outbox_drained(self) -> None:
        async def drained() -> bool:
            async with self.db.transaction() as session:
                pending = await session.scalar(
                    text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                )
            return pending == 0

        await wait_until(drained)


@contextlib.asynccontextmanager
async def running_world(
    infra: Infra, issuer: TestIssuer, label: str, **overrides: Any
) -> AsyncIterator[World]:
    """A fresh database and topic prefix, the service served on a loopback port."""
    name = f"t_booking_{label}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = infra.database_url(name)
    prefix = f"t{uuid.uuid4().hex[:8]}.{label}."
    try:
        await asyncio.to_thread(migrate, url, MIGRATIONS)
        consumed = (topics.CATALOG, topics.IDENTITY, topics.SESSIONS)
        await create_topics(
            infra.kafka,
            *(prefix + t for t in (*consumed, topics.BOOKING)),
            *(prefix + dead_letter(t, "booking") for t in consumed),
        )
        settings = BookingSettings(
            env="test",
            database_url=url,
            kafka_bootstrap_servers=infra.kafka,
            kafka_topic_prefix=prefix,
            redis_url=infra.redis_url,
            jwks_url=issuer.jwks_url,
            **overrides,
        )
        clock = MovableClock()
        app = create_app(settings, clock=clock)
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, acks="all")
        await producer.start()
        # Shorter than uvicorn's 5 s keep-alive: never reuse a connection the server is closing.
        limits = httpx.Limits(
            max_connections=256, max_keepalive_connections=256, keepalive_expiry=2
        )
        try:
            async with (
                serving(app) as base,
                httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http,
            ):
                yield World(infra, issuer, prefix, base, http, producer, app, clock)
        finally:
            await producer.stop()
    finally:
        admin = await asyncpg.connect(infra.pg_admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def error_code(response: httpx.Response) -> str:
    return json.loads(response.content)["error"]["code"]
