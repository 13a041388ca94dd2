"""Вход через Госуслуги (identity's login, a one-time ticket exchanged here) and Выход."""

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from psy_portal.backend import ServiceError
from psy_portal.user_api import UserApi
from psy_portal.web import (
    backend_of,
    check_csrf,
    keep,
    render,
    replace_session,
    session_of,
    settings_of,
    store_of,
)

router = APIRouter(dependencies=[Depends(check_csrf)])


@router.get("/")
async def home(request: Request) -> Response:
    session = session_of(request)
    if not session.logged_in:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/cabinet" if session.role == "psychologist" else "/profile", 303)


@router.get("/login")
async def login_page(request: Request, login_hint: str | None = None) -> Response:
    if session_of(request).logged_in:
        return RedirectResponse("/", status_code=303)
    start = "/auth/start" + (f"?{urlencode({'login_hint': login_hint})}" if login_hint else "")
    return await render(request, "login.html", start_url=start)


@router.get("/auth/start")
async def start_login(request: Request, login_hint: str | None = None) -> Response:
    """To identity's login; the state in the return path ties the ticket to this browser."""
    settings = settings_of(request)
    session = session_of(request)
    session.login_state = secrets.token_urlsafe(16)
    keep(request)
    query = {"return_to": f"{settings.public_url}/auth/done/{session.login_state}"}
    if login_hint:
        query["login_hint"] = login_hint
    return RedirectResponse(
        f"{settings.identity_public_url.rstrip('/')}/auth/login?{urlencode(query)}", 303
    )


@router.get("/auth/done/{state}")
async def finish_login(
    request: Request, state: str, ticket: str | None = None, error: str | None = None
) -> Response:
    session = session_of(request)
    expected = session.login_state
    if error or not ticket or not expected or not secrets.compare_digest(expected, state):
        return await render(
            request,
            "error.html",
            status_code=400,
            title="Вход не завершён",
            message="Вход через Госуслуги не был завершён. Начните вход заново.",
            retry_url="/login",
        )
    try:
        tokens = await backend_of(request).exchange_ticket(ticket)
    except ServiceError as exc:
        return await render(
            request,
            "error.html",
            status_code=400,
            title="Вход не завершён",
            message=exc.message,
            retry_url="/login",
        )
    store = store_of(request)
    # A fresh session id at login: an id planted before login is worth nothing after it.
    fresh = store.new()
    fresh.sign_in(tokens)
    replace_session(request, fresh)
    settings = settings_of(request)
    api = UserApi(backend_of(request), store, fresh, settings.token_refresh_margin_seconds)
    me = await api.get("identity", "/me")
    fresh.user_id, fresh.role, fresh.full_name = str(me["id"]), me["role"], me.get("full_name")
    fresh.timezone = me.get("timezone")
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = session_of(request)
    if session.access_token:
        try:
            await backend_of(request).call(
                "identity",
                "POST",
                "/auth/logout",
                token=session.access_token,
                json={"refresh_token": session.refresh_token},
            )
        except ServiceError:
            pass  # the session ends here regardless; identity's tokens expire on their own
    request.state.session_ended = True
    return RedirectResponse("/login?bye=1", status_code=303)
