"""VK ID simulator (mounted under /vkid): OAuth 2.1 authorization code with PKCE, token, user info.

Paths follow id.vk.com: /authorize, /oauth2/auth (token), /oauth2/user_info. `auto=1` approves at
once (scripts, tests) as VK user `user_id` (default 100500); without it a page asks to allow.
State lives in this process's memory: the simulator is one process.
"""

import base64
import hashlib
import html
import secrets
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from psy_localstack.simulators.oauth_common import forget_expired, oauth_error, redirect_with

router = APIRouter()

DEFAULT_USER = "100500"
CODE_TTL = 600
TOKEN_TTL = 3600
_codes: dict[str, dict[str, object]] = {}
_tokens: dict[str, tuple[str, float]] = {}  # access token → (VK user id, expires)


def _forget_expired() -> None:
    forget_expired(_tokens, _codes)


@router.get("/authorize", response_model=None)
async def authorize(
    request: Request,
    client_id: str = "",
    redirect_uri: str = "",
    response_type: str = "",
    state: str = "",
    code_challenge: str = "",
    code_challenge_method: str = "",
    auto: str = "",
    user_id: str = DEFAULT_USER,
    deny: str = "",
) -> HTMLResponse | JSONResponse | RedirectResponse:
    if not client_id or not redirect_uri.startswith(("http://", "https://")):
        return oauth_error(400, "invalid_client", "client_id and redirect_uri are required")
    if response_type != "code" or not state or not code_challenge:
        return redirect_with(redirect_uri, error="invalid_request", state=state)
    if code_challenge_method != "S256":  # OAuth 2.1: plain PKCE is not accepted
        return redirect_with(redirect_uri, error="invalid_request", state=state)
    if deny:
        return redirect_with(redirect_uri, error="access_denied", state=state)
    if auto != "1":
        query = dict(request.query_params)
        allow = html.escape(f"{request.url.path}?{urlencode({**query, 'auto': '1'})}")
        refuse = html.escape(f"{request.url.path}?{urlencode({**query, 'deny': '1'})}")
        return HTMLResponse(
            "<!doctype html><html lang=ru><meta charset=utf-8><title>VK ID (симулятор)</title>"
            "<h1>VK ID — симулятор</h1><p>Приложение «Цифровой психолог» просит доступ "
            f'к вашему профилю VK.</p><p><a href="{allow}">Разрешить</a> · '
            f'<a href="{refuse}">Отказать</a></p></html>'
        )
    code = secrets.token_urlsafe(24)
    _codes[code] = {
        "user_id": user_id,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "challenge": code_challenge,
        "expires": time.time() + CODE_TTL,
    }
    device_id = secrets.token_hex(8)
    return redirect_with(redirect_uri, code=code, state=state, device_id=device_id, type="code_v2")


@router.post("/oauth2/auth", response_model=None)
async def token(
    grant_type: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    redirect_uri: Annotated[str, Form()] = "",
    code_verifier: Annotated[str, Form()] = "",
    device_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> JSONResponse:
    if grant_type != "authorization_code":
        return oauth_error(400, "unsupported_grant_type", grant_type)
    grant = _codes.pop(code, None)
    if grant is None or float(grant["expires"]) < time.time():  # type: ignore[arg-type]
        return oauth_error(400, "invalid_grant", "unknown, used or expired code")
    if grant["client_id"] != client_id or grant["redirect_uri"] != redirect_uri:
        return oauth_error(400, "invalid_grant", "client_id or redirect_uri mismatch")
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    if challenge != grant["challenge"]:
        return oauth_error(400, "invalid_grant", "PKCE verification failed")
    _forget_expired()
    access = secrets.token_urlsafe(32)
    user = str(grant["user_id"])
    _tokens[access] = (user, time.time() + TOKEN_TTL)
    return JSONResponse(
        {
            "access_token": access,
            "refresh_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "user_id": int(user) if user.isdigit() else user,  # VK sends a number
            "state": state,
            "scope": "vkid.personal_info",
        }
    )


@router.post("/oauth2/user_info", response_model=None)
async def user_info(
    client_id: Annotated[str, Form()] = "",
    access_token: Annotated[str, Form()] = "",
) -> JSONResponse:
    user, expires = _tokens.get(access_token, ("", 0.0))
    if not client_id or expires < time.time():
        return oauth_error(401, "invalid_token", "missing, unknown or expired access token")
    return JSONResponse(
        {"user": {"user_id": user, "first_name": "Пользователь", "last_name": f"VK {user}"}}
    )
