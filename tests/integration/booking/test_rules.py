"""Every booking rule refuses with its code, and a refusal stores nothing and publishes nothing
(no booking, no idempotency key, no outbox row — the outbox is the only way out to Kafka)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from psy_contracts.events import catalog

from tests.integration.booking.world import TOPIC, World, error_code

Case = Callable[[World], Awaitable[httpx.Response]]
CASES: dict[str, tuple[int, str, Case]] = {}


def case(name: str, status: int, code: str):  # type: ignore[no-untyped-def]
    def register(fn: Case) -> Case:
        CASES[name] = (status, code, fn)
        return fn

    return register


async def _parent_and_slot(world: World, **slot_args):  # type: ignore[no-untyped-def]
    parent = await world.account("parent")
    psychologist = await world.psychologist()
    slot = await world.slot(psychologist, **slot_args)
    return parent, psychologist, slot


@case("unknown slot", 404, "slot_not_found")
async def _unknown_slot(world: World) -> httpx.Response:
    parent = await world.account("parent")
    await world.synced()
    return await world.book(parent, uuid.uuid4())


@case("withdrawn slot", 404, "slot_not_found")
async def _withdrawn(world: World) -> httpx.Response:
    parent, psychologist, slot = await _parent_and_slot(world)
    await world.publish(catalog.SlotWithdrawn(slot_id=slot, psychologist_id=psychologist.id), slot)
    await world.synced()
    return await world.book(parent, slot)


@case("starts in 3 minutes", 422, "outside_booking_window")
async def _too_soon(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world, starts_in=timedelta(minutes=3))
    await world.synced()
    return await world.book(parent, slot)


@case("starts in 31 days", 422, "outside_booking_window")
async def _too_far(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world, starts_in=timedelta(days=31))
    await world.synced()
    return await world.book(parent, slot)


@case("already started", 422, "outside_booking_window")
async def _past(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world, starts_in=timedelta(minutes=-10))
    await world.synced()
    return await world.book(parent, slot)


@case("format the slot does not offer", 422, "format_not_offered")
async def _format(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world, formats=("chat",))
    await world.synced()
    return await world.book(parent, slot, format="video")


@case("topic the psychologist does not work with", 422, "unknown_topic")
async def _topic(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    await world.synced()
    return await world.book(parent, slot, topics=[TOPIC, "psy-topic-astrology"])


@case("no topic", 422, "validation_error")
async def _no_topic(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    await world.synced()
    return await world.book(parent, slot, topics=[])


@case("comment of 1001 characters", 422, "comment_too_long")
async def _comment(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    await world.synced()
    return await world.book(parent, slot, comment="я" * 1001)


@case("child under 14 books for self", 403, "participant_not_allowed")
async def _young_child(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    child = await world.child(13, parent)
    await world.synced()
    return await world.book(child, slot)


@case("unlinked child of 15 books for self", 403, "participant_not_allowed")
async def _unlinked_child(world: World) -> httpx.Response:
    _, _, slot = await _parent_and_slot(world)
    child = await world.child(15, None)
    await world.synced()
    return await world.book(child, slot)


@case("linked child of 15 books for the parent", 403, "participant_not_allowed")
async def _child_for_parent(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    child = await world.child(15, parent)
    await world.synced()
    return await world.book(child, slot, participant_id=parent.id)


@case("parent books for another family's child", 403, "participant_not_allowed")
async def _foreign_child(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    other = await world.account("parent")
    child = await world.child(10, other)
    await world.synced()
    return await world.book(parent, slot, participant_id=child.id)


@case("parent books for another adult", 403, "participant_not_allowed")
async def _other_adult(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    other = await world.account("parent")
    await world.synced()
    return await world.book(parent, slot, participant_id=other.id)


@case("psychologist books", 403, "participant_not_allowed")
async def _psychologist(world: World) -> httpx.Response:
    _, psychologist, slot = await _parent_and_slot(world)
    await world.synced()
    return await world.book(psychologist, slot)


@case("admin books", 403, "participant_not_allowed")
async def _admin(world: World) -> httpx.Response:
    _, _, slot = await _parent_and_slot(world)
    admin = await world.account("admin")
    await world.synced()
    return await world.book(admin, slot)


@case("account not yet replicated", 409, "account_unknown")
async def _unknown_account(world: World) -> httpx.Response:
    _, _, slot = await _parent_and_slot(world)
    await world.synced()
    return await world.book(world.person("parent"), slot)


@case("third active booking", 409, "active_limit_reached")
async def _limit(world: World) -> httpx.Response:
    parent, psychologist, slot = await _parent_and_slot(world)
    child = await world.child(9, parent)
    first, second = await world.slot(psychologist), await world.slot(psychologist)
    await world.synced()
    for earlier in (first, second):
        made = await world.book(parent, earlier, participant_id=child.id)
        assert made.status_code == 201, made.text
    # The limit is per participant: the parent may still book for self...
    assert (await world.book(parent, await _synced_slot(world, psychologist))).status_code == 201
    return await world.book(parent, slot, participant_id=child.id)


async def _synced_slot(world: World, psychologist) -> uuid.UUID:  # type: ignore[no-untyped-def]
    slot = await world.slot(psychologist)
    await world.synced()
    return slot


@case("slot booked by someone else", 409, "slot_taken")
async def _taken(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    other = await world.account("parent")
    await world.synced()
    assert (await world.book(other, slot)).status_code == 201
    return await world.book(parent, slot)


@case("slot held by someone else", 409, "slot_held")
async def _held(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    other = await world.account("parent")
    await world.synced()
    held = await world.http.post("/holds", json={"slot_id": str(slot)}, headers=other.headers)
    assert held.status_code == 201, held.text
    return await world.book(parent, slot, hold_id=held.json()["id"])


@case("no Idempotency-Key", 400, "idempotency_key_required")
async def _no_key(world: World) -> httpx.Response:
    parent, _, slot = await _parent_and_slot(world)
    await world.synced()
    return await world.book(parent, slot, key=None)


@case("Idempotency-Key reused for another slot", 422, "idempotency_key_reused")
async def _reused(world: World) -> httpx.Response:
    parent, psychologist, slot = await _parent_and_slot(world)
    other_slot = await world.slot(psychologist)
    await world.synced()
    assert (await world.book(parent, slot, key="one-key")).status_code == 201
    return await world.book(parent, other_slot, key="one-key")


@pytest.mark.parametrize("name", list(CASES))
async def test_refusal_stores_and_publishes_nothing(world: World, name: str) -> None:
    status, code, make = CASES[name]
    response = await make_and_count(world, make)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert response.json()["error"]["message"]


async def make_and_count(world: World, make: Case) -> httpx.Response:
    """Counts rows just before the refused request (make() may book first to set the scene)."""
    before: dict[str, int] = {}
    original = world.http.post

    async def counting_post(url: str, **kwargs):  # type: ignore[no-untyped-def]
        before.clear()
        before.update(await world.counts())
        return await original(url, **kwargs)

    world.http.post = counting_post  # type: ignore[method-assign]
    try:
        response = await make(world)
    finally:
        world.http.post = original  # type: ignore[method-assign]
    assert await world.counts() == before, "a refused request left rows behind"
    return response
