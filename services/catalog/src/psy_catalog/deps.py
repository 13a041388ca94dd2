"""Request dependencies: the runtime, its settings, and who may call what.

Use cases open their own transaction (`runtime.db.transaction()`), so it commits before the
response goes out."""

from typing import Annotated

from fastapi import Depends, Request
from psy_platform.auth import CurrentUser, Principal
from psy_platform.runtime import ServiceRuntime

from psy_catalog.config import CatalogSettings
from psy_catalog.domain import Rejected
from psy_catalog.profiles import Profile, load_profile


async def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


async def _settings(runtime: Runtime) -> CatalogSettings:
    return runtime.settings  # type: ignore[return-value]


Settings = Annotated[CatalogSettings, Depends(_settings)]


async def _own_profile(user: CurrentUser, runtime: Runtime) -> Profile:
    """The caller's own profile: only a psychologist the catalog lists manages a schedule."""
    if user.role != "psychologist":
        raise Rejected(403, "forbidden", "Расписание ведёт только психолог.")
    async with runtime.db.transaction() as session:
        profile = await load_profile(session, user.id)
    if profile is None:
        raise Rejected(
            403,
            "profile_required",
            "Ваш профиль ещё не создан. Обратитесь к администратору региона.",
        )
    return profile


OwnProfile = Annotated[Profile, Depends(_own_profile)]


async def _admin(user: CurrentUser) -> Principal:
    if user.role != "admin":
        raise Rejected(403, "forbidden", "Профили психологов ведёт администратор.")
    return user


Admin = Annotated[Principal, Depends(_admin)]
