"""A psychologist's schedule: weekly rules and exception days, generated into slots.

Generation is idempotent: a slot is unique per (psychologist, starts_at), so running it again —
at start, daily, after a rule change — opens only what is missing. A slot withdrawn by a rule or
exception change may be reopened by a later change; one withdrawn by hand stays withdrawn.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from psy_catalog import nearest
from psy_catalog.db_helpers import psychologists_with_rules
from psy_catalog.domain import (
    PlannedSlot,
    WeeklyRule,
    check_rules,
    expand_rules,
    local_today,
    zone,
)
from psy_catalog.events import slot_opened, slot_withdrawn, stage_many
from psy_catalog.profiles import Profile
from psy_catalog.store import psychologist, schedule_exception, schedule_rule, slot

_OPEN_PLANNED = text(
    """
    INSERT INTO slot (id, psychologist_id, starts_at, ends_at, local_day, formats, place, status,
                      origin)
    SELECT c.id, c.pid, c.s, c.e, c.day, string_to_array(c.f, ','), c.place, 'free', 'rule'
    FROM unnest(CAST(:ids AS uuid[]), CAST(:pids AS uuid[]), CAST(:starts AS timestamptz[]),
                CAST(:ends AS timestamptz[]), CAST(:days AS date[]), CAST(:formats AS text[]),
                CAST(:places AS text[]))
         AS c(id, pid, s, e, day, f, place)
    WHERE NOT EXISTS (  -- never overlap a slot the psychologist opened by hand
        SELECT 1 FROM slot o
        WHERE o.psychologist_id = c.pid AND o.status <> 'withdrawn'
          AND o.starts_at > c.s - interval '1 day' AND o.starts_at < c.e
          AND o.ends_at > c.s AND o.starts_at <> c.s)
    ON CONFLICT (psychologist_id, starts_at) DO UPDATE
       SET status = 'free', origin = 'rule', withdrawn_reason = NULL,
           ends_at = EXCLUDED.ends_at, formats = EXCLUDED.formats, place = EXCLUDED.place
     WHERE slot.status = 'withdrawn' AND slot.withdrawn_reason = 'schedule'
    RETURNING id, psychologist_id, starts_at, ends_at, formats, place
    """
)


async def open_planned(
    session: AsyncSession,
    planned: Sequence[tuple[uuid.UUID, PlannedSlot]],
    zones: dict[uuid.UUID, str],
) -> int:
    """Insert the planned slots that are missing and stage slot.opened for each one opened."""
    if not planned:
        return 0
    tzs = {pid: zone(name) for pid, name in zones.items()}
    opened = (
        await session.execute(
            _OPEN_PLANNED,
            {
                "ids": [uuid.uuid4() for _ in planned],
                "pids": [pid for pid, _ in planned],
                "starts": [p.starts_at for _, p in planned],
                "ends": [p.ends_at for _, p in planned],
                "days": [p.starts_at.astimezone(tzs[pid]).date() for pid, p in planned],
                "formats": [",".join(p.formats) for _, p in planned],
                "places": [p.place for _, p in planned],
            },
        )
    ).all()
    return await stage_many(
        session, [slot_opened(row, zones[row.psychologist_id]) for row in opened]
    )


async def _rules_of(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WeeklyRule]]:
    rules: dict[uuid.UUID, list[WeeklyRule]] = {}
    rows = await session.execute(
        select(schedule_rule).where(schedule_rule.c.psychologist_id.in_(ids))
    )
    for r in rows:
        rules.setdefault(r.psychologist_id, []).append(
            WeeklyRule(r.weekday, r.start, r.duration_minutes, tuple(r.formats), r.place)
        )
    return rules


async def _exceptions_of(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[date]]:
    days: dict[uuid.UUID, set[date]] = {}
    rows = await session.execute(
        select(schedule_exception).where(schedule_exception.c.psychologist_id.in_(ids))
    )
    for r in rows:
        days.setdefault(r.psychologist_id, set()).add(r.day)
    return days


async def generate(
    session: AsyncSession, ids: Sequence[uuid.UUID], window_days: int, now: datetime
) -> int:
    """Open the slots the rules of these psychologists give over the window. Idempotent."""
    await nearest.lock(session, ids)
    rows = await session.execute(
        select(psychologist.c.id, psychologist.c.timezone).where(psychologist.c.id.in_(ids))
    )
    zones: dict[uuid.UUID, str] = {pid: tz for pid, tz in rows}
    rules, skip = await _rules_of(session, ids), await _exceptions_of(session, ids)
    planned = []
    for pid, tz_name in zones.items():
        tz = zone(tz_name)
        for p in expand_rules(
            rules.get(pid, []),
            tz,
            local_today(tz, now),
            window_days,
            skip.get(pid, ()),
            not_before=now,
        ):
            planned.append((pid, p))
    opened = 0
    for start in range(0, len(planned), 20_000):  # bounded statement size
        opened += await open_planned(session, planned[start : start + 20_000], zones)
    await nearest.refresh(session, list(zones))
    return opened


async def generate_all(db, window_days: int, now: datetime | None = None, chunk: int = 500) -> int:  # type: ignore[no-untyped-def]
    """Every psychologist with rules, `chunk` at a time, one transaction each."""
    now = now or datetime.now(UTC)
    opened, after = 0, None
    while True:
        async with db.transaction() as session:
            ids = await psychologists_with_rules(session, after, chunk)
            if not ids:
                return opened
            opened += await generate(session, ids, window_days, now)
        after = ids[-1]


async def load_schedule(
    session: AsyncSession, pid: uuid.UUID
) -> tuple[list[WeeklyRule], list[date]]:
    rules = (await _rules_of(session, [pid])).get(pid, [])
    days = sorted((await _exceptions_of(session, [pid])).get(pid, set()))
    return sorted(rules, key=lambda r: (r.weekday, r.start)), days


async def replace_schedule(
    session: AsyncSession,
    profile: Profile,
    rules: Sequence[WeeklyRule],
    exceptions: Sequence[date],
    window_days: int,
    now: datetime,
) -> tuple[list[WeeklyRule], list[date]]:
    """Replace the weekly rules and exception days, then bring the window's slots in line:
    free generated slots no rule gives any more are withdrawn; new ones are opened. Taken slots
    and slots opened by hand are never touched."""
    checked = check_rules(rules, profile.formats, profile.place)
    pid = profile.id
    await nearest.lock(session, [pid])
    await session.execute(delete(schedule_rule).where(schedule_rule.c.psychologist_id == pid))
    await session.execute(
        delete(schedule_exception).where(schedule_exception.c.psychologist_id == pid)
    )
    if checked:
        await session.execute(
            schedule_rule.insert(),
            [
                {
                    "psychologist_id": pid,
                    "weekday": r.weekday,
                    "start": r.start,
                    "duration_minutes": r.duration_minutes,
                    "formats": list(r.formats),
                    "place": r.place,
                }
                for r in checked
            ],
        )
    days = sorted(set(exceptions))
    if days:
        await session.execute(
            schedule_exception.insert(), [{"psychologist_id": pid, "day": d} for d in days]
        )
    tz = zone(profile.timezone)
    planned = expand_rules(checked, tz, local_today(tz, now), window_days, days, not_before=now)
    wanted = {(p.starts_at, p.ends_at, p.formats, p.place) for p in planned}
    current = (
        await session.execute(
            select(
                slot.c.id,
                slot.c.psychologist_id,
                slot.c.starts_at,
                slot.c.ends_at,
                slot.c.formats,
                slot.c.place,
            )
            .where(
                slot.c.psychologist_id == pid,
                slot.c.status == "free",
                slot.c.origin == "rule",
                slot.c.starts_at > now,
            )
            .with_for_update()
        )
    ).all()
    stale = [
        r for r in current if (r.starts_at, r.ends_at, tuple(r.formats), r.place) not in wanted
    ]
    if stale:
        await session.execute(
            slot.update()
            .where(slot.c.id.in_([r.id for r in stale]))
            .values(status="withdrawn", withdrawn_reason="schedule")
        )
        await stage_many(session, [slot_withdrawn(r) for r in stale])
    await open_planned(session, [(pid, p) for p in planned], {pid: profile.timezone})
    await nearest.refresh(session, [pid])
    return checked, days
