"""Сферум: linking a VK account through the VK ID simulator, and unlinking it."""

import json

import httpx
from psy_contracts import topics

from tests.integration.identity.dance import bearer, log_in, me, query
from tests.support.kafka import read_topic

PROFILE = "http://127.0.0.1:9/profile"


async def link_vk(client: httpx.AsyncClient, base: str, pair: dict[str, str], vk_user: str) -> str:
    """link-start → VK ID (approved at once as `vk_user`) → callback; where the browser lands."""
    started = await client.post(
        f"{base}/sferum/link-start", json={"return_to": PROFILE}, headers=bearer(pair)
    )
    assert started.status_code == 200, started.text
    url = started.json()["url"]
    assert query(url)["code_challenge_method"] == "S256"
    # A script approves at once, as a chosen VK user (the simulator's auto mode).
    approved = await client.get(f"{url}&auto=1&user_id={vk_user}")
    assert approved.status_code == 302, approved.text
    callback = approved.headers["location"]
    landed = await client.get(callback)
    assert landed.status_code == 302, landed.text
    return landed.headers["location"]


async def test_link_shows_on_me_emits_sferum_linked_and_unlink_clears_it(
    identity, infra, topic_prefix
) -> None:
    base = identity.base
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        anna = await log_in(client, base, "1000001")
        landed = await link_vk(client, base, anna, "777001")
        assert landed == f"{PROFILE}?sferum=linked"
        profile = await me(client, base, anna)
        assert profile["sferum"] == {"linked": True, "vk_user_id": "777001"}

        # The same VK account cannot be linked to a second person.
        dmitry = await log_in(client, base, "1000002")
        taken = await link_vk(client, base, dmitry, "777001")
        assert taken == f"{PROFILE}?sferum=taken"
        assert (await me(client, base, dmitry))["sferum"]["linked"] is False

        unlinked = await client.delete(f"{base}/me/sferum", headers=bearer(anna))
        assert unlinked.status_code == 204
        assert (await me(client, base, anna))["sferum"] == {"linked": False, "vk_user_id": None}

    received = await read_topic(infra.kafka, topic_prefix + topics.IDENTITY, expect=3)
    linked = [json.loads(r.value) for r in received if b"sferum.linked" in r.value]
    assert [e["data"] for e in linked] == [{"account_id": profile["id"], "vk_user_id": "777001"}]


async def test_a_replayed_or_forged_vk_callback_is_refused(identity) -> None:
    base = identity.base
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        anna = await log_in(client, base, "1000001")
        started = await client.post(
            f"{base}/sferum/link-start", json={"return_to": PROFILE}, headers=bearer(anna)
        )
        approved = await client.get(started.json()["url"] + "&auto=1")
        callback = approved.headers["location"]
        assert (await client.get(callback)).status_code == 302
        replay = await client.get(callback)
        assert replay.status_code == 400
        assert replay.json()["error"]["code"] == "link_state_invalid"
        forged = await client.get(f"{base}/sferum/callback", params={"state": "x", "code": "y"})
        assert forged.status_code == 400

        # The user says no at VK ID: back to the profile, nothing linked.
        started = await client.post(
            f"{base}/sferum/link-start", json={"return_to": PROFILE}, headers=bearer(anna)
        )
        denied = await client.get(started.json()["url"] + "&deny=1")
        back = await client.get(denied.headers["location"])
        assert back.headers["location"] == f"{PROFILE}?sferum=denied"

        # GET /sferum/link answers with the redirect itself.
        direct = await client.get(
            f"{base}/sferum/link", params={"return_to": PROFILE}, headers=bearer(anna)
        )
        assert direct.status_code == 302
        assert direct.headers["location"].startswith(identity.settings.vkid_url + "/authorize?")
