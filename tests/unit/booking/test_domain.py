"""The booking rules and state machine, without I/O."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from psy_booking import domain
from psy_booking.domain import Account, BookingFacts, Family, Refusal, Rules, Slot, Status

RULES = Rules()
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
PARENT, CHILD, OTHER, PSYCHOLOGIST = (uuid.uuid4() for _ in range(4))


def born(years_ago: int, days_later: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - years_ago) + timedelta(days=days_later)


def family(
    caller: uuid.UUID,
    participant: uuid.UUID,
    role: str = "child",
    birth: date | None = None,
    linked: bool = False,
    has_parent: bool = False,
    known: bool = True,
) -> Family:
    parent_role = "parent" if caller == PARENT else "child"
    return Family(
        caller=Account(caller, parent_role, birth if caller == participant else None)
        if known
        else None,
        participant=Account(participant, role, birth) if known else None,
        participant_is_callers_child=linked,
        caller_has_parent=has_parent,
    )


def refused(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(Refusal) as caught:
        call(*args)
    return caught.value.code


@pytest.mark.parametrize(
    ("birth", "age"),
    [(date(2011, 3, 10), 14), (date(2011, 3, 11), 13), (date(2008, 2, 29), 17)],
)
def test_age_turns_on_the_birthday(birth: date, age: int) -> None:
    assert domain.age_on(birth, TODAY) == age


def test_a_parent_books_for_self_or_a_linked_child() -> None:
    assert (
        domain.participant_kind(PARENT, "parent", family(PARENT, PARENT, "parent"), TODAY, RULES)
        == "self"
    )
    linked = family(PARENT, CHILD, birth=born(6), linked=True)
    assert domain.participant_kind(PARENT, "parent", linked, TODAY, RULES) == "child"


@pytest.mark.parametrize(
    ("caller", "role", "facts", "code"),
    [
        (PARENT, "parent", family(PARENT, CHILD, birth=born(6)), "participant_not_allowed"),
        (PARENT, "parent", family(PARENT, OTHER, "parent", linked=True), "participant_not_allowed"),
        (
            CHILD,
            "child",
            family(CHILD, CHILD, birth=born(14, 1), has_parent=True),
            "participant_not_allowed",
        ),
        (CHILD, "child", family(CHILD, CHILD, birth=born(15)), "participant_not_allowed"),
        (
            CHILD,
            "child",
            family(CHILD, CHILD, birth=None, has_parent=True),
            "participant_not_allowed",
        ),
        (
            CHILD,
            "child",
            family(CHILD, PARENT, "parent", has_parent=True),
            "participant_not_allowed",
        ),
        (
            PSYCHOLOGIST,
            "psychologist",
            family(PSYCHOLOGIST, PSYCHOLOGIST),
            "participant_not_allowed",
        ),
        (OTHER, "admin", family(OTHER, OTHER), "participant_not_allowed"),
        (PARENT, "parent", family(PARENT, PARENT, known=False), "account_unknown"),
    ],
    ids=[
        "parent-unlinked-child",
        "parent-another-adult",
        "child-a-day-before-14",
        "child-14-unlinked",
        "child-no-birth-date",
        "child-for-parent",
        "psychologist",
        "admin",
        "unknown-account",
    ],
)
def test_who_may_not_book_for_whom(caller, role, facts, code) -> None:  # type: ignore[no-untyped-def]
    assert refused(domain.participant_kind, caller, role, facts, TODAY, RULES) == code


def test_a_linked_child_books_for_self_on_the_14th_birthday() -> None:
    facts = family(CHILD, CHILD, birth=born(14), has_parent=True)
    assert domain.participant_kind(CHILD, "child", facts, TODAY, RULES) == "self"


def slot(starts_in: timedelta, formats: tuple[str, ...] = ("video",)) -> Slot:
    starts = NOW + starts_in
    return Slot(
        uuid.uuid4(),
        PSYCHOLOGIST,
        starts,
        starts + timedelta(minutes=50),
        "Europe/Samara",
        formats,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("starts_in", "ok"),
    [
        (timedelta(minutes=4, seconds=59), False),
        (timedelta(minutes=5), True),
        (timedelta(days=30), True),
        (timedelta(days=30, seconds=1), False),
        (timedelta(minutes=-1), False),
    ],
)
def test_the_booking_window(starts_in: timedelta, ok: bool) -> None:
    target = slot(starts_in)
    if ok:
        assert domain.slot_bookable(target, NOW, RULES) is target
    else:
        assert refused(domain.slot_bookable, target, NOW, RULES) == "outside_booking_window"


def test_a_missing_or_withdrawn_slot_is_not_found() -> None:
    withdrawn = Slot(**{**slot(timedelta(days=1)).__dict__, "withdrawn": True})
    assert refused(domain.slot_bookable, None, NOW, RULES) == "slot_not_found"
    assert refused(domain.slot_bookable, withdrawn, NOW, RULES) == "slot_not_found"


def test_topics_comment_format_and_limit() -> None:
    assert domain.known_topics(["a", "b", "a"], {"a", "b"}) == ["a", "b"]
    assert refused(domain.known_topics, ["a", "z"], {"a"}) == "unknown_topic"
    assert refused(domain.known_topics, [], {"a"}) == "unknown_topic"
    assert domain.comment_fits("  ", RULES) is None
    assert domain.comment_fits("я" * 1000, RULES) == "я" * 1000
    assert refused(domain.comment_fits, "я" * 1001, RULES) == "comment_too_long"
    assert (
        refused(domain.format_offered, slot(timedelta(days=1), ("chat",)), "video")
        == "format_not_offered"
    )
    domain.under_limit(1, RULES)
    assert refused(domain.under_limit, 2, RULES) == "active_limit_reached"


def booking(
    status: Status = Status.CONFIRMED, starts_in: timedelta = timedelta(hours=1)
) -> BookingFacts:
    return BookingFacts(
        uuid.uuid4(), status, uuid.uuid4(), PSYCHOLOGIST, PARENT, CHILD, NOW + starts_in
    )


def test_the_state_machine_has_one_way_out_of_confirmed() -> None:
    assert domain.outcome_status(Status.CONFIRMED, "attended") is Status.COMPLETED
    assert domain.outcome_status(Status.CONFIRMED, "missed") is Status.MISSED
    for final in (Status.CANCELLED, Status.COMPLETED, Status.MISSED):
        assert domain.outcome_status(final, "attended") is None
        assert domain.outcome_status(final, "missed") is None
        assert refused(domain.still_changeable, booking(final), NOW) == "not_active"


def test_changes_stop_at_the_start() -> None:
    domain.still_changeable(booking(starts_in=timedelta(seconds=1)), NOW)
    assert refused(domain.still_changeable, booking(starts_in=timedelta(0)), NOW) == "too_late"


def test_who_sees_and_changes_a_booking() -> None:
    b = booking()
    assert domain.visibility(b, PARENT, "parent", set()) == "full"
    assert domain.visibility(b, CHILD, "child", set()) == "full"
    assert domain.visibility(b, PSYCHOLOGIST, "psychologist", set()) == "full"
    assert domain.visibility(b, OTHER, "parent", set()) is None
    assert domain.visibility(b, OTHER, "psychologist", set()) is None
    assert domain.visibility(b, OTHER, "admin", set()) is None
    childs_own = BookingFacts(b.id, b.status, b.slot_id, PSYCHOLOGIST, CHILD, CHILD, b.starts_at)
    assert domain.visibility(childs_own, PARENT, "parent", {CHILD}) == "without_contents"
    assert domain.may_change(b, PSYCHOLOGIST) and domain.may_change(b, CHILD)
    assert not domain.may_change(childs_own, PARENT)


def test_reschedule_target_rules() -> None:
    b = booking(starts_in=timedelta(days=1))
    same = Slot(
        b.slot_id,
        PSYCHOLOGIST,
        NOW + timedelta(days=2),
        NOW + timedelta(days=2, minutes=50),
        "UTC",
        ("video",),
        None,
        False,
    )
    stranger = Slot(**{**same.__dict__, "id": uuid.uuid4(), "psychologist_id": OTHER})
    good = Slot(**{**same.__dict__, "id": uuid.uuid4()})
    assert refused(domain.reschedule_target, b, same, "video", NOW, RULES) == "same_slot"
    assert (
        refused(domain.reschedule_target, b, stranger, "video", NOW, RULES) == "other_psychologist"
    )
    assert refused(domain.reschedule_target, b, good, "chat", NOW, RULES) == "format_not_offered"
    assert domain.reschedule_target(b, good, "video", NOW, RULES) is good


def test_a_cancel_reason_is_required_and_bounded() -> None:
    assert domain.reason_fits("  Болезнь ", RULES) == "Болезнь"
    assert refused(domain.reason_fits, "   ", RULES) == "reason_required"
    assert refused(domain.reason_fits, "я" * 501, RULES) == "reason_too_long"
