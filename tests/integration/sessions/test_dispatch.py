"""T-15 link dispatch through the real service: Kafka in, PostgreSQL, Сферум, Kafka out."""

import json
import uuid
from datetime import timedelta

from psy_contracts import new_event, topics
from psy_contracts.events.booking import BookingCreated

from tests.integration.sessions.conftest import (
    cancelled,
    created,
    new_family,
    rescheduled,
    start_of_next_hour,
)
from tests.support.kafka import read_topic, wait_until


def links_by_booking(received) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[dict]] = {}
    for message in received:
        event = json.loads(message.value)
        assert event["type"] == "ru.psy.sessions.session.link_dispatched.v1"
        assert message.key == event["data"]["booking_id"]
        out.setdefault(message.key, []).append(event["data"])
    return out


async def scheduled(running, booking_id: uuid.UUID, headers) -> bool:  # type: ignore[no-untyped-def]
    response = await running.get(f"/bookings/{booking_id}/session", headers)
    return response.status_code == 200


async def test_a_booking_made_ten_minutes_before_start_gets_links_at_once(
    run_sessions, infra, issuer
) -> None:
    starts = start_of_next_hour()
    family = new_family()
    booking = created(family, starts, for_child=True)
    async with run_sessions(now=starts - timedelta(minutes=10)) as running:
        await running.publish(booking)
        received = await read_topic(infra.kafka, running.topic(topics.SESSION_LINKS), expect=1)
        state = await running.get(
            f"/bookings/{booking.booking_id}/session", issuer.headers(family.parent, "parent")
        )
    [links] = links_by_booking(received)[str(booking.booking_id)]
    recipients = {r["account_id"]: r["join_url"] for r in links["recipients"]}
    # Parent, the child the consultation is for, and the psychologist — each their own link.
    assert set(recipients) == {str(family.parent), str(family.child), str(family.psychologist)}
    assert len(set(recipients.values())) == 3
    assert all(u.startswith("http://sessions.test/join/") for u in recipients.values())
    assert state.json()["status"] == "link_sent"
    assert state.json()["can_join"] is True


async def test_two_hours_ahead_links_go_at_t_minus_15_once_even_when_redelivered(
    run_sessions, infra, issuer, sferum
) -> None:
    starts = start_of_next_hour()
    family = new_family()
    booking = created(family, starts, for_child=False)
    event = new_event(booking, str(booking.booking_id))
    headers = issuer.headers(family.parent, "parent")
    links_topic = None
    async with run_sessions(now=starts - timedelta(hours=2)) as running:
        links_topic = running.topic(topics.SESSION_LINKS)
        await running.republish(event.to_json(), event.subject)
        await wait_until(lambda: scheduled(running, booking.booking_id, headers))
        running.clock.set(starts - timedelta(minutes=15, seconds=1))
        early = await read_topic(infra.kafka, links_topic, expect=1, timeout=1.5, settle=0)
        assert early == [], "nothing may go out before T-15"
        # The room is already open (ahead of the burst), but nobody gets its URL yet.
        await wait_until(lambda: f"{booking.booking_id}:0" in sferum.rooms.by_key)
        not_yet = await running.get(f"/bookings/{booking.booking_id}/join", headers)
        assert not_yet.status_code == 409 and "location" not in not_yet.headers
        assert (await running.get(f"/bookings/{booking.booking_id}/session", headers)).json()[
            "status"
        ] == "scheduled"

        running.clock.set(starts - timedelta(minutes=15))
        received = await read_topic(infra.kafka, links_topic, expect=1)
        # Kafka delivers the same booking.created again (and a stale copy arrives later on).
        await running.republish(event.to_json(), event.subject)
        running.clock.set(starts - timedelta(minutes=5))
        received = await read_topic(infra.kafka, links_topic, expect=1, settle=2)
    [links] = links_by_booking(received)[str(booking.booking_id)]
    # Booked for oneself: the client and the psychologist.
    assert {r["account_id"] for r in links["recipients"]} == {
        str(family.parent),
        str(family.psychologist),
    }


async def test_cancelled_before_t_minus_15_sends_nothing(run_sessions, infra, issuer) -> None:
    starts = start_of_next_hour()
    family = new_family()
    kept, dropped = created(family, starts), created(family, starts)
    async with run_sessions(now=starts - timedelta(hours=1)) as running:
        for data in (kept, dropped, cancelled(dropped)):
            await running.publish(data)
        headers = issuer.headers(family.parent, "parent")
        await wait_until(lambda: _status_is(running, dropped.booking_id, headers, "cancelled"))
        running.clock.set(starts - timedelta(minutes=14))
        received = await read_topic(
            infra.kafka, running.topic(topics.SESSION_LINKS), expect=1, settle=2
        )
    assert list(links_by_booking(received)) == [str(kept.booking_id)]


async def _status_is(running, booking_id, headers, status: str) -> bool:  # type: ignore[no-untyped-def]
    response = await running.get(f"/bookings/{booking_id}/session", headers)
    return response.status_code == 200 and response.json()["status"] == status


async def test_in_person_dispatch_carries_no_links(run_sessions, infra) -> None:
    """In person: at T-15 the event goes out with no recipients — notify's cue to remind
    everyone with the place it has from booking.created. No room is opened."""
    starts = start_of_next_hour()
    booking = created(new_family(), starts, fmt="in_person")
    async with run_sessions(now=starts - timedelta(minutes=3)) as running:
        await running.publish(booking)
        received = await read_topic(infra.kafka, running.topic(topics.SESSION_LINKS), expect=1)
    [links] = links_by_booking(received)[str(booking.booking_id)]
    assert links["recipients"] == []


async def test_a_rescheduled_booking_gets_a_new_room_and_links_the_old_link_dies(
    run_sessions, infra, issuer, sferum
) -> None:
    starts = start_of_next_hour()
    family = new_family()
    booking = created(family, starts, for_child=False)
    later = starts + timedelta(days=1)
    async with run_sessions(now=starts - timedelta(minutes=10)) as running:
        links_topic = running.topic(topics.SESSION_LINKS)
        await running.publish(booking)
        first = await read_topic(infra.kafka, links_topic, expect=1)
        [old] = links_by_booking(first)[str(booking.booking_id)]
        await running.publish(rescheduled(booking, later))
        headers = issuer.headers(family.parent, "parent")
        await wait_until(lambda: _status_is(running, booking.booking_id, headers, "scheduled"))
        old_link = old["recipients"][0]["join_url"].removeprefix("http://sessions.test")
        refused = await running.get(old_link)
        running.clock.set(later - timedelta(minutes=15))
        both = await read_topic(infra.kafka, links_topic, expect=2, settle=2)
    assert refused.status_code == 410
    assert "больше не действует" in refused.text
    [_, new] = links_by_booking(both)[str(booking.booking_id)]
    assert new["starts_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert {r["join_url"] for r in new["recipients"]}.isdisjoint(
        {r["join_url"] for r in old["recipients"]}
    )
    assert sferum.room_url(booking.booking_id, 0) != sferum.room_url(booking.booking_id, 1)


async def test_unknown_booking_has_no_session(run_sessions, issuer) -> None:
    async with run_sessions(now=start_of_next_hour()) as running:
        response = await running.get(
            f"/bookings/{uuid.uuid4()}/session", issuer.headers(uuid.uuid4(), "parent")
        )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "session_not_found"


_ = BookingCreated  # the event model the helpers build
