"""SIGTERM under load, as Kubernetes sends it on a rollout: the sessions process drains and a new
one takes over; every booking gets its links exactly once."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from psy_contracts import new_event, topics
from psy_contracts.events.booking import BookingCreated
from psy_localstack.simulators.sferum import RoomRegistry, build_router

from tests.support.kafka import TopicWatcher, create_topics
from tests.support.process import ServiceProcess
from tests.support.serve import serving

BOOKINGS = 300


def due_now(index: int) -> BookingCreated:
    starts = datetime.now(UTC) + timedelta(minutes=10)  # later than T-15: links go at once
    return BookingCreated(
        booking_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        psychologist_id=uuid.uuid4(),
        booked_by=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        participant_kind="self",
        format="video",
        topics=["anxiety"],
        comment=None,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=50),
        timezone="Europe/Samara",
    )


async def test_sessions_drains_on_sigterm_and_nothing_is_lost_or_doubled(
    infra, new_database, topic_prefix, issuer, tmp_path
) -> None:
    rooms = FastAPI()
    rooms.include_router(build_router(RoomRegistry()), prefix="/sferum")
    async with serving(rooms) as sferum_base:
        env = {
            "SESSIONS_ENV": "test",
            "SESSIONS_DATABASE_URL": await new_database("sessions"),
            "SESSIONS_KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
            "SESSIONS_KAFKA_TOPIC_PREFIX": topic_prefix,
            "SESSIONS_REDIS_URL": infra.redis_url,
            "SESSIONS_JWKS_URL": issuer.jwks_url,
            "SESSIONS_SFERUM_URL": f"{sferum_base}/sferum",
            "SESSIONS_DISPATCH_POLL_SECONDS": "0.1",
            "SESSIONS_DISPATCH_BATCH_SIZE": "20",
        }
        bookings_topic = topic_prefix + topics.BOOKING
        links_topic = topic_prefix + topics.SESSION_LINKS
        await create_topics(
            infra.kafka, bookings_topic, links_topic, topic_prefix + topics.SESSIONS
        )
        service = ServiceProcess("sessions", env, tmp_path)
        await service.start()
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, linger_ms=5)
        await producer.start()
        booked = [due_now(i) for i in range(BOOKINGS)]
        try:
            async with TopicWatcher(infra.kafka, links_topic) as links:
                for data in booked:
                    event = new_event(data, data.booking_id)
                    await producer.send(bookings_topic, event.to_json(), key=event.subject.encode())
                await producer.flush()
                await links.wait_for(1)  # work is under way: SIGTERM now
                exit_code = await service.terminate()
                out_at_stop = len(links.received)
                await service.start()  # the replacement replica
                await links.wait_for(BOOKINGS, timeout=120)
                await asyncio.sleep(2)  # a duplicate would show up now; absence can't be awaited
                received = list(links.received)
        finally:
            await producer.stop()
            await service.kill()
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the status names the signal.
    assert exit_code in (0, -15), f"exit status {exit_code}"
    assert "outbox flushed" in service.log.read_text(), "the lifespan shutdown ran to its end"
    assert 0 < out_at_stop < BOOKINGS, f"stopped mid-load ({out_at_stop} of {BOOKINGS} out)"
    dispatched = [json.loads(r.value)["data"]["booking_id"] for r in received]
    assert len(dispatched) == len(set(dispatched)), "no booking got its links twice"
    assert set(dispatched) == {str(b.booking_id) for b in booked}, "no booking was lost"
