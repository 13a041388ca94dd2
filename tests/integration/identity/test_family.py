"""Parent–child links: linking from the ESIA list, retries, a child of 14+ logging in, unlinking."""

import asyncio
import json
import uuid

import httpx
from psy_contracts import topics

from tests.integration.identity.dance import bearer, log_in, me
from tests.support.kafka import read_topic

ANNA, MISHA, ALISA, ARTEM = "1000001", "1000011", "1000012", "1000013"


def account_of(oid: str) -> str:
    return str(uuid.uuid5(uuid.UUID("6f1c1d2e-8a4b-4c1e-9a51-0e4f2b7c9d10"), f"esia:{oid}"))


def of_type(received, suffix: str) -> list[dict]:  # type: ignore[no-untyped-def]
    events = [json.loads(r.value) for r in received]
    return [e for e in events if e["type"] == f"ru.psy.identity.{suffix}.v1"]


async def test_a_linked_child_of_14_logs_in_to_the_same_account_and_links_emit_once(
    identity, infra, topic_prefix
) -> None:
    base = identity.base
    async with httpx.AsyncClient() as client:
        parent = await log_in(client, base, ANNA)

        async def link(oid: str) -> httpx.Response:
            return await client.post(
                f"{base}/me/children", json={"esia_oid": oid}, headers=bearer(parent)
            )

        # The portal retries (a double click, a timeout): three identical requests, two at once.
        first = await link(ALISA)
        retries = await asyncio.gather(link(ALISA), link(ALISA))
        assert first.status_code == 201, first.text
        assert [r.status_code for r in retries] == [200, 200]
        assert {r.json()["id"] for r in (first, *retries)} == {account_of(ALISA)}

        young = await link(MISHA)  # under 14: the parent may link them, they may not log in
        assert young.status_code == 201
        not_mine = await link(ARTEM)  # Ольга's son, not in Анна's ESIA record
        assert not_mine.status_code == 404
        assert not_mine.json()["error"]["code"] == "child_not_in_esia"

        profile = await me(client, base, parent)
        assert [c["esia_oid"] for c in profile["children"]] == [ALISA, MISHA]
        assert all(c["linked"] for c in profile["esia_children"])

        child = await log_in(client, base, ALISA)
        child_profile = await me(client, base, child)
        assert child_profile["id"] == account_of(ALISA)
        assert child_profile["role"] == "child"
        assert child_profile["email"] == "alisa.petrova@demo.test"  # from her own ESIA record
        assert child_profile["parents"] == [
            {"id": account_of(ANNA), "full_name": "Петрова Анна Сергеевна"}
        ]

        unlinked = await client.delete(
            f"{base}/me/children/{account_of(MISHA)}", headers=bearer(parent)
        )
        assert unlinked.status_code == 204
        gone = await client.delete(
            f"{base}/me/children/{account_of(MISHA)}", headers=bearer(parent)
        )
        assert gone.status_code == 404

    received = await read_topic(infra.kafka, topic_prefix + topics.IDENTITY, expect=7, settle=2)
    linked = of_type(received, "family.linked")
    assert sorted(e["data"]["child_id"] for e in linked) == sorted(
        [account_of(ALISA), account_of(MISHA)]
    ), "one family.linked per child, however often the request was sent"
    assert {e["data"]["parent_id"] for e in linked} == {account_of(ANNA)}
    unlinked_events = of_type(received, "family.unlinked")
    assert [e["data"]["child_id"] for e in unlinked_events] == [account_of(MISHA)]
    registered = {
        e["data"]["account_id"]: e["data"] for e in of_type(received, "account.registered")
    }
    assert registered[account_of(ALISA)]["role"] == "child"
    assert registered[account_of(ALISA)]["birth_date"] == "2010-09-01"
    updated = of_type(received, "account.updated")
    assert [e["data"]["email"] for e in updated] == ["alisa.petrova@demo.test"]
    # Kafka key = the child's id, so booking sees one child's links in order.
    assert {r.key for r in received if b"family." in r.value} == {
        account_of(ALISA),
        account_of(MISHA),
    }


async def test_a_child_of_14_with_no_parent_may_log_in_as_a_child(identity) -> None:
    async with httpx.AsyncClient() as client:
        artem = await me(client, identity.base, await log_in(client, identity.base, ARTEM))
    assert artem["role"] == "child"
    assert artem["parents"] == []
    assert artem["timezone"] == "Asia/Vladivostok"


async def test_a_linked_child_under_14_still_cannot_log_in(identity) -> None:
    async with httpx.AsyncClient(headers={"Accept": "application/json"}) as client:
        parent = await log_in(client, identity.base, ANNA)
        linked = await client.post(
            f"{identity.base}/me/children", json={"esia_oid": MISHA}, headers=bearer(parent)
        )
        assert linked.status_code == 201
        start = await client.get(
            f"{identity.base}/auth/login",
            params={"return_to": "http://127.0.0.1:9/", "login_hint": MISHA},
        )
        callback = (await client.get(start.headers["location"])).headers["location"]
        refused = await client.get(callback)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "child_under_14"


async def test_a_parent_without_children_sees_none(identity) -> None:
    async with httpx.AsyncClient() as client:
        pair = await log_in(client, identity.base, "1000002")
        profile = await me(client, identity.base, pair)
    assert profile["esia_children"] == [] and profile["children"] == []
