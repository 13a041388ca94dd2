"""After booking: cancel and reschedule free the old slot; sessions' outcome is the final status."""

import uuid
from datetime import timedelta

from psy_contracts.events import sessions

from tests.integration.booking.world import Person, World, error_code


async def booked(world: World, who: Person, slot: uuid.UUID, **body) -> str:  # type: ignore[no-untyped-def]
    response = await world.book(who, slot, **body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def post(world: World, who: Person, path: str, body: dict):  # type: ignore[no-untyped-def,type-arg]
    return await world.http.post(path, json=body, headers=who.headers)


def events_of(events, booking_id: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def,type-arg]
    return [(e.type.split(".")[-2], e.data) for e in events if e.subject == booking_id]


async def test_cancel_needs_a_reason_frees_the_slot_and_is_published(world: World) -> None:
    parent, other = await world.account("parent"), await world.account("parent")
    psychologist = await world.psychologist()
    slot = await world.slot(psychologist)
    await world.synced()
    booking_id = await booked(world, parent, slot)
    path = f"/bookings/{booking_id}/cancel"

    assert error_code(await post(world, parent, path, {"reason": "  "})) == "reason_required"
    assert error_code(await post(world, parent, path, {"reason": "я" * 501})) == "reason_too_long"
    cancelled = await post(world, parent, path, {"reason": "Ребёнок заболел"})
    again = await post(world, parent, path, {"reason": "Ещё раз"})
    rebooked = await world.book(other, slot)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Ребёнок заболел"
    assert cancelled.json()["cancelled_by"] == str(parent.id)
    assert (again.status_code, error_code(again)) == (409, "not_active")
    assert rebooked.status_code == 201, "the cancelled booking's slot is free again"
    await world.outbox_drained()
    published = events_of(await world.booking_events(expect=1), booking_id)
    assert published == [
        ("created", published[0][1]),
        (
            "cancelled",
            {
                "booking_id": booking_id,
                "slot_id": str(slot),
                "cancelled_by": str(parent.id),
                "reason": "Ребёнок заболел",
            },
        ),
    ]


async def test_the_psychologist_cancels_and_nobody_changes_a_started_consultation(
    world: World,
) -> None:
    parent = await world.account("parent")
    psychologist = await world.psychologist()
    soon, later, spare = (
        await world.slot(psychologist, timedelta(hours=1)),
        await world.slot(psychologist, timedelta(hours=3)),
        await world.slot(psychologist, timedelta(hours=5)),
    )
    await world.synced()
    soon_id, later_id = await booked(world, parent, soon), await booked(world, parent, later)

    with world.clock.moved(timedelta(hours=1, minutes=1)):  # the first one has started
        late_cancel = await post(
            world, parent, f"/bookings/{soon_id}/cancel", {"reason": "Не успеваем"}
        )
        late_move = await post(
            world, psychologist, f"/bookings/{soon_id}/reschedule", {"slot_id": str(spare)}
        )
    by_psychologist = await post(
        world, psychologist, f"/bookings/{later_id}/cancel", {"reason": "Болезнь психолога"}
    )

    assert (late_cancel.status_code, error_code(late_cancel)) == (409, "too_late")
    assert (late_move.status_code, error_code(late_move)) == (409, "too_late")
    assert by_psychologist.status_code == 200
    assert by_psychologist.json()["cancelled_by"] == str(psychologist.id)


async def test_reschedule_moves_the_same_booking_and_frees_the_old_slot(world: World) -> None:
    parent, other = await world.account("parent"), await world.account("parent")
    psychologist, stranger = await world.psychologist(), await world.psychologist()
    old, new, taken, chat_only, held = (
        await world.slot(psychologist, timedelta(days=1)),
        await world.slot(psychologist, timedelta(days=2), ("video",), timezone="Asia/Vladivostok"),
        await world.slot(psychologist, timedelta(days=3)),
        await world.slot(psychologist, timedelta(days=4), ("chat",)),
        await world.slot(psychologist, timedelta(days=5)),
    )
    elsewhere = await world.slot(stranger, timedelta(days=2))
    await world.synced()
    booking_id = await booked(world, parent, old)
    await booked(world, other, taken)
    hold = await post(world, other, "/holds", {"slot_id": str(held)})
    assert hold.status_code == 201
    path = f"/bookings/{booking_id}/reschedule"

    refusals = {
        name: error_code(await post(world, parent, path, {"slot_id": str(target)}))
        for name, target in {
            "other psychologist": elsewhere,
            "taken": taken,
            "format gone": chat_only,
            "held": held,
            "same slot": old,
            "unknown": uuid.uuid4(),
        }.items()
    }
    moved = await post(world, parent, path, {"slot_id": str(new)})
    old_slot_rebooked = await world.book(other, old)

    assert refusals == {
        "other psychologist": "other_psychologist",
        "taken": "slot_taken",
        "format gone": "format_not_offered",
        "held": "slot_held",
        "same slot": "same_slot",
        "unknown": "slot_not_found",
    }
    assert moved.status_code == 200, moved.text
    assert moved.json()["id"] == booking_id
    assert moved.json()["slot_id"] == str(new)
    assert moved.json()["timezone"] == "Asia/Vladivostok"
    assert moved.json()["starts_at"].endswith("+10:00")
    assert old_slot_rebooked.status_code == 201
    await world.outbox_drained()
    kinds = [k for k, _ in events_of(await world.booking_events(expect=1), booking_id)]
    assert kinds == ["created", "rescheduled"]
    data = events_of(await world.booking_events(expect=1, settle=0), booking_id)[1][1]
    assert (data["old_slot_id"], data["slot_id"]) == (str(old), str(new))


async def test_session_outcomes_set_the_final_status_once(world: World) -> None:
    parent = await world.account("parent")
    child = await world.child(8, parent)
    psychologist = await world.psychologist()
    slots = [await world.slot(psychologist, timedelta(days=d)) for d in (1, 2, 3)]
    await world.synced()
    attended = await booked(world, parent, slots[0])
    missed = await booked(world, parent, slots[1], participant_id=child.id)
    cancelled = await booked(world, parent, slots[2], participant_id=child.id)
    assert (
        await post(world, parent, f"/bookings/{cancelled}/cancel", {"reason": "Передумали"})
    ).status_code == 200

    for data in (
        sessions.Attended(booking_id=uuid.UUID(attended)),
        sessions.Attended(booking_id=uuid.UUID(attended)),  # a duplicate outcome
        sessions.Missed(booking_id=uuid.UUID(attended), absent=[parent.id]),  # a late contradiction
        sessions.Missed(booking_id=uuid.UUID(missed), absent=[parent.id, child.id]),
        sessions.Attended(booking_id=uuid.UUID(cancelled)),
    ):
        await world.publish(data, data.booking_id)
    await world.synced()

    async def status(booking_id: str) -> str:
        response = await world.http.get(f"/bookings/{booking_id}", headers=parent.headers)
        return response.json()["status"]

    assert [await status(b) for b in (attended, missed, cancelled)] == [
        "completed",
        "missed",
        "cancelled",
    ]
    await world.outbox_drained()
    events = await world.booking_events(expect=1)
    assert [k for k, _ in events_of(events, attended)] == ["created", "completed"]
    assert events_of(events, missed)[1] == (
        "missed",
        {"booking_id": missed, "absent": [str(parent.id), str(child.id)]},
    )
    assert [k for k, _ in events_of(events, cancelled)] == ["created", "cancelled"]
