"""Who may call what: every endpoint refuses a missing token and the wrong role."""

import time
import uuid

import httpx
import pytest

from tests.integration.identity.dance import bearer, log_in, me

# (method, path, body, roles allowed)
ENDPOINTS = [
    ("GET", "/me", None, {"parent", "child", "psychologist", "admin"}),
    ("POST", "/me/children", {"esia_oid": "1000012"}, {"parent"}),
    ("DELETE", f"/me/children/{uuid.uuid4()}", None, {"parent"}),
    ("DELETE", "/me/sferum", None, {"parent", "child", "psychologist", "admin"}),
    (
        "POST",
        "/sferum/link-start",
        {"return_to": "http://127.0.0.1:9/"},
        {"parent", "child", "psychologist", "admin"},
    ),
    (
        "GET",
        "/sferum/link?return_to=http://127.0.0.1:9/",
        None,
        {"parent", "child", "psychologist", "admin"},
    ),
    ("POST", "/admin/psychologists", {"esia_oid": "2000001"}, {"admin"}),
]
ROLES = ("parent", "child", "psychologist", "admin")


async def token_for(identity, role: str) -> str:  # type: ignore[no-untyped-def]
    now = int(time.time())
    return await identity.keyring.sign(
        {
            "iss": "psy-identity",
            "aud": "psy",
            "sub": str(uuid.uuid4()),
            "role": role,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
    )


async def test_no_token_and_wrong_role_are_refused_everywhere(identity) -> None:
    async with httpx.AsyncClient(base_url=identity.base) as client:
        for method, path, body, allowed in ENDPOINTS:
            anonymous = await client.request(method, path, json=body)
            assert anonymous.status_code == 401, (method, path)
            assert anonymous.json()["error"]["code"] == "unauthenticated"
            for role in set(ROLES) - allowed:
                headers = {"Authorization": f"Bearer {await token_for(identity, role)}"}
                refused = await client.request(method, path, json=body, headers=headers)
                assert refused.status_code == 403, (method, path, role)
                assert refused.json()["error"]["code"] == "forbidden"


async def test_an_admin_provisions_a_psychologist_who_then_logs_in_as_one(identity) -> None:
    async with httpx.AsyncClient(base_url=identity.base) as client:
        admin = await log_in(client, identity.base, "1000090")
        assert (await me(client, identity.base, admin))["role"] == "admin"

        async def provision(oid: str) -> httpx.Response:
            return await client.post(
                "/admin/psychologists", json={"esia_oid": oid}, headers=bearer(admin)
            )

        created = await provision("2000003")
        assert created.status_code == 201, created.text
        assert created.json()["role"] == "psychologist"
        assert created.json()["timezone"] == "Asia/Vladivostok"
        assert created.json()["id"] == str(
            uuid.uuid5(uuid.UUID("6f1c1d2e-8a4b-4c1e-9a51-0e4f2b7c9d10"), "esia:2000003")
        )
        assert (await provision("2000003")).status_code == 200
        missing = await provision("9999999")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "esia_person_not_found"
        await log_in(client, identity.base, "1000002")  # a parent already
        clash = await provision("1000002")
        assert clash.status_code == 409

        psychologist = await log_in(client, identity.base, "2000003")
        profile = await me(client, identity.base, psychologist)
        assert profile["role"] == "psychologist"
        assert profile["id"] == created.json()["id"]


@pytest.mark.parametrize("identity_overrides", [{"login_limit_per_ip": 2}])
async def test_logins_from_one_address_are_rate_limited(identity) -> None:
    async with httpx.AsyncClient(base_url=identity.base) as client:
        params = {"return_to": "http://127.0.0.1:9/"}
        statuses = [(await client.get("/auth/login", params=params)).status_code for _ in range(3)]
        limited = await client.get(
            "/auth/login", params=params, headers={"Accept": "application/json"}
        )
    assert statuses == [302, 302, 429]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_logins"
    assert "попыток входа" in limited.json()["error"]["message"]


@pytest.mark.parametrize("identity_overrides", [{"login_limit_per_account": 1}])
async def test_logins_to_one_account_are_rate_limited(identity) -> None:
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        await log_in(client, identity.base, "1000002")
        start = await client.get(
            f"{identity.base}/auth/login",
            params={"return_to": "http://127.0.0.1:9/", "login_hint": "1000002"},
        )
        callback = (await client.get(start.headers["location"])).headers["location"]
        limited = await client.get(callback)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_logins"
