"""The catalog's rules: names, formats, slots, weekly rules, date ranges. No I/O here."""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORMATS = ("video", "chat", "in_person")
MIN_MINUTES, MAX_MINUTES = 45, 60
MAX_NAME_TOKENS = 5


class Rejected(Exception):
    """A request the rules refuse; the API turns it into {"error": {code, message}}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# --- names -------------------------------------------------------------------------------

_NOT_LETTER = re.compile(r"[^\w]|[\d_]")


def normalize_name(text: str) -> str:
    """Lower case, ё = е, only letters and single spaces: what search compares against."""
    text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    return " ".join(_NOT_LETTER.sub(" ", text).split())


def name_tokens(query: str) -> list[str]:
    """«Иванова  Мария» → ["иванова", "мария"]; any order, any case matches later."""
    tokens = list(dict.fromkeys(normalize_name(query).split()))
    if len(tokens) > MAX_NAME_TOKENS:
        raise Rejected(422, "validation_error", "Слишком длинный запрос: укажите до пяти слов ФИО.")
    return tokens


# --- zones and formats --------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Rejected(422, "unknown_timezone", f"Неизвестный часовой пояс: {name}.") from exc


def check_formats(formats: Sequence[str], place: str | None, offered: Iterable[str]) -> list[str]:
    """A non-empty subset of the three types, in the canonical order; «Очно» needs a place."""
    chosen = set(formats)
    if not chosen or not chosen <= set(FORMATS):
        raise Rejected(422, "validation_error", "Укажите типы консультации: видео, чат или очно.")
    if not chosen <= set(offered):
        raise Rejected(422, "format_not_offered", "Психолог не проводит консультации этого типа.")
    if "in_person" in chosen and not (place and place.strip()):
        raise Rejected(
            422, "place_required", "Для очной консультации укажите место (школа, кабинет)."
        )
    return [f for f in FORMATS if f in chosen]


def check_duration(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise Rejected(422, "invalid_duration", "Консультация длится от 45 до 60 минут.")


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The instant of a wall-clock time in a zone; None when that local time does not exist."""
    local = datetime.combine(day, at, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # skipped by a clock change
    return instant


def as_local(instant: datetime, tz_name: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz_name))


# --- date ranges --------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Calendar days, inclusive at both ends, read in the psychologist's own time zone."""

    first: date
    last: date

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        return start, end


def date_range(first: date | None, last: date | None, max_days: int = 366) -> DateRange | None:
    """None when neither end is given; an open end is filled within `max_days`."""
    if first is None and last is None:
        return None
    if first is None:
        first = date.min if last is None else max(date.min, last - timedelta(days=max_days - 1))
    if last is None:
        last = first + timedelta(days=max_days - 1)
    if last < first:
        raise Rejected(422, "invalid_date_range", "Дата «по» раньше даты «с».")
    if (last - first).days >= max_days:
        raise Rejected(422, "invalid_date_range", f"Период поиска — не больше {max_days} дней.")
    return DateRange(first, last)


# --- weekly rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyRule:
    weekday: int  # ISO: 1 = Monday … 7 = Sunday
    start: time
    duration_minutes: int
    formats: tuple[str, ...]
    place: str | None = None

    def minutes(self) -> tuple[int, int]:
        begin = self.start.hour * 60 + self.start.minute
        return begin, begin + self.duration_minutes


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime  # UTC
    ends_at: datetime
    formats: tuple[str, ...]
    place: str | None


def check_rules(
    rules: Sequence[WeeklyRule], offered: Iterable[str], default_place: str | None
) -> list[WeeklyRule]:
    """Validate each rule and refuse two rules that overlap on the same weekday."""
    offered = list(offered)
    checked = []
    for rule in rules:
        if not 1 <= rule.weekday <= 7:
            raise Rejected(422, "validation_error", "День недели — число от 1 (пн) до 7 (вс).")
        check_duration(rule.duration_minutes)
        place = rule.place or (default_place if "in_person" in rule.formats else None)
        formats = check_formats(rule.formats, place, offered)
        if rule.minutes()[1] > 24 * 60:
            raise Rejected(
                422, "validation_error", "Консультация должна закончиться в тот же день."
            )
        checked.append(
            WeeklyRule(rule.weekday, rule.start, rule.duration_minutes, tuple(formats), place)
        )
    by_day = sorted(checked, key=lambda r: (r.weekday, r.minutes()))
    for before, after in pairwise(by_day):
        if before.weekday == after.weekday and after.minutes()[0] < before.minutes()[1]:
            raise Rejected(422, "rules_overlap", "Правила расписания пересекаются по времени.")
    return checked


def expand_rules(
    rules: Sequence[WeeklyRule],
    tz: ZoneInfo,
    first_day: date,
    days: int,
    skip_days: Iterable[date] = (),
    not_before: datetime | None = None,
) -> list[PlannedSlot]:
    """The slots the weekly rules give over `days` local days from `first_day`."""
    skip = set(skip_days)
    by_weekday: dict[int, list[WeeklyRule]] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    planned = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day in skip:
            continue
        for rule in by_weekday.get(day.isoweekday(), ()):
            starts = local_to_utc(day, rule.start, tz)
            if starts is None or (not_before is not None and starts <= not_before):
                continue
            ends = starts + timedelta(minutes=rule.duration_minutes)
            planned.append(PlannedSlot(starts, ends, rule.formats, rule.place))
    return planned


def local_today(tz: ZoneInfo, now: datetime) -> date:
    return now.astimezone(tz).date()
