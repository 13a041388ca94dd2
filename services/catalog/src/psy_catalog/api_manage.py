"""Writes: a psychologist's own schedule and slots; the admin's profiles."""

import uuid
from datetime import UTC, date, datetime

from fastapi import APIRouter, Response

from psy_catalog.api import slot_out
from psy_catalog.deps import Admin, OwnProfile, Runtime, Settings
from psy_catalog.domain import WeeklyRule, date_range, local_today, zone
from psy_catalog.profiles import Profile, load_profile, upsert_profiles
from psy_catalog.schedule import load_schedule, replace_schedule
from psy_catalog.schemas import (
    FormatName,
    ProfileIn,
    PsychologistOut,
    RuleIn,
    ScheduleIn,
    ScheduleOut,
    SlotIn,
    SlotOut,
)
from psy_catalog.search import local_days_default
from psy_catalog.slots import list_slots, open_single, withdraw

router = APIRouter(tags=["schedule"])


def _schedule_out(timezone: str, rules: list[WeeklyRule], days: list[date]) -> ScheduleOut:
    return ScheduleOut(
        timezone=timezone,
        rules=[
            RuleIn(
                weekday=r.weekday,
                start=r.start,
                duration_minutes=r.duration_minutes,
                formats=list(r.formats),  # type: ignore[arg-type]
                place=r.place,
            )
            for r in rules
        ],
        exceptions=days,
    )


@router.get("/me/schedule", response_model=ScheduleOut)
async def my_schedule(profile: OwnProfile, runtime: Runtime) -> ScheduleOut:
    """The psychologist with a profile: weekly rules and days off, in their own time zone."""
    async with runtime.db.transaction() as session:
        rules, days = await load_schedule(session, profile.id)
    return _schedule_out(profile.timezone, rules, days)


@router.put("/me/schedule", response_model=ScheduleOut)
async def set_my_schedule(
    body: ScheduleIn, profile: OwnProfile, runtime: Runtime, settings: Settings
) -> ScheduleOut:
    """The psychologist with a profile. Replaces rules and days off; the booking window's slots
    follow (new ones open, free ones no rule gives any more are withdrawn)."""
    rules = [
        WeeklyRule(r.weekday, r.start, r.duration_minutes, tuple(r.formats), r.place)
        for r in body.rules
    ]
    async with runtime.db.transaction() as session:
        checked, days = await replace_schedule(
            session,
            profile,
            rules,
            body.exceptions,
            settings.booking_window_days,
            datetime.now(UTC),
        )
    return _schedule_out(profile.timezone, checked, days)


@router.get("/me/slots", response_model=list[SlotOut])
async def my_slots(
    profile: OwnProfile,
    runtime: Runtime,
    settings: Settings,
    date_from: date | None = None,
    date_to: date | None = None,
    format: FormatName | None = None,
) -> list[SlotOut]:
    """The psychologist with a profile: own free and taken slots."""
    now = datetime.now(UTC)
    days = date_range(date_from, date_to, max_days=92) or local_days_default(
        local_today(zone(profile.timezone), now), settings.booking_window_days
    )
    async with runtime.db.transaction() as session:
        found = await list_slots(session, profile, days, format, now)
    return [slot_out(s, profile.timezone) for s in found]


@router.post("/me/slots", response_model=SlotOut, status_code=201)
async def open_my_slot(
    body: SlotIn, profile: OwnProfile, runtime: Runtime, settings: Settings
) -> SlotOut:
    """The psychologist with a profile: a single slot of 45–60 minutes."""
    async with runtime.db.transaction() as session:
        opened = await open_single(
            session,
            profile,
            body.starts_at,
            body.duration_minutes,
            list(body.formats),
            body.place,
            datetime.now(UTC),
            settings.single_slot_horizon_days,
        )
    return slot_out(opened, profile.timezone)


@router.delete("/me/slots/{slot_id}", status_code=204)
async def withdraw_my_slot(slot_id: uuid.UUID, profile: OwnProfile, runtime: Runtime) -> Response:
    """The psychologist with a profile: withdraw an own free slot (e.g. a day off)."""
    async with runtime.db.transaction() as session:
        await withdraw(session, profile.id, slot_id, datetime.now(UTC))
    return Response(status_code=204)


@router.put("/psychologists/{psychologist_id}", response_model=PsychologistOut)
async def put_profile(
    psychologist_id: uuid.UUID, body: ProfileIn, admin: Admin, runtime: Runtime, response: Response
) -> PsychologistOut:
    """Admin only: create (201) or update (200) a profile; psychologist.published goes out on a
    change. The id is the psychologist's identity account id."""
    profile = Profile(id=psychologist_id, **body.model_dump())
    async with runtime.db.transaction() as session:
        created = await upsert_profiles(session, [profile])
        saved = await load_profile(session, psychologist_id)
    assert saved is not None
    response.status_code = 201 if created else 200
    return PsychologistOut(
        id=saved.id,
        full_name=saved.full_name,
        school=saved.school,
        region=saved.region,
        timezone=saved.timezone,
        topics=saved.topics,
        formats=saved.formats,  # type: ignore[arg-type]
        next_free_slot=None,
        place=saved.place,
        about=saved.about,
    )
