"""Notify under test: a real app (uvicorn, lifespan) on real Kafka, PostgreSQL, Redis and SMTP."""

import asyncio
import contextlib
import email
import email.policy
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from psy_contracts import new_event, topics
from psy_contracts.events.booking import BookingCreated
from psy_contracts.events.identity import AccountRegistered, FamilyLinked
from psy_contracts.topics import dead_letter
from psy_notify.app import MIGRATIONS, create_app
from psy_notify.config import NotifySettings
from psy_platform.migrations import migrate
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.kafka import create_topics, wait_until
from tests.support.serve import serving

INPUTS = (topics.IDENTITY, topics.BOOKING, topics.SESSION_LINKS, topics.SESSIONS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Person:
    role: str
    timezone: str
    full_name: str
    email: str = ""  # "" = no e-mail on record
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def registered(self) -> AccountRegistered:
        return AccountRegistered(
            account_id=self.id,
            role=self.role,  # type: ignore[arg-type]
            full_name=self.full_name,
            email=self.email or None,
            timezone=self.timezone,
        )


def person(role: str, tz: str, name: str, with_email: bool = True) -> Person:
    address = f"{role}-{uuid.uuid4().hex[:10]}@example.ru" if with_email else ""
    return Person(role, tz, name, address)


def booking_created(
    client: Person, psychologist: Person, participant: Person | None = None, **changes: object
) -> BookingCreated:
    starts = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2)
    values: dict[str, object] = {
        "booking_id": uuid.uuid4(),
        "slot_id": uuid.uuid4(),
        "psychologist_id": psychologist.id,
        "booked_by": client.id,
        "participant_id": (participant or client).id,
        "participant_kind": "child" if participant else "self",
        "format": "video",
        "topics": ["Тревожность"],
        "comment": "Плохо спит",
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=50),
        "timezone": "Europe/Samara",
        **changes,
    }
    return BookingCreated.model_validate(values)


class Notify:
    """One running notify app and what a test does with it."""

    def __init__(self, settings: NotifySettings, infra, issuer) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.infra = infra
        self.issuer = issuer
        self.base = ""
        self.app: FastAPI | None = None
        self._producer: AIOKafkaProducer | None = None
        self._engine = create_async_engine(settings.database_url)

    async def publish(self, data: BaseModel, subject: object, event=None) -> object:  # type: ignore[no-untyped-def]
        event = event or new_event(data, str(subject))
        from psy_contracts.registry import topic_of

        await self.publish_raw(topic_of(event.type), event.to_json(), event.subject)
        return event

    async def publish_raw(self, topic: str, value: bytes, key: str) -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=self.infra.kafka)
            await self._producer.start()
        await self._producer.send_and_wait(
            self.settings.topic(topic), value=value, key=key.encode()
        )

    async def register(self, *people: Person) -> None:
        for p in people:
            await self.publish(p.registered(), p.id)
        ids = [str(p.id) for p in people]
        await self.wait_for(
            "SELECT count(*) FROM contact WHERE account_id::text = ANY(:ids)", len(ids), ids=ids
        )

    async def link(self, parent: Person, child: Person) -> None:
        await self.publish(FamilyLinked(parent_id=parent.id, child_id=child.id), child.id)
        await self.wait_for("SELECT count(*) FROM family_link WHERE child_id = :c", 1, c=child.id)

    async def wait_for(
        self, sql: str, expected: object, timeout: float = 30, **params: object
    ) -> None:
        """Wait until a query of notify's own database gives `expected` (state, not time)."""

        async def reached() -> bool:
            return await self.scalar(sql, **params) == expected

        await wait_until(reached, timeout=timeout)

    async def scalar(self, sql: str, **params: object) -> object:
        async with self._engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def inbox(self, who: Person | uuid.UUID, page: int = 1) -> dict:  # type: ignore[type-arg]
        account = who.id if isinstance(who, Person) else who
        async with httpx.AsyncClient(base_url=self.base) as client:
            response = await client.get(
                "/inbox", params={"page": page}, headers=self.issuer.headers(account, "parent")
            )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def emails_settled(self, count: int, timeout: float = 30) -> None:
        """Wait until `count` e-mails are no longer pending (sent or given up)."""
        await self.wait_for(
            "SELECT count(*) FROM email_outbox WHERE status <> 'pending'", count, timeout=timeout
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Notify"]:
        self.app = create_app(self.settings)
        async with serving(self.app) as base:
            self.base = base
            yield self

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        await self._engine.dispose()


@pytest.fixture
async def notify_factory(new_database, infra, issuer, topic_prefix):  # type: ignore[no-untyped-def]
    names = [topic_prefix + t for t in INPUTS]
    names += [topic_prefix + dead_letter(t, "notify") for t in INPUTS]
    await create_topics(infra.kafka, *names, topic_prefix + topics.NOTIFY)
    made: list[Notify] = []
    database = await new_database("notify")
    await asyncio.to_thread(migrate, database, MIGRATIONS)

    def make(**overrides: object) -> Notify:
        values: dict[str, object] = {
            "env": "test",
            "database_url": database,
            "kafka_bootstrap_servers": infra.kafka,
            "kafka_topic_prefix": topic_prefix,
            "redis_url": infra.redis_url,
            "jwks_url": issuer.jwks_url,
            "smtp_host": infra.smtp_host,
            "smtp_port": infra.smtp_port,
            "sender_poll_seconds": 0.1,
            "sender_backoff_seconds": 0.2,
            "sender_backoff_max_seconds": 1.0,
            "portal_url": "http://portal.test",
            **overrides,
        }
        made.append(Notify(NotifySettings(**values), infra, issuer))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for n in made:
        await n.close()


class Sink:
    """The shared SMTP sink's HTTP side, seen only through this test's own recipients."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    async def messages_to(self, *addresses: str) -> list[EmailMessage]:
        wanted = {a.lower() for a in addresses}
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            listed = (await client.get("/messages")).json()
            ours = [m for m in listed if wanted & {t.lower() for t in m["to"]}]
            raws = [(await client.get(f"/messages/{m['id']}/raw")).content for m in ours]
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raws]  # type: ignore[misc]


@pytest.fixture
def sink(infra) -> Sink:  # type: ignore[no-untyped-def]
    return Sink(infra.smtp_sink_url)
