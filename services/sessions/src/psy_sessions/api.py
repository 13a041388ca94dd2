"""HTTP routes: the join doors and the button state. Thin: translate, call, translate back."""

import html
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from psy_platform.auth import CurrentUser
from psy_platform.db import Database
from psy_platform.errors import ApiError
from pydantic import BaseModel

from psy_sessions import joins
from psy_sessions.clock import Clock
from psy_sessions.config import SessionsSettings
from psy_sessions.domain import JoinRefused
from psy_sessions.links import InvalidLink, JoinLinks


@dataclass(frozen=True)
class Context:
    db: Database
    clock: Clock
    links: JoinLinks
    settings: SessionsSettings


async def context(request: Request) -> Context:
    return request.app.state.sessions  # type: ignore[no-any-return]


Ctx = Annotated[Context, Depends(context)]

router = APIRouter(tags=["sessions"])


class JoinOut(BaseModel):
    account_id: uuid.UUID
    at: datetime
    via: Literal["button", "email_link"]


class SessionOut(BaseModel):
    status: Literal["scheduled", "link_sent", "attended", "missed", "cancelled"]
    join_opens_at: datetime
    can_join: bool
    joined: list[JoinOut]


@router.get("/bookings/{booking_id}/session", response_model=SessionOut)
async def session_state(booking_id: uuid.UUID, user: CurrentUser, ctx: Ctx) -> SessionOut:
    """The state behind the «Войти в Сферум» button, for this booking's participants."""
    try:
        v = await joins.view(ctx.db, booking_id, user.id, ctx.clock.now(), ctx.settings.link_lead)
    except JoinRefused as refused:
        raise ApiError(refused.status, refused.code, refused.message) from refused
    return SessionOut(
        status=v.status,
        join_opens_at=v.join_opens_at,
        can_join=v.can_join,
        joined=[JoinOut(account_id=j.account_id, at=j.at, via=j.via) for j in v.joined],  # type: ignore[arg-type]
    )


@router.get(
    "/bookings/{booking_id}/join",
    status_code=302,
    responses={302: {"description": "Joined: Location is the room"}},
)
async def join_by_button(booking_id: uuid.UUID, user: CurrentUser, ctx: Ctx) -> RedirectResponse:
    """«Войти в Сферум». The portal calls it server-side and forwards the Location."""
    try:
        room_url = await joins.join(
            ctx.db, booking_id, user.id, "button", ctx.clock.now(), ctx.settings.link_lead
        )
    except JoinRefused as refused:
        raise ApiError(refused.status, refused.code, refused.message) from refused
    return RedirectResponse(room_url, status_code=302)


@router.get("/join/{token}", response_class=HTMLResponse, response_model=None)
async def join_by_link(token: str, ctx: Ctx) -> HTMLResponse | RedirectResponse:
    """The e-mailed link: the token names the participant. A person reads the answer."""
    now = ctx.clock.now()
    try:
        ticket = ctx.links.read(token, now)
    except InvalidLink:
        return _page(
            410,
            "Ссылка недействительна",
            "Ссылка повреждена или срок её действия истёк. Войдите в консультацию через "
            "раздел «Мои записи» кнопкой «Войти в Сферум».",
        )
    try:
        room_url = await joins.join(
            ctx.db,
            ticket.booking_id,
            ticket.account_id,
            "email_link",
            now,
            ctx.settings.link_lead,
            generation=ticket.generation,
        )
    except JoinRefused as refused:
        return _page(refused.status, "Войти не получилось", refused.message)
    return RedirectResponse(room_url, status_code=302)


def _page(status: int, title: str, message: str) -> HTMLResponse:
    body = f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto; line-height: 1.5">
<h1>{html.escape(title)}</h1>
<p>{html.escape(message)}</p>
<p>Если не получается войти, обратитесь к психологу или в техническую поддержку
портала: <a href="mailto:help-psy@edu.gov.ru">help-psy@edu.gov.ru</a>.</p>
</body></html>"""
    return HTMLResponse(body, status_code=status)
