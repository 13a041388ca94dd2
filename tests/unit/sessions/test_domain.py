"""Who takes part, when the door is open, and what counts as attended (pure rules)."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from psy_sessions.domain import JoinRefused, Session, can_join, check_join, decide, status_of

LEAD = timedelta(minutes=15)
START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
PARENT, CHILD, PSY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def session(**changes: object) -> Session:
    base = Session(
        booking_id=uuid.uuid4(),
        psychologist_id=PSY,
        booked_by=PARENT,
        participant_id=CHILD,
        participant_kind="child",
        format="video",
        starts_at=START,
        ends_at=START + timedelta(minutes=50),
        place=None,
        dispatched_at=START - LEAD,
        room_url="https://sferum.example/rooms/r1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_child_consultation_has_parent_child_and_psychologist() -> None:
    assert session().participants == (PARENT, CHILD, PSY)
    assert session().client_side == (PARENT, CHILD)


def test_booking_for_oneself_lists_the_client_once() -> None:
    own = session(participant_id=PARENT, participant_kind="self")
    assert own.participants == (PARENT, PSY)


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (START - LEAD - timedelta(seconds=1), "join_not_open_yet"),
        (START + timedelta(minutes=50, seconds=1), "session_ended"),
    ],
)
def test_the_door_is_open_from_t_minus_15_to_the_end_only(now: datetime, code: str) -> None:
    with pytest.raises(JoinRefused) as refused:
        check_join(session(), PARENT, now, LEAD)
    assert refused.value.code == code
    assert check_join(session(), PARENT, START - LEAD, LEAD) == "https://sferum.example/rooms/r1"
    assert check_join(session(), CHILD, START + timedelta(minutes=50), LEAD)


def test_a_stranger_is_refused_even_in_the_window() -> None:
    with pytest.raises(JoinRefused) as refused:
        check_join(session(), uuid.uuid4(), START, LEAD)
    assert (refused.value.status, refused.value.code) == (403, "not_participant")


def test_cancelled_in_person_and_roomless_sessions_do_not_open() -> None:
    cases = {
        "session_cancelled": session(cancelled_at=START - timedelta(hours=1)),
        "in_person_session": session(format="in_person", room_url=None),
        "room_not_ready": session(room_url=None, dispatched_at=None),
    }
    for code, s in cases.items():
        with pytest.raises(JoinRefused) as refused:
            check_join(s, PARENT, START, LEAD)
        assert refused.value.code == code
        assert can_join(s, START, LEAD) is False
    assert can_join(session(), START, LEAD) is True


def test_the_child_alone_joining_counts_as_attended_and_names_who_was_absent() -> None:
    decision = decide(session(), {CHILD, PSY})
    assert decision.outcome == "attended"
    assert decision.absent == (PARENT,)


def test_only_the_psychologist_joining_is_a_miss_of_the_client_side() -> None:
    decision = decide(session(), {PSY})
    assert decision.outcome == "missed"
    assert decision.absent == (PARENT, CHILD)


def test_nobody_joining_lists_everyone_absent() -> None:
    assert decide(session(), set()).absent == (PARENT, CHILD, PSY)


def test_status_follows_the_lifecycle() -> None:
    assert status_of(session(dispatched_at=None, room_url=None)) == "scheduled"
    assert status_of(session()) == "link_sent"
    assert status_of(session(outcome="missed")) == "missed"
    assert status_of(session(outcome="attended")) == "attended"
    assert status_of(session(cancelled_at=START)) == "cancelled"


def test_a_rescheduled_session_asks_the_provider_for_a_new_room() -> None:
    first = session()
    moved = replace(first, generation=1)
    assert first.room_key != moved.room_key
    assert first.room_key == replace(first).room_key
