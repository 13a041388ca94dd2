"""How things read to a person: Russian labels, dates and times in a zone. Pure functions."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BOOKING_STATUS = {
    "confirmed": "Подтверждена",
    "cancelled": "Отменена",
    "completed": "Состоялась",
    "missed": "Пропуск консультации",
}
SESSION_STATUS = {
    "scheduled": "Ожидает начала",
    "link_sent": "Ссылка отправлена",
    "attended": "Состоялась",
    "missed": "Пропуск консультации",
    "cancelled": "Отменена",
}
PARTICIPANT_KIND = {
    "self": "Записался(-ась) для себя",
    "child": "Ребёнок (записан родителем)",
}
FORMAT = {"video": "Видео", "chat": "Чат", "in_person": "Очно"}
FORMAT_ORDER = ("video", "chat", "in_person")
ROLE = {
    "parent": "Родитель (законный представитель)",
    "child": "Обучающийся",
    "psychologist": "Педагог-психолог",
    "admin": "Администратор",
}

_WEEKDAY = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_WEEKDAY_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_MONTH_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
# Russian names of the zones a school can be in; others are shown as UTC±N only.
_ZONE_NAME = {
    "Europe/Kaliningrad": "калининградское время",
    "Europe/Moscow": "московское время",
    "Europe/Samara": "самарское время",
    "Europe/Volgograd": "волгоградское время",
    "Asia/Yekaterinburg": "екатеринбургское время",
    "Asia/Omsk": "омское время",
    "Asia/Novosibirsk": "новосибирское время",
    "Asia/Krasnoyarsk": "красноярское время",
    "Asia/Irkutsk": "иркутское время",
    "Asia/Yakutsk": "якутское время",
    "Asia/Vladivostok": "владивостокское время",
    "Asia/Magadan": "магаданское время",
    "Asia/Kamchatka": "камчатское время",
}


def label(table: Mapping[str, str], code: str | None) -> str:
    """A Russian label; an unknown code is shown as is rather than hidden."""
    if not code:
        return "—"
    return table.get(code, code)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Moscow")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def parse_instant(value: str | datetime) -> datetime:
    """ISO 8601 from a service; a naive value is taken as UTC (services store UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(tz_name: str | None, at: datetime | None = None) -> str:
    """«самарское время, UTC+4» — the offset at that moment (zones may change rules)."""
    tz = zone(tz_name)
    offset = utc_offset((at or datetime.now(UTC)).astimezone(tz))
    name = _ZONE_NAME.get(tz.key)
    return f"{name}, {offset}" if name else offset


def local(value: str | datetime, tz_name: str | None) -> datetime:
    return parse_instant(value).astimezone(zone(tz_name))


def local_days(tz_name: str | None, now: datetime, days: int) -> tuple[date, date]:
    """Today and the day `days` later on that zone's calendar: a schedule's days are the
    psychologist's own, and near midnight the server's date is another one."""
    today = now.astimezone(zone(tz_name)).date()
    return today, today + timedelta(days=days)


def day_label(day: date) -> str:
    """«среда, 10 декабря»"""
    return f"{_WEEKDAY[day.weekday()]}, {day.day} {_MONTH_GENITIVE[day.month - 1]}"


def date_label(day: date) -> str:
    return f"{day.day} {_MONTH_GENITIVE[day.month - 1]} {day.year}"


def when(value: str | datetime, tz_name: str | None, with_zone: bool = True) -> str:
    """«ср, 10 декабря 2025, 14:00 (самарское время, UTC+4)»"""
    moment = local(value, tz_name)
    text = (
        f"{_WEEKDAY_SHORT[moment.weekday()]}, {moment.day} {_MONTH_GENITIVE[moment.month - 1]} "
        f"{moment.year}, {moment:%H:%M}"
    )
    return f"{text} ({zone_label(tz_name, moment)})" if with_zone else text


def time_range(starts: str | datetime, ends: str | datetime, tz_name: str | None) -> str:
    return f"{local(starts, tz_name):%H:%M}–{local(ends, tz_name):%H:%M}"


@dataclass(frozen=True)
class SlotDay:
    day: date
    title: str
    slots: list[Mapping[str, object]]


def slots_by_day(slots: Iterable[Mapping[str, object]], tz_name: str | None) -> list[SlotDay]:
    """Free slots grouped by the psychologist's local day, days and slots in time order."""
    days: dict[date, list[Mapping[str, object]]] = {}
    for slot in sorted(slots, key=lambda s: parse_instant(str(s["starts_at"]))):
        if slot.get("status", "free") != "free":
            continue
        days.setdefault(local(str(slot["starts_at"]), tz_name).date(), []).append(slot)
    return [SlotDay(day, day_label(day), items) for day, items in sorted(days.items())]


def seconds_left(expires_at: str | datetime, now: datetime) -> int:
    return max(0, int((parse_instant(expires_at) - now).total_seconds()))


def countdown(seconds: int) -> str:
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def formats_offered(formats: Iterable[str]) -> list[tuple[str, str]]:
    """The slot's formats in the guide's order: Видео, Чат, Очно."""
    offered = set(formats)
    return [(code, FORMAT[code]) for code in FORMAT_ORDER if code in offered]


def formats_text(formats: Iterable[str], sep: str = ", ") -> str:
    return sep.join(title for _, title in formats_offered(formats))


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
