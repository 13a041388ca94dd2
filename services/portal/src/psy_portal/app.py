"""Composition root of the portal.

The portal owns no data, so it does not use psy_platform's ServiceRuntime (whose readiness check
always includes PostgreSQL and whose runtime builds a Kafka broker): it reuses the platform's ops
routes and logs, and checks only what it needs to serve a page — Redis (the web sessions).
"""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from psy_platform.cache import connect_redis
from psy_platform.ops import add_ops_routes
from starlette.exceptions import HTTPException

from psy_portal.backend import Backend, ServiceError
from psy_portal.config import PortalSettings
from psy_portal.routes import auth, bookings, cabinet, help, messages, profile, search, slots_flow
from psy_portal.user_api import LoginRequired
from psy_portal.web import SESSIONLESS, CsrfRefused, render
from psy_portal.web_session import SessionStore

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # No inline scripts and nothing from other origins; forms may redirect out (VK ID, the room).
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'"
    ),
}


def create_app(settings: PortalSettings) -> FastAPI:
    redis = connect_redis(settings.redis_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.backend = Backend(settings)
        try:
            yield
        finally:
            await app.state.backend.close()
            await redis.aclose()

    app = FastAPI(title="Цифровой психолог — портал", lifespan=lifespan, docs_url=None)
    app.state.settings = settings
    app.state.sessions = SessionStore(redis, settings.session_ttl_seconds)
    add_ops_routes(app, "portal", {"redis": redis.ping})
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (auth, profile, search, slots_flow, bookings, messages, cabinet, help):
        app.include_router(module.router)
    install_page_errors(app)

    @app.middleware("http")
    async def web_session(request: Request, call_next):  # type: ignore[no-untyped-def]
        if request.url.path.startswith(SESSIONLESS):
            return await call_next(request)
        store: SessionStore = app.state.sessions
        loaded = await store.load(request.cookies.get(settings.cookie_name))
        request.state.session = loaded or store.new()
        request.state.session_dirty = False
        response = await call_next(request)
        replaced = getattr(request.state, "session_replaced", None)
        if replaced is not None:
            await store.delete(replaced)
        if getattr(request.state, "session_ended", False):
            await store.delete(request.state.session)
            response.delete_cookie(settings.cookie_name, path="/")
        elif request.state.session_dirty or (loaded is not None and loaded.logged_in):
            session = request.state.session
            if loaded is None or replaced is not None:
                await store.save(session)
            elif request.state.session_dirty:
                await store.save_profile(session)
            else:
                await store.touch(session)
            response.set_cookie(
                settings.cookie_name,
                session.id,
                max_age=settings.session_ttl_seconds,
                path="/",
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookie(request.url.scheme),
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        if request.headers.get("accept", "").startswith(("text/event-stream", "application/json")):
            return Response(status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: CsrfRefused) -> Response:
        return await render(
            request,
            "error.html",
            status_code=403,
            title="Запрос отклонён",
            message="Форма устарела или отправлена не с этого сайта. "
            "Вернитесь на страницу, обновите её и повторите действие.",
        )

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        return await render(
            request,
            "error.html",
            status_code=exc.status if exc.status < 500 else 503,
            title="Не удалось выполнить действие",
            message=exc.message,
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        titles = {404: "Страница не найдена", 405: "Действие недоступно"}
        message = {404: "Такой страницы нет. Проверьте адрес или вернитесь на главную."}
        return await render(
            request,
            "error.html",
            status_code=exc.status_code,
            title=titles.get(exc.status_code, "Ошибка запроса"),
            message=message.get(exc.status_code, "Запрос не выполнен."),
        )
