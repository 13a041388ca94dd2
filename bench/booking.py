"""Booking throughput and latency next to a bare-insert floor, and the contention figure.

    uv run python bench/booking.py          # full run: prints Markdown, writes bench/out/booking.md
    uv run python bench/booking.py --quick  # seconds-long smoke of the harness

Both servers run as their own processes on the same PostgreSQL: the booking service itself
(`python -m psy_booking`: migrations, JWT verification, Redis holds, every rule, the outbox relay
publishing to the real Kafka) and a bare FastAPI app whose one endpoint does one INSERT through
the same SQLAlchemy/asyncpg stack. One load generator drives both in the same run: an asyncio
loop of httpx clients at a fixed concurrency (closed loop: each worker sends its next request
when the last one answered). That is enough here because the generator is its own process and
only needs to outpace a single uvicorn worker; it adds no dependency. Each POST /bookings takes
a different free slot and a different participant, so neither the slot index nor the
active-bookings limit turns requests away. Then an open-loop run at half the best booking rate
gives the p99 the issue asks about, and 200 concurrent bookers on one slot x N rounds give the
contention figure (exactly one winner per round). Baseline (b): pgbench, 8 clients, one
single-row INSERT per transaction into the floor table, in the same run. The booking process runs
with the run's topic prefix, so its Kafka consumer groups never join the running stack's. Run
from the repository root.
"""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.procs import (
    KAFKA,
    REDIS,
    Service,
    create_database,
    drop_database,
    free_port,
    wait_healthy,
)

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "bench-topic"
# Latency over load for the harness's chart: label → [(req/s, p50, p95, p99)], set by main().
SERIES: dict[str, list[tuple[float, float, float, float]]] = {}


@dataclass(frozen=True)
class Plan:
    levels: tuple[tuple[int, int], ...]  # (concurrency, requests)
    warmup: int
    half_rate_seconds: float
    rounds: int  # contention rounds
    bookers: int = 200


FULL = Plan(levels=((1, 300), (8, 1200), (32, 2000)), warmup=200, half_rate_seconds=15, rounds=100)
QUICK = Plan(levels=((1, 20), (8, 40)), warmup=10, half_rate_seconds=2, rounds=2, bookers=20)


# ---------------------------------------------------------------------- tokens (own JWKS)
class Issuer:
    """Signs RS256 tokens as identity does; serves the JWKS the booking service fetches."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, {"kid": uuid.uuid4().hex})

    def headers(self, sub: uuid.UUID, role: str = "parent") -> dict[str, str]:
        from joserfc import jwt

        now = int(time.time())
        claims = {
            "iss": "psy-identity",
            "aud": "psy",
            "sub": str(sub),
            "role": role,
            "iat": now,
            "exp": now + 3600,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        return {"Authorization": f"Bearer {token}"}

    def jwks(self) -> dict[str, object]:
        from joserfc.jwk import KeySet

        return KeySet([self.key]).as_dict(private=False)


# ---------------------------------------------------------------------- the floor server
def serve_floor(port: int, database_url: str) -> None:
    """The baseline: FastAPI, the same Database class, one INSERT per request, no auth."""
    import uvicorn
    from fastapi import FastAPI
    from psy_platform.db import Database
    from sqlalchemy import text

    db = Database(database_url)
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/insert", status_code=201)
    async def insert(body: dict[str, str]) -> dict[str, str]:
        row_id = uuid.uuid4()
        async with db.transaction() as session:
            await session.execute(
                text("INSERT INTO floor (id, slot_id, participant_id) VALUES (:i, :s, :p)"),
                {"i": row_id, "s": uuid.UUID(body["slot_id"]), "p": uuid.UUID(body["p"])},
            )
        return {"id": str(row_id)}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# ---------------------------------------------------------------------- load generation
@dataclass
class Run:
    latencies: list[float]
    statuses: Counter[str]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def _status(response: httpx.Response) -> str:
    if response.status_code < 400:
        return str(response.status_code)
    try:
        return f"{response.status_code} {response.json()['error']['code']}"
    except (ValueError, KeyError, TypeError):
        return str(response.status_code)


async def closed_loop(base: str, send: Send, first: int, n: int, concurrency: int) -> Run:
    limits = httpx.Limits(max_connections=concurrency, keepalive_expiry=2)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    counter = iter(range(first, first + n))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for i in counter:
                started = time.perf_counter()
                response = await send(client, i)
                latencies.append(time.perf_counter() - started)
                statuses[_status(response)] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Run(latencies, statuses, time.perf_counter() - started)


async def open_loop(base: str, send: Send, first: int, rate: float, seconds: float) -> Run:
    """Requests arrive at a fixed rate whatever the answers do (latency under a steady load)."""
    n = max(1, int(rate * seconds))
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=256, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            started = time.perf_counter()
            response = await send(client, first + i)
            latencies.append(time.perf_counter() - started)
            statuses[_status(response)] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, t0 + i / rate) for i in range(n)))
        return Run(latencies, statuses, time.perf_counter() - t0)


# ---------------------------------------------------------------------- setup
async def seed(raw_url: str, slots: int, participants: int) -> tuple[list[uuid.UUID], ...]:
    """Replicas as the consumers would have built them: one psychologist, free slots, parents."""
    psychologist = uuid.uuid4()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    slot_ids = [uuid.uuid4() for _ in range(slots)]
    parent_ids = [uuid.uuid4() for _ in range(participants)]
    conn = await asyncpg.connect(raw_url)
    try:
        await conn.execute(
            "INSERT INTO psychologist (id, timezone, topics, formats) VALUES ($1, $2, $3, $4)",
            psychologist,
            "Europe/Samara",
            [TOPIC, "bench-other"],
            ["video", "chat", "in_person"],
        )
        await conn.copy_records_to_table(
            "slot",
            columns=["id", "psychologist_id", "starts_at", "ends_at", "timezone", "formats"],
            records=[
                (
                    s,
                    psychologist,
                    now + timedelta(hours=1, minutes=i),
                    now + timedelta(hours=1, minutes=i + 50),
                    "Europe/Samara",
                    ["video", "chat"],
                )
                for i, s in enumerate(slot_ids)
            ],
        )
        await conn.copy_records_to_table(
            "account", columns=["id", "role"], records=[(p, "parent") for p in parent_ids]
        )
    finally:
        await conn.close()
    return slot_ids, parent_ids


# ---------------------------------------------------------------------- the scenario
async def main(quick: bool = False) -> str:
    plan = QUICK if quick else FULL
    from fastapi import FastAPI

    sys.path.insert(0, str(ROOT))
    from tests.support.serve import serving

    issuer = Issuer()
    jwks_app = FastAPI()
    jwks_app.get("/.well-known/jwks.json")(issuer.jwks)

    tag = uuid.uuid4().hex[:6]
    booking_db, floor_db = f"psy_bench_booking_{tag}", f"psy_bench_floor_{tag}"
    booking_raw = await create_database(booking_db)
    floor_raw = await create_database(floor_db)
    conn = await asyncpg.connect(floor_raw)
    await conn.execute(
        "CREATE TABLE floor (id uuid PRIMARY KEY, slot_id uuid NOT NULL,"
        " participant_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
    )
    await conn.close()

    booking_port, floor_port = free_port(), free_port()
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with serving(jwks_app) as jwks_base:
            env = {
                **os.environ,
                "BOOKING_PORT": str(booking_port),
                "BOOKING_DATABASE_URL": booking_raw.replace(
                    "postgresql://", "postgresql+asyncpg://"
                ),
                "BOOKING_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
                "BOOKING_KAFKA_TOPIC_PREFIX": f"bench{tag}.",
                "BOOKING_REDIS_URL": REDIS,
                "BOOKING_JWKS_URL": f"{jwks_base}/.well-known/jwks.json",
                "BOOKING_LOG_LEVEL": "WARNING",
            }
            processes.append(
                await asyncio.create_subprocess_exec(sys.executable, "-m", "psy_booking", env=env)
            )
            floor_url = floor_raw.replace("postgresql://", "postgresql+asyncpg://")
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.booking",
                    "--floor",
                    str(floor_port),
                    floor_url,
                    cwd=ROOT,
                )
            )
            booking_base = f"http://127.0.0.1:{booking_port}"
            floor_base = f"http://127.0.0.1:{floor_port}"
            await wait_healthy(Service("booking", processes[0], booking_base, booking_db))
            await wait_healthy(Service("floor", processes[1], floor_base, floor_db))
            return await measure(plan, issuer, booking_base, floor_base, booking_raw)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        await drop_database(booking_db)
        await drop_database(floor_db)


async def measure(
    plan: Plan, issuer: Issuer, booking_base: str, floor_base: str, booking_raw: str
) -> str:
    per_level = sum(n for _, n in plan.levels)
    half_rate_max = int(plan.half_rate_seconds * 400)  # enough slots for up to 800 req/s peak
    requests = plan.warmup + per_level + half_rate_max
    slot_ids, parent_ids = await seed(booking_raw, requests, requests)
    headers = [issuer.headers(p) for p in parent_ids]

    async def book(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {"slot_id": str(slot_ids[i]), "format": "video", "topics": [TOPIC]}
        return await client.post(
            "/bookings", json=body, headers={**headers[i], "Idempotency-Key": uuid.uuid4().hex}
        )

    async def insert(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.post(
            "/insert", json={"slot_id": str(slot_ids[i]), "p": str(parent_ids[i])}
        )

    await closed_loop(booking_base, book, 0, plan.warmup, 8)
    await closed_loop(floor_base, insert, 0, plan.warmup, 8)
    rows = []
    cursor = plan.warmup
    for concurrency, n in plan.levels:
        # Interleaved, so both see the same machine load (it is shared) within seconds.
        floor = await closed_loop(floor_base, insert, cursor, n, concurrency)
        booking = await closed_loop(booking_base, book, cursor, n, concurrency)
        cursor += n
        rows.append((concurrency, booking, floor))
    best = max(b.rate for _, b, _ in rows)
    steady = await open_loop(booking_base, book, cursor, best / 2, plan.half_rate_seconds)
    contention = await contend(plan, issuer, booking_base, booking_raw)
    floor_raw = booking_raw.rsplit("/", 1)[0] + "/" + floor_base_db(booking_raw)
    pgbench = await pgbench_tps(floor_raw, 2 if plan is QUICK else 10)
    return report(plan, rows, steady, best, contention) + pgbench


def floor_base_db(booking_raw: str) -> str:
    return booking_raw.rsplit("/", 1)[1].replace("psy_bench_booking_", "psy_bench_floor_")


async def pgbench_tps(raw_url: str, seconds: int) -> str:
    """Baseline (b): pgbench, 8 clients, one single-row INSERT per transaction into the floor
    table, same PostgreSQL, same run."""
    import shutil
    import tempfile

    if not shutil.which("pgbench"):
        return "\npgbench baseline (b): pgbench not installed, not measured.\n"
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(
            "INSERT INTO floor (id, slot_id, participant_id) "
            "VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid());\n"
        )
    process = await asyncio.create_subprocess_exec(
        "pgbench", "-n", "-c", "8", "-j", "2", "-T", str(seconds), "-f", script.name, raw_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    os.unlink(script.name)
    tps = [line for line in out.decode().splitlines() if line.startswith("tps")]
    if process.returncode != 0 or not tps:
        return f"\npgbench baseline (b) failed: {err.decode()[-200:]}\n"
    return (
        f"\npgbench baseline (b), same run: 8 clients, single-row INSERT into the same PostgreSQL "
        f"for {seconds} s: **{float(tps[0].split()[2]):.0f} TPS** (no HTTP, no Python).\n"
    )


async def contend(
    plan: Plan, issuer: Issuer, base: str, raw_url: str
) -> tuple[Counter[int], Counter[str], float, int]:
    """`bookers` fresh parents per round race for one slot; count the winners per round."""
    slot_ids, parent_ids = await seed(raw_url, plan.rounds, plan.rounds * plan.bookers)
    winners: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=plan.bookers, keepalive_expiry=2)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        for r, slot in enumerate(slot_ids):
            racers = parent_ids[r * plan.bookers : (r + 1) * plan.bookers]
            body = {"slot_id": str(slot), "format": "video", "topics": [TOPIC]}
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/bookings",
                        json=body,
                        headers={**issuer.headers(p), "Idempotency-Key": uuid.uuid4().hex},
                    )
                    for p in racers
                )
            )
            statuses = Counter(_status(x) for x in responses)
            outcomes.update(statuses)
            winners[statuses["201"]] += 1
    seconds = time.perf_counter() - started
    conn = await asyncpg.connect(raw_url)
    try:
        doubles = await conn.fetchval(
            "SELECT count(*) FROM (SELECT slot_id FROM booking WHERE status = 'confirmed' "
            "GROUP BY slot_id HAVING count(*) > 1) d"
        )
    finally:
        await conn.close()
    return winners, outcomes, seconds, int(doubles)


def report(
    plan: Plan,
    rows: list[tuple[int, Run, Run]],
    steady: Run,
    best: float,
    contention: tuple[Counter[int], Counter[str], float, int],
) -> str:
    lines = [
        "## booking",
        "",
        "POST /bookings (every rule, JWT, Redis hold check, idempotency key, outbox) next to a",
        "bare FastAPI endpoint doing one INSERT into the same PostgreSQL; each server is one",
        "uvicorn process, closed-loop load from one asyncio+httpx process, same run, interleaved.",
        "",
        "| concurrency | endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for concurrency, booking, floor in rows:
        for name, run in (("POST /bookings", booking), ("bare INSERT", floor)):
            answers = ", ".join(f"{k}×{v}" for k, v in sorted(run.statuses.items()))
            lines.append(
                f"| {concurrency} | {name} | {len(run.latencies)} | {run.rate:.0f} | "
                f"{run.pct(0.5):.1f} | {run.pct(0.95):.1f} | {run.pct(0.99):.1f} | {answers} |"
            )
    for label, i in (("POST /bookings (closed loop)", 1), ("bare INSERT (closed loop)", 2)):
        SERIES[label] = [
            (r[i].rate, r[i].pct(0.5), r[i].pct(0.95), r[i].pct(0.99))
            for r in rows  # type: ignore[attr-defined]
        ]
    SERIES["POST /bookings (open loop, ½ max)"] = [
        (steady.rate, steady.pct(0.5), steady.pct(0.95), steady.pct(0.99))
    ]
    lines += ["", "| concurrency | booking / floor throughput |", "|---|---|"]
    lines += [f"| {c} | {b.rate / f.rate:.2f}× |" for c, b, f in rows]
    ratio = max(b.rate / f.rate for _, b, f in rows)
    steady_answers = ", ".join(f"{k}×{v}" for k, v in sorted(steady.statuses.items()))
    lines += [
        "",
        f"Open loop at half the best booking rate ({best / 2:.0f} req/s for "
        f"{plan.half_rate_seconds:.0f} s, {len(steady.latencies)} requests): p50 "
        f"{steady.pct(0.5):.1f} ms, p95 {steady.pct(0.95):.1f} ms, p99 {steady.pct(0.99):.1f} ms "
        f"({steady_answers}).",
        "",
        f"**Target ≥ 0.5× the bare INSERT: {'MET' if ratio >= 0.5 else 'MISSED'}**"
        f" (best ratio {ratio:.2f}×). "
        f"**Target p99 ≤ 100 ms at half the maximum rate: "
        f"{'MET' if steady.pct(0.99) <= 100 else 'MISSED'}** ({steady.pct(0.99):.0f} ms). ",
    ]
    winners, outcomes, seconds, doubles = contention
    lines += [
        "",
        f"Contention: {plan.bookers} concurrent POST /bookings for one slot × {plan.rounds} rounds "
        f"({seconds:.0f} s): rounds by number of winners {dict(sorted(winners.items()))}; "
        f"answers {dict(sorted(outcomes.items()))}; slots with two confirmed bookings: {doubles}.",
        "",
        f"**Contention — exactly one winner every round: "
        f"{'MET' if set(winners) == {1} and doubles == 0 else 'MISSED'}**.",
    ]
    return "\n".join(lines) + "\n"


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--floor", nargs=2, metavar=("PORT", "DATABASE_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.floor:
        serve_floor(int(args.floor[0]), args.floor[1])
        return
    section = asyncio.run(main(quick=args.quick))
    out = ROOT / "bench/out/booking.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    note = f"\n_load average at the end: {load[0]:.1f} (machine shared, {os.cpu_count()} cores)_\n"
    out.write_text(section + note, encoding="utf-8")
    print(section + note)
    print(json.dumps({"written": str(out)}))


if __name__ == "__main__":
    cli()
