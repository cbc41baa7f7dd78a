"""pip driver of the python-per-package buildpack.

Runs pip's command-line entry point in this one process, once to resolve and once to install,
so that pip starts (about 0.2 s of imports) once per build. The buildpack runs it as

    <venv>/bin/python -I -S -c <this file> <pip package dir>

so that console scripts get the venv's python as their shebang (pip writes sys.executable),
no site-packages (and no .pth file of an installed package) is imported, and the app directory
is not on sys.path. The parent of pip's package directory is appended to sys.path: pip vendors
its dependencies, so nothing else is needed, and appending keeps the standard library first.

Protocol: one JSON request per line on stdin, one JSON reply per line on the original stdout.
Everything pip prints goes to stderr, which the buildpack passes through.

    {"command": "resolve", "requirements": "requirements.txt", "report": "/tmp/report.json",
     "no_deps": false}
    -> {"status": 0, "seconds": 0.41}

    {"command": "install", "staging": "<dir>", "artifacts": ["file:///...whl#sha256=..."],
     "targets": {"<normalised name>": "<layer dir>"}, "wheel_cache": "<dir>" or null}
    -> {"status": 0, "pip_seconds": 0.2, "downloaded": 1, "cached": 3,
        "placed": {"<layer dir>": {"files": 12, "seconds": 0.01}}}

A failed request replies {"status": <non-zero>, "error": "..."}.

Installing: pip installs every artifact with --no-deps --prefix <staging> (one pip run), then
each distribution's files, as listed in its RECORD, are moved (renamed) into its layer:

    purelib/platlib files -> <layer>/site-packages/<path>
    scripts               -> <layer>/bin/<name>
    other data files      -> <layer>/site-packages/<path relative to the prefix>

which is the layout of `pip install --target <layer>/site-packages` with bin/ moved to the
layer root. With a wheel cache, a remote artifact (http, https) is first downloaded once, with
pip's own session, to <wheel cache>/<sha256>/<file name> and its hash checked, and pip installs
that file: a reinstall never downloads again. RECORD is rewritten with paths relative to <layer>/site-packages, and the .py files
are compiled after the move, so that the .pyc files name their final path.
"""

import csv
import json
import os
import re
import sys
import time


def main():
    pip_dir = sys.argv[1]
    sys.path.append(os.path.dirname(pip_dir))
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # pip's output, and anything else written to fd 1, goes to stderr
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = handle(request)
        except Exception as error:  # reported to the buildpack, which fails the build
            reply = {"status": 1, "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    # pip has written and closed everything by now; skipping the interpreter's finalisation
    # (about 0.2 s after pip has been imported) is safe and worth it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def handle(request):
    command = request["command"]
    if command == "resolve":
        return resolve(request)
    if command == "install":
        return install(request)
    raise ValueError(f"unknown command {command!r}")


def run_pip(arguments):
    from pip._internal.cli.main import main as pip_main

    # --isolated: no PIP_* variables and no pip.conf, so that the requirements file (and the
    # cache key made from it) is all that decides the result.
    return pip_main(["--isolated", "--disable-pip-version-check", "--no-input", *arguments])


def resolve(request):
    start = time.perf_counter()
    status = run_pip(
        [
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            request["report"],
            *(["--no-deps"] if request.get("no_deps") else []),
            "--requirement",
            request["requirements"],
        ]
    )
    return {"status": status, "seconds": time.perf_counter() - start}


def install(request):
    staging = request["staging"]
    start = time.perf_counter()
    artifacts, downloaded, cached = fetch(request["artifacts"], request.get("wheel_cache"))
    status = run_pip(
        [
            "install",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            "--no-compile",
            "--no-warn-script-location",
            "--no-warn-conflicts",
            "--root-user-action=ignore",
            "--quiet",
            "--prefix",
            staging,
            *artifacts,
        ]
    )
    pip_seconds = time.perf_counter() - start
    if status != 0:
        return {"status": status, "error": "pip install failed"}

    from pip._internal.locations import get_scheme

    scheme = get_scheme("", prefix=staging)
    targets = request["targets"]
    placed = {}
    seen = set()
    for lib in dict.fromkeys([scheme.purelib, scheme.platlib]):
        if not os.path.isdir(lib):
            continue
        for entry in sorted(os.listdir(lib)):
            if not entry.endswith(".dist-info"):
                continue
            name = normalize(distribution_name(os.path.join(lib, entry)))
            if name not in targets:
                raise ValueError(f"pip installed {name}, which was not asked for")
            seen.add(name)
            layer = targets[name]
            files, seconds = place(lib, entry, scheme, staging, layer)
            stats = placed.setdefault(layer, {"files": 0, "seconds": 0.0})
            stats["files"] += files
            stats["seconds"] += seconds
    missing = sorted(set(targets) - seen)
    if missing:
        raise ValueError(f"pip did not install {', '.join(missing)}")
    return {
        "status": 0,
        "pip_seconds": pip_seconds,
        "downloaded": downloaded,
        "cached": cached,
        "placed": placed,
    }


def fetch(artifacts, wheel_cache):
    """Replaces remote artifacts by files of the wheel cache, downloading each one once."""
    if not wheel_cache:
        return artifacts, 0, 0
    import pathlib
    import urllib.parse

    local = []
    downloaded = cached = 0
    for artifact in artifacts:
        url, _, fragment = artifact.partition("#")
        if not url.startswith(("http://", "https://")):
            local.append(artifact)
            continue
        sha256 = fragment[len("sha256="):]
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        if not re.fullmatch(r"[0-9a-f]{64}", sha256) or name in ("", ".", ".."):
            raise ValueError(f"cannot cache {artifact}: no sha256 or file name")
        directory = os.path.join(wheel_cache, sha256)
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            cached += 1
        else:
            download(url, directory, path, sha256)
            downloaded += 1
        local.append(f"{pathlib.Path(path).as_uri()}#sha256={sha256}")
    return local, downloaded, cached


def download(url, directory, path, sha256):
    """Downloads url to path through a temporary file, checking its sha256."""
    import hashlib
    import tempfile

    from pip._internal.network.session import PipSession

    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha256()
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".download-")
    try:
        with os.fdopen(descriptor, "wb") as out, PipSession() as session:
            response = session.get(url, stream=True)
            response.raise_for_status()
            for chunk in response.iter_content(1 << 16):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ValueError(f"{url} has sha256 {digest.hexdigest()}, expected {sha256}")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def distribution_name(dist_info):
    with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as metadata:
        for line in metadata:
            if line.startswith("Name:"):
                return line[len("Name:"):].strip()
            if not line.strip():
                break
    raise ValueError(f"{dist_info}/METADATA has no Name")


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def is_within(path, directory):
    return os.path.commonpath([path, directory]) == directory


def place(lib, dist_info, scheme, prefix, layer):
    """Moves one distribution from the staging prefix into its layer and compiles it."""
    import compileall
    import importlib.util
    import py_compile

    start = time.perf_counter()
    site = os.path.join(layer, "site-packages")
    bin_dir = os.path.join(layer, "bin")
    record_path = os.path.join(lib, dist_info, "RECORD")
    with open(record_path, newline="", encoding="utf-8") as record_file:
        rows = list(csv.reader(record_file))

    new_rows = []
    sources = []
    for row in rows:
        if not row:
            continue
        source = os.path.normpath(os.path.join(lib, row[0]))
        if source == record_path:
            continue
        for root in (scheme.purelib, scheme.platlib):
            if is_within(source, root):
                destination = os.path.join(site, os.path.relpath(source, root))
                break
        else:
            if is_within(source, scheme.scripts):
                destination = os.path.join(bin_dir, os.path.relpath(source, scheme.scripts))
            elif is_within(source, prefix):
                destination = os.path.join(site, os.path.relpath(source, prefix))
            else:
                raise ValueError(f"{dist_info} installed {source}, outside {prefix}")
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        os.replace(source, destination)
        new_rows.append([os.path.relpath(destination, site), *row[1:]])
        sources.append(destination)

    # Hash-based .pyc files (PEP 552) instead of ones that embed the source's mtime (the
    # install time): the same distribution gives a byte-identical layer whenever it is
    # installed, so its image layer keeps its digest.
    checked_hash = py_compile.PycInvalidationMode.CHECKED_HASH
    for path in sources:
        if path.endswith(".py") and is_within(path, site):
            if compileall.compile_file(
                path, force=True, quiet=2, invalidation_mode=checked_hash
            ):
                pyc = importlib.util.cache_from_source(path)
                new_rows.append([os.path.relpath(pyc, site), "", ""])

    record = os.path.join(site, dist_info, "RECORD")
    new_rows.append([os.path.relpath(record, site), "", ""])
    with open(record, "w", newline="", encoding="utf-8") as record_file:
        csv.writer(record_file, lineterminator="\n").writerows(new_rows)
    return len(new_rows), time.perf_counter() - start


main()
