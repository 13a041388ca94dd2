"""Composition root of the identity service."""

from datetime import timedelta

from fastapi import FastAPI
from joserfc.jwk import KeySet
from psy_contracts import topics
from psy_platform.auth import JwksVerifier
from psy_platform.runtime import ServiceRuntime
from psy_platform.service import create_app as assemble

from psy_identity import api, api_profile, store
from psy_identity.config import IdentitySettings
from psy_identity.context import Identity
from psy_identity.esia import EsiaClient
from psy_identity.flows import Flows
from psy_identity.keys import Keyring
from psy_identity.tokens import TokenPolicy
from psy_identity.vkid import VkIdClient


class OwnKeysVerifier(JwksVerifier):
    """Identity checks its own tokens against its key store, not over HTTP to itself."""

    def __init__(self, keyring: Keyring, issuer: str, audience: str) -> None:
        super().__init__("", issuer, audience)
        self._keyring = keyring

    async def _key_set(self, force: bool = False) -> KeySet:
        return await self._keyring.public_set()


def create_app(settings: IdentitySettings) -> FastAPI:
    runtime = ServiceRuntime("identity", settings, store.outbox, store.processed)
    assert runtime.redis is not None
    keyring = Keyring(
        runtime.db,
        access_ttl=timedelta(seconds=settings.access_ttl_seconds),
        rotate_after=timedelta(days=settings.signing_key_rotate_days),
        activation=timedelta(seconds=settings.signing_key_activation_seconds),
        refresh_seconds=settings.keyring_refresh_seconds,
    )
    runtime.verifier = OwnKeysVerifier(keyring, settings.jwt_issuer, settings.jwt_audience)
    runtime.workers.append(keyring.maintain)
    runtime.topics.append(topics.IDENTITY)
    identity = Identity(
        settings=settings,
        db=runtime.db,
        flows=Flows(runtime.redis, settings.redis_prefix),
        keyring=keyring,
        esia=EsiaClient(
            settings.esia_url,
            settings.esia_client_id,
            settings.esia_client_secret,
            settings.esia_scope,
            issuer=settings.esia_expected_issuer,
        ),
        vkid=VkIdClient(settings.vkid_url, settings.vkid_client_id),
        policy=TokenPolicy(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_ttl=settings.access_ttl_seconds,
            refresh_ttl=settings.refresh_ttl_seconds,
        ),
    )
    app = assemble(runtime, api.router, api_profile.router, title="identity")
    app.state.identity = identity
    app.state.keyring = keyring
    app.state.identity_runtime = runtime
    return app
