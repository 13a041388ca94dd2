"""Catalog search latency on the 10,000-psychologist demo set: over HTTP next to raw SQL.

    uv run python -m bench.search            # fresh database, loaded, measured, dropped
    uv run python -m bench.search --keep     # keep the database (psy_bench_catalog) for reruns

Loads psy_localstack.demo.people(10_000) with the catalog's own demo loader (~500k slots), serves
the catalog as its own process (`python -m psy_catalog`), then for each typical query measures
sequential latency of GET /psychologists (httpx, a signed token) and of the very same SQL run raw
through asyncpg (psy_catalog.search.run_search) in the same run. Prints Markdown and writes
bench/out/search.md. Targets: p99 ≤ 30 ms and ≤ 2× the raw SQL.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from psy_catalog.config import CatalogSettings
from psy_catalog.demo import load_demo
from psy_catalog.domain import date_range, name_tokens
from psy_catalog.search import SearchFilters, run_search
from psy_localstack import demo

from bench.procs import ADMIN_URL, KAFKA, free_port

ROOT = Path(__file__).resolve().parents[1]
RUNS, WARMUP = 300, 30


def queries() -> dict[str, dict[str, Any]]:
    today = datetime.now(UTC).date()
    soon, later = today + timedelta(days=2), today + timedelta(days=4)
    return {
        "first page, no filters": {},
        "q=иванова": {"q": "иванова"},
        "q=Смирнова Алёна": {"q": "Смирнова Алёна"},
        "q=Смирнва (typo)": {"q": "Смирнва"},
        "topic=anxiety": {"topic": ["anxiety"]},
        "2 topics + region": {"topic": ["anxiety", "exam_stress"], "region": "Самарская область"},
        "dates (3 days)": {"date_from": str(soon), "date_to": str(later)},
        "dates + format=in_person + topic": {
            "date_from": str(soon),
            "date_to": str(later),
            "format": "in_person",
            "topic": ["learning"],
        },
        "page 20 of topic=anxiety": {"topic": ["anxiety"], "page": 20},
    }


def filters(params: dict[str, Any]) -> SearchFilters:
    fmt = params.get("format")
    first, last = params.get("date_from"), params.get("date_to")
    return SearchFilters(
        tokens=name_tokens(params.get("q", "")),
        topics=params.get("topic", []),
        days=date_range(
            datetime.fromisoformat(first).date() if first else None,
            datetime.fromisoformat(last).date() if last else None,
        ),
        format=fmt,
        region=params.get("region"),
        page=params.get("page", 1),
        size=20,
    )


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Issuer:
    """Signs tokens as identity does and serves the JWKS the catalog verifies them with."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, {"kid": uuid.uuid4().hex})
        self.app = FastAPI()
        self.app.get("/.well-known/jwks.json")(lambda: KeySet([self.key]).as_dict(private=False))

    def token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": "psy-identity",
            "aud": "psy",
            "sub": str(uuid.uuid4()),
            "role": "parent",
            "iat": now,
            "exp": now + 3600,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


@asynccontextmanager
async def serve_in_loop(app: FastAPI, port: int):  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def prepare(db_name: str, keep: bool, people_count: int = 10_000) -> tuple[str, str]:
    admin = await asyncpg.connect(ADMIN_URL)
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db_name)
    if not exists:
        await admin.execute(f'CREATE DATABASE "{db_name}"')
    await admin.close()
    base = ADMIN_URL.rsplit("/", 1)[0]
    raw_url = f"{base}/{db_name}"
    sa_url = raw_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    note = "reused"
    if not exists or not keep:
        people = [
            {
                "id": p.id,
                "full_name": p.full_name,
                "school": p.school,
                "region": p.region.name,
                "timezone": p.region.timezone,
            }
            for p in demo.people(people_count)
            if p.role == "psychologist"
        ]
        started = time.perf_counter()
        loaded = await load_demo(CatalogSettings(database_url=sa_url), people)
        seconds = time.perf_counter() - started
        note = (
            f"loaded {loaded['psychologists']} psychologists, "
            f"{loaded['slots_opened']} slots in {seconds:.1f} s"
        )
    conn = await asyncpg.connect(raw_url)
    # The benchmark measures search, not the relay: the staged events are not published here.
    await conn.execute("UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL")
    await conn.execute("VACUUM ANALYZE")
    slots = await conn.fetchval("SELECT count(*) FROM slot")
    await conn.close()
    return raw_url, f"{note}; {slots} slots in the table"


async def measure_raw(
    raw_url: str, params: dict[str, Any], runs: int = RUNS, warmup: int = WARMUP
) -> list[float]:
    conn = await asyncpg.connect(raw_url)
    f, times = filters(params), []
    try:
        for i in range(warmup + runs):
            started = time.perf_counter()
            await run_search(conn, f, CatalogSettings().search_typo_similarity)
            if i >= warmup:
                times.append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    return times


async def measure_http(
    client: httpx.AsyncClient, params: dict[str, Any], runs: int = RUNS, warmup: int = WARMUP
) -> tuple[list[float], int]:
    times, total = [], -1
    for i in range(warmup + runs):
        started = time.perf_counter()
        response = await client.get("/psychologists", params=params)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        total = response.json()["total"]
        if i >= warmup:
            times.append(elapsed)
    return times, total


async def main(quick: bool = False, keep: bool = False) -> str:
    """The harness entry point: returns the Markdown section. --quick: 200 people, 20 runs."""
    people_count, runs, warmup = (200, 20, 3) if quick else (10_000, RUNS, WARMUP)
    db_name = "psy_bench_catalog" if keep else f"psy_bench_catalog_{uuid.uuid4().hex[:6]}"
    raw_url, load_note = await prepare(db_name, keep, people_count)
    issuer, jwks_port, port = Issuer(), free_port(), free_port()
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": raw_url.replace("postgresql://", "postgresql+asyncpg://", 1),
        "CATALOG_PORT": str(port),
        "CATALOG_JWKS_URL": f"http://127.0.0.1:{jwks_port}/.well-known/jwks.json",
        "CATALOG_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "CATALOG_KAFKA_TOPIC_PREFIX": f"bench{uuid.uuid4().hex[:6]}.",
        "CATALOG_SCHEDULE_WORKER": "false",
        "CATALOG_LOG_LEVEL": "WARNING",
    }
    rows = []
    async with serve_in_loop(issuer.app, jwks_port):
        # its own process, as deployed: the client's work does not share the server's loop
        server = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "psy_catalog"], env=env
        )
        try:
            headers = {"Authorization": f"Bearer {issuer.token()}"}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
            ) as client:
                for _ in range(300):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                for name, params in queries().items():
                    http, total = await measure_http(client, params, runs, warmup)
                    raw = await measure_raw(raw_url, params, runs, warmup)
                    rows.append((name, total, http, raw))
        finally:
            server.terminate()
            server.wait(timeout=30)
    if not keep:
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()
    return report(rows, load_note, people_count, runs, warmup)


def report(
    rows: list[tuple[str, int, list[float], list[float]]],
    load_note: str,
    people_count: int = 10_000,
    runs: int = RUNS,
    warmup: int = WARMUP,
) -> str:
    lines = [
        f"## search — catalog search latency ({people_count:,} demo people)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {load_note}; {runs} sequential runs per query "
        f"after {warmup} warm-up; HTTP = GET /psychologists with a signed token (httpx → uvicorn "
        "→ FastAPI → asyncpg); SQL = the same statement through asyncpg directly. Times in ms.",
        "",
        "| query | found | HTTP p50 | HTTP p99 | SQL p50 | SQL p99 | p99 HTTP/SQL | p99 ≤ 30 ms |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for name, total, http, raw in rows:
        h50, h99, r50, r99 = pct(http, 0.5), pct(http, 0.99), pct(raw, 0.5), pct(raw, 0.99)
        lines.append(
            f"| {name} | {total} | {h50:.1f} | {h99:.1f} | {r50:.1f} | {r99:.1f} | "
            f"{h99 / r99:.2f}× | {'yes' if h99 <= 30 else 'NO'} |"
        )
    all_http = [t for _, _, http, _ in rows for t in http]
    lines += [
        "",
        f"All queries together: HTTP p50 {statistics.median(all_http):.1f} ms, "
        f"p99 {pct(all_http, 0.99):.1f} ms.",
        "",
    ]
    worst = max(pct(http, 0.99) for _, _, http, _ in rows)
    ratio = max(pct(http, 0.99) / pct(raw, 0.99) for _, _, http, raw in rows)
    met = lambda ok: "MET" if ok else "MISSED"  # noqa: E731
    lines += [
        f"**Target p99 ≤ 30 ms: {met(worst <= 30)}** (worst query p99 {worst:.1f} ms). "
        f"**Target ≤ 2× the raw SQL: {met(ratio <= 2)}** (worst p99 ratio {ratio:.2f}×).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep and reuse psy_bench_catalog")
    parser.add_argument("--quick", action="store_true", help="200 people, 20 runs: a smoke run")
    args = parser.parse_args()
    text = asyncio.run(main(args.quick, args.keep))
    print(text)
    out = ROOT / "bench/out/search.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
