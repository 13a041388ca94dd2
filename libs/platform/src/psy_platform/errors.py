"""The one error shape of every API: {"error": {"code": "<stable>", "message": "<Russian>"}}."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisUnavailable
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


_BY_STATUS = {
    401: ("unauthenticated", "Войдите в систему."),
    403: ("forbidden", "Недостаточно прав."),
    404: ("not_found", "Не найдено."),
    405: ("method_not_allowed", "Метод не поддерживается."),
    409: ("conflict", "Конфликт с текущим состоянием."),
    429: ("too_many_requests", "Слишком много запросов. Повторите позже."),
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()]
        return JSONResponse(
            error_body("validation_error", "Проверьте введённые данные.", fields=fields),
            status_code=422,
        )

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(RedisUnavailable)
    async def _busy(_: Request, exc: Exception) -> JSONResponse:
        # Every database (or Redis) connection stayed busy, or Redis is away: nothing was
        # written, a retry with the same Idempotency-Key is safe.
        return JSONResponse(
            error_body("service_busy", "Сервис перегружен. Повторите через минуту."),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code, message = _BY_STATUS.get(exc.status_code, ("error", "Ошибка запроса."))
        return JSONResponse(error_body(code, message), status_code=exc.status_code)
