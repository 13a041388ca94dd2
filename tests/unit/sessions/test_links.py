"""Signed per-participant join links."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from psy_sessions.domain import Session
from psy_sessions.links import InvalidLink, JoinLinks

START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
SESSION = Session(
    booking_id=uuid.uuid4(),
    psychologist_id=uuid.uuid4(),
    booked_by=uuid.uuid4(),
    participant_id=uuid.uuid4(),
    participant_kind="child",
    format="video",
    starts_at=START,
    ends_at=START + timedelta(minutes=50),
    place=None,
)
LINKS = JoinLinks("secret-1", "https://psy.example/sessions/")


def token_of(url: str) -> str:
    prefix = "https://psy.example/sessions/join/"
    assert url.startswith(prefix)
    return url.removeprefix(prefix)


def test_a_link_names_its_booking_participant_and_time() -> None:
    ticket = LINKS.read(token_of(LINKS.issue(SESSION, SESSION.participant_id)), START)
    assert ticket.booking_id == SESSION.booking_id
    assert ticket.account_id == SESSION.participant_id
    assert ticket.generation == 0
    assert ticket.expires_at == SESSION.ends_at


def test_each_participant_gets_their_own_link_and_reissuing_gives_the_same() -> None:
    a = LINKS.issue(SESSION, SESSION.booked_by)
    b = LINKS.issue(SESSION, SESSION.participant_id)
    assert a != b
    assert LINKS.issue(SESSION, SESSION.booked_by) == a  # a retried dispatch sends the same link


def test_expired_forged_and_foreign_links_are_refused() -> None:
    token = token_of(LINKS.issue(SESSION, SESSION.booked_by))
    with pytest.raises(InvalidLink):
        LINKS.read(token, SESSION.ends_at + timedelta(seconds=1))
    with pytest.raises(InvalidLink):
        LINKS.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), START)
    with pytest.raises(InvalidLink):
        JoinLinks("another-secret", "https://x").read(token, START)
    with pytest.raises(InvalidLink):
        LINKS.read("garbage", START)


def test_a_moved_booking_gets_links_with_a_new_generation() -> None:
    moved = replace(SESSION, generation=1)
    assert LINKS.issue(moved, SESSION.booked_by) != LINKS.issue(SESSION, SESSION.booked_by)
