"""Joining only through the service; attendance and «пропуск» decided from what it saw."""

import json
import uuid
from datetime import timedelta

import httpx
from psy_contracts import topics

from tests.integration.sessions.conftest import created, new_family, start_of_next_hour
from tests.support.kafka import read_topic, wait_until


def recipients_of(received, booking_id: uuid.UUID) -> dict[str, str]:  # type: ignore[no-untyped-def]
    for message in received:
        data = json.loads(message.value)["data"]
        if data["booking_id"] == str(booking_id):
            return {
                r["account_id"]: r["join_url"].removeprefix("http://sessions.test")
                for r in data["recipients"]
            }
    raise AssertionError(f"no links for {booking_id}")


def events(received) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(m.value) for m in received]


async def test_button_and_email_link_joins_are_recorded_and_the_raw_room_url_is_a_miss(
    run_sessions, infra, issuer, sferum
) -> None:
    starts = start_of_next_hour()
    family, loner = new_family(), new_family()
    together = created(family, starts, for_child=True)
    around = created(loner, starts, for_child=False)  # this client will use the room URL only
    async with run_sessions(now=starts - timedelta(minutes=12)) as running:
        await running.publish(together)
        await running.publish(around)
        links = await read_topic(infra.kafka, running.topic(topics.SESSION_LINKS), expect=2)
        running.clock.set(starts + timedelta(minutes=1))

        by_button = await running.get(
            f"/bookings/{together.booking_id}/join", issuer.headers(family.parent, "parent")
        )
        running.clock.set(starts + timedelta(minutes=2))
        by_mail = await running.get(recipients_of(links, together.booking_id)[str(family.child)])
        running.clock.set(starts + timedelta(minutes=3))
        psychologist = await running.get(
            f"/bookings/{together.booking_id}/join",
            issuer.headers(family.psychologist, "psychologist"),
        )
        # The other client opens Сферум's own room page directly; their psychologist joins.
        async with httpx.AsyncClient() as client:
            page = await client.get(sferum.room_url(around.booking_id))
        await running.get(
            f"/bookings/{around.booking_id}/join",
            issuer.headers(loner.psychologist, "psychologist"),
        )
        state = (
            await running.get(
                f"/bookings/{together.booking_id}/session",
                issuer.headers(family.child, "child"),
            )
        ).json()

        running.clock.set(together.ends_at + timedelta(minutes=10))
        out = events(
            await read_topic(infra.kafka, running.topic(topics.SESSIONS), expect=6, settle=2)
        )

    room = sferum.room_url(together.booking_id)
    assert by_button.status_code == 302 and by_button.headers["location"] == room
    assert by_mail.status_code == 302 and by_mail.headers["location"] == room
    assert psychologist.status_code == 302
    assert page.status_code == 200 and "Присоединиться через браузер" in page.text
    assert sferum.rooms.by_key[f"{around.booking_id}:0"].visits, "the raw URL did work"

    assert state["status"] == "link_sent" and state["can_join"] is True
    assert [(j["account_id"], j["via"]) for j in state["joined"]] == [
        (str(family.parent), "button"),
        (str(family.child), "email_link"),
        (str(family.psychologist), "button"),
    ]

    joined = [
        (e["data"]["booking_id"], e["data"]["account_id"], e["data"]["via"])
        for e in out
        if e["type"].endswith("session.joined.v1")
    ]
    assert sorted(joined) == sorted(
        [
            (str(together.booking_id), str(family.parent), "button"),
            (str(together.booking_id), str(family.child), "email_link"),
            (str(together.booking_id), str(family.psychologist), "button"),
            (str(around.booking_id), str(loner.psychologist), "button"),
        ]
    )
    outcomes = {e["subject"]: e for e in out if not e["type"].endswith("session.joined.v1")}
    assert outcomes[str(together.booking_id)]["type"] == "ru.psy.sessions.session.attended.v1"
    missed = outcomes[str(around.booking_id)]
    assert missed["type"] == "ru.psy.sessions.session.missed.v1"
    assert missed["data"]["absent"] == [str(loner.parent)]
    assert len(out) == 6, "one outcome per booking"


async def test_strangers_and_the_wrong_time_are_refused_and_nothing_is_recorded(
    run_sessions, infra, issuer
) -> None:
    starts = start_of_next_hour()
    family = new_family()
    booking = created(family, starts, for_child=True)
    parent = issuer.headers(family.parent, "parent")
    path = f"/bookings/{booking.booking_id}/join"
    async with run_sessions(now=starts - timedelta(minutes=14)) as running:
        await running.publish(booking)
        links = await read_topic(infra.kafka, running.topic(topics.SESSION_LINKS), expect=1)
        child_link = recipients_of(links, booking.booking_id)[str(family.child)]

        stranger = await running.get(path, issuer.headers(uuid.uuid4(), "parent"))
        no_token = await running.get(path)
        forged = await running.get(child_link[:-3] + "abc")
        stranger_state = await running.get(
            f"/bookings/{booking.booking_id}/session", issuer.headers(uuid.uuid4(), "parent")
        )
        running.clock.set(starts - timedelta(minutes=16))
        too_early = await running.get(path, parent)
        early_state = (await running.get(f"/bookings/{booking.booking_id}/session", parent)).json()
        running.clock.set(booking.ends_at + timedelta(seconds=1))
        too_late = await running.get(path, parent)
        late_link = await running.get(child_link)
        state = (await running.get(f"/bookings/{booking.booking_id}/session", parent)).json()

        # A control: a good join right after the refusals is the only one that shows up.
        running.clock.set(starts)
        ok = await running.get(path, parent)
        joined = await read_topic(infra.kafka, running.topic(topics.SESSIONS), expect=1, settle=2)

    assert stranger.status_code == 403
    assert stranger.json()["error"] == {
        "code": "not_participant",
        "message": "Вы не участник этой консультации.",
    }
    assert stranger_state.status_code == 403
    assert no_token.status_code == 401
    assert forged.status_code == 410 and "Ссылка недействительна" in forged.text
    assert forged.headers["content-type"].startswith("text/html")
    assert too_early.status_code == 409
    assert too_early.json()["error"]["code"] == "join_not_open_yet"
    assert early_state["can_join"] is False
    assert too_late.status_code == 409 and too_late.json()["error"]["code"] == "session_ended"
    assert late_link.status_code == 410 and "срок её действия истёк" in late_link.text
    for refused in (stranger, too_early, too_late):
        assert "location" not in refused.headers
        assert "sferum" not in refused.text
    assert state["joined"] == []
    assert ok.status_code == 302
    assert [json.loads(m.value)["data"]["account_id"] for m in joined] == [str(family.parent)]


async def test_cancelled_session_refuses_join(run_sessions, infra, issuer) -> None:
    from tests.integration.sessions.conftest import cancelled

    starts = start_of_next_hour()
    family = new_family()
    booking = created(family, starts)
    parent = issuer.headers(family.parent, "parent")
    async with run_sessions(now=starts - timedelta(minutes=5)) as running:
        await running.publish(booking)
        await read_topic(infra.kafka, running.topic(topics.SESSION_LINKS), expect=1)
        await running.publish(cancelled(booking))

        async def is_cancelled() -> bool:
            r = await running.get(f"/bookings/{booking.booking_id}/session", parent)
            return r.json()["status"] == "cancelled"

        await wait_until(is_cancelled)
        refused = await running.get(f"/bookings/{booking.booking_id}/join", parent)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "session_cancelled"
