"""What the routes and use cases share: settings, database, flows in Redis, keys, adapters."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from psy_platform.db import Database

from psy_identity.config import IdentitySettings
from psy_identity.esia import EsiaClient
from psy_identity.flows import Flows
from psy_identity.keys import Keyring
from psy_identity.tokens import TokenPolicy
from psy_identity.vkid import VkIdClient


@dataclass
class Identity:
    settings: IdentitySettings
    db: Database
    flows: Flows
    keyring: Keyring
    esia: EsiaClient
    vkid: VkIdClient
    policy: TokenPolicy

    def public_url(self, path: str) -> str:
        """Where browsers reach this service (ESIA and VK ID redirect back here)."""
        return self.settings.public_url.rstrip("/") + path


async def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(_identity)]
