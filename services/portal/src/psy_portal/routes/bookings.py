"""«Мои записи»: status, «Отменить» (with a reason), «Перенести», «Войти в Сферум»."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from psy_portal import present
from psy_portal.backend import ServiceError, error_from
from psy_portal.routes.search import topic_titles
from psy_portal.web import User, check_csrf, flash, render, session_of

router = APIRouter(dependencies=[Depends(check_csrf)])

ONLINE = ("video", "chat")
RESCHEDULE_WINDOW_DAYS = 30


def items_of(payload: Any) -> list[dict[str, Any]]:
    return list(payload.get("items", [])) if isinstance(payload, dict) else list(payload or [])


async def psychologists_of(api: User, ids: set[str]) -> dict[str, dict[str, Any]]:
    async def one(pid: str) -> dict[str, Any]:
        try:
            return dict(await api.get("catalog", f"/psychologists/{pid}"))
        except ServiceError:
            return {"id": pid, "full_name": "Психолог", "timezone": None}

    found = await asyncio.gather(*(one(pid) for pid in ids))
    return {str(p["id"]): p for p in found}


async def session_state(api: User, booking: dict[str, Any]) -> dict[str, Any] | None:
    if booking.get("status") != "confirmed" or booking.get("format") not in ONLINE:
        return None
    try:
        return dict(await api.get("sessions", f"/bookings/{booking['id']}/session"))
    except ServiceError:
        return None


def may_change(booking: dict[str, Any], viewer: str | None, role: str | None) -> bool:
    """Who booked, who takes part, or the psychologist (a parent sees a 14+ child's own booking
    but does not change it)."""
    if role == "psychologist":
        return True
    return viewer in (str(booking.get("booked_by")), str(booking.get("participant_id")))


def sort_key(booking: dict[str, Any]) -> tuple[int, float]:
    """Upcoming confirmed ones first, soonest first; then the rest, newest first."""
    starts = present.parse_instant(str(booking["starts_at"])).timestamp()
    upcoming = booking.get("status") == "confirmed"
    return (0, starts) if upcoming else (1, -starts)


async def decorated(api: User, bookings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each booking with its psychologist and its session state (for «Войти в Сферум»)."""
    people = await psychologists_of(api, {str(b["psychologist_id"]) for b in bookings})
    states = await asyncio.gather(*(session_state(api, b) for b in bookings))
    now = datetime.now(UTC)
    rows = []
    for booking, state in zip(bookings, states, strict=True):
        psychologist = people.get(str(booking["psychologist_id"]), {})
        ends = present.parse_instant(str(booking["ends_at"]))
        rows.append(
            {
                "b": booking,
                "p": psychologist,
                "tz": booking.get("timezone") or psychologist.get("timezone"),
                "session": state,
                "can_join": bool(state and state.get("can_join")),
                "joins": (state or {}).get("joined") or [],
                "open_from": state.get("join_opens_at") if state else None,
                "changeable": booking.get("status") == "confirmed"
                and present.parse_instant(str(booking["starts_at"])) > now
                and may_change(booking, api.session.user_id, api.session.role),
                "over": ends <= now,
            }
        )
    return sorted(rows, key=lambda r: sort_key(r["b"]))


async def bookings_page(
    request: Request,
    api: User,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    me, payload, topics = await asyncio.gather(
        api.get("identity", "/me"), api.get("booking", "/bookings"), topic_titles(api)
    )
    names = {str(me["id"]): "Я"} | {
        str(c["id"]): c.get("full_name", "") for c in me.get("children", [])
    }
    rows = await decorated(api, items_of(payload))
    return await render(
        request,
        "bookings.html",
        status_code=status_code,
        api=api,
        rows=rows,
        names=names,
        titles={t["code"]: t["title"] for t in topics},
        error=error,
        values=values or {},
    )


@router.get("/bookings")
async def my_bookings(request: Request, api: User) -> Response:
    return await bookings_page(request, api)


@router.post("/bookings/{booking_id}/cancel")
async def cancel(request: Request, api: User, booking_id: str, reason: str = Form("")) -> Response:
    if not reason.strip():
        return await bookings_page(
            request, api, "Укажите причину отмены.", {"cancel": booking_id}, 422
        )
    try:
        await api.post("booking", f"/bookings/{booking_id}/cancel", json={"reason": reason})
    except ServiceError as exc:
        return await bookings_page(
            request, api, exc.message, {"cancel": booking_id, "reason": reason}, exc.status
        )
    flash(request, "Запись отменена.")
    return RedirectResponse(back_to(request), status_code=303)


def back_to(request: Request) -> str:
    return "/cabinet" if session_of(request).role == "psychologist" else "/bookings"


async def reschedule_page(
    request: Request, api: User, booking_id: str, error: str | None = None
) -> Response:
    booking = await api.get("booking", f"/bookings/{booking_id}")
    pid = booking["psychologist_id"]
    today = date.today()
    params = {
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=RESCHEDULE_WINDOW_DAYS)).isoformat(),
    }
    psychologist, slots = await asyncio.gather(
        api.get("catalog", f"/psychologists/{pid}"),
        api.get("catalog", f"/psychologists/{pid}/slots", params=params),
    )
    tz = psychologist.get("timezone")
    # Only slots that still offer the booked format, so the consultation stays what was chosen.
    offered = [s for s in slots if booking.get("format") in (s.get("formats") or [])]
    return await render(
        request,
        "reschedule.html",
        status_code=409 if error else 200,
        api=api,
        b=booking,
        p=psychologist,
        days=present.slots_by_day(offered, tz),
        error=error,
    )


@router.get("/bookings/{booking_id}/reschedule")
async def reschedule_form(request: Request, api: User, booking_id: str) -> Response:
    return await reschedule_page(request, api, booking_id)


@router.post("/bookings/{booking_id}/reschedule")
async def reschedule(
    request: Request, api: User, booking_id: str, slot_id: str = Form("")
) -> Response:
    if not slot_id:
        return await reschedule_page(request, api, booking_id, "Выберите новое время.")
    try:
        await api.post("booking", f"/bookings/{booking_id}/reschedule", json={"slot_id": slot_id})
    except ServiceError as exc:
        return await reschedule_page(request, api, booking_id, exc.message)
    flash(request, "Запись перенесена на новое время.")
    return RedirectResponse("/bookings", status_code=303)


@router.post("/bookings/{booking_id}/join")
async def join(request: Request, api: User, booking_id: str) -> Response:
    """«Войти в Сферум»: sessions records the join and names the room; the browser goes there."""
    response = await api.send("sessions", "GET", f"/bookings/{booking_id}/join")
    location = response.headers.get("location")
    if response.is_redirect and location:
        return RedirectResponse(location, status_code=303)
    message = (
        error_from("sessions", response).message
        if response.status_code >= 400
        else "Не удалось войти в консультацию. Попробуйте ещё раз."
    )
    flash(request, message, "error")
    return RedirectResponse(back_to(request), status_code=303)
