"""The VK ID adapter (OAuth 2.1: authorization code with PKCE S256, public client), over Authlib."""

from dataclasses import dataclass

import httpx

from psy_identity.domain import new_secret
from psy_identity.oauth import TLS, AsyncOAuth2Client


class VkIdError(Exception):
    """VK ID refused the code or answered something we cannot accept."""


@dataclass(frozen=True)
class VkAuthorization:
    url: str
    state: str
    code_verifier: str


class VkIdClient:
    def __init__(self, base_url: str, client_id: str, timeout: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._client_id = client_id
        self._timeout = timeout

    def _oauth(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._client_id,
            scope="vkid.personal_info",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
            timeout=self._timeout,
            verify=TLS,
        )

    async def authorization(self, redirect_uri: str) -> VkAuthorization:
        state, verifier = new_secret(), new_secret(48)
        async with self._oauth(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                f"{self._base}/authorize", state=state, code_verifier=verifier
            )
        return VkAuthorization(url, state, verifier)

    async def user_id(
        self, code: str, code_verifier: str, device_id: str, state: str, redirect_uri: str
    ) -> str:
        """Code → access token → the VK user id it belongs to."""
        try:
            async with self._oauth(redirect_uri) as client:
                token = await client.fetch_token(
                    f"{self._base}/oauth2/auth",
                    code=code,
                    code_verifier=code_verifier,
                    device_id=device_id,
                    state=state,
                )
            async with httpx.AsyncClient(timeout=self._timeout, verify=TLS) as http:
                response = await http.post(
                    f"{self._base}/oauth2/user_info",
                    data={"client_id": self._client_id, "access_token": token["access_token"]},
                )
            response.raise_for_status()
            user_id = str(response.json()["user"]["user_id"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise VkIdError(str(exc)) from exc
        except Exception as exc:  # Authlib's OAuthError and friends
            raise VkIdError(str(exc)) from exc
        if not user_id:
            raise VkIdError("VK ID returned no user id")
        return user_id
