"""Шаги 4–7: a slot is held, «Данные консультации» filled in, «Записаться», the success dialog."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from psy_portal import present
from psy_portal.backend import ServiceError
from psy_portal.routes.search import card_page, topic_titles
from psy_portal.web import User, check_csrf, render, session_of, store_of

router = APIRouter(dependencies=[Depends(check_csrf)])

COMMENT_MAX = 1000


def hold_key(request: Request, hold_id: str) -> str:
    return f"portal:hold:{session_of(request).id}:{hold_id}"


async def find_slot(api: User, psychologist_id: str, slot_id: str, starts_at: str) -> Any:
    params = {}
    if starts_at:
        day = present.parse_instant(starts_at).date()
        params = {
            "date_from": (day - timedelta(days=1)).isoformat(),
            "date_to": (day + timedelta(days=1)).isoformat(),
        }
    slots = await api.get("catalog", f"/psychologists/{psychologist_id}/slots", params=params)
    return next((s for s in slots if str(s["id"]) == slot_id), None)


@router.post("/holds")
async def take_hold(
    request: Request,
    api: User,
    slot_id: str = Form(...),
    psychologist_id: str = Form(...),
    starts_at: str = Form(""),
) -> Response:
    """Шаг 4: the chosen time is reserved for this person while they fill in step 5."""
    try:
        psychologist, slot = await asyncio.gather(
            api.get("catalog", f"/psychologists/{psychologist_id}"),
            find_slot(api, psychologist_id, slot_id, starts_at),
        )
        if slot is None:
            raise ServiceError(404, "slot_not_found", "Это время больше недоступно.")
        hold = await api.post("booking", "/holds", json={"slot_id": slot_id})
    except ServiceError as exc:
        return await card_page(request, api, psychologist_id, {}, error=exc.message)
    record = {"hold": hold, "slot": slot, "psychologist": psychologist}
    ttl = present.seconds_left(hold["expires_at"], datetime.now(UTC)) + 60
    await store_of(request).redis.set(hold_key(request, hold["id"]), json.dumps(record), ex=ttl)
    return RedirectResponse(f"/book/{hold['id']}", status_code=303)


async def load_hold(request: Request, hold_id: str) -> dict[str, Any] | None:
    raw = await store_of(request).redis.get(hold_key(request, hold_id))
    return json.loads(raw) if raw else None


async def details_page(
    request: Request,
    api: User,
    hold_id: str,
    record: dict[str, Any],
    values: dict[str, Any] | None = None,
    error: str | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
) -> Response:
    me, topics = await asyncio.gather(api.get("identity", "/me"), topic_titles(api))
    psychologist = record["psychologist"]
    # Only the psychologist's own topics can be booked with them (booking checks it too).
    own = set(psychologist.get("topics") or [])
    topics = [t for t in topics if t["code"] in own] or topics
    participants = [(str(me["id"]), "Я")]
    if me.get("role") == "parent":
        participants = [(str(c["id"]), c.get("full_name", "")) for c in me.get("children", [])]
        participants.append((str(me["id"]), f"Я ({me.get('full_name', '')})"))
    values = values or {"participant_id": str(me["id"]) if me.get("role") == "child" else ""}
    seconds = present.seconds_left(record["hold"]["expires_at"], datetime.now(UTC))
    return await render(
        request,
        "details.html",
        status_code=status_code,
        api=api,
        hold_id=hold_id,
        hold=record["hold"],
        slot=record["slot"],
        p=psychologist,
        formats=present.formats_offered(record["slot"].get("formats") or []),
        topics=topics,
        participants=participants,
        no_children=me.get("role") == "parent" and not me.get("children"),
        values=values,
        error=error,
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        seconds_left=seconds,
        countdown=present.countdown(seconds),
        comment_max=COMMENT_MAX,
    )


async def hold_gone(request: Request, api: User) -> Response:
    return await render(
        request,
        "error.html",
        status_code=410,
        api=api,
        title="Время бронирования истекло",
        message="Выбранное время больше не закреплено за вами. Выберите время заново.",
        retry_url="/psychologists",
    )


@router.get("/book/{hold_id}")
async def details(request: Request, api: User, hold_id: str) -> Response:
    record = await load_hold(request, hold_id)
    if record is None:
        return await hold_gone(request, api)
    if record.get("booking_id"):
        return RedirectResponse(f"/book/done/{record['booking_id']}", status_code=303)
    return await details_page(request, api, hold_id, record)


@router.post("/book/{hold_id}")
async def book(
    request: Request,
    api: User,
    hold_id: str,
    idempotency_key: str = Form(...),
    format: str = Form(""),
    topics: Annotated[list[str] | None, Form()] = None,
    participant_id: str = Form(""),
    comment: str = Form(""),
) -> Response:
    """Шаг 6 «Записаться»: the key from the rendered form makes a double submit one booking."""
    record = await load_hold(request, hold_id)
    if record is None:
        return await hold_gone(request, api)
    topics = topics or []
    values = {
        "format": format,
        "topics": topics,
        "participant_id": participant_id,
        "comment": comment,
    }
    problem = None
    if not format:
        problem = "Выберите тип консультации."
    elif not topics:
        problem = "Выберите хотя бы одну тему в «Спектре проблем»."
    elif not participant_id:
        problem = "Выберите участника консультации."
    elif len(comment) > COMMENT_MAX:
        problem = f"Комментарий длиннее {COMMENT_MAX} символов."
    if problem:
        return await details_page(
            request, api, hold_id, record, values, problem, idempotency_key, status_code=422
        )
    body = {
        "slot_id": record["slot"]["id"],
        "format": format,
        "topics": topics,
        "participant_id": participant_id,
        "comment": comment.strip() or None,
        "hold_id": hold_id,
    }
    try:
        booking = await api.post(
            "booking", "/bookings", json=body, headers={"Idempotency-Key": idempotency_key}
        )
    except ServiceError as exc:
        # Refused for sure → a retry is a new request; unreachable → it may have happened, so the
        # same key again lets a retry find the booking instead of making a second one.
        key = idempotency_key if exc.status >= 500 else None
        return await details_page(
            request,
            api,
            hold_id,
            record,
            values,
            exc.message,
            key,
            status_code=exc.status if exc.status < 500 else 503,
        )
    # Kept until the hold would have expired: a repeated submit of this form (same key) is
    # answered by booking with the same booking, and a reload of step 5 leads to the dialog.
    record["booking_id"] = booking["id"]
    await store_of(request).redis.set(hold_key(request, hold_id), json.dumps(record), keepttl=True)
    return RedirectResponse(f"/book/done/{booking['id']}", status_code=303)


@router.post("/book/{hold_id}/release")
async def release(request: Request, api: User, hold_id: str) -> Response:
    record = await load_hold(request, hold_id)
    try:
        await api.delete("booking", f"/holds/{hold_id}")
    except ServiceError:
        pass  # the hold expires on its own
    await store_of(request).redis.delete(hold_key(request, hold_id))
    target = f"/psychologists/{record['psychologist']['id']}" if record else "/psychologists"
    return RedirectResponse(target, status_code=303)


@router.get("/book/done/{booking_id}")
async def booked(request: Request, api: User, booking_id: str) -> Response:
    """Шаг 7: «Вы успешно записались на консультацию» — «Хорошо» leads to «Мои записи»."""
    booking = await api.get("booking", f"/bookings/{booking_id}")
    psychologist = await api.get("catalog", f"/psychologists/{booking['psychologist_id']}")
    return await render(request, "booked.html", api=api, b=booking, p=psychologist)
