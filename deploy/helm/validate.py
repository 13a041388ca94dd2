#!/usr/bin/env python3
"""Render the psy chart with Helm and validate every manifest offline.

    python deploy/helm/validate.py                      # default values and the production example
    python deploy/helm/validate.py -f my-values.yaml --set services.booking.replicas=3

Helm is built once from the Go module proxy into ~/.cache/psy-stack/bin (minutes on 2 cores) and
reused; the Kubernetes JSON Schemas come from the `kubernetes-validate` package (strict: unknown
fields fail), so nothing is downloaded at run time. Exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHART = HERE / "psy"
PRODUCTION_VALUES = CHART / "values-production-example.yaml"
HELM_VERSION = "v4.3.2"
CACHE_BIN = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "psy-stack" / "bin"
KUBE_VERSION = "1.31"  # the oldest Kubernetes the chart supports (Chart.yaml kubeVersion)


def helm_binary() -> str:
    """The cached Helm, built from source on first use (no prebuilt binary can be fetched)."""
    if explicit := os.environ.get("PSY_HELM"):
        return explicit
    helm = CACHE_BIN / "helm"
    if helm.exists():
        return str(helm)
    go = shutil.which("go")
    if go is None:
        sys.exit("helm is missing and there is no Go toolchain to build it")
    print(f"building helm {HELM_VERSION} into {CACHE_BIN} (takes minutes, once)", flush=True)
    CACHE_BIN.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOBIN": str(CACHE_BIN), "GOFLAGS": "-p=1", "CGO_ENABLED": "0"}
    subprocess.run(
        ["nice", "-n", "19", go, "install", f"helm.sh/helm/v4/cmd/helm@{HELM_VERSION}"],
        check=True,
        env=env,
    )
    return str(helm)


def render(helm_args: list[str], kube_version: str = KUBE_VERSION) -> str:
    """`helm lint` then `helm template`; raises CalledProcessError with Helm's message."""
    helm = helm_binary()
    for cmd in (
        [helm, "lint", "--strict", str(CHART), *helm_args],
        [helm, "template", "psy", str(CHART), "--kube-version", kube_version, *helm_args],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, done.stderr)
    return done.stdout


def policy_problems(doc: dict[str, Any]) -> list[str]:
    """What the schemas allow but this chart promises: hardened pods, probes on the right paths."""
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec")
    if not pod:
        return []
    problems = []
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        problems.append("pod may run as root")
    for c in pod.get("containers", []):
        sc = c.get("securityContext", {})
        if not (
            sc.get("readOnlyRootFilesystem")
            and sc.get("allowPrivilegeEscalation") is False
            and sc.get("capabilities", {}).get("drop") == ["ALL"]
        ):
            problems.append(f"container {c['name']} is not locked down")
        if doc["kind"] == "Deployment":
            probes = (c.get("readinessProbe", {}), c.get("livenessProbe", {}))
            paths = [p.get("httpGet", {}).get("path") for p in probes]
            if paths != ["/readyz", "/healthz"]:
                problems.append(f"container {c['name']} probes {paths}")
    return problems


def validate(manifests: str, kube_version: str = KUBE_VERSION) -> tuple[int, list[str]]:
    """(number of manifests, problems) for a multi-document YAML stream."""
    import kubernetes_validate
    import yaml

    docs = [d for d in yaml.safe_load_all(manifests) if d]
    problems = []
    for doc in docs:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(map(str, exc.absolute_path))
            problems.append(f"{name}: {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{name}: {exc.message}")
        problems += [f"{name}: {p}" for p in policy_problems(doc)]
    return len(docs), problems


def check(label: str, helm_args: list[str], kube_version: str) -> bool:
    try:
        manifests = render(helm_args, kube_version)
    except subprocess.CalledProcessError as exc:
        print(f"FAIL {label}: helm refused\n{exc.stdout}{exc.stderr}".rstrip())
        return False
    count, problems = validate(manifests, kube_version)
    for problem in problems:
        print(f"  {problem}")
    print(f"{'FAIL' if problems else 'ok  '} {label}: {count} manifests, Kubernetes {kube_version}")
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kube-version", default=KUBE_VERSION)
    args, helm_args = parser.parse_known_args()
    if helm_args:
        runs = {"given values": helm_args}
    else:
        runs = {"default values": [], "production example": ["-f", str(PRODUCTION_VALUES)]}
    results = [check(label, a, args.kube_version) for label, a in runs.items()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
