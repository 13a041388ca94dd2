"""Сферум: link the caller's VK account through VK ID, or unlink it."""

import logging
import uuid

from psy_contracts.events.identity import SferumLinked
from psy_platform.errors import ApiError
from psy_platform.outbox import stage
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from psy_identity import store
from psy_identity.context import Identity
from psy_identity.domain import digest, with_query
from psy_identity.login import check_return_to
from psy_identity.vkid import VkIdError

log = logging.getLogger(__name__)


async def start(identity: Identity, account_id: uuid.UUID, return_to: str) -> str:
    """The VK ID authorize URL. No token rides the browser there: the state names the caller."""
    check_return_to(identity, return_to)
    redirect_uri = identity.public_url("/sferum/callback")
    request = await identity.vkid.authorization(redirect_uri)
    await identity.flows.put(
        "vk",
        digest(request.state),
        {
            "account_id": str(account_id),
            "verifier": request.code_verifier,
            "return_to": return_to,
            "redirect_uri": redirect_uri,
        },
        identity.settings.login_state_ttl_seconds,
    )
    return request.url


async def finish(
    identity: Identity, state: str, code: str, device_id: str, error: str | None
) -> str:
    flow = await identity.flows.take("vk", digest(state)) if state else None
    if flow is None:
        raise ApiError(
            400,
            "link_state_invalid",
            "Сеанс привязки «Сферум» устарел или уже использован. Начните привязку заново.",
        )
    return_to = flow["return_to"]
    if error or not code:
        return with_query(return_to, sferum="denied")
    try:
        vk_user_id = await identity.vkid.user_id(
            code, flow["verifier"], device_id, state, flow["redirect_uri"]
        )
    except VkIdError as exc:
        log.warning("VK ID exchange failed: %s", exc)
        return with_query(return_to, sferum="error")
    linked = await link(identity, uuid.UUID(flow["account_id"]), vk_user_id)
    return with_query(return_to, sferum="linked" if linked else "taken")


async def link(identity: Identity, account_id: uuid.UUID, vk_user_id: str) -> bool:
    """False when this VK account is already linked to someone else."""
    try:
        return await _link(identity, account_id, vk_user_id)
    except IntegrityError:  # a parallel request linked this VK account to someone else
        return False


async def _link(identity: Identity, account_id: uuid.UUID, vk_user_id: str) -> bool:
    t = store.sferum_link
    async with identity.db.transaction() as session:
        owner = await session.scalar(select(t.c.account_id).where(t.c.vk_user_id == vk_user_id))
        if owner is not None and owner != account_id:
            return False
        if owner == account_id:
            return True  # the same link again: nothing new to tell anyone
        await session.execute(
            insert(t)
            .values(account_id=account_id, vk_user_id=vk_user_id)
            .on_conflict_do_update(index_elements=[t.c.account_id], set_={"vk_user_id": vk_user_id})
        )
        await stage(
            session,
            store.outbox,
            SferumLinked(account_id=account_id, vk_user_id=vk_user_id),
            account_id,
        )
    return True


async def unlink(identity: Identity, account_id: uuid.UUID) -> None:
    async with identity.db.transaction() as session:
        await session.execute(
            delete(store.sferum_link).where(store.sferum_link.c.account_id == account_id)
        )
