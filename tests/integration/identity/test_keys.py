"""Signing keys: shared by replicas, rotated without breaking tokens already out there."""

import base64
import json

import httpx
import pytest
from psy_platform.auth import JwksVerifier

from tests.integration.identity.conftest import replica
from tests.integration.identity.dance import bearer, log_in


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


async def test_rotation_publishes_the_new_key_and_keeps_the_old_one(identity) -> None:
    verifier = JwksVerifier(identity.jwks_url, "psy-identity", "psy", refetch_after=0)
    async with httpx.AsyncClient() as client:
        before = await log_in(client, identity.base, "1000001")
        await verifier.verify(before["access_token"])  # the verifier has cached the old set
        new_kid = await identity.keyring.rotate()
        after = await log_in(client, identity.base, "1000001")
        jwks = (await client.get(identity.jwks_url)).json()

    assert kid_of(after["access_token"]) == new_kid != kid_of(before["access_token"])
    assert {k["kid"] for k in jwks["keys"]} == {new_kid, kid_of(before["access_token"])}
    assert all("d" not in k for k in jwks["keys"]), "private parts never leave identity"
    # Tokens of both keys verify; the new kid is fetched on first sight.
    assert (await verifier.verify(after["access_token"])).role == "parent"
    assert (await verifier.verify(before["access_token"])).role == "parent"


@pytest.mark.parametrize("identity_overrides", [{"signing_key_activation_seconds": 600}])
async def test_a_new_key_is_published_before_it_signs(identity) -> None:
    async with httpx.AsyncClient() as client:
        old_kid = kid_of((await log_in(client, identity.base, "1000001"))["access_token"])
        new_kid = await identity.keyring.rotate()
        still = await log_in(client, identity.base, "1000001")
        jwks = (await client.get(identity.jwks_url)).json()
    assert kid_of(still["access_token"]) == old_kid
    assert new_kid in {k["kid"] for k in jwks["keys"]}


@pytest.mark.parametrize("identity_overrides", [{"keyring_refresh_seconds": 0}])
async def test_replicas_sharing_a_database_accept_each_others_tokens(identity) -> None:
    values = identity.settings.model_dump(exclude={"public_url"})
    async with replica(values) as other, httpx.AsyncClient() as client:
        pair = await log_in(client, identity.base, "1000001")
        on_other = await client.get(f"{other.base}/me", headers=bearer(pair))
        assert on_other.status_code == 200
        await other.keyring.rotate()
        rotated = await log_in(client, identity.base, "1000001")
        assert (await client.get(f"{other.base}/me", headers=bearer(rotated))).status_code == 200
        ours = {k["kid"] for k in (await client.get(identity.jwks_url)).json()["keys"]}
        theirs = {k["kid"] for k in (await client.get(other.jwks_url)).json()["keys"]}
    assert ours == theirs and len(ours) == 2
