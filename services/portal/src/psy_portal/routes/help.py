"""«Помощь»: the psychologist, the regional administrator, technical support."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from psy_portal.backend import ServiceError
from psy_portal.routes.bookings import items_of, psychologists_of
from psy_portal.web import render, require_user, session_of

router = APIRouter()


@router.get("/help")
async def help_page(request: Request) -> Response:
    """Open without login too: someone who cannot log in needs these contacts most."""
    psychologists: list[dict] = []  # type: ignore[type-arg]
    api = require_user(request) if session_of(request).logged_in else None
    if api is not None and session_of(request).role in ("parent", "child"):
        try:
            bookings = items_of(await api.get("booking", "/bookings"))
            found = await psychologists_of(api, {str(b["psychologist_id"]) for b in bookings})
            psychologists = sorted(found.values(), key=lambda p: p.get("full_name", ""))
        except ServiceError:
            psychologists = []
    return await render(request, "help.html", api=api, psychologists=psychologists)
