"""Events of the identity service (topic psy.identity.v1, key = account id or child id)."""

import uuid
from datetime import date
from typing import ClassVar

from psy_contracts.events.common import EventData, Role, TimeZone


class AccountRegistered(EventData):
    event_type: ClassVar[str] = "ru.psy.identity.account.registered.v1"
    account_id: uuid.UUID
    role: Role
    full_name: str
    email: str | None = None
    region: str | None = None
    timezone: TimeZone
    birth_date: date | None = None  # children only


class AccountUpdated(AccountRegistered):
    event_type: ClassVar[str] = "ru.psy.identity.account.updated.v1"


class FamilyLinked(EventData):
    event_type: ClassVar[str] = "ru.psy.identity.family.linked.v1"
    parent_id: uuid.UUID
    child_id: uuid.UUID


class FamilyUnlinked(FamilyLinked):
    event_type: ClassVar[str] = "ru.psy.identity.family.unlinked.v1"


class SferumLinked(EventData):
    event_type: ClassVar[str] = "ru.psy.identity.sferum.linked.v1"
    account_id: uuid.UUID
    vk_user_id: str
