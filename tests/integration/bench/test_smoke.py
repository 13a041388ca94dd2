"""The benchmark harness still runs end to end: `python -m bench --quick` (tiny sizes, seconds
per scenario, own service processes on free ports) writes a report with every scenario's
section and no failed one. The only bench thing CI runs; the figures themselves are not checked.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ["booking", "fanout", "burst", "search", "memory", "mail"]
HEADINGS = {
    "booking": "## booking",
    "fanout": "## fanout",
    "burst": "## burst",
    "search": "## search",
    "memory": "## memory",
    "mail": "## email",
}


def test_quick_run_reports_every_scenario(infra) -> None:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "REDIS_URL": infra.redis_url,
        "PSY_PG_ADMIN_URL": infra.pg_admin_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", *SCENARIOS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = (ROOT / "bench/out/quick.md").read_text(encoding="utf-8")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "FAILED" not in report, report
    for name, heading in HEADINGS.items():
        assert heading in report, f"no {name} section in the quick report"
    assert (ROOT / "bench/out/latency-quick.png").stat().st_size > 0
