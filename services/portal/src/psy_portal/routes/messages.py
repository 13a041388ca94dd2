"""«Сообщения»: notify's inbox, marking read, and the live unread count (SSE via the portal)."""

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from psy_portal.backend import ServiceError
from psy_portal.sse import reframe
from psy_portal.web import User, backend_of, check_csrf, flash, render

router = APIRouter(dependencies=[Depends(check_csrf)])


@router.get("/messages")
async def inbox(request: Request, api: User, page: int = 1) -> Response:
    error = None
    try:
        payload = await api.get("notify", "/inbox", params={"page": max(1, page)})
    except ServiceError as exc:
        payload, error = {"items": [], "unread": None}, exc.message
    return await render(
        request,
        "messages.html",
        api=api,
        items=payload.get("items", []),
        page=max(1, page),
        error=error,
    )


@router.post("/messages/{message_id}/read")
async def mark_read(request: Request, api: User, message_id: str) -> Response:
    try:
        await api.post("notify", f"/inbox/{message_id}/read")
    except ServiceError as exc:
        flash(request, exc.message, "error")
    return RedirectResponse("/messages", status_code=303)


@router.post("/messages/read-all")
async def mark_all_read(request: Request, api: User) -> Response:
    try:
        await api.post("notify", "/inbox/read-all")
    except ServiceError as exc:
        flash(request, exc.message, "error")
    return RedirectResponse("/messages", status_code=303)


@router.get("/messages/unread")
async def unread(api: User) -> JSONResponse:
    try:
        inbox = await api.get("notify", "/inbox", params={"page": 1})
    except ServiceError:
        return JSONResponse({"unread": None}, status_code=503)
    return JSONResponse({"unread": inbox.get("unread", 0)})


@router.get("/messages/stream")
async def stream(request: Request, api: User) -> Response:
    """Holds one upstream SSE connection to notify per open page, with the user's token."""
    backend = backend_of(request)
    token = await api.token()
    upstream = backend.http.build_request(
        "GET",
        backend.url("notify", "/inbox/stream"),
        headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
        timeout=httpx.Timeout(10, read=None),
    )
    try:
        response = await backend.http.send(upstream, stream=True)
    except httpx.HTTPError:
        return Response("retry: 15000\n\n", status_code=503, media_type="text/event-stream")
    if response.status_code != 200:
        await response.aclose()
        return Response(status_code=401 if response.status_code == 401 else 503)

    async def relay() -> AsyncIterator[str]:
        try:
            async for chunk in reframe(response.aiter_lines()):
                yield chunk
        except httpx.HTTPError:
            return
        finally:
            await response.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
