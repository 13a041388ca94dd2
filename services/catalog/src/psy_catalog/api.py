"""Public reads: topics, search, a profile, a psychologist's slots."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from psy_platform.auth import CurrentUser

from psy_catalog import taxonomy
from psy_catalog.deps import Runtime, Settings
from psy_catalog.domain import Rejected, as_local, date_range, local_today, name_tokens, zone
from psy_catalog.profiles import Profile, load_profile
from psy_catalog.schemas import (
    FormatName,
    PsychologistItem,
    PsychologistOut,
    SearchPage,
    SlotOut,
    TopicOut,
)
from psy_catalog.search import SearchFilters, local_days_default, run_search
from psy_catalog.slots import SlotView, list_slots

router = APIRouter(tags=["catalog"])


@router.get("/topics", response_model=list[TopicOut])
async def topics() -> list[TopicOut]:
    """The «спектр проблем» reference list; public, no sign-in needed."""
    return [TopicOut(code=t.code, title=t.title) for t in taxonomy.TOPICS]


def _known_topics(codes: list[str]) -> list[str]:
    bad = taxonomy.unknown(codes)
    if bad:
        raise Rejected(422, "unknown_topic", f"Неизвестная тема: {', '.join(bad[:5])}.")
    return list(dict.fromkeys(codes))


@router.get("/psychologists", response_model=SearchPage)
async def search(
    user: CurrentUser,
    runtime: Runtime,
    settings: Settings,
    q: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006 (FastAPI copies it)
    date_from: date | None = None,
    date_to: date | None = None,
    format: FormatName | None = None,
    region: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1)] = 20,
) -> SearchPage:
    """Any signed-in user. Ordered by the nearest free slot, then name."""
    if size > settings.search_max_page_size:
        raise Rejected(
            422,
            "page_size_too_large",
            f"На странице не больше {settings.search_max_page_size} психологов.",
        )
    filters = SearchFilters(
        tokens=name_tokens(q or ""),
        topics=_known_topics(topic),
        days=date_range(date_from, date_to),
        format=format,
        region=region.strip() if region else None,
        page=page,
        size=size,
    )
    async with runtime.db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        found = await run_search(raw.driver_connection, filters, settings.search_typo_similarity)
    result = SearchPage(
        items=[_item(row) for row in found.items], total=found.total, page=page, size=size
    )
    # Serialized once here; returning the model would have FastAPI validate it a second time.
    return Response(result.model_dump_json(), media_type="application/json")  # type: ignore[return-value]


def _item(row: dict[str, Any]) -> PsychologistItem:
    return PsychologistItem(
        **{k: row[k] for k in ("id", "full_name", "school", "region", "timezone")},
        topics=row["topics"],
        formats=row["formats"],
        next_free_slot=as_local(row["next_free"], row["timezone"]) if row["next_free"] else None,
    )


async def _profile_or_404(runtime: Runtime, psychologist_id: uuid.UUID) -> Profile:
    async with runtime.db.transaction() as session:
        profile = await load_profile(session, psychologist_id)
    if profile is None:
        raise Rejected(404, "psychologist_not_found", "Психолог не найден.")
    return profile


@router.get("/psychologists/{psychologist_id}", response_model=PsychologistOut)
async def psychologist(
    psychologist_id: uuid.UUID, user: CurrentUser, runtime: Runtime, settings: Settings
) -> PsychologistOut:
    """Any signed-in user."""
    profile = await _profile_or_404(runtime, psychologist_id)
    page = await _slots(runtime, settings, profile, None, None, None)
    free = next((s for s in page if s.status == "free"), None)
    return PsychologistOut(
        id=profile.id,
        full_name=profile.full_name,
        school=profile.school,
        region=profile.region,
        timezone=profile.timezone,
        topics=profile.topics,
        formats=profile.formats,  # type: ignore[arg-type]
        next_free_slot=free.starts_at if free else None,
        place=profile.place,
        about=profile.about,
    )


@router.get("/psychologists/{psychologist_id}/slots", response_model=list[SlotOut])
async def psychologist_slots(
    psychologist_id: uuid.UUID,
    user: CurrentUser,
    runtime: Runtime,
    settings: Settings,
    date_from: date | None = None,
    date_to: date | None = None,
    format: FormatName | None = None,
) -> list[SlotOut]:
    """Any signed-in user: free and taken slots; days are the psychologist's local days."""
    profile = await _profile_or_404(runtime, psychologist_id)
    return await _slots(runtime, settings, profile, date_from, date_to, format)


async def _slots(
    runtime: Runtime,
    settings: Settings,
    profile: Profile,
    date_from: date | None,
    date_to: date | None,
    fmt: str | None,
) -> list[SlotOut]:
    now = datetime.now(UTC)
    days = date_range(date_from, date_to, max_days=92) or local_days_default(
        local_today(zone(profile.timezone), now), settings.booking_window_days
    )
    async with runtime.db.transaction() as session:
        found = await list_slots(session, profile, days, fmt, now)
    return [slot_out(s, profile.timezone) for s in found]


def slot_out(s: SlotView, timezone: str) -> SlotOut:
    return SlotOut(
        id=s.id,
        starts_at=as_local(s.starts_at, timezone),
        ends_at=as_local(s.ends_at, timezone),
        timezone=timezone,
        formats=s.formats,  # type: ignore[arg-type]
        place=s.place,
        status=s.status,  # type: ignore[arg-type]
    )
