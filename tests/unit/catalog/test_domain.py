"""The catalog's rules without I/O: names, zones, weekly rules, date ranges."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from psy_catalog.domain import (
    DateRange,
    Rejected,
    WeeklyRule,
    check_formats,
    check_rules,
    date_range,
    expand_rules,
    name_tokens,
    normalize_name,
)


def test_names_compare_without_case_and_yo() -> None:
    assert normalize_name("  Смирнова  АЛЁНА-Игоревна ") == "смирнова алена игоревна"
    assert name_tokens("Иванова, Мария  иванова") == ["иванова", "мария"]
    with pytest.raises(Rejected) as refused:
        name_tokens("а б в г д е")
    assert refused.value.code == "validation_error"


def test_a_weekly_rule_is_wall_clock_time_in_the_psychologists_zone() -> None:
    rule = WeeklyRule(2, time(10, 0), 45, ("video",))  # Tuesdays 10:00
    tuesday = date(2026, 3, 3)
    for tz, utc_hour in (("Europe/Samara", 6), ("Asia/Vladivostok", 0), ("Europe/Kaliningrad", 8)):
        [planned] = expand_rules([rule], ZoneInfo(tz), tuesday, 7)
        assert planned.starts_at == datetime(2026, 3, 3, utc_hour, tzinfo=UTC)
        assert (planned.ends_at - planned.starts_at).total_seconds() == 45 * 60


def test_exception_days_and_the_past_give_no_slots() -> None:
    rule = WeeklyRule(1, time(9, 0), 60, ("chat",))
    tz = ZoneInfo("Europe/Samara")
    mondays = expand_rules([rule], tz, date(2026, 3, 2), 28, skip_days=[date(2026, 3, 9)])
    assert [p.starts_at.date() for p in mondays] == [
        date(2026, 3, 2),
        date(2026, 3, 16),
        date(2026, 3, 23),
    ]
    later = expand_rules(
        [rule], tz, date(2026, 3, 2), 7, not_before=datetime(2026, 3, 2, 5, tzinfo=UTC)
    )
    assert later == []  # 09:00 Samara = 05:00 UTC has begun


def test_rules_must_not_overlap_and_in_person_needs_a_place() -> None:
    offered = ["video", "in_person"]
    overlapping = [
        WeeklyRule(1, time(10), 60, ("video",)),
        WeeklyRule(1, time(10, 30), 45, ("video",)),
    ]
    with pytest.raises(Rejected) as refused:
        check_rules(overlapping, offered, None)
    assert refused.value.code == "rules_overlap"
    back_to_back = [
        WeeklyRule(1, time(10), 60, ("video",)),
        WeeklyRule(1, time(11), 45, ("video",)),
    ]
    assert len(check_rules(back_to_back, offered, None)) == 2
    with pytest.raises(Rejected) as refused:
        check_rules([WeeklyRule(1, time(10), 45, ("in_person",))], offered, None)
    assert refused.value.code == "place_required"
    [rule] = check_rules([WeeklyRule(1, time(10), 45, ("in_person",))], offered, "каб. 5")
    assert rule.place == "каб. 5"  # the profile's place is the default
    with pytest.raises(Rejected) as refused:
        check_rules([WeeklyRule(1, time(10), 90, ("video",))], offered, None)
    assert refused.value.code == "invalid_duration"
    assert check_formats(["chat", "video"], None, ["video", "chat"]) == ["video", "chat"]


def test_date_ranges() -> None:
    assert date_range(None, None) is None
    assert date_range(date(2026, 3, 1), date(2026, 3, 1)) == DateRange(
        date(2026, 3, 1), date(2026, 3, 1)
    )
    with pytest.raises(Rejected) as refused:
        date_range(date(2026, 3, 5), date(2026, 3, 1))
    assert refused.value.code == "invalid_date_range"
    start, end = DateRange(date(2026, 3, 1), date(2026, 3, 1)).utc_bounds(
        ZoneInfo("Asia/Vladivostok")
    )
    assert (start, end) == (
        datetime(2026, 2, 28, 14, tzinfo=UTC),
        datetime(2026, 3, 1, 14, tzinfo=UTC),
    )
