"""SIGTERM under load for notify: every confirmation reaches the SMTP sink once and every inbox
row exists once, across a drained process and its replacement."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from psy_contracts import new_event, topics
from psy_contracts.events.booking import BookingCreated
from psy_contracts.events.identity import AccountRegistered

from tests.support.kafka import create_topics, wait_until
from tests.support.process import ServiceProcess

BOOKINGS = 60  # two e-mails each: the client's and the psychologist's


async def sink_recipients(sink_url: str, domain: str) -> Counter[str]:
    async with httpx.AsyncClient() as client:
        messages = (await client.get(f"{sink_url}/messages")).json()
    return Counter(to for m in messages for to in m["to"] if to.endswith(domain))


async def test_notify_drains_on_sigterm_and_sends_each_email_once(
    infra, new_database, topic_prefix, issuer, tmp_path
) -> None:
    domain = f"@{uuid.uuid4().hex[:8]}.sigterm.test"  # this test's own recipients in the sink
    database_url = await new_database("notify")
    env = {
        "NOTIFY_ENV": "test",
        "NOTIFY_DATABASE_URL": database_url,
        "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "NOTIFY_KAFKA_TOPIC_PREFIX": topic_prefix,
        "NOTIFY_REDIS_URL": infra.redis_url,
        "NOTIFY_JWKS_URL": issuer.jwks_url,
        "NOTIFY_SMTP_HOST": infra.smtp_host,
        "NOTIFY_SMTP_PORT": str(infra.smtp_port),
        "NOTIFY_SENDER_POLL_SECONDS": "0.1",
        "NOTIFY_SENDER_BATCH_SIZE": "10",
    }
    names = [topics.IDENTITY, topics.BOOKING, topics.SESSIONS, topics.SESSION_LINKS, topics.NOTIFY]
    await create_topics(infra.kafka, *(topic_prefix + t for t in names))
    service = ServiceProcess("notify", env, tmp_path)
    await service.start()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, linger_ms=5)
    await producer.start()

    async def publish(topic: str, data, subject) -> None:  # type: ignore[no-untyped-def]
        event = new_event(data, subject)
        await producer.send(topic_prefix + topic, event.to_json(), key=event.subject.encode())

    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    try:
        people = []
        for i in range(BOOKINGS):
            client, psychologist = uuid.uuid4(), uuid.uuid4()
            for who, role in ((client, "parent"), (psychologist, "psychologist")):
                await publish(
                    topics.IDENTITY,
                    AccountRegistered(
                        account_id=who,
                        role=role,
                        full_name=f"Тест {i}",
                        email=f"{who}{domain}",
                        region="Самарская область",
                        timezone="Europe/Samara",
                    ),
                    who,
                )
            people.append((client, psychologist))
        await producer.flush()

        async def contacts_known() -> bool:  # accounts exist long before anyone books
            conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
            try:
                return await conn.fetchval("SELECT count(*) FROM contact") == 2 * BOOKINGS
            finally:
                await conn.close()

        await wait_until(contacts_known, timeout=60)
        for client, psychologist in people:
            booking = uuid.uuid4()
            await publish(
                topics.BOOKING,
                BookingCreated(
                    booking_id=booking,
                    slot_id=uuid.uuid4(),
                    psychologist_id=psychologist,
                    booked_by=client,
                    participant_id=client,
                    participant_kind="self",
                    format="video",
                    topics=["anxiety"],
                    comment=None,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=50),
                    timezone="Europe/Samara",
                ),
                booking,
            )
        await producer.flush()
        await wait_until(lambda: sink_recipients(infra.smtp_sink_url, domain), timeout=60)
        exit_code = await service.terminate()  # mid-load: some e-mails are out, most are not
        sent_at_stop = sum((await sink_recipients(infra.smtp_sink_url, domain)).values())
        await service.start()

        async def all_sent() -> bool:
            received = await sink_recipients(infra.smtp_sink_url, domain)
            return sum(received.values()) >= 2 * BOOKINGS

        await wait_until(all_sent, timeout=120)
        await asyncio.sleep(2)  # a duplicate would show up now; absence can't be awaited
        received = await sink_recipients(infra.smtp_sink_url, domain)
    finally:
        await producer.stop()
        await service.kill()
    assert exit_code in (0, -15), f"exit status {exit_code}"
    assert "outbox flushed" in service.log.read_text()
    assert 0 < sent_at_stop < 2 * BOOKINGS, f"stopped mid-load ({sent_at_stop} sent)"
    everyone = {f"{who}{domain}" for pair in people for who in pair}
    assert set(received) == everyone, "no e-mail was lost"
    assert set(received.values()) == {1}, "no e-mail was sent twice"
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT account_id, count(*) FROM inbox_message GROUP BY 1")
    finally:
        await conn.close()
    assert len(rows) == 2 * BOOKINGS and {r["count"] for r in rows} == {1}
