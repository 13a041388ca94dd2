"""The psychologist's cabinet: today's and upcoming consultations, joining, the schedule."""

import asyncio
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from psy_portal import present
from psy_portal.backend import ServiceError
from psy_portal.routes.bookings import decorated, items_of
from psy_portal.routes.search import topic_titles
from psy_portal.web import User, check_csrf, flash, render, session_of

router = APIRouter(dependencies=[Depends(check_csrf)])

DURATIONS = (45, 50, 60)
SCHEDULE_DAYS = 30


def require_psychologist(request: Request) -> None:
    if session_of(request).role != "psychologist":
        raise HTTPException(404)


def slot_start(day: str, at: str, tz_name: str | None) -> datetime:
    """The psychologist types local date and time; the service gets an instant with offset."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(at)).replace(
        tzinfo=present.zone(tz_name)
    )


async def cabinet_page(
    request: Request,
    api: User,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    require_psychologist(request)
    me = await api.get("identity", "/me")
    tz = me.get("timezone")
    first, last = present.local_days(tz, datetime.now(UTC), SCHEDULE_DAYS)
    window = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    bookings, slots, topics = await asyncio.gather(
        api.get("booking", "/bookings"),
        api.get("catalog", "/me/slots", params=window),
        topic_titles(api),
        return_exceptions=True,
    )
    for answer in (bookings, slots):
        if isinstance(answer, BaseException) and not isinstance(answer, ServiceError):
            raise answer
    schedule_error = slots.message if isinstance(slots, ServiceError) else None
    bookings_error = bookings.message if isinstance(bookings, ServiceError) else None
    slots = [] if isinstance(slots, ServiceError) else slots
    bookings = [] if isinstance(bookings, ServiceError) else bookings
    now = datetime.now(UTC)
    rows = [
        r
        for r in await decorated(api, items_of(bookings))
        if r["b"].get("status") == "confirmed"
        and present.parse_instant(str(r["b"]["ends_at"])) > now
    ]
    local_today = now.astimezone(present.zone(tz)).date()
    todays = [r for r in rows if present.local(str(r["b"]["starts_at"]), tz).date() == local_today]
    upcoming = [r for r in rows if r not in todays]
    return await render(
        request,
        "cabinet.html",
        status_code=status_code,
        api=api,
        me=me,
        tz=tz,
        todays=todays,
        titles={t["code"]: t["title"] for t in topics},
        upcoming=upcoming,
        slots=sorted(items_of(slots), key=lambda s: str(s["starts_at"])),
        durations=DURATIONS,
        formats=present.formats_offered(present.FORMAT_ORDER),
        error=error,
        schedule_error=schedule_error,
        bookings_error=bookings_error,
        values=values or {"duration": "50", "formats": ["video", "chat"]},
    )


@router.get("/cabinet")
async def cabinet(request: Request, api: User) -> Response:
    return await cabinet_page(request, api)


@router.post("/cabinet/slots")
async def add_slot(
    request: Request,
    api: User,
    day: str = Form(""),
    at: str = Form(""),
    duration: str = Form("50"),
    formats: Annotated[list[str] | None, Form()] = None,
    place: str = Form(""),
) -> Response:
    require_psychologist(request)
    formats = formats or []
    values = {"day": day, "at": at, "duration": duration, "formats": formats, "place": place}
    me = await api.get("identity", "/me")
    problem = None
    try:
        starts = slot_start(day, at, me.get("timezone"))
    except ValueError:
        problem = "Укажите дату и время начала."
    if problem is None and not formats:
        problem = "Выберите хотя бы один тип консультации."
    elif problem is None and "in_person" in formats and not place.strip():
        problem = "Для очной консультации укажите место (школа, кабинет)."
    if problem:
        return await cabinet_page(request, api, problem, values, 422)
    body = {
        "starts_at": starts.isoformat(),
        "duration_minutes": int(duration),
        "formats": formats,
        "place": place.strip() or None,
    }
    try:
        await api.post("catalog", "/me/slots", json=body)
    except ServiceError as exc:
        return await cabinet_page(request, api, exc.message, values, exc.status)
    flash(request, "Время для консультации добавлено в расписание.")
    return RedirectResponse("/cabinet#schedule", status_code=303)


@router.post("/cabinet/slots/{slot_id}/withdraw")
async def withdraw_slot(request: Request, api: User, slot_id: str) -> Response:
    require_psychologist(request)
    try:
        await api.delete("catalog", f"/me/slots/{slot_id}")
    except ServiceError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Время снято с расписания.")
    return RedirectResponse("/cabinet#schedule", status_code=303)
