#!/usr/bin/env python3
"""Time from `cnb-local run` to the first HTTP response, next to `cnb-local launch`.

Builds the python-per-package demo app once (with --image), then starts its web process
ROUNDS times each way and reports the median time until a GET / is answered:
  run:    cnb-local run --publish 8080 -- 8080   (a runc container; the port it prints)
  launch: cnb-local launch -- <free port>        (the launcher's process, on the host network)
Needs root and runc (both use the sandbox), python3 with pip 23+. Usage:
  benches/container-start/run.py [ROUNDS]        # default 10
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def first_response(address, deadline):
    """Polls GET / on address until it is answered; returns when it was."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=5) as conn:
                conn.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                if conn.recv(12).startswith(b"HTTP/1.0 200"):
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"no response from {address}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process):
    # SIGINT: cnb-local dies (its watchdog removes a container); runc forwards it to
    # Python, which exits on KeyboardInterrupt (as pid 1 it would ignore SIGTERM).
    os.killpg(process.pid, signal.SIGINT)
    process.wait()


def time_run(cnb_local, state):
    started = time.monotonic()
    process = subprocess.Popen(
        [cnb_local, "run", "--state", state, "--publish", "8080", "--", "8080"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    for line in process.stderr:
        if line.startswith("Published: container port 8080 at "):
            host, port = line.rsplit(" ", 1)[1].strip().rsplit(":", 1)
            break
    else:
        raise SystemExit("cnb-local run printed no address")
    answered = first_response((host, int(port)), started + 60)
    stop(process)
    return answered - started


def time_launch(cnb_local, state):
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [cnb_local, "launch", "--state", state, "--", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    answered = first_response(("127.0.0.1", port), started + 60)
    stop(process)
    return answered - started


def main():
    subprocess.run(["cargo", "build", "--release", "-p", "libcnb-lite-test", "--bin", "cnb-local",
                    "-p", "python-per-package"], cwd=ROOT, check=True)
    cnb_local = os.path.join(ROOT, "target/release/cnb-local")
    with tempfile.TemporaryDirectory() as work:
        state = os.path.join(work, "state")
        subprocess.run(
            [cnb_local, "build", "--buildpack", os.path.join(ROOT, "examples/python-per-package"),
             "--app", os.path.join(ROOT, "examples/python-per-package/demo"), "--state", state,
             "--image", os.path.join(work, "image")],
            check=True, stdout=subprocess.DEVNULL,
        )
        results = {"run": [], "launch": []}
        for _ in range(ROUNDS):
            results["run"].append(time_run(cnb_local, state))
            results["launch"].append(time_launch(cnb_local, state))
        for name, times in results.items():
            print(f"{name:6} median {statistics.median(times) * 1000:7.1f} ms  "
                  f"min {min(times) * 1000:7.1f}  max {max(times) * 1000:7.1f}  ({ROUNDS} rounds)")


if __name__ == "__main__":
    main()
