"""Run every corral benchmark (``make bench``): spawn, capture, XML, exec, networks.

Each benchmark runs in a fresh interpreter so one's 2 GiB ballast cannot colour the
other, and each prints its own ratios, measured in the same run against its peers.
``--strict`` makes the exit status 1 when a target fails. The figures of record and how
to read them are in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def _checkout() -> str:
    """The commit of the work tree the benchmarks sit in, when it is a git checkout."""
    if not (HERE.parent / ".git").exists():
        return "not a checkout"
    done = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def header() -> str:
    """Where and with what the figures were measured."""
    return "\n".join([
        f"corral benchmarks, {time.strftime('%Y-%m-%d %H:%M')}",
        f"python {platform.python_version()} ({sys.executable}), "
        f"kernel {platform.release()}, {os.cpu_count()} CPUs: {_cpu_model()}",
        f"corral {_version('corral')} (checkout {_checkout()}), "
        f"oslo.concurrency {_version('oslo.concurrency')}, euid {os.geteuid()}, "
        f"load average {os.getloadavg()[0]:.2f}",
    ])


BENCHMARKS = ("spawn", "capture", "xml", "exec", "dnsmasq_render", "network_lifecycle", "remote")


def main() -> int:
    """Run the benchmarks one after the other; the worst exit status wins."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--only", help="run one benchmark", choices=BENCHMARKS)
    args = parser.parse_args()
    print(header(), flush=True)
    status = 0
    for name in BENCHMARKS:
        if args.only not in (None, name):
            continue
        print(f"\n== {name} ==", flush=True)
        started = time.monotonic()
        argv = [sys.executable, str(HERE / f"{name}.py"), *(["--strict"] if args.strict else [])]
        status = max(status, subprocess.run(argv, check=False).returncode)
        print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
