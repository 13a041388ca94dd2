"""Login, tokens and keys: /auth/*, /.well-known/jwks.json."""

import html
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from psy_platform.errors import ApiError, error_body
from pydantic import BaseModel, Field

from psy_identity import login, tokens
from psy_identity.context import IdentityDep

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    grant_type: Literal["ticket", "refresh_token"]
    ticket: Annotated[str | None, Field(max_length=200)] = None
    refresh_token: Annotated[str | None, Field(max_length=200)] = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class LogoutRequest(BaseModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refusal(request: Request, error: ApiError) -> Response:
    """A browser gets a page it can read; an API client the usual error body."""
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(error_body(error.code, error.message), status_code=error.status)
    page = (
        "<!doctype html><html lang=ru><meta charset=utf-8><title>Вход не выполнен</title>"
        f"<h1>Вход не выполнен</h1><p>{html.escape(error.message)}</p>"
        f"<p><small>Код: {html.escape(error.code)}</small></p></html>"
    )
    return HTMLResponse(page, status_code=error.status)


@router.get("/auth/login", status_code=302, response_class=RedirectResponse)
async def auth_login(
    identity: IdentityDep,
    request: Request,
    return_to: Annotated[str, Query(max_length=2000)],
    login_hint: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Start the Госуслуги login: 302 to ESIA (code flow with PKCE, state and nonce)."""
    try:
        url = await login.start(identity, return_to, login_hint, _client_ip(request))
    except ApiError as error:
        return refusal(request, error)
    return RedirectResponse(url, status_code=302)


@router.get("/auth/callback", status_code=302, response_class=RedirectResponse)
async def auth_callback(
    identity: IdentityDep,
    request: Request,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """ESIA returns here; 302 to return_to?ticket=T (one-time, short-lived)."""
    try:
        url = await login.finish(identity, state, code, error)
    except ApiError as refused:
        return refusal(request, refused)
    return RedirectResponse(url, status_code=302)


@router.post("/auth/token")
async def auth_token(identity: IdentityDep, body: TokenRequest) -> TokenPair:
    """Exchange a login ticket, or rotate a refresh token, for a new token pair."""
    if body.grant_type == "ticket":
        pair = await login.redeem_ticket(identity, body.ticket or "")
    else:
        if not body.refresh_token:
            raise tokens.INVALID_REFRESH
        pair = await tokens.rotate(
            identity.db, identity.keyring, identity.policy, body.refresh_token
        )
    return TokenPair.model_validate(pair)


@router.post("/auth/logout", status_code=204)
async def auth_logout(identity: IdentityDep, body: LogoutRequest) -> Response:
    """End this login: its refresh tokens stop working (access tokens expire on their own)."""
    await tokens.logout(identity.db, body.refresh_token)
    return Response(status_code=204)


@router.get("/.well-known/jwks.json")
async def jwks(identity: IdentityDep, response: Response) -> dict[str, object]:
    """Public keys of access tokens: the active one, the next one, and retired ones still needed."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return await identity.keyring.jwks()
