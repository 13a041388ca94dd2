"""SIGTERM under load for booking: requests in flight finish or fail cleanly, a client retrying
with the same Idempotency-Key against the replacement gets its booking, and every booking is
published exactly once."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from psy_contracts import new_event, topics
from psy_contracts.events.catalog import PsychologistPublished, SlotOpened
from psy_contracts.events.identity import AccountRegistered

from tests.support.kafka import TopicWatcher, create_topics, wait_until
from tests.support.process import ServiceProcess

BOOKINGS = 80


async def test_booking_drains_on_sigterm_and_retries_make_each_booking_once(
    infra, new_database, topic_prefix, issuer, tmp_path
) -> None:
    database_url = await new_database("booking")
    env = {
        "BOOKING_ENV": "test",
        "BOOKING_DATABASE_URL": database_url,
        "BOOKING_KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "BOOKING_KAFKA_TOPIC_PREFIX": topic_prefix,
        "BOOKING_REDIS_URL": infra.redis_url,
        "BOOKING_JWKS_URL": issuer.jwks_url,
    }
    names = [topics.IDENTITY, topics.CATALOG, topics.SESSIONS, topics.BOOKING]
    await create_topics(infra.kafka, *(topic_prefix + t for t in names))
    service = ServiceProcess("booking", env, tmp_path)
    await service.start()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, linger_ms=5)
    await producer.start()
    published = 0

    async def publish(data, subject) -> None:  # type: ignore[no-untyped-def]
        nonlocal published
        event = new_event(data, subject)
        topic = topics.IDENTITY if "identity" in event.type else topics.CATALOG
        await producer.send(topic_prefix + topic, event.to_json(), key=event.subject.encode())
        published += 1

    psychologist = uuid.uuid4()
    await publish(
        AccountRegistered(
            account_id=psychologist,
            role="psychologist",
            full_name="Иванова Мария Петровна",
            timezone="Europe/Samara",
        ),
        psychologist,
    )
    await publish(
        PsychologistPublished(
            psychologist_id=psychologist,
            full_name="Иванова Мария Петровна",
            school="Школа № 1",
            region="Самарская область",
            timezone="Europe/Samara",
            formats=["video"],
            topics=["anxiety"],
        ),
        psychologist,
    )
    tomorrow = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    requests = []
    for i in range(BOOKINGS):
        parent, slot = uuid.uuid4(), uuid.uuid4()
        await publish(
            AccountRegistered(
                account_id=parent,
                role="parent",
                full_name="Родитель",
                timezone="Europe/Samara",
                birth_date=date(1985, 1, 1),
            ),
            parent,
        )
        starts = tomorrow + timedelta(hours=i)
        await publish(
            SlotOpened(
                slot_id=slot,
                psychologist_id=psychologist,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                timezone="Europe/Samara",
                formats=["video"],
            ),
            slot,
        )
        requests.append((issuer.headers(parent, "parent"), slot, uuid.uuid4().hex))
    await producer.flush()

    async def replicas_built() -> bool:
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            return await conn.fetchval("SELECT count(*) FROM processed_event") == published
        finally:
            await conn.close()

    await wait_until(replicas_built, timeout=60)

    async def book(client: httpx.AsyncClient, headers, slot, key) -> httpx.Response | None:  # type: ignore[no-untyped-def]
        body = {"slot_id": str(slot), "format": "video", "topics": ["anxiety"]}
        try:
            return await client.post(
                f"{service.url}/bookings", json=body, headers={**headers, "Idempotency-Key": key}
            )
        except httpx.TransportError:
            return None  # the process went away mid-request: the client will retry

    async with TopicWatcher(infra.kafka, topic_prefix + topics.BOOKING) as events:
        async with httpx.AsyncClient(timeout=30) as client:
            queue = asyncio.Queue()  # type: ignore[var-annotated]
            for r in requests:
                queue.put_nowait(r)
            answers: dict[str, httpx.Response | None] = {}

            async def worker() -> None:
                while not queue.empty():
                    headers, slot, key = queue.get_nowait()
                    answers[key] = await book(client, headers, slot, key)

            load = [asyncio.create_task(worker()) for _ in range(8)]
            await wait_until(lambda: len(answers) >= BOOKINGS // 4, timeout=60)
            exit_code = await service.terminate()
            await asyncio.gather(*load)
            accepted_before = sum(1 for a in answers.values() if a and a.status_code == 201)
            await service.start()
            for headers, slot, key in requests:  # retry what did not get a definite 201
                if answers[key] is None or answers[key].status_code != 201:
                    answers[key] = await book(client, headers, slot, key)
        await events.wait_for(BOOKINGS, timeout=60)
        await asyncio.sleep(2)  # a duplicate would show up now; absence can't be awaited
        received = [json.loads(r.value)["data"]["booking_id"] for r in events.received]
    await producer.stop()
    await service.kill()
    assert exit_code in (0, -15), f"exit status {exit_code}"
    assert "outbox flushed" in service.log.read_text()
    assert 0 < accepted_before < BOOKINGS, f"stopped mid-load ({accepted_before} booked)"
    statuses = {a.status_code for a in answers.values() if a is not None}
    assert statuses == {201}, f"every request ends in its booking, got {statuses}"
    booked = {a.json()["id"] for a in answers.values() if a is not None}
    assert len(booked) == BOOKINGS
    assert sorted(received) == sorted(booked), "each booking published once, none lost"
