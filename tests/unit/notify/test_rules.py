"""Who is told what, in which words and at what local time (pure: no I/O)."""

import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from psy_notify import domain, ics
from psy_notify.domain import Booking, Contact
from psy_notify.messages import render

PSY, PARENT, CHILD, OTHER_PARENT = (uuid.uuid4() for _ in range(4))
STARTS = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def booking(**changes: object) -> Booking:
    base = Booking(
        booking_id=uuid.uuid4(),
        psychologist_id=PSY,
        booked_by=PARENT,
        participant_id=CHILD,
        participant_kind="child",
        format="video",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(minutes=50),
        timezone="Europe/Samara",
        place=None,
    )
    return Booking(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def child_contact() -> Contact:
    return Contact(CHILD, "child", "Петя Иванов", "petya@example.ru", "Europe/Samara")


def test_a_parent_booking_for_a_child_confirms_to_parent_and_psychologist_with_topics() -> None:
    notices = domain.confirmation_notices(booking(), None, [], ["Тревога"], "Плохо спит")
    assert {(n.recipient_id, n.part) for n in notices} == {
        (PARENT, "client"),
        (PSY, "psychologist"),
    }
    assert all(n.context["topics"] == ["Тревога"] and n.ics == "REQUEST" for n in notices)


def test_a_child_of_14_booking_for_themself_tells_linked_parents_without_topics() -> None:
    own = booking(booked_by=CHILD, participant_kind="self")
    notices = domain.confirmation_notices(
        own, child_contact(), [PARENT, OTHER_PARENT], ["Буллинг"], "секрет"
    )
    to_parents = [n for n in notices if n.part == "parent"]
    assert {n.recipient_id for n in to_parents} == {PARENT, OTHER_PARENT}
    assert all("topics" not in n.context and "comment" not in n.context for n in to_parents)
    text = render("confirmed_parent", context(own, to_parents[0].context, part="parent")).text
    assert "Буллинг" not in text and "секрет" not in text


def test_an_adult_parent_booking_for_themself_tells_no_guardian() -> None:
    own = booking(participant_id=PARENT, participant_kind="self")
    parent = Contact(PARENT, "parent", "Анна", "a@example.ru", "Europe/Samara")
    assert domain.guardians_to_tell(own, parent, [OTHER_PARENT]) == []


def test_each_link_goes_to_its_own_recipient_and_in_person_gets_a_reminder() -> None:
    urls = {PARENT: "https://s/join/a", CHILD: "https://s/join/b", PSY: "https://s/join/c"}
    notices = domain.link_notices(booking(), urls)
    assert {(n.recipient_id, n.context["join_url"]) for n in notices} == set(urls.items())
    in_person = booking(format="in_person", place="Школа № 5, каб. 12")
    for shape in ({}, {PARENT: "", PSY: ""}):
        reminders = domain.link_notices(in_person, shape)
        assert {n.kind for n in reminders} == {"in_person_reminder"}
        assert {n.recipient_id for n in reminders} == {PARENT, CHILD, PSY}


def test_local_time_is_in_the_recipients_zone() -> None:
    samara = domain.local_time(STARTS, domain.zone("Europe/Samara", "UTC"))
    vladivostok = domain.local_time(STARTS, domain.zone("Asia/Vladivostok", "UTC"))
    assert samara == "7 декабря 2026 г. в 14:30 (Europe/Samara, UTC+04:00)"
    assert vladivostok.startswith("7 декабря 2026 г. в 20:30")
    assert domain.zone(None, "Asia/Omsk").key == "Asia/Omsk"
    assert domain.zone("Not/AZone", "Asia/Omsk").key == "Asia/Omsk"


def test_message_id_is_stable_per_event_and_recipient() -> None:
    cause = uuid.uuid4()
    assert domain.message_id(cause, PARENT) == domain.message_id(cause, PARENT)
    assert domain.message_id(cause, PARENT) != domain.message_id(cause, PSY)


def test_back_off_doubles_up_to_a_ceiling() -> None:
    assert [domain.retry_delay(n, 2, 30) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 16, 30]
    assert domain.is_permanent_smtp_code(550) and not domain.is_permanent_smtp_code(421)


def context(b: Booking, extra: dict[str, object], part: str = "client") -> dict[str, object]:
    return {
        "name": "Анна Петрова",
        "part": part,
        "format": b.format,
        "format_title": domain.FORMAT_TITLES[b.format],
        "when": domain.local_time(b.starts_at, domain.zone(b.timezone, "UTC")),
        "ends": "15:20",
        "place": b.place,
        "psychologist_name": "Мария Смирнова",
        "client_name": "Анна Петрова",
        "participant_name": "Петя Иванов",
        "portal_url": "http://portal",
        "my_bookings_url": "http://portal/bookings",
        "topics": [],
        "comment": None,
        "cancelled_by": None,
        "reason": None,
        "old_when": None,
        "join_url": None,
        "was_absent": False,
        **extra,
    }


def test_the_link_message_says_to_join_through_the_service_and_escapes_html() -> None:
    b = booking()
    url = "https://sessions/join/abc?x=1&y=<2>"
    letter = render("link", context(b, {"join_url": url}))
    assert "Мои записи" in letter.text and "Войти в Сферум" in letter.text
    assert "пропуск консультации" in letter.text
    assert url in letter.text
    assert "&amp;y=&lt;2&gt;" in letter.html and "<2>" not in letter.html
    assert 'name="viewport"' in letter.html and "<link" not in letter.html


def test_the_missed_message_explains_the_pass() -> None:
    letter = render("missed", context(booking(), {"was_absent": True}))
    assert "«пропуск консультации»" in letter.subject + letter.body
    assert "Войти в Сферум" in letter.body


def test_ics_request_and_cancel_share_the_uid_and_raise_the_sequence() -> None:
    b = booking()
    request = Calendar.from_ical(ics.calendar(b, "REQUEST", "no-reply@psy", "a@example.ru"))
    cancelled = booking(booking_id=b.booking_id, ics_sequence=1, status="cancelled")
    cancel = Calendar.from_ical(ics.calendar(cancelled, "CANCEL", "no-reply@psy", None))
    first, second = request.walk("VEVENT")[0], cancel.walk("VEVENT")[0]
    assert str(request["method"]) == "REQUEST" and str(cancel["method"]) == "CANCEL"
    assert str(first["uid"]) == str(second["uid"]) == f"booking-{b.booking_id}@psy"
    assert (first.decoded("sequence"), second.decoded("sequence")) == (0, 1)
    assert first.decoded("dtstart") == STARTS
    assert str(second["status"]) == "CANCELLED"


def test_every_message_kind_renders_in_russian_with_the_place_for_in_person() -> None:
    in_person = booking(format="in_person", place="Школа № 5, каб. 12")
    extras: dict[str, dict[str, object]] = {
        "cancelled": {"cancelled_by": "client", "reason": "Заболел"},
        "rescheduled": {"old_when": "6 декабря 2026 г. в 10:00"},
        "link": {"join_url": "https://s/join/x"},
    }
    kinds = [
        "confirmed", "confirmed_parent", "cancelled", "rescheduled", "link",
        "in_person_reminder", "attended", "missed",
    ]  # fmt: skip
    for kind in kinds:
        letter = render(kind, context(in_person, extras.get(kind, {})))
        assert letter.subject and letter.body and "Здравствуйте" in letter.text, kind
        assert "<html" in letter.html and "Здравствуйте" in letter.html, kind
    reminder = render("in_person_reminder", context(in_person, {}))
    assert "Школа № 5, каб. 12" in reminder.body and "14:30" in reminder.subject
