"""Launch process of the python-per-package demo app.

Imports every top-level requirement, prints its version (from the module and
from the installed metadata), checks that the .pth startup hook of
demo-sitehook ran, then runs one console script found on PATH. Exits non-zero
if a package, its metadata, the hook or the console script is missing.

With PORT set (or a port as its argument), it then serves that report over
HTTP on that port (all interfaces), with the standard library's http.server,
until it is stopped.
"""

import http.server
import importlib
import importlib.metadata
import io
import os
import shutil
import subprocess
import sys

# Distribution name -> import name, as pinned in requirements.txt.
TOP_LEVEL = {
    "Demo.Web": "demo_web",
    "demo-client": "demo_client",
    "demo_scheduler": "demo_scheduler",
    "DEMO-CLI": "demo_cli",
    "demo-metrics": "demo_metrics",
    "demo.db": "demo_db",
    "demo-report": "demo_report",
    "Demo-Auth": "demo_auth",
    "demo-python-slugify": "demo_slugify",
    "demo_tz": "demo_tz",
    "demo-urlkit": "demo_urlkit",
}
CONSOLE_SCRIPT = "demo-cli"


def main():
    for dist, module_name in TOP_LEVEL.items():
        module = importlib.import_module(module_name)
        installed = importlib.metadata.version(dist)
        if installed != module.__version__:
            sys.exit(f"{dist}: module reports {module.__version__} but metadata says {installed}")
        print(f"{dist}=={installed} ({module.__file__})")
    print(f"demo_tz zones: {importlib.import_module('demo_tz').read_data('zones.json').strip()}")

    # The hook only runs if the directory holding demo_sitehook.pth was added as a
    # site dir (site.addsitedir), not merely appended to sys.path.
    if not importlib.import_module("demo_sitehook").ACTIVATED:
        sys.exit("demo_sitehook.pth did not run: its directory is not a site dir")
    print("demo_sitehook.pth ran at startup")

    script = shutil.which(CONSOLE_SCRIPT)
    if script is None:
        sys.exit(f"console script {CONSOLE_SCRIPT} is not on PATH")
    completed = subprocess.run([script, "--version"], capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{script} --version failed with exit code {completed.returncode}:\n{completed.stderr}")
    print(f"{script} --version: {completed.stdout.strip()}")


def serve(port, report):
    body = report.encode()

    class Report(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("", port), Report)
    print(f"serving on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    port = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT")
    if port is None:
        main()
    else:
        captured = io.StringIO()
        stdout, sys.stdout = sys.stdout, captured
        try:
            main()
        finally:
            sys.stdout = stdout
        print(captured.getvalue(), end="")
        serve(int(port), captured.getvalue())
