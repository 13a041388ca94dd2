"""What every page shares: the session per request, CSRF on every POST, the page frame."""

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from psy_portal import present
from psy_portal.backend import Backend, ServiceError
from psy_portal.config import PortalSettings
from psy_portal.csrf import FIELD, token_matches
from psy_portal.user_api import LoginRequired, UserApi
from psy_portal.web_session import SessionStore, WebSession

log = logging.getLogger(__name__)

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    when=present.when,
    time_range=present.time_range,
    zone_label=present.zone_label,
    status_label=lambda code: present.label(present.BOOKING_STATUS, code),
    session_status_label=lambda code: present.label(present.SESSION_STATUS, code),
    format_label=lambda code: present.label(present.FORMAT, code),
    formats_text=present.formats_text,
    role_label=lambda code: present.label(present.ROLE, code),
    participant_kind_label=lambda code: present.label(present.PARTICIPANT_KIND, code),
    csrf_field=FIELD,
)

# Paths that never touch the web session (probes, metrics, static files).
SESSIONLESS = ("/healthz", "/readyz", "/metrics", "/static/", "/favicon.ico")


class CsrfRefused(Exception):
    """A POST without the session's token: refused with a 403 page."""


def settings_of(request: Request) -> PortalSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def store_of(request: Request) -> SessionStore:
    return request.app.state.sessions  # type: ignore[no-any-return]


def backend_of(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]


def session_of(request: Request) -> WebSession:
    return request.state.session  # type: ignore[no-any-return]


def keep(request: Request) -> None:
    """Persist the session (and send its cookie) when this response goes out."""
    request.state.session_dirty = True


def replace_session(request: Request, new: WebSession) -> None:
    request.state.session_replaced = session_of(request)
    request.state.session = new
    keep(request)


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A notice for the next page (after a redirect); kind "error" is announced as an alert."""
    session_of(request).flash.append({"text": message, "kind": kind})
    keep(request)


async def check_csrf(request: Request) -> None:
    """Every POST carries the session's CSRF token in a hidden field (or X-CSRF-Token)."""
    if request.method != "POST":
        return
    submitted = request.headers.get("x-csrf-token")
    if submitted is None:
        form = await request.form()
        value = form.get(FIELD)
        submitted = value if isinstance(value, str) else None
    session = getattr(request.state, "session", None)
    if session is None or not token_matches(session.csrf, submitted):
        raise CsrfRefused


def require_user(request: Request) -> UserApi:
    session = session_of(request)
    if not session.logged_in:
        raise LoginRequired
    settings = settings_of(request)
    return UserApi(
        backend_of(request), store_of(request), session, settings.token_refresh_margin_seconds
    )


User = Annotated[UserApi, Depends(require_user)]


async def unread_count(request: Request, api: UserApi | None) -> int | None:
    """For the header; a page still renders when notify is down."""
    if api is None:
        return None
    try:
        inbox = await api.get("notify", "/inbox", params={"page": 1})
        return int(inbox.get("unread", 0))
    except (ServiceError, ValueError, TypeError, AttributeError):
        return None


async def render(
    request: Request,
    template: str,
    status_code: int = 200,
    api: UserApi | None = None,
    **context: Any,
) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    notices = []
    if session is not None and session.flash:
        notices, session.flash = list(session.flash), []
        keep(request)
    user = session if session is not None and session.logged_in else None
    if user is not None and api is None:
        api = require_user(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf": session.csrf if session is not None else "",
            "unread": await unread_count(request, api) if user is not None else None,
            "notices": notices,
            "settings": settings_of(request),
            **context,
        },
        status_code=status_code,
    )
