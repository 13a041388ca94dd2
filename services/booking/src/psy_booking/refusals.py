"""Refusal codes → HTTP status and the Russian message a person reads."""

from psy_platform.errors import ApiError

from psy_booking.domain import Refusal

_REFUSALS: dict[str, tuple[int, str]] = {
    "slot_taken": (409, "Это время уже занято. Выберите другое."),
    "slot_held": (409, "Это время сейчас бронирует другой пользователь. Выберите другое."),
    "slot_not_found": (404, "Такого времени консультации нет или оно снято с расписания."),
    "outside_booking_window": (
        422,
        "На это время сейчас записаться нельзя: оно слишком близко или ещё слишком далеко.",
    ),
    "format_not_offered": (422, "Этот тип консультации недоступен в выбранное время."),
    "participant_not_allowed": (403, "Вы не можете записать этого участника."),
    "account_unknown": (409, "Учётная запись ещё не готова, повторите через минуту."),
    "active_limit_reached": (409, "У участника уже есть максимальное число активных записей."),
    "unknown_topic": (422, "Выберите темы из списка тем психолога."),
    "comment_too_long": (422, "Комментарий слишком длинный."),
    "idempotency_key_required": (400, "Не указан заголовок Idempotency-Key."),
    "idempotency_key_reused": (
        422,
        "Этот ключ Idempotency-Key уже использован для другого запроса.",
    ),
    "booking_not_found": (404, "Запись не найдена."),
    "hold_not_found": (404, "Бронь не найдена или уже истекла."),
    "not_allowed": (403, "Изменить эту запись могут записавшийся, участник или психолог."),
    "not_active": (409, "Запись уже отменена или завершена."),
    "too_late": (409, "Консультация уже началась: изменить запись нельзя."),
    "reason_required": (422, "Укажите причину."),
    "reason_too_long": (422, "Причина слишком длинная."),
    "other_psychologist": (422, "Перенести запись можно только на время того же психолога."),
    "same_slot": (422, "Запись уже на это время."),
    "forbidden": (403, "Недостаточно прав."),
}


def api_error(refusal: Refusal) -> ApiError:
    status, message = _REFUSALS[refusal.code]
    return ApiError(status, refusal.code, message)
