"""The Helm chart renders with the default and the production-like values, every manifest passes
the Kubernetes schemas offline, and a broken value or manifest fails the validation."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip(
    "kubernetes_validate", reason="dev dependency kubernetes-validate (Kubernetes JSON schemas)"
)

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "helm" / "validate.py"
# Building Helm from source, when it is not cached yet, takes minutes on two cores.
pytestmark = pytest.mark.timeout(1800)

spec = importlib.util.spec_from_file_location("chart_validate", SCRIPT)
assert spec and spec.loader
chart = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chart)


@pytest.fixture(scope="module", autouse=True)
def helm() -> str:
    if not (chart.CACHE_BIN / "helm").exists() and shutil.which("go") is None:
        pytest.skip("no cached helm and no Go toolchain to build it")
    return chart.helm_binary()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_default_and_production_values_render_valid_manifests() -> None:
    done = run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   default values" in done.stdout
    assert "ok   production example" in done.stdout


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        (["--set", "services.booking.replicas=two"], "got string, want integer"),
        (["--set", "services.notify.port=-1"], "minimum: got -1"),
        (["--set", "env=staging"], "/env"),
        # Passes the values schema, caught by the Kubernetes schema: annotations are strings.
        (["--set-json", 'podAnnotations={"prometheus.io/port": 8004}'], "is not of type 'string'"),
    ],
    ids=["replicas-two", "negative-port", "unknown-env", "numeric-annotation"],
)
def test_a_broken_value_fails_validation(values: list[str], complaint: str) -> None:
    done = run(*values)
    assert done.returncode == 1, done.stdout
    assert complaint in done.stdout


def test_a_broken_manifest_fails_the_kubernetes_schema_and_the_policy() -> None:
    manifests = chart.render([])
    count, problems = chart.validate(manifests)
    assert count > 0 and problems == []

    tampered = manifests.replace("replicas: 2", "replicas: two", 1)
    assert any("replicas: 'two' is not of type 'integer'" in p for p in chart.validate(tampered)[1])
    typo = manifests.replace("readinessProbe:", "readinesProbe:", 1)  # strict: unknown field
    assert any("readinesProbe" in p for p in chart.validate(typo)[1])
    writable = manifests.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
    assert any("is not locked down" in p for p in chart.validate(writable)[1])


def test_production_values_never_point_at_the_simulators() -> None:
    docs = [d for d in yaml.safe_load_all(chart.render(["-f", str(chart.PRODUCTION_VALUES)])) if d]
    env = {
        e["name"]: e.get("value")
        for d in docs
        if d["kind"] in ("Deployment", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
    }
    services = ("IDENTITY", "CATALOG", "BOOKING", "NOTIFY", "SESSIONS", "PORTAL")
    assert {env[f"{s}_ENV"] for s in services} == {"production"}
    plain = [v for v in env.values() if v]
    assert not [v for v in plain if ":8009" in v or "127.0.0.1" in v or "localhost" in v]
