"""«Спектр проблем»: the topics a school psychologist works with.

Kept in code, not in a table: the list is part of the contract with the portal and booking
(codes travel in events), so it changes with a release and a review, not at run time.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    code: str
    title: str


TOPICS: tuple[Topic, ...] = (
    Topic("anxiety", "Тревожность"),
    Topic("exam_stress", "Стресс перед экзаменами"),
    Topic("peer_conflicts", "Конфликты со сверстниками"),
    Topic("bullying", "Травля (буллинг)"),
    Topic("parent_child", "Детско-родительские отношения"),
    Topic("learning", "Трудности в учёбе"),
    Topic("low_mood", "Подавленное настроение"),
    Topic("self_esteem", "Самооценка"),
    Topic("career", "Выбор профессии"),
    Topic("adaptation", "Адаптация к новой школе"),
    Topic("grief", "Переживание утраты"),
    Topic("emotions", "Управление эмоциями и гневом"),
    Topic("attention", "Внимание и гиперактивность"),
    Topic("digital", "Зависимость от гаджетов и интернета"),
    Topic("family_crisis", "Развод и конфликты в семье"),
    Topic("teen_relationships", "Отношения и первая любовь"),
)

CODES: frozenset[str] = frozenset(t.code for t in TOPICS)


def unknown(codes: list[str]) -> list[str]:
    return [c for c in codes if c not in CODES]
