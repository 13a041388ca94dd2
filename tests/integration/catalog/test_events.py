"""Events on real Kafka: what the catalog publishes, and booking events making slots taken/free."""

import json
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from psy_contracts import CloudEvent, new_event, topics
from psy_contracts.events.booking import BookingCancelled, BookingCreated, BookingRescheduled

from tests.integration.catalog.conftest import Catalog, local_day
from tests.support.kafka import read_topic, wait_until


async def test_the_outbox_publishes_profiles_and_slots(catalog: Catalog, infra) -> None:  # type: ignore[no-untyped-def]
    pid = await catalog.add_psychologist(
        "Иванова Мария Петровна", topics=["anxiety", "exam_stress"], formats=["video", "chat"]
    )
    await catalog.add_psychologist(  # the same again: nothing changed, nothing published
        "Иванова Мария Петровна",
        id=pid,
        topics=["anxiety", "exam_stress"],
        formats=["video", "chat"],
    )
    day = local_day(3)
    opened = await catalog.open_slot(pid, f"{day}T10:00", formats=["video"], minutes=60)
    me = catalog.as_("psychologist", pid)
    assert (await catalog.http.delete(f"/me/slots/{opened['id']}", headers=me)).status_code == 204

    received = await read_topic(infra.kafka, catalog.settings.topic(topics.CATALOG), expect=3)
    events = [json.loads(r.value) for r in received]
    # One partition per key: the slot's events arrive in order; across keys there is no order.
    by_type = {e["type"].split(".")[3] + "." + e["type"].split(".")[4]: e for e in events}
    assert sorted(by_type) == ["psychologist.published", "slot.opened", "slot.withdrawn"]
    assert len(events) == 3
    slot_events = [e["type"] for e in events if e["subject"] == opened["id"]]
    assert slot_events == ["ru.psy.catalog.slot.opened.v1", "ru.psy.catalog.slot.withdrawn.v1"]
    published, slot_opened, withdrawn = (
        by_type[t]["data"] for t in ("psychologist.published", "slot.opened", "slot.withdrawn")
    )
    assert published["psychologist_id"] == str(pid)
    assert published["topics"] == ["anxiety", "exam_stress"]
    assert published["timezone"] == "Europe/Samara"
    assert slot_opened["slot_id"] == opened["id"] == withdrawn["slot_id"]
    assert slot_opened["timezone"] == "Europe/Samara"
    starts = datetime.fromisoformat(slot_opened["starts_at"])
    assert starts == datetime(day.year, day.month, day.day, 6, tzinfo=UTC)  # 10:00 in Samara
    assert starts.utcoffset() == datetime.now(UTC).utcoffset()  # sent in UTC
    assert slot_opened["formats"] == ["video"]
    assert {r.key for r in received} == {str(pid), opened["id"]}


async def test_booking_events_make_a_slot_taken_and_free_once_each(catalog: Catalog, infra) -> None:  # type: ignore[no-untyped-def]
    day = local_day(2)
    pid = await catalog.add_psychologist("Соколова Татьяна Андреевна")
    first = await catalog.open_slot(pid, f"{day}T10:00")
    second = await catalog.open_slot(pid, f"{day}T11:00")
    booking = uuid.uuid4()
    created = new_event(
        BookingCreated(
            booking_id=booking,
            slot_id=uuid.UUID(first["id"]),
            psychologist_id=pid,
            booked_by=uuid.uuid4(),
            participant_id=uuid.uuid4(),
            participant_kind="child",
            format="video",
            topics=["anxiety"],
            starts_at=datetime.fromisoformat(first["starts_at"]),
            ends_at=datetime.fromisoformat(first["ends_at"]),
            timezone="Europe/Samara",
        ),
        booking,
    )
    moved = new_event(
        BookingRescheduled(
            booking_id=booking,
            old_slot_id=uuid.UUID(first["id"]),
            slot_id=uuid.UUID(second["id"]),
            starts_at=datetime.fromisoformat(second["starts_at"]),
            ends_at=datetime.fromisoformat(second["ends_at"]),
        ),
        booking,
    )
    cancelled = new_event(
        BookingCancelled(
            booking_id=booking, slot_id=uuid.UUID(second["id"]), cancelled_by=pid, reason="болезнь"
        ),
        booking,
    )
    consumers = catalog.runtime.consumers
    assert consumers is not None
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka)
    await producer.start()

    async def publish(*events: CloudEvent) -> None:
        for e in events:
            await producer.send_and_wait(
                catalog.settings.topic(topics.BOOKING), e.to_json(), key=e.subject.encode()
            )
        target = consumers.handled + len(events)
        await wait_until(lambda: consumers.handled >= target)

    async def statuses() -> list[str]:
        response = await catalog.http.get(f"/psychologists/{pid}/slots", headers=catalog.parent)
        return [s["status"] for s in response.json()]

    async def listed_that_day() -> list[str | None]:
        found = await catalog.search(date_from=str(day), date_to=str(day))
        return [i["next_free_slot"] for i in found["items"]]

    try:
        await publish(created)
        assert await statuses() == ["taken", "free"]
        assert await listed_that_day() == [second["starts_at"]]  # the nearest FREE slot

        await publish(created)  # redelivered: the slot was already taken by it
        await publish(moved)
        assert await statuses() == ["free", "taken"]
        await publish(created)  # an old redelivery must not take the first slot again
        assert await statuses() == ["free", "taken"]
        assert await listed_that_day() == [first["starts_at"]]

        await publish(cancelled, cancelled)
        assert await statuses() == ["free", "free"]
        await publish(moved)  # redelivered after the cancel: changes nothing
        assert await statuses() == ["free", "free"]
    finally:
        await producer.stop()
