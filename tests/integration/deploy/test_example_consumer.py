"""The example outside consumer prints the booking events it reads from real Kafka: one line per
event, a redelivered event once, and it is not stopped by a message it cannot read."""

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from psy_contracts import new_event
from psy_contracts.events.booking import BookingCancelled, BookingCreated, BookingRescheduled
from psy_contracts.topics import BOOKING

from tests.support.kafka import create_topics

SCRIPT = Path(__file__).resolve().parents[3] / "examples" / "consumer" / "consume.py"


async def test_it_prints_each_booking_event_once(infra, topic_prefix: str) -> None:  # type: ignore[no-untyped-def]
    topic = topic_prefix + BOOKING
    await create_topics(infra.kafka, topic)
    booking, slot, parent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    starts = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    created = new_event(
        BookingCreated(
            booking_id=booking,
            slot_id=slot,
            psychologist_id=uuid.uuid4(),
            booked_by=parent,
            participant_id=uuid.uuid4(),
            participant_kind="child",
            format="video",
            topics=["anxiety"],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=45),
            timezone="Europe/Samara",
        ),
        booking,
    )
    later = starts + timedelta(days=1)
    moved = new_event(
        BookingRescheduled(
            booking_id=booking,
            old_slot_id=slot,
            slot_id=uuid.uuid4(),
            starts_at=later,
            ends_at=later + timedelta(minutes=60),
        ),
        booking,
    )
    cancelled = new_event(
        BookingCancelled(booking_id=booking, slot_id=slot, cancelled_by=parent, reason="болеем"),
        booking,
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka)
    await producer.start()
    try:
        for value in (created.to_json(), b"not an event", moved.to_json(), moved.to_json()):
            await producer.send_and_wait(topic, value, key=str(booking).encode())
        await producer.send_and_wait(topic, cancelled.to_json(), key=str(booking).encode())
    finally:
        await producer.stop()

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--bootstrap",
        infra.kafka,
        "--topic",
        topic,
        "--group",
        f"{topic_prefix}example",
        "--max-events",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()

    lines = out.decode().splitlines()
    assert lines == [
        f"booking.created booking={booking} starts_at=2026-12-07T06:00:00+00:00 "
        f"ends_at=2026-12-07T06:45:00+00:00 at={created.time.isoformat()}",
        f"booking.rescheduled booking={booking} starts_at=2026-12-08T06:00:00+00:00 "
        f"ends_at=2026-12-08T07:00:00+00:00 at={moved.time.isoformat()}",
        f"booking.cancelled booking={booking} at={cancelled.time.isoformat()}",
    ]
    assert "unreadable message at offset 1" in err.decode()
