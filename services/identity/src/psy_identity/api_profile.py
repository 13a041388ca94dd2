"""The caller's profile: /me, children, Сферум; and admin provisioning of psychologists."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from psy_platform.auth import CurrentUser, Principal
from psy_platform.errors import ApiError
from pydantic import BaseModel, Field
from sqlalchemy.engine import Row

from psy_identity import accounts, family, sferum, store
from psy_identity.api import refusal
from psy_identity.context import IdentityDep
from psy_identity.domain import full_name
from psy_identity.esia import EsiaError

router = APIRouter(tags=["profile"])

EsiaOid = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9]+$")]


class Child(BaseModel):
    id: uuid.UUID
    esia_oid: str
    full_name: str
    birth_date: date


class EsiaChild(BaseModel):
    esia_oid: str
    full_name: str
    birth_date: date
    linked: bool


class Parent(BaseModel):
    id: uuid.UUID
    full_name: str


class SferumState(BaseModel):
    linked: bool
    vk_user_id: str | None = None


class Me(BaseModel):
    id: uuid.UUID
    role: str
    full_name: str
    email: str | None
    region: str | None
    timezone: str
    birth_date: date
    children: list[Child]
    esia_children: list[EsiaChild]
    parents: list[Parent]
    sferum: SferumState


class Account(BaseModel):
    id: uuid.UUID
    esia_oid: str
    role: str
    full_name: str
    email: str | None
    region: str | None
    timezone: str


class LinkChild(BaseModel):
    esia_oid: EsiaOid


class ProvisionPsychologist(BaseModel):
    esia_oid: EsiaOid


class LinkStart(BaseModel):
    return_to: Annotated[str, Field(min_length=1, max_length=2000)]


class LinkUrl(BaseModel):
    url: str


def require(user: Principal, *roles: str) -> None:
    if user.role not in roles:
        raise ApiError(403, "forbidden", "Это действие недоступно для вашей роли.")


def _name(row: Row[Any]) -> str:
    return full_name(row.last_name, row.first_name, row.middle_name)


def _child(row: Row[Any]) -> Child:
    return Child(id=row.id, esia_oid=row.esia_oid, full_name=_name(row), birth_date=row.birth_date)


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        esia_oid=row.esia_oid,
        role=row.role,
        full_name=_name(row),
        email=row.email,
        region=row.region,
        timezone=row.timezone,
    )


@router.get("/me")
async def me(identity: IdentityDep, user: CurrentUser) -> Me:
    """Who I am, my linked children, the children ESIA lists for me, my Сферум link."""
    async with identity.db.transaction() as session:
        row = await accounts.get_account(session, user.id)
        children = await store.linked_children(session, row.id)
        listed = await store.esia_children_of(session, row.id)
        parents = await store.linked_parents(session, row.id)
        vk_user_id = await store.sferum_of(session, row.id)
    linked_oids = {c.esia_oid for c in children}
    return Me(
        id=row.id,
        role=row.role,
        full_name=_name(row),
        email=row.email,
        region=row.region,
        timezone=row.timezone,
        birth_date=row.birth_date,
        children=[_child(c) for c in children],
        esia_children=[
            EsiaChild(
                esia_oid=k.esia_oid,
                full_name=_name(k),
                birth_date=k.birth_date,
                linked=k.esia_oid in linked_oids,
            )
            for k in listed
        ],
        parents=[Parent(id=p.id, full_name=_name(p)) for p in parents],
        sferum=SferumState(linked=vk_user_id is not None, vk_user_id=vk_user_id),
    )


@router.post("/me/children", status_code=201, responses={200: {"model": Child}})
async def link_child(
    identity: IdentityDep, user: CurrentUser, body: LinkChild, response: Response
) -> Child:
    """Link a child from my ESIA list (201); the same request again changes nothing (200)."""
    require(user, "parent")
    async with identity.db.transaction() as session:
        parent = await accounts.get_account(session, user.id)
        child, newly = await family.link_child(
            session, parent, body.esia_oid, datetime.now(UTC).date()
        )
    response.status_code = 201 if newly else 200
    return _child(child)


@router.delete("/me/children/{child_id}", status_code=204)
async def unlink_child(identity: IdentityDep, user: CurrentUser, child_id: uuid.UUID) -> Response:
    require(user, "parent")
    async with identity.db.transaction() as session:
        await family.unlink_child(session, user.id, child_id)
    return Response(status_code=204)


@router.post("/sferum/link-start")
async def sferum_link_start(identity: IdentityDep, user: CurrentUser, body: LinkStart) -> LinkUrl:
    """The VK ID URL to send the browser to; the link lands on the caller's account."""
    return LinkUrl(url=await sferum.start(identity, user.id, body.return_to))


@router.get("/sferum/link", status_code=302, response_class=RedirectResponse)
async def sferum_link(
    identity: IdentityDep,
    user: CurrentUser,
    return_to: Annotated[str, Query(max_length=2000)],
) -> Response:
    """The same as link-start, answered with the redirect itself."""
    return RedirectResponse(await sferum.start(identity, user.id, return_to), status_code=302)


@router.get("/sferum/callback", status_code=302, response_class=RedirectResponse)
async def sferum_callback(
    identity: IdentityDep,
    request: Request,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
    device_id: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """VK ID returns here: link, then 302 to return_to?sferum=linked|taken|denied|error."""
    try:
        url = await sferum.finish(identity, state, code, device_id, error)
    except ApiError as refused:
        return refusal(request, refused)
    return RedirectResponse(url, status_code=302)


@router.delete("/me/sferum", status_code=204)
async def sferum_unlink(identity: IdentityDep, user: CurrentUser) -> Response:
    await sferum.unlink(identity, user.id)
    return Response(status_code=204)


@router.post("/admin/psychologists", status_code=201, responses={200: {"model": Account}})
async def provision_psychologist(
    identity: IdentityDep, user: CurrentUser, body: ProvisionPsychologist, response: Response
) -> Account:
    """Register a psychologist account for an ESIA person (admin only; 200 if it exists)."""
    require(user, "admin")
    try:
        token = await identity.esia.service_token()
        person = await identity.esia.person(body.esia_oid, token)
    except LookupError as exc:
        raise ApiError(404, "esia_person_not_found", "В Госуслугах нет такого человека.") from exc
    except EsiaError as exc:
        raise ApiError(
            502, "esia_unavailable", "Не удалось получить данные из Госуслуг. Попробуйте позже."
        ) from exc
    async with identity.db.transaction() as session:
        row, created = await accounts.provision_psychologist(session, person)
    response.status_code = 201 if created else 200
    return _account(row)
