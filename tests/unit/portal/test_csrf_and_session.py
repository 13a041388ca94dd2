"""CSRF token checks and the web session's token bookkeeping (no Redis involved)."""

import pytest
from psy_portal.config import PortalSettings
from psy_portal.csrf import new_token, token_matches
from psy_portal.web_session import WebSession


def test_the_sessions_token_matches_and_nothing_else_does() -> None:
    token = new_token()
    assert token_matches(token, token)
    assert not token_matches(token, new_token())
    assert not token_matches(token, token[:-1])
    assert not token_matches(token, None)
    assert not token_matches(token, "")
    # A session without a token (never happens, but must never pass) refuses everything.
    assert not token_matches(None, None)
    assert not token_matches("", "")


def test_tokens_are_unguessable_and_distinct() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 40 for t in tokens)


def test_the_access_token_is_refreshed_before_it_expires() -> None:
    session = WebSession(id="s", csrf="c")
    assert not session.logged_in
    session.sign_in({"access_token": "a", "refresh_token": "r", "expires_in": 900}, now=1000.0)
    assert session.logged_in
    assert session.access_fresh(margin=30, now=1000.0 + 800)
    assert not session.access_fresh(margin=30, now=1000.0 + 880)  # inside the margin
    # A refresh without a new refresh token keeps the old one.
    session.sign_in({"access_token": "b", "expires_in": 900}, now=2000.0)
    assert (session.access_token, session.refresh_token) == ("b", "r")


@pytest.mark.parametrize(
    ("env", "setting", "scheme", "secure"),
    [
        ("development", None, "http", False),
        ("development", None, "https", True),  # served over TLS: always Secure
        ("development", True, "http", True),
        ("production", None, "http", True),  # behind a TLS-terminating proxy
        ("production", False, "https", True),
    ],
)
def test_cookie_secure_flag(env: str, setting: bool | None, scheme: str, secure: bool) -> None:
    settings = PortalSettings(env=env, cookie_secure=setting, public_url="https://psy.example/")
    assert settings.secure_cookie(scheme) is secure
    assert settings.public_url == "https://psy.example"


def test_identity_public_url_defaults_to_identity_url() -> None:
    assert PortalSettings(identity_url="http://id:8001").identity_public_url == "http://id:8001"
    settings = PortalSettings(identity_url="http://id:8001", identity_public_url="https://id.x")
    assert settings.identity_public_url == "https://id.x"


def test_region_admin_defaults_name_samara() -> None:
    settings = PortalSettings()
    assert settings.region_admin_title == (
        "Администратор регионального доступа по Самарской области"
    )
    assert settings.support_email == "help-psy@edu.gov.ru"
