"""«Подбор психолога»: search by ФИО, topics, dates with free slots, format and region.

Decisions:
- `q`: every name part must match the start of a word of the ФИО (any case, ё = е, any order).
  When nothing matches exactly, a typo-tolerant pass (pg_trgm word similarity) runs instead,
  so a misspelt name still finds the person without drowning exact hits in near ones.
- `topic` (repeatable): the psychologist must work with ALL given topics.
- `date_from`/`date_to`: calendar days in the PSYCHOLOGIST's time zone (a school day is local);
  only psychologists with a free slot starting on those days are listed.
- `format`: only psychologists with a free slot (in the range, if given) offering that format.
- Filters on slots (dates, format) need a free matching slot; filters on the profile (name,
  topics, region) alone also find psychologists with no free slot (fully booked), listed last.
- Order: the nearest free slot (that matches the filters), then name, then id.

The SQL is plain text with asyncpg parameters so the benchmark runs the very same statement raw.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from psy_catalog.domain import DateRange


@dataclass(frozen=True)
class SearchFilters:
    tokens: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    days: DateRange | None = None
    format: str | None = None
    region: str | None = None
    page: int = 1
    size: int = 20


def _ranked(f: SearchFilters, fuzzy: bool, args: list[Any]) -> tuple[str, str]:
    """CTEs ending in `ranked(id, full_name, next_free)`, and the condition on it."""

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = ["TRUE"]
    for token in f.tokens:
        if fuzzy:
            where.append(f"{arg(token)} <% p.search_name")
        else:
            where.append(
                f"(p.search_name LIKE {arg(token + '%')} "
                f"OR p.search_name LIKE {arg('% ' + token + '%')})"
            )
    if f.topics:
        where.append(f"p.topics @> {arg(f.topics)}::text[]")
    if f.region:
        where.append(f"p.region = {arg(f.region)}")
    fmt = arg(f.format) if f.format else None
    if fmt:
        where.append(f"{fmt} = ANY(p.formats)")
    slot_fmt = f" AND {fmt} = ANY(s.formats)" if fmt else ""
    if f.days:
        # Free slots of those local days, each psychologist's first: from the day index.
        ctes = f"""
free AS (
    SELECT s.psychologist_id AS id, min(s.starts_at) AS next_free
    FROM slot s
    WHERE s.status = 'free' AND s.local_day BETWEEN {arg(f.days.first)} AND {arg(f.days.last)}
      AND s.starts_at > now(){slot_fmt}
    GROUP BY s.psychologist_id
), ranked AS (
    SELECT p.id, p.full_name, free.next_free
    FROM free JOIN psychologist p ON p.id = free.id
    WHERE {" AND ".join(where)}
)"""
        return ctes, ""
    # The kept nearest slot; recomputed only where time has overtaken it (see nearest.py).
    column = f"p.next_free_{f.format}" if f.format else "p.next_free_at"
    ctes = f"""
ranked AS (
    SELECT p.id, p.full_name,
           CASE WHEN {column} IS NULL OR {column} > now() THEN {column} ELSE (
               SELECT s.starts_at FROM slot s
               WHERE s.psychologist_id = p.id AND s.status = 'free'
                 AND s.starts_at > now(){slot_fmt}
               ORDER BY s.starts_at LIMIT 1) END AS next_free
    FROM psychologist p
    WHERE {" AND ".join(where)}
)"""
    return ctes, "WHERE r.next_free IS NOT NULL" if f.format else ""


def search_sql(f: SearchFilters, fuzzy: bool = False) -> tuple[str, list[Any]]:
    args: list[Any] = []
    ctes, having = _ranked(f, fuzzy, args)
    args += [f.size, (f.page - 1) * f.size]
    limit, offset = f"${len(args) - 1}", f"${len(args)}"
    sql = f"""
WITH {ctes}, page AS (
    SELECT r.id, r.full_name, r.next_free, count(*) OVER () AS total
    FROM ranked r {having}
    ORDER BY r.next_free NULLS LAST, r.full_name, r.id
    LIMIT {limit} OFFSET {offset}
)
SELECT p.id, p.full_name, p.school, p.region, p.timezone, p.topics, p.formats,
       page.next_free, page.total
FROM page JOIN psychologist p ON p.id = page.id
ORDER BY page.next_free NULLS LAST, page.full_name, page.id
"""
    return sql, args


def count_sql(f: SearchFilters, fuzzy: bool = False) -> tuple[str, list[Any]]:
    """The total alone, for a page past the end (which returns no rows to carry it)."""
    args: list[Any] = []
    ctes, having = _ranked(f, fuzzy, args)
    return f"WITH {ctes} SELECT count(*) FROM ranked r {having}", args


@dataclass(frozen=True)
class Found:
    items: list[dict[str, Any]]
    total: int


async def run_search(conn: Any, f: SearchFilters, typo_similarity: float) -> Found:
    """`conn` is an asyncpg connection. Exact name matches first; typos only when none."""
    found = await _run(conn, f, fuzzy=False)
    if found.total == 0 and f.tokens:
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)",
                str(typo_similarity),
            )
            found = await _run(conn, f, fuzzy=True)
    return found


async def _run(conn: Any, f: SearchFilters, fuzzy: bool) -> Found:
    sql, args = search_sql(f, fuzzy)
    rows = await conn.fetch(sql, *args)
    if rows:
        return Found([dict(r) for r in rows], rows[0]["total"])
    if f.page == 1:
        return Found([], 0)
    sql, args = count_sql(f, fuzzy)
    return Found([], await conn.fetchval(sql, *args))


def local_days_default(today: date, window_days: int) -> DateRange:
    return DateRange(today, today + timedelta(days=window_days))
