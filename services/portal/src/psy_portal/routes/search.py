"""Подбор психолога: by ФИО, topics, dates, format; a psychologist's card with free slots."""

import asyncio
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from psy_portal import present
from psy_portal.backend import ServiceError
from psy_portal.web import User, check_csrf, render

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 20
SLOT_WINDOW_DAYS = 30


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def topic_titles(api: User) -> list[dict[str, Any]]:
    try:
        return list(await api.get("catalog", "/topics"))
    except ServiceError:
        return []


def next_slot_text(item: dict[str, Any]) -> str | None:
    nearest = item.get("next_free_slot")
    if isinstance(nearest, dict):
        nearest = nearest.get("starts_at")
    if not nearest:
        return None
    return present.when(str(nearest), item.get("timezone"))


@router.get("/psychologists")
async def find(
    request: Request,
    api: User,
    q: str = "",
    topic: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI reads the default, never mutates
    date_from: str = "",
    date_to: str = "",
    format: str = "",
    page: int = 1,
) -> Response:
    form = {"q": q, "topic": topic, "date_from": date_from, "date_to": date_to, "format": format}
    topics = await topic_titles(api)
    error = None
    start, end = parse_day(date_from), parse_day(date_to)
    if (date_from and start is None) or (date_to and end is None):
        error = "Укажите даты в формате ДД.ММ.ГГГГ."
    elif start and end and end < start:
        error = "Дата «по» не может быть раньше даты «с»."
    result: dict[str, Any] = {"items": [], "total": 0}
    if error is None:
        params: dict[str, Any] = {"page": max(1, page), "size": PAGE_SIZE}
        params |= {k: v for k, v in form.items() if v}
        try:
            result = await api.get("catalog", "/psychologists", params=params)
        except ServiceError as exc:
            error = exc.message
    titles = {t["code"]: t["title"] for t in topics}
    return await render(
        request,
        "search.html",
        api=api,
        form=form,
        topics=topics,
        titles=titles,
        formats=present.formats_offered(present.FORMAT_ORDER),
        items=result.get("items", []),
        total=result.get("total", 0),
        page=max(1, page),
        page_size=PAGE_SIZE,
        page_url=lambda n: (
            "/psychologists?"
            + urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
                + [("page", str(n))]
            )
        ),
        next_slot_text=next_slot_text,
        searched=any(form.values()),
        error=error,
    )


@router.get("/psychologists/{psychologist_id}")
async def card(
    request: Request,
    api: User,
    psychologist_id: str,
    date_from: str = "",
    date_to: str = "",
    format: str = "",
) -> Response:
    filters = {"date_from": date_from, "date_to": date_to, "format": format}
    return await card_page(request, api, psychologist_id, filters)


async def card_page(
    request: Request,
    api: User,
    psychologist_id: str,
    filters: dict[str, str],
    error: str | None = None,
) -> Response:
    """The card with free slots by day, in the psychologist's local time with the zone shown."""
    start = parse_day(filters.get("date_from")) or date.today()
    end = parse_day(filters.get("date_to")) or (start + timedelta(days=SLOT_WINDOW_DAYS))
    params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    if filters.get("format"):
        params["format"] = filters["format"]
    psychologist, slots, topics = await asyncio.gather(
        api.get("catalog", f"/psychologists/{psychologist_id}"),
        api.get("catalog", f"/psychologists/{psychologist_id}/slots", params=params),
        topic_titles(api),
    )
    return await render(
        request,
        "psychologist.html",
        status_code=409 if error else 200,
        api=api,
        p=psychologist,
        days=present.slots_by_day(slots, psychologist.get("timezone")),
        titles={t["code"]: t["title"] for t in topics},
        filters={**params, "format": filters.get("format", "")},
        formats=present.formats_offered(present.FORMAT_ORDER),
        may_book=request.state.session.role in ("parent", "child"),
        error=error,
    )
