"""The BFF session: CSRF on every form, and the cookie's flags."""

import httpx
from playwright.async_api import Page

from tests.e2e.flows import Shots, Stack, log_in, person

PARENT = person("1000001")


async def test_a_form_posted_without_the_csrf_token_is_refused(
    page: Page, stack: Stack, shots: Shots
) -> None:
    await log_in(page, stack, PARENT.oid)
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    for form in ({"esia_oid": "1000011"}, {"esia_oid": "1000011", "csrf_token": "forged"}):
        response = await page.request.post(
            f"{stack.portal}/profile/sferum/unlink", form=form, max_redirects=0
        )
        assert response.status == 403
        assert "Запрос отклонён" in await response.text()
    # The same post with the session's token goes through (303 back to the profile).
    response = await page.request.post(
        f"{stack.portal}/profile/children",
        form={"esia_oid": "1000011", "csrf_token": token},
        max_redirects=0,
    )
    assert response.status == 303
    await page.goto(f"{stack.portal}/profile")
    async with page.expect_navigation():
        await page.evaluate(
            """() => { const f = document.querySelector("form[action='/profile/sferum/unlink'],"
                        + "form[action='/profile/sferum']");
                       f.querySelector("input[name=csrf_token]").remove(); f.submit(); }"""
        )
    assert "Запрос отклонён" in await page.inner_text("h1")
    await shots.take(page, "csrf-refused")


async def test_the_session_cookie_is_httponly_samesite_and_secure_behind_tls(
    page: Page, stack: Stack
) -> None:
    await log_in(page, stack, PARENT.oid)
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["psy_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert "psy_session" not in await page.evaluate("document.cookie")
    # Behind a TLS-terminating proxy (X-Forwarded-Proto: https) the cookie is Secure.
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{stack.portal}/auth/start", headers={"X-Forwarded-Proto": "https"}
        )
    cookie = response.headers["set-cookie"].lower()
    assert "psy_session=" in cookie
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
