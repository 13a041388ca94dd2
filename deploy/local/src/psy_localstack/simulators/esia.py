"""ESIA (Госуслуги) simulator: OAuth 2.0 / OIDC endpoints and person reads over the demo people.

Paths as ESIA's own: /aas/oauth2/ac (authorize), /aas/oauth2/te (token), /aas/oauth2/jwks (the
simulator's signing key; real ESIA publishes a GOST certificate instead), /rs/prns/{oid},
/rs/prns/{oid}/addrs, /rs/prns/{oid}/kids. `login_hint=<oid>` approves at once (scripts, tests).
Not checked here, unlike real ESIA: the client's GOST-signed secret, timestamp and certificates.
State lives in this process's memory: the simulator is one process.
"""

import base64
import hashlib
import html
import os
import secrets
import time
import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from psy_localstack import demo
from psy_localstack.simulators.oauth_common import forget_expired, oauth_error, redirect_with

router = APIRouter()

# Registered clients: client_id → secret (the identity service's local defaults).
CLIENTS = {
    os.environ.get("ESIA_SIM_CLIENT_ID", "psy-identity"): os.environ.get(
        "ESIA_SIM_CLIENT_SECRET", "local-dev-secret"
    )
}
CODE_TTL = 120
TOKEN_TTL = 3600

_KEY = RSAKey.generate_key(2048, {"kid": uuid.uuid4().hex, "alg": "RS256", "use": "sig"})
_codes: dict[str, dict[str, object]] = {}
_tokens: dict[str, tuple[str, float]] = {}  # access token → (oid or "client:<id>", expires)
SYSTEM = "client:"


def _forget_expired() -> None:
    forget_expired(_tokens, _codes)


def _person(oid: str) -> demo.Person | None:
    return demo.by_oid(oid)


@router.get("/aas/oauth2/ac", response_model=None)
async def authorize(
    request: Request,
    client_id: str = "",
    redirect_uri: str = "",
    response_type: str = "",
    scope: str = "",
    state: str = "",
    nonce: str = "",
    code_challenge: str = "",
    code_challenge_method: str = "",
    login_hint: str | None = None,
) -> HTMLResponse | JSONResponse | RedirectResponse:
    if client_id not in CLIENTS or not redirect_uri.startswith(("http://", "https://")):
        return oauth_error(400, "invalid_client", "unknown client_id or bad redirect_uri")
    if response_type != "code" or "openid" not in scope.split():
        return redirect_with(redirect_uri, error="invalid_request", state=state)
    if not state or not nonce or not code_challenge or code_challenge_method != "S256":
        return redirect_with(
            redirect_uri, error="invalid_request", error_description="state, nonce, PKCE S256"
        )
    if login_hint is None:
        return HTMLResponse(_chooser(request))
    person = _person(login_hint)
    if person is None:
        return redirect_with(redirect_uri, error="access_denied", state=state)
    code = secrets.token_urlsafe(24)
    _codes[code] = {
        "oid": person.oid,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "challenge": code_challenge,
        "nonce": nonce,
        "expires": time.time() + CODE_TTL,
    }
    return redirect_with(redirect_uri, code=code, state=state)


def _chooser(request: Request) -> str:
    """The «log in as» page: one link per demo person."""
    query = dict(request.query_params)
    items = []
    for p in demo.FIXED:
        href = html.escape(f"{request.url.path}?{urlencode({**query, 'login_hint': p.oid})}")
        items.append(
            f'<li><a href="{href}">{html.escape(p.full_name)}</a> — {p.role}, '
            f"{p.birth_date:%d.%m.%Y}, oid {p.oid}</li>"
        )
    return (
        "<!doctype html><html lang=ru><meta charset=utf-8><title>Госуслуги (симулятор)</title>"
        "<h1>Вход через Госуслуги — симулятор</h1><p>Выберите, кем войти:</p>"
        f"<ul>{''.join(items)}</ul></html>"
    )


def _issue_access(subject: str) -> str:
    _forget_expired()
    token = secrets.token_urlsafe(32)
    _tokens[token] = (subject, time.time() + TOKEN_TTL)
    return token


@router.post("/aas/oauth2/te", response_model=None)
async def token(
    request: Request,
    grant_type: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    redirect_uri: Annotated[str, Form()] = "",
    code_verifier: Annotated[str, Form()] = "",
) -> JSONResponse:
    if CLIENTS.get(client_id) is None or CLIENTS[client_id] != client_secret:
        return oauth_error(401, "invalid_client", "client authentication failed")
    if grant_type == "client_credentials":
        return JSONResponse(
            {
                "access_token": _issue_access(SYSTEM + client_id),
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL,
            }
        )
    if grant_type != "authorization_code":
        return oauth_error(400, "unsupported_grant_type", grant_type)
    grant = _codes.pop(code, None)  # single use, even when the rest is wrong
    if grant is None or float(grant["expires"]) < time.time():  # type: ignore[arg-type]
        return oauth_error(400, "invalid_grant", "unknown, used or expired code")
    if grant["client_id"] != client_id or grant["redirect_uri"] != redirect_uri:
        return oauth_error(400, "invalid_grant", "client_id or redirect_uri mismatch")
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    if not code_verifier or challenge != grant["challenge"]:
        return oauth_error(400, "invalid_grant", "PKCE verification failed")
    oid = str(grant["oid"])
    now = int(time.time())
    id_token = jwt.encode(
        {"alg": "RS256", "kid": _KEY.kid},
        {
            "iss": str(request.base_url),
            "aud": client_id,
            "sub": oid,
            "nonce": grant["nonce"],
            "iat": now,
            "auth_time": now,
            "exp": now + TOKEN_TTL,
            "amr": "PWD",
        },
        _KEY,
    )
    return JSONResponse(
        {
            "access_token": _issue_access(oid),
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "state": uuid.uuid4().hex,
        }
    )


@router.get("/aas/oauth2/jwks")
async def jwks() -> dict[str, object]:
    return dict(KeySet([_KEY]).as_dict(private=False))


def _caller(authorization: str | None, oid: str) -> JSONResponse | None:
    """None when the bearer may read `oid`: the person themselves or a registered client."""
    scheme, _, value = (authorization or "").partition(" ")
    subject, expires = _tokens.get(value.strip(), ("", 0.0))
    if scheme.lower() != "bearer" or expires < time.time():
        return oauth_error(401, "invalid_token", "missing, unknown or expired access token")
    if subject != oid and not subject.startswith(SYSTEM):
        return oauth_error(403, "access_denied", "token of another person")
    return None


def _record(p: demo.Person) -> dict[str, object]:
    return {
        "oid": p.oid,
        "lastName": p.last_name,
        "firstName": p.first_name,
        "middleName": p.middle_name,
        "birthDate": f"{p.birth_date:%d.%m.%Y}",
        "gender": "F" if p.middle_name.endswith("на") else "M",
    }


@router.get("/rs/prns/{oid}", response_model=None)
async def person(
    oid: str, authorization: Annotated[str | None, Header()] = None
) -> dict[str, object] | JSONResponse:
    refused = _caller(authorization, oid)
    if refused:
        return refused
    p = _person(oid)
    if p is None:
        return oauth_error(404, "not_found", "no such person")
    return {**_record(p), "trusted": True, "email": p.email}


@router.get("/rs/prns/{oid}/addrs", response_model=None)
async def addresses(
    oid: str, authorization: Annotated[str | None, Header()] = None
) -> dict[str, object] | JSONResponse:
    refused = _caller(authorization, oid)
    if refused:
        return refused
    p = _person(oid)
    if p is None:
        return oauth_error(404, "not_found", "no such person")
    return {
        "elements": [
            {"type": "PRG", "region": p.region.name, "city": p.region.city, "countryId": "RUS"}
        ]
    }


@router.get("/rs/prns/{oid}/kids", response_model=None)
async def kids(
    oid: str,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, object] | JSONResponse:
    refused = _caller(authorization, oid)
    if refused:
        return refused
    p = _person(oid)
    if p is None:
        return oauth_error(404, "not_found", "no such person")
    children = [c for c in (_person(k) for k in p.children) if c is not None]
    return {"elements": [_record(c) for c in children], "size": len(children)}
