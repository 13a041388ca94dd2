"""Профиль: who I am, Сферум, my children from Госуслуги and linking them."""

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from psy_portal import present
from psy_portal.backend import ServiceError
from psy_portal.web import User, check_csrf, flash, render, settings_of

router = APIRouter(dependencies=[Depends(check_csrf)])

CHILD_SELF_AGE = 14


def child_oid(child: dict) -> str:  # type: ignore[type-arg]
    return str(child.get("esia_oid") or child.get("oid") or "")


def child_age(child: dict) -> int | None:  # type: ignore[type-arg]
    try:
        return present.age_on(date.fromisoformat(str(child["birth_date"])), date.today())
    except (KeyError, ValueError):
        return None


async def profile_page(request: Request, api: User, error: str | None = None) -> Response:
    me = await api.get("identity", "/me")
    linked_oids = {child_oid(c) for c in me.get("children", [])}
    linkable = [
        c
        for c in me.get("esia_children", [])
        if not c.get("linked") and child_oid(c) not in linked_oids
    ]
    return await render(
        request,
        "profile.html",
        api=api,
        me=me,
        linkable=linkable,
        child_age=child_age,
        child_self_age=CHILD_SELF_AGE,
        error=error,
    )


@router.get("/profile")
async def profile(request: Request, api: User) -> Response:
    return await profile_page(request, api)


@router.post("/profile/children")
async def link_child(request: Request, api: User, esia_oid: str = Form(...)) -> Response:
    try:
        child = await api.post("identity", "/me/children", json={"esia_oid": esia_oid})
    except ServiceError as exc:
        return await profile_page(request, api, error=exc.message)
    flash(request, f"Ребёнок привязан: {child.get('full_name', '')}".strip())
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/children/{child_id}/unlink")
async def unlink_child(request: Request, api: User, child_id: str) -> Response:
    try:
        await api.delete("identity", f"/me/children/{child_id}")
    except ServiceError as exc:
        return await profile_page(request, api, error=exc.message)
    flash(request, "Привязка ребёнка снята.")
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/sferum")
async def link_sferum(request: Request, api: User) -> Response:
    """identity starts VK ID; the browser goes there and comes back to the profile."""
    return_to = f"{settings_of(request).public_url}/profile/sferum/done"
    try:
        started = await api.post("identity", "/sferum/link-start", json={"return_to": return_to})
    except ServiceError as exc:
        return await profile_page(request, api, error=exc.message)
    return RedirectResponse(started["url"], status_code=303)


SFERUM_OUTCOME = {
    "denied": "Привязка «Сферум» отменена: доступ не был разрешён.",
    "taken": "Эта учётная запись «Сферум» уже привязана к другому пользователю.",
    "error": "Не удалось привязать «Сферум». Попробуйте ещё раз позже.",
}


@router.get("/profile/sferum/done")
async def sferum_done(request: Request, api: User, sferum: str = "") -> Response:
    """identity sends the browser back with ?sferum=linked|taken|denied|error."""
    if sferum == "linked":
        flash(request, "Учётная запись «Сферум» привязана.")
    else:
        flash(request, SFERUM_OUTCOME.get(sferum, SFERUM_OUTCOME["error"]), "error")
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/sferum/unlink")
async def unlink_sferum(request: Request, api: User) -> Response:
    try:
        await api.delete("identity", "/me/sferum")
    except ServiceError as exc:
        return await profile_page(request, api, error=exc.message)
    flash(request, "Привязка «Сферум» снята.")
    return RedirectResponse("/profile", status_code=303)
