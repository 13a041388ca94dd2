"""booking.created on real Kafka: once, with the contract's fields, even when the client retries."""

import asyncio
import uuid
from datetime import timedelta

from psy_contracts.events.booking import BookingCreated

from tests.integration.booking.world import TOPIC, World, error_code


async def test_booking_for_a_child_arrives_once_with_the_contract_fields(world: World) -> None:
    parent = await world.account("parent")
    child = await world.child(15, parent)
    psychologist = await world.psychologist()
    slot = await world.slot(
        psychologist, timedelta(days=2), ("video", "in_person"), place="Школа № 1, каб. 12"
    )
    await world.synced()

    response = await world.book(
        parent,
        slot,
        format="in_person",
        topics=[TOPIC, "psy-topic-school"],
        participant_id=child.id,
        comment="  Ребёнок плохо спит перед контрольными.  ",
    )

    assert response.status_code == 201, response.text
    shown = response.json()
    assert shown["status"] == "confirmed"
    assert shown["participant_kind"] == "child"
    assert shown["place"] == "Школа № 1, каб. 12"
    assert shown["starts_at"].endswith("+04:00"), "times are shown in the psychologist's zone"
    events = [e for e in await world.booking_events(expect=1) if e.subject == shown["id"]]
    assert len(events) == 1
    created = events[0].payload()
    assert isinstance(created, BookingCreated)
    assert created.model_dump(mode="json") == {
        "booking_id": shown["id"],
        "slot_id": str(slot),
        "psychologist_id": str(psychologist.id),
        "booked_by": str(parent.id),
        "participant_id": str(child.id),
        "participant_kind": "child",
        "format": "in_person",
        "topics": [TOPIC, "psy-topic-school"],
        "comment": "Ребёнок плохо спит перед контрольными.",
        "starts_at": created.starts_at.isoformat().replace("+00:00", "Z"),
        "ends_at": created.ends_at.isoformat().replace("+00:00", "Z"),
        "timezone": "Europe/Samara",
        "place": "Школа № 1, каб. 12",
    }
    assert created.ends_at - created.starts_at == timedelta(minutes=50)


async def test_a_retry_with_the_same_key_returns_the_same_booking_and_one_event(
    world: World,
) -> None:
    parent = await world.account("parent")
    psychologist = await world.psychologist()
    slot = await world.slot(psychologist)
    await world.synced()
    key = uuid.uuid4().hex

    # The first attempt "times out" on the client while a second is sent: both in flight.
    first, second = await asyncio.gather(
        world.book(parent, slot, key=key), world.book(parent, slot, key=key)
    )
    third = await world.book(parent, slot, key=key)

    assert {first.status_code, second.status_code, third.status_code} == {201}
    assert first.json()["id"] == second.json()["id"] == third.json()["id"]
    assert third.headers["Idempotent-Replayed"] == "true"
    booking_id = first.json()["id"]
    other = await world.book(parent, slot, key=key, format="chat")
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"

    await world.outbox_drained()
    events = await world.booking_events(expect=1, settle=2)
    assert [e.type for e in events if e.subject == booking_id] == [
        "ru.psy.booking.booking.created.v1"
    ]
