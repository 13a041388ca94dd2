"""Identity's rules without I/O: who an ESIA person becomes, where a login may return, tokens."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from psy_identity.domain import (
    LoginRefused,
    access_claims,
    account_id,
    age_on,
    digest,
    judge_refresh,
    may_link_as_child,
    parse_esia_date,
    return_to_allowed,
    role_at_login,
    timezone_of,
    with_query,
)

TODAY = date(2026, 12, 3)
ADMINS = frozenset({"1000090"})


def born(years_ago: int, days: int = 0) -> date:
    return date(TODAY.year - years_ago, TODAY.month, TODAY.day) + timedelta(days=days)


def test_account_id_matches_the_demo_data_derivation() -> None:
    from psy_localstack.demo import account_id as demo_account_id

    assert account_id("2000001") == demo_account_id("2000001")
    assert account_id("2000001") != account_id("2000002")


def test_age_counts_the_birthday_itself() -> None:
    assert age_on(born(14), TODAY) == 14
    assert age_on(born(14, days=1), TODAY) == 13
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13


@pytest.mark.parametrize(
    ("birth", "role"),
    [(born(40), "parent"), (born(18), "parent"), (born(17), "child"), (born(14), "child")],
)
def test_a_new_person_gets_a_role_by_age(birth: date, role: str) -> None:
    assert role_at_login(None, "555", birth, TODAY, ADMINS) == role


def test_under_14_cannot_log_in_new_or_linked() -> None:
    for existing in (None, "child"):
        with pytest.raises(LoginRefused) as refused:
            role_at_login(existing, "555", born(14, days=1), TODAY, ADMINS)
        assert refused.value.code == "child_under_14"
        assert "младше 14" in refused.value.message


def test_configured_admins_and_existing_roles_win_over_age() -> None:
    assert role_at_login(None, "1000090", born(47), TODAY, ADMINS) == "admin"
    assert role_at_login("psychologist", "2000001", born(30), TODAY, ADMINS) == "psychologist"
    # A child account created by a parent's link stays a child after turning 18 here.
    assert role_at_login("child", "1000012", born(18), TODAY, ADMINS) == "child"


def test_only_minors_can_be_linked_as_children() -> None:
    assert may_link_as_child(born(17), TODAY)
    assert may_link_as_child(born(3), TODAY)
    assert not may_link_as_child(born(18), TODAY)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/auth/done?next=/bookings",
    ],
)
def test_the_portal_is_an_allowed_return_to(url: str) -> None:
    assert return_to_allowed(url, ("http://127.0.0.1:8000/",), allow_loopback=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "http://127.0.0.1:8000.evil.example/",
        "http://127.0.0.1:8000@evil.example/",
        "http://user@127.0.0.1:8000/",
        "//evil.example/",
        "javascript:alert(1)",
        "http://127.0.0.1:8000/\r\nSet-Cookie: x",
        "http://127.0.0.1:9999/",  # loopback, but not allowed in this configuration
        "",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not return_to_allowed(url, ("http://127.0.0.1:8000/",), allow_loopback=False)


def test_loopback_ports_are_allowed_only_when_enabled() -> None:
    assert return_to_allowed("http://127.0.0.1:5173/cb", (), allow_loopback=True)
    assert not return_to_allowed("https://127.0.0.1:5173/cb", (), allow_loopback=True)
    assert not return_to_allowed("http://localhost.evil:5173/", (), allow_loopback=True)


def test_a_prefix_without_a_trailing_slash_never_matches() -> None:
    assert not return_to_allowed("https://psy.edu.ru.evil/", ("https://psy.edu.ru",), False)


def test_with_query_keeps_existing_parameters_and_fragment() -> None:
    assert with_query("http://a/b", ticket="T") == "http://a/b?ticket=T"
    assert with_query("http://a/b?x=1#top", ticket="T") == "http://a/b?x=1&ticket=T#top"


def test_esia_dates_and_regions() -> None:
    assert parse_esia_date("01.09.2010") == date(2010, 9, 1)
    with pytest.raises(ValueError):
        parse_esia_date("2010-09-01")
    assert timezone_of("Приморский край") == "Asia/Vladivostok"
    assert timezone_of("Самарская область") == "Europe/Samara"
    assert timezone_of(None) == "Europe/Moscow"


def test_refresh_token_outcomes() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    later = now + timedelta(days=1)
    assert judge_refresh(None, None, later, now).outcome == "rotate"
    assert judge_refresh(now, None, later, now).outcome == "reused"
    assert judge_refresh(None, now, later, now).outcome == "revoked"
    assert judge_refresh(None, None, now, now).outcome == "expired"


def test_access_claims_carry_what_verifiers_require() -> None:
    sub = uuid.uuid4()
    now = datetime(2026, 12, 3, tzinfo=UTC)
    claims = access_claims(sub, "parent", now, 900, "psy-identity", "psy")
    assert claims["sub"] == str(sub) and claims["role"] == "parent"
    assert claims["exp"] == claims["iat"] + 900  # type: ignore[operator]
    assert (claims["iss"], claims["aud"]) == ("psy-identity", "psy")
    other = access_claims(sub, "parent", now, 900, "psy-identity", "psy")
    assert claims["jti"] != other["jti"]


def test_bearer_secrets_are_stored_as_digests() -> None:
    assert digest("abc") != "abc" and len(digest("abc")) == 64
    assert digest("abc") == digest("abc") != digest("abd")
