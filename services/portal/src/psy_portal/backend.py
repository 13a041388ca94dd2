"""HTTP to the services (ARCHITECTURE §8): one client, errors turned into Russian messages."""

from typing import Any

import httpx

from psy_portal.config import PortalSettings

SERVICE_TITLE = {
    "identity": "учётных записей",
    "catalog": "каталога психологов",
    "booking": "записи на консультации",
    "notify": "сообщений",
    "sessions": "консультаций",
}
_BY_STATUS = {
    400: "Запрос не принят. Проверьте введённые данные.",
    401: "Сеанс истёк. Войдите снова.",
    403: "Недостаточно прав для этого действия.",
    404: "Не найдено.",
    409: "Действие невозможно в текущем состоянии.",
    422: "Проверьте введённые данные.",
    429: "Слишком много запросов. Повторите позже.",
}


class ServiceError(Exception):
    """A service said no (or could not be reached); `message` is for the person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def error_from(service: str, response: httpx.Response) -> ServiceError:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = str(error.get("code") or f"http_{response.status_code}")
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        message = _BY_STATUS.get(
            response.status_code,
            f"Сервис {SERVICE_TITLE.get(service, service)} ответил ошибкой. Попробуйте позже.",
        )
    return ServiceError(response.status_code, code, message)


def unavailable(service: str) -> ServiceError:
    return ServiceError(
        503,
        "service_unavailable",
        f"Сервис {SERVICE_TITLE.get(service, service)} временно недоступен. Попробуйте позже.",
    )


class Backend:
    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings
        self.base = {
            "identity": settings.identity_url,
            "catalog": settings.catalog_url,
            "booking": settings.booking_url,
            "notify": settings.notify_url,
            "sessions": settings.sessions_url,
        }
        # Never follow redirects: the join endpoint's Location is the room, for the browser.
        self.http = httpx.AsyncClient(timeout=settings.http_timeout_seconds, follow_redirects=False)

    def url(self, service: str, path: str) -> str:
        return self.base[service].rstrip("/") + path

    async def send(
        self,
        service: str,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            return await self.http.request(
                method, self.url(service, path), json=json, params=params, headers=all_headers
            )
        except httpx.HTTPError as exc:
            raise unavailable(service) from exc

    async def call(self, service: str, method: str, path: str, **kw: Any) -> Any:
        """JSON in, JSON out; any non-2xx becomes a ServiceError."""
        response = await self.send(service, method, path, **kw)
        if response.status_code >= 400:
            raise error_from(service, response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise unavailable(service) from exc

    # identity's token endpoint: the only calls made without a user's Bearer token
    async def exchange_ticket(self, ticket: str) -> dict[str, Any]:
        body = {"grant_type": "ticket", "ticket": ticket}
        return await self.call("identity", "POST", "/auth/token", json=body)  # type: ignore[no-any-return]

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self.call("identity", "POST", "/auth/token", json=body)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.http.aclose()
