"""Identity rules: who an ESIA person becomes here, where a login may return to, token shapes.

No I/O: every function takes what it needs and returns a decision.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode, urlsplit

# The same derivation as the demo data set, so catalog's psychologist ids equal account ids.
ESIA_NAMESPACE = uuid.UUID("6f1c1d2e-8a4b-4c1e-9a51-0e4f2b7c9d10")

ADULT_AGE = 18
# From 14 a child may log in on their own; below that only a legal representative acts.
OWN_LOGIN_AGE = 14

DEFAULT_TIMEZONE = "Europe/Moscow"
# ESIA gives a region name in the person's address; the service needs its time zone.
REGION_TIMEZONES = {
    "Калининградская область": "Europe/Kaliningrad",
    "г. Москва": "Europe/Moscow",
    "Москва": "Europe/Moscow",
    "г. Санкт-Петербург": "Europe/Moscow",
    "Санкт-Петербург": "Europe/Moscow",
    "Самарская область": "Europe/Samara",
    "Удмуртская Республика": "Europe/Samara",
    "Свердловская область": "Asia/Yekaterinburg",
    "Челябинская область": "Asia/Yekaterinburg",
    "Омская область": "Asia/Omsk",
    "Новосибирская область": "Asia/Novosibirsk",
    "Красноярский край": "Asia/Krasnoyarsk",
    "Иркутская область": "Asia/Irkutsk",
    "Республика Саха (Якутия)": "Asia/Yakutsk",
    "Приморский край": "Asia/Vladivostok",
    "Хабаровский край": "Asia/Vladivostok",
    "Магаданская область": "Asia/Magadan",
    "Камчатский край": "Asia/Kamchatka",
}


def account_id(esia_oid: str) -> uuid.UUID:
    return uuid.uuid5(ESIA_NAMESPACE, f"esia:{esia_oid}")


def timezone_of(region: str | None) -> str:
    return REGION_TIMEZONES.get((region or "").strip(), DEFAULT_TIMEZONE)


def age_on(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def parse_esia_date(value: str) -> date:
    """ESIA writes dates as dd.mm.yyyy."""
    day, month, year = value.strip().split(".")
    return date(int(year), int(month), int(day))


@dataclass(frozen=True)
class Person:
    """A person as ESIA describes them (the fields this service keeps)."""

    oid: str
    last_name: str
    first_name: str
    middle_name: str
    birth_date: date
    email: str | None = None
    region: str | None = None

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


def full_name(last: str, first: str, middle: str | None) -> str:
    return " ".join(p for p in (last, first, middle) if p)


class LoginRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


CHILD_TOO_YOUNG = LoginRefused(
    "child_under_14",
    "Дети младше 14 лет не могут входить самостоятельно. "
    "Войдите через Госуслуги как родитель (законный представитель) и привяжите ребёнка "
    "в разделе «Профиль».",
)


def role_at_login(
    existing_role: str | None, oid: str, birth_date: date, today: date, admin_oids: frozenset[str]
) -> str:
    """The role an ESIA person logs in with; raises LoginRefused for a child under 14.

    An existing account keeps its role (psychologists are provisioned by an admin, children may
    have been created by a parent's link); a new one is an admin by configuration, else by age.
    """
    age = age_on(birth_date, today)
    if existing_role is not None:
        if existing_role == "child" and age < OWN_LOGIN_AGE:
            raise CHILD_TOO_YOUNG
        return existing_role
    if oid in admin_oids:
        return "admin"
    if age >= ADULT_AGE:
        return "parent"
    if age >= OWN_LOGIN_AGE:
        return "child"
    raise CHILD_TOO_YOUNG


def may_link_as_child(birth_date: date, today: date) -> bool:
    """A parent links only a minor from their ESIA kids list."""
    return age_on(birth_date, today) < ADULT_AGE


def return_to_allowed(url: str, prefixes: tuple[str, ...], allow_loopback: bool) -> bool:
    """Only our own front ends may receive a ticket: anything else would be an open redirect."""
    if not url or any(c in url for c in "\\\r\n\t ") or len(url) > 2000:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return False
    if allow_loopback and parts.scheme == "http" and parts.hostname == "127.0.0.1" and port:
        return True
    return any(p.endswith("/") and url.startswith(p) for p in prefixes)


def with_query(url: str, **params: str) -> str:
    separator = "&" if urlsplit(url).query else "?"
    fragment = ""
    if "#" in url:
        url, fragment = url.split("#", 1)
        fragment = "#" + fragment
    return f"{url}{separator}{urlencode(params)}{fragment}"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """What is stored for a bearer secret (refresh token, ticket): its SHA-256, never the value."""
    return hashlib.sha256(secret.encode()).hexdigest()


def access_claims(
    sub: uuid.UUID, role: str, now: datetime, ttl_seconds: int, issuer: str, audience: str
) -> dict[str, object]:
    issued = int(now.timestamp())
    return {
        "iss": issuer,
        "aud": audience,
        "sub": str(sub),
        "role": role,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }


@dataclass(frozen=True)
class RefreshDecision:
    """What presenting a refresh token leads to."""

    outcome: str  # "rotate" | "reused" | "expired" | "revoked"


def judge_refresh(
    used_at: datetime | None, revoked_at: datetime | None, expires_at: datetime, now: datetime
) -> RefreshDecision:
    """A token already rotated means someone replays it: the whole family is then revoked."""
    if revoked_at is not None:
        return RefreshDecision("revoked")
    if used_at is not None:
        return RefreshDecision("reused")
    if expires_at <= now:
        return RefreshDecision("expired")
    return RefreshDecision("rotate")
