#!/usr/bin/env python3
"""Rebuild times of the python-per-package example on two real PyPI apps (README.md here).

App W: fastapi, pydantic, uvicorn, httpx. App D: numpy, pandas, sqlalchemy. Every
distribution is pinned (a complete lock file). The script

1. downloads every wheel the cases need once into a local wheelhouse (PyPI, `pip download`);
2. builds the release `cnb-local` and the buildpack, packaged as a dir;
3. runs, for each app and each layer strategy (per-package, single), interleaved, ROUNDS
   times, the sequence: first build, no change, one small package bumped, one big package
   bumped, app code only; every build offline (`--no-index --find-links <wheelhouse>`);
4. prints the medians (wall time of `cnb-local build`, seconds), the per-package/single
   ratios, and the export phase's share after a bump.

Usage: run.py [ROUNDS]   (default 3). WHEELHOUSE=<dir> overrides target/python-apps-wheelhouse.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(os.environ.get("WHEELHOUSE", ROOT / "target" / "python-apps-wheelhouse"))

# Top-level pins; the lock adds every dependency at the version pip picks for them.
APPS = {
    "W": {
        "top": ["fastapi==0.110.0", "pydantic==2.6.4", "uvicorn==0.29.0", "httpx==0.27.0"],
        # The newest idna (the lock's) to 3.7; pydantic-core, W's biggest wheel, moves with
        # pydantic, which pins it exactly.
        "small": {"idna": "3.7"},
        "big": {"pydantic": "2.7.0", "pydantic-core": "2.18.1"},
        "imports": ["fastapi", "pydantic", "uvicorn", "httpx"],
    },
    "D": {
        "top": ["numpy==1.26.4", "pandas==2.2.1", "sqlalchemy==2.0.28"],
        "small": {"pytz": "2024.1"},
        "big": {"numpy": "1.26.3"},
        "imports": ["numpy", "pandas", "sqlalchemy"],
    },
}
CASES = ["first build", "no change", "one small package bumped", "one big package bumped",
         "app code only"]
STRATEGIES = ["per-package", "single"]


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def lock(app):
    """The complete pin list of an app's top-level pins, resolved against the wheelhouse."""
    with tempfile.TemporaryDirectory() as temp:
        report = Path(temp) / "report.json"
        run([sys.executable, "-m", "pip", "install", "--isolated", "--quiet", "--dry-run",
             "--ignore-installed", "--no-index", "--find-links", str(WHEELHOUSE),
             "--report", str(report), *APPS[app]["top"]])
        items = json.loads(report.read_text())["install"]
    return {normalize(i["metadata"]["name"]): i["metadata"]["version"] for i in items}


def bumped(pins, changes):
    pins = dict(pins)
    for name, new in changes.items():
        assert name in pins and pins[name] != new, f"{name} {new} is not a change of {pins}"
        pins[name] = new
    return pins


def fetch():
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    download = [sys.executable, "-m", "pip", "download", "--isolated", "--quiet",
                "--only-binary=:all:", "--dest", str(WHEELHOUSE)]
    for app in APPS.values():
        run([*download, *app["top"]])
    # The bumped versions alone: their dependencies are the base's.
    bumps = [f"{name}=={version}" for app in APPS.values()
             for case in ("small", "big") for name, version in app[case].items()]
    run([*download, "--no-deps", *bumps])


def variants(app):
    base = lock(app)
    small = bumped(base, APPS[app]["small"])
    return base, small, bumped(small, APPS[app]["big"])


def write_app(directory, pins, imports, code_version):
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["--no-index", f"--find-links {WHEELHOUSE}"]
    lines += [f"{name}=={version}" for name, version in sorted(pins.items())]
    (directory / "requirements.txt").write_text("\n".join(lines) + "\n")
    body = "".join(f"import {module}\n" for module in imports)
    (directory / "app.py").write_text(f"{body}print('app version {code_version}')\n")


def package(work):
    for package_, binary in [("libcnb-lite-test", "cnb-local"),
                             ("python-per-package", "python-per-package")]:
        run(["cargo", "build", "--release", "--quiet", "-p", package_, "--bin", binary],
            cwd=ROOT)
    buildpack = work / "buildpack"
    (buildpack / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "examples/python-per-package/buildpack.toml", buildpack)
    binary = ROOT / "target/release/python-per-package"
    for name in ["detect", "build"]:
        shutil.copy(binary, buildpack / "bin" / name)
    return ROOT / "target/release/cnb-local", buildpack


def seconds_of(text, phase):
    match = re.search(rf"\b{phase} ([0-9.]+) ?(ms|s)\b", text)
    if not match:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "ms" else value


def build(cnb_local, buildpack, app_dir, state, strategy):
    start = time.perf_counter()
    result = subprocess.run(
        [str(cnb_local), "build", "--buildpack", str(buildpack), "--app", str(app_dir),
         "--state", str(state), "--env", f"BP_PYTHON_LAYER_STRATEGY={strategy}"],
        capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"cnb-local build failed:\n{result.stdout}\n{result.stderr}")
    timings = next((l for l in result.stdout.splitlines() if l.startswith("Timings:")), "")
    return wall, seconds_of(timings, "export"), result.stdout


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"== fetching wheels into {WHEELHOUSE} (once)", flush=True)
    fetch()
    apps = {app: variants(app) for app in APPS}
    for app, (base, _, _) in apps.items():
        print(f"app {app}: {len(base)} distributions: "
              + ", ".join(f"{n}=={v}" for n, v in sorted(base.items())))
    work = Path(tempfile.mkdtemp(prefix="python-apps-"))
    try:
        cnb_local, buildpack = package(work)
        times = {}  # (app, strategy, case) -> [seconds]
        exports = {}  # (app, strategy, case) -> [export seconds]
        for round_ in range(1, rounds + 1):
            for app, (base, small, big) in apps.items():
                imports = APPS[app]["imports"]
                order = STRATEGIES if round_ % 2 else list(reversed(STRATEGIES))
                for strategy in order:
                    app_dir = work / f"app-{app}-{strategy}"
                    state = work / f"state-{app}-{strategy}"
                    shutil.rmtree(app_dir, ignore_errors=True)
                    shutil.rmtree(state, ignore_errors=True)
                    steps = [(base, 1), (base, 1), (small, 1), (big, 1), (big, 2)]
                    for case, (pins, code) in zip(CASES, steps):
                        write_app(app_dir, pins, imports, code)
                        wall, export, _ = build(cnb_local, buildpack, app_dir, state, strategy)
                        times.setdefault((app, strategy, case), []).append(wall)
                        exports.setdefault((app, strategy, case), []).append(export)
                        print(f"round {round_} {app} {strategy:<11} {case:<25} {wall:6.2f} s"
                              f" (export {export} s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = lambda key: statistics.median(times[key])
    print(f"\nMedians of {rounds} interleaved runs (seconds, wall time of cnb-local build):\n")
    print("| case | W per-package | W single | D per-package | D single | W pp/single | D pp/single |")
    print("|---|---|---|---|---|---|---|")
    for case in CASES:
        cells = [f"{median((app, s, case)):.2f}" for app in APPS for s in STRATEGIES]
        ratios = [f"{median((app, 'per-package', case)) / median((app, 'single', case)):.2f}"
                  for app in APPS]
        print(f"| {case} | " + " | ".join(cells + ratios) + " |")
    print("\nExport phase (median seconds; after a bump vs a first build's full export):")
    for app in APPS:
        for strategy in STRATEGIES:
            median_export = lambda case: statistics.median(exports[(app, strategy, case)])
            first = median_export("first build")
            shares = ", ".join(
                f"{case.split()[1]} bump {median_export(case):.2f} "
                f"({100 * median_export(case) / first:.0f}%)"
                for case in ("one small package bumped", "one big package bumped"))
            print(f"  {app} {strategy:<11} full {first:.2f}; {shares}")


if __name__ == "__main__":
    main()
