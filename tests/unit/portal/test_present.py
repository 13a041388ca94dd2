"""What a person reads: Russian labels, times in the psychologist's zone, slots by day."""

from datetime import UTC, date, datetime

from psy_portal import present


def test_every_booking_status_reads_in_russian() -> None:
    for code in ("confirmed", "cancelled", "completed", "missed"):
        assert present.label(present.BOOKING_STATUS, code) != code
    assert present.label(present.BOOKING_STATUS, "missed") == "Пропуск консультации"
    # A status added later is shown as is rather than as an empty cell.
    assert present.label(present.BOOKING_STATUS, "archived") == "archived"
    assert present.label(present.BOOKING_STATUS, None) == "—"


def test_formats_are_offered_in_the_guides_order_and_only_those_of_the_slot() -> None:
    assert present.formats_offered(["in_person", "video"]) == [
        ("video", "Видео"),
        ("in_person", "Очно"),
    ]
    assert present.formats_offered(["chat"]) == [("chat", "Чат")]
    assert present.formats_offered([]) == []


def test_a_utc_instant_is_shown_in_the_psychologists_zone_with_the_zone_named() -> None:
    at = "2025-12-10T10:00:00+00:00"
    assert (
        present.when(at, "Europe/Samara") == "ср, 10 декабря 2025, 14:00 (самарское время, UTC+4)"
    )
    assert present.when(at, "Asia/Vladivostok") == (
        "ср, 10 декабря 2025, 20:00 (владивостокское время, UTC+10)"
    )
    assert present.when(at, "Europe/Kaliningrad", with_zone=False) == "ср, 10 декабря 2025, 12:00"


def test_a_local_evening_in_the_far_east_is_the_next_day_there() -> None:
    # 16:30 UTC on the 10th is 02:30 on the 11th in Vladivostok.
    moment = present.local("2025-12-10T16:30:00Z", "Asia/Vladivostok")
    assert (moment.day, moment.hour, moment.minute) == (11, 2, 30)


def test_naive_times_are_taken_as_utc_and_unknown_zones_fall_back_to_moscow() -> None:
    assert present.when("2025-12-10T10:00:00", "Europe/Moscow", False).endswith("13:00")
    assert present.zone("Mars/Olympus").key == "Europe/Moscow"
    assert present.zone_label("Etc/GMT-5", datetime(2025, 1, 1, tzinfo=UTC)) == "UTC+5"


def test_slots_group_by_the_psychologists_local_day_free_ones_only_in_time_order() -> None:
    slots = [
        {"id": "c", "starts_at": "2025-12-11T06:00:00+00:00", "status": "free"},
        {"id": "a", "starts_at": "2025-12-10T05:00:00+00:00", "status": "free"},
        {"id": "t", "starts_at": "2025-12-10T06:00:00+00:00", "status": "taken"},
        # 21:00 UTC on the 10th is already the 11th in Samara (UTC+4)
        {"id": "b", "starts_at": "2025-12-10T21:00:00+00:00", "status": "free"},
    ]
    days = present.slots_by_day(slots, "Europe/Samara")
    assert [d.day for d in days] == [date(2025, 12, 10), date(2025, 12, 11)]
    assert [[s["id"] for s in d.slots] for d in days] == [["a"], ["b", "c"]]
    assert days[0].title == "среда, 10 декабря"


def test_time_range_is_local() -> None:
    assert (
        present.time_range("2025-12-10T10:00:00Z", "2025-12-10T10:50:00Z", "Europe/Samara")
        == "14:00–14:50"
    )


def test_hold_countdown() -> None:
    now = datetime(2025, 12, 10, 10, 0, tzinfo=UTC)
    assert present.seconds_left("2025-12-10T10:09:30+00:00", now) == 570
    assert present.countdown(570) == "09:30"
    assert present.seconds_left("2025-12-10T09:59:00+00:00", now) == 0
    assert present.countdown(0) == "00:00"


def test_age_turns_on_the_birthday() -> None:
    assert present.age_on(date(2010, 9, 1), date(2024, 8, 31)) == 13
    assert present.age_on(date(2010, 9, 1), date(2024, 9, 1)) == 14


def test_only_who_booked_who_takes_part_or_the_psychologist_may_change_a_booking() -> None:
    from psy_portal.routes.bookings import may_change

    teen_own = {"booked_by": "teen", "participant_id": "teen"}
    for_child = {"booked_by": "parent", "participant_id": "child"}
    assert may_change(teen_own, "teen", "child")
    assert not may_change(teen_own, "parent", "parent")  # sees it, does not change it
    assert may_change(for_child, "parent", "parent")
    assert may_change(for_child, "child", "child")
    assert may_change(for_child, "psy", "psychologist")
    assert not may_change(for_child, None, None)


def test_the_schedule_window_starts_on_the_psychologists_own_today() -> None:
    # 22:30 UTC on the 3rd: still the 3rd in UTC, already the 4th in Kaliningrad and Vladivostok.
    now = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)
    kaliningrad = present.local_days("Europe/Kaliningrad", now, 30)
    assert kaliningrad == (date(2026, 12, 4), date(2027, 1, 3))
    assert present.local_days("Asia/Vladivostok", now, 7)[0] == date(2026, 12, 4)
    assert present.local_days("Europe/Kaliningrad", now.replace(hour=21), 1) == (
        date(2026, 12, 3),
        date(2026, 12, 4),
    )
