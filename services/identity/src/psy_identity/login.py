"""The ESIA login: redirect to ESIA, take the user back, register the account, hand out a ticket."""

import logging
import uuid
from datetime import UTC, datetime

from psy_platform.errors import ApiError

from psy_identity import accounts, tokens
from psy_identity.context import Identity
from psy_identity.domain import (
    ADULT_AGE,
    LoginRefused,
    age_on,
    digest,
    new_secret,
    return_to_allowed,
    with_query,
)
from psy_identity.esia import EsiaError

log = logging.getLogger(__name__)

TOO_MANY = ApiError(
    429, "too_many_logins", "Слишком много попыток входа. Подождите минуту и попробуйте снова."
)


def check_return_to(identity: Identity, return_to: str) -> None:
    s = identity.settings
    if not return_to_allowed(return_to, s.return_to_prefix_list, s.loopback_return_to):
        raise ApiError(400, "return_to_not_allowed", "Недопустимый адрес возврата после входа.")


async def _limit(identity: Identity, bucket: str, limit: int) -> None:
    window = identity.settings.login_limit_window_seconds
    if not await identity.flows.within_limit(bucket, limit, window):
        raise TOO_MANY


async def start(identity: Identity, return_to: str, login_hint: str | None, ip: str) -> str:
    """The ESIA authorize URL; the state, PKCE verifier and nonce wait in Redis."""
    check_return_to(identity, return_to)
    await _limit(identity, f"ip:{ip}", identity.settings.login_limit_per_ip)
    redirect_uri = identity.public_url("/auth/callback")
    request = await identity.esia.authorization(redirect_uri, login_hint)
    await identity.flows.put(
        "login",
        digest(request.state),
        {
            "verifier": request.code_verifier,
            "nonce": request.nonce,
            "return_to": return_to,
            "redirect_uri": redirect_uri,
        },
        identity.settings.login_state_ttl_seconds,
    )
    return request.url


async def finish(identity: Identity, state: str, code: str, error: str | None) -> str:
    """ESIA came back: where to send the browser (return_to with a one-time ticket)."""
    flow = await identity.flows.take("login", digest(state)) if state else None
    if flow is None:
        raise ApiError(
            400,
            "login_state_invalid",
            "Сеанс входа устарел или уже использован. Начните вход заново.",
        )
    if error or not code:
        return with_query(flow["return_to"], error="esia_denied")
    try:
        login = await identity.esia.exchange(
            code, flow["verifier"], flow["nonce"], flow["redirect_uri"]
        )
    except EsiaError as exc:
        log.warning("ESIA login failed: %s", exc)
        raise ApiError(
            400, "esia_login_failed", "Госуслуги не подтвердили вход. Начните вход заново."
        ) from exc
    await _limit(identity, f"account:{login.oid}", identity.settings.login_limit_per_account)
    try:
        person = await identity.esia.person(login.oid, login.access_token)
        today = datetime.now(UTC).date()
        adult = age_on(person.birth_date, today) >= ADULT_AGE
        kids = await identity.esia.kids(login.oid, login.access_token) if adult else []
    except (EsiaError, LookupError) as exc:
        log.warning("ESIA person read failed: %s", exc)
        raise ApiError(
            502, "esia_unavailable", "Не удалось получить данные из Госуслуг. Попробуйте позже."
        ) from exc
    try:
        async with identity.db.transaction() as session:
            account = await accounts.register_login(
                session, person, kids, today, identity.settings.admin_oid_set
            )
    except LoginRefused as refused:
        raise ApiError(403, refused.code, refused.message) from refused
    ticket = new_secret()
    await identity.flows.put(
        "ticket",
        digest(ticket),
        {"account_id": str(account.id)},
        identity.settings.ticket_ttl_seconds,
    )
    return with_query(flow["return_to"], ticket=ticket)


async def redeem_ticket(identity: Identity, ticket: str) -> dict[str, object]:
    held = await identity.flows.take("ticket", digest(ticket)) if ticket else None
    if held is None:
        raise ApiError(
            401, "ticket_invalid", "Код входа недействителен или уже использован. Войдите снова."
        )
    return await tokens.issue(
        identity.db, identity.keyring, identity.policy, uuid.UUID(held["account_id"])
    )
