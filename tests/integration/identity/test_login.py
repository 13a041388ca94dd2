"""The Госуслуги login over real HTTP against the ESIA simulator, and the tokens it yields."""

import json
import time
import uuid

import httpx
from psy_contracts import topics
from psy_platform.auth import JwksVerifier
from psy_platform.errors import ApiError

from tests.integration.identity.dance import APP, esia_dance, log_in, me, query, tokens_for
from tests.support.kafka import read_topic
from tests.support.tokens import TestIssuer

ANNA = "1000001"  # a parent of two (one under 14, one of 16), Samara


def esia_account_id(oid: str) -> uuid.UUID:
    return uuid.uuid5(uuid.UUID("6f1c1d2e-8a4b-4c1e-9a51-0e4f2b7c9d10"), f"esia:{oid}")


async def test_login_dance_gives_tokens_that_other_services_verify_by_jwks(
    identity, infra, topic_prefix
) -> None:
    async with httpx.AsyncClient() as client:
        dance = await esia_dance(client, identity.base, ANNA)
        authorize = query(dance.authorize_url)
        assert dance.authorize_url.startswith(identity.settings.esia_url + "/aas/oauth2/ac?")
        assert authorize["code_challenge_method"] == "S256"
        assert authorize["login_hint"] == ANNA
        assert {"state", "nonce", "code_challenge"} <= authorize.keys()
        pair = await tokens_for(client, identity.base, dance.ticket)
        profile = await me(client, identity.base, pair)

    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == identity.settings.access_ttl_seconds
    assert profile["id"] == str(esia_account_id(ANNA))
    assert profile["role"] == "parent"
    assert profile["full_name"] == "Петрова Анна Сергеевна"
    assert profile["email"] == "anna.petrova@demo.test"
    assert profile["region"] == "Самарская область"
    assert profile["timezone"] == "Europe/Samara"
    assert profile["children"] == []
    assert [c["esia_oid"] for c in profile["esia_children"]] == ["1000012", "1000011"]
    assert profile["sferum"] == {"linked": False, "vk_user_id": None}

    # Another service knows only the JWKS URL.
    verifier = JwksVerifier(identity.jwks_url, "psy-identity", "psy")
    principal = await verifier.verify(pair["access_token"])
    assert (principal.id, principal.role) == (esia_account_id(ANNA), "parent")

    received = await read_topic(infra.kafka, topic_prefix + topics.IDENTITY, expect=1)
    events = [json.loads(r.value) for r in received]
    assert [e["type"] for e in events] == ["ru.psy.identity.account.registered.v1"]
    assert events[0]["data"]["account_id"] == str(esia_account_id(ANNA))
    assert events[0]["data"]["birth_date"] is None  # adults' birth dates stay with identity


async def test_second_login_lands_on_the_same_account_without_a_new_registration(
    identity,
) -> None:
    async with httpx.AsyncClient() as client:
        first = await me(client, identity.base, await log_in(client, identity.base, ANNA))
        second = await me(client, identity.base, await log_in(client, identity.base, ANNA))
    assert first["id"] == second["id"]


async def test_tampered_expired_foreign_and_misaddressed_tokens_are_refused(identity) -> None:
    async with httpx.AsyncClient() as client:
        pair = await log_in(client, identity.base, ANNA)
        now_claims = {
            "iss": "psy-identity",
            "aud": "psy",
            "sub": str(esia_account_id(ANNA)),
            "role": "admin",
            "jti": uuid.uuid4().hex,
        }
        now = int(time.time())
        expired = await identity.keyring.sign({**now_claims, "iat": now - 3600, "exp": now - 60})
        wrong_aud = await identity.keyring.sign(
            {**now_claims, "aud": "other", "iat": now, "exp": now + 300}
        )
        header, body, signature = pair["access_token"].split(".")
        forged_body = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
        cases = {
            "forged payload": (f"{header}.{forged_body}.{signature}", "token_invalid"),
            "expired": (expired, "token_expired"),
            "wrong audience": (wrong_aud, "token_invalid"),
            "wrong key": (TestIssuer().token(esia_account_id(ANNA), "admin"), "token_invalid"),
            "no token": (None, "unauthenticated"),
        }
        for name, (token, code) in cases.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await client.get(f"{identity.base}/me", headers=headers)
            assert response.status_code == 401, name
            assert response.json()["error"]["code"] == code, name
            assert response.json()["error"]["message"], name
    # The same tokens fail through another service's JWKS verifier too.
    verifier = JwksVerifier(identity.jwks_url, "psy-identity", "psy")
    for token in (expired, wrong_aud):
        try:
            await verifier.verify(token)
        except ApiError as error:
            assert error.status == 401
        else:
            raise AssertionError("accepted a bad token")


async def test_mismatched_state_replayed_code_and_replayed_ticket_are_refused(identity) -> None:
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        dance = await esia_dance(client, identity.base, ANNA)
        code = query(dance.callback_url)["code"]

        # A state this service never issued (a forged or crossed callback).
        forged = await client.get(
            f"{identity.base}/auth/callback", params={"state": "not-ours", "code": code}
        )
        assert forged.status_code == 400
        assert forged.json()["error"]["code"] == "login_state_invalid"

        # The same callback again: the state was single-use.
        again = await client.get(dance.callback_url)
        assert again.status_code == 400
        assert again.json()["error"]["code"] == "login_state_invalid"

        # The used code under a fresh, valid state: ESIA refuses the replay.
        start = await client.get(
            f"{identity.base}/auth/login", params={"return_to": APP, "login_hint": ANNA}
        )
        fresh_state = query(start.headers["location"])["state"]
        replay = await client.get(
            f"{identity.base}/auth/callback", params={"state": fresh_state, "code": code}
        )
        assert replay.status_code == 400
        assert replay.json()["error"]["code"] == "esia_login_failed"

        first = await client.post(
            f"{identity.base}/auth/token", json={"grant_type": "ticket", "ticket": dance.ticket}
        )
        assert first.status_code == 200
        second = await client.post(
            f"{identity.base}/auth/token", json={"grant_type": "ticket", "ticket": dance.ticket}
        )
        assert second.status_code == 401
        assert second.json()["error"]["code"] == "ticket_invalid"


async def test_a_code_from_another_login_attempt_fails_pkce(identity) -> None:
    """A code intercepted from one browser cannot be finished in another login attempt."""
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        victim = await client.get(
            f"{identity.base}/auth/login", params={"return_to": APP, "login_hint": ANNA}
        )
        victim_code = query((await client.get(victim.headers["location"])).headers["location"])
        attacker = await client.get(
            f"{identity.base}/auth/login", params={"return_to": APP, "login_hint": "1000002"}
        )
        attacker_state = query(attacker.headers["location"])["state"]
        crossed = await client.get(
            f"{identity.base}/auth/callback",
            params={"state": attacker_state, "code": victim_code["code"]},
        )
    assert crossed.status_code == 400
    assert crossed.json()["error"]["code"] == "esia_login_failed"


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_login(identity) -> None:
    async with httpx.AsyncClient() as client:

        async def refresh(token: str) -> httpx.Response:
            return await client.post(
                f"{identity.base}/auth/token",
                json={"grant_type": "refresh_token", "refresh_token": token},
            )

        first = await log_in(client, identity.base, ANNA)
        rotated = await refresh(first["refresh_token"])
        assert rotated.status_code == 200
        second = rotated.json()
        assert second["refresh_token"] != first["refresh_token"]
        await me(client, identity.base, second)

        replayed = await refresh(first["refresh_token"])
        assert replayed.status_code == 401
        assert replayed.json()["error"]["code"] == "refresh_token_reused"
        # The thief's replay also killed the legitimate holder's newer token.
        after = await refresh(second["refresh_token"])
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "refresh_token_invalid"

        # Another login is a separate family and still works; logout ends it.
        other = await log_in(client, identity.base, ANNA)
        out = await client.post(
            f"{identity.base}/auth/logout", json={"refresh_token": other["refresh_token"]}
        )
        assert out.status_code == 204
        assert (await refresh(other["refresh_token"])).status_code == 401
        garbage = await refresh("never-issued")
        assert garbage.json()["error"]["code"] == "refresh_token_invalid"


async def test_a_child_under_14_is_refused_with_a_page_in_russian(identity) -> None:
    async with httpx.AsyncClient(headers={"Accept": "text/html"}) as client:
        start = await client.get(
            f"{identity.base}/auth/login", params={"return_to": APP, "login_hint": "1000011"}
        )
        callback = (await client.get(start.headers["location"])).headers["location"]
        refused = await client.get(callback)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "младше 14 лет" in refused.text
    assert "child_under_14" in refused.text


async def test_return_to_outside_the_allow_list_is_refused(identity) -> None:
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        for bad in ("https://evil.example/", "http://127.0.0.1.evil.example:8000/", "//evil"):
            response = await client.get(f"{identity.base}/auth/login", params={"return_to": bad})
            assert response.status_code == 400, bad
            assert response.json()["error"]["code"] == "return_to_not_allowed"


async def test_the_esia_choice_page_lists_the_demo_people(identity) -> None:
    async with httpx.AsyncClient() as client:
        start = await client.get(f"{identity.base}/auth/login", params={"return_to": APP})
        page = await client.get(start.headers["location"])
    assert page.status_code == 200
    assert "Петрова Анна Сергеевна" in page.text
    assert "login_hint=1000001" in page.text
