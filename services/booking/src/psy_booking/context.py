"""What the use cases need, built once by the composition root."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from psy_platform.db import Database

from psy_booking.domain import Rules
from psy_booking.holds import Holds

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class UseCases:
    db: Database
    holds: Holds
    rules: Rules
    clock: Clock = utc_now


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day where the consultation happens (ages are counted on it)."""
    return moment.astimezone(zone(timezone)).date()
