"""Every endpoint × every kind of caller. The booking under test is made by a parent for their
linked child of 14+, with one psychologist. Each cell gets a fresh slot and booking, so a
successful cancel in one cell cannot change another."""

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from tests.integration.booking.world import TOPIC, Person, World

# The participant (the child) collects many bookings here; the limit has its own test.
BOOKING_SETTINGS = {"active_limit": 1000}

ROLES = (
    "parent",
    "linked_child",
    "unlinked_child",
    "psychologist",
    "other_parent",
    "admin",
    "none",
)
# endpoint: expected status per role, in the order of ROLES
MATRIX = {
    "POST /holds": (201, 201, 403, 403, 201, 403, 401),
    "DELETE /holds/{id}": (204, 404, 404, 404, 404, 404, 401),
    "POST /bookings": (201, 201, 403, 403, 403, 403, 401),
    "GET /bookings": (200, 200, 200, 200, 200, 403, 401),
    "GET /bookings/{id}": (200, 200, 404, 200, 404, 403, 401),
    "POST /bookings/{id}/cancel": (200, 200, 404, 200, 404, 403, 401),
    "POST /bookings/{id}/reschedule": (200, 200, 404, 200, 404, 403, 401),
}
# Whether the booking shows in the caller's «Мои записи».
SEES_IN_LIST = {"parent", "linked_child", "psychologist"}


@dataclass
class Family:
    parent: Person
    linked_child: Person
    unlinked_child: Person
    psychologist: Person
    other_parent: Person
    admin: Person


@pytest.fixture(scope="module")
async def family(world: World) -> Family:
    parent = await world.account("parent")
    people = Family(
        parent=parent,
        linked_child=await world.child(15, parent),
        unlinked_child=await world.child(15, None),
        psychologist=await world.psychologist(),
        other_parent=await world.account("parent"),
        admin=await world.account("admin"),
    )
    await world.synced()
    return people


async def scene(world: World, family: Family) -> dict[str, str]:
    """A fresh booking (parent for the linked child), a free slot, a spare slot, a parent's hold."""
    slots = [
        await world.slot(family.psychologist, timedelta(days=1, hours=h)) for h in (1, 2, 3, 4)
    ]
    await world.synced()
    made = await world.book(family.parent, slots[0], participant_id=family.linked_child.id)
    assert made.status_code == 201, made.text
    hold = await world.http.post(
        "/holds", json={"slot_id": str(slots[3])}, headers=family.parent.headers
    )
    assert hold.status_code == 201, hold.text
    return {
        "booking": made.json()["id"],
        "free": str(slots[1]),
        "spare": str(slots[2]),
        "hold": hold.json()["id"],
    }


async def call(
    world: World, endpoint: str, role: str, who: Person | None, family: Family, s: dict[str, str]
) -> httpx.Response:
    headers = who.headers if who else {}
    method, path = endpoint.split(" ", 1)
    path = path.replace("{id}", s["hold"] if "holds" in path else s["booking"])
    body: dict[str, object] | None = None
    if endpoint == "POST /holds":
        body = {"slot_id": s["free"]}
    elif endpoint == "POST /bookings":
        headers = {**headers, "Idempotency-Key": f"{role}-{s['free']}"}
        # Each books the child (the parent, the other parent) or themselves (everyone else).
        for_child = role in ("parent", "other_parent")
        body = {"slot_id": s["free"], "format": "video", "topics": [TOPIC]}
        if for_child:
            body["participant_id"] = str(family.linked_child.id)
    elif endpoint.endswith("/cancel"):
        body = {"reason": "Не получается прийти"}
    elif endpoint.endswith("/reschedule"):
        body = {"slot_id": s["spare"]}
    return await world.http.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(MATRIX))
async def test_who_may_do_what(world: World, family: Family, endpoint: str, role: str) -> None:
    s = await scene(world, family)
    who = None if role == "none" else getattr(family, role)
    response = await call(world, endpoint, role, who, family, s)
    expected = MATRIX[endpoint][ROLES.index(role)]
    assert response.status_code == expected, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["code"]
    if endpoint == "GET /bookings" and expected == 200:
        ids = {b["id"] for b in response.json()["items"]}
        assert (s["booking"] in ids) == (role in SEES_IN_LIST)
    if endpoint == "GET /bookings/{id}" and expected == 404:
        assert response.json()["error"]["code"] == "booking_not_found", "404 leaks nothing"


async def test_a_parent_sees_a_childs_own_booking_without_its_contents(
    world: World, family: Family
) -> None:
    slot = await world.slot(family.psychologist, timedelta(days=2))
    await world.synced()
    made = await world.book(family.linked_child, slot, comment="Личное")
    assert made.status_code == 201, made.text

    def find(response: httpx.Response) -> dict[str, object]:
        return next(b for b in response.json()["items"] if b["id"] == made.json()["id"])

    as_parent = find(await world.http.get("/bookings", headers=family.parent.headers))
    as_child = find(await world.http.get("/bookings", headers=family.linked_child.headers))
    as_psychologist = find(await world.http.get("/bookings", headers=family.psychologist.headers))

    assert (as_parent["topics"], as_parent["comment"]) == (None, None)
    assert as_parent["participant_kind"] == "self"
    assert (as_child["topics"], as_child["comment"]) == ([TOPIC], "Личное")
    assert (as_psychologist["topics"], as_psychologist["comment"]) == ([TOPIC], "Личное")
