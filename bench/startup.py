"""How long a ``corral`` command takes from exec to exit, against ``python -c pass``.

Targets (issue 8): ``corral --version`` under 150 ms and a daemon round trip
(``corral version``, ``corral net-list``) under 200 ms on this machine. The figures are
measured, not asserted by the test suite; ``--strict`` makes a miss exit 1. Every
contender is a fresh process, timed interleaved with the others (``timing.timed_rounds``),
and the ratio against ``python -c pass`` of the same run says how much of it is corral's.
A daemon is started for the round trips when ``corrald`` sits beside this interpreter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed_rounds

BIN = Path(sys.executable).parent
NETWORK = Path(__file__).resolve().parents[1] / "tests/data/xml/conformance/network/nat-network.xml"


def _run(argv: list[str]) -> None:
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _start_daemon(root: str) -> subprocess.Popen[bytes] | None:
    corrald = BIN / "corrald"
    if not corrald.exists():
        return None
    daemon = subprocess.Popen([str(corrald), "--root", root], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    socket = Path(root, "run/corral/corrald-sock")
    deadline = time.monotonic() + 30
    while not socket.exists() and time.monotonic() < deadline and daemon.poll() is None:
        time.sleep(0.05)
    if not socket.exists():
        daemon.kill()
        daemon.wait()
        return None
    return daemon


def main() -> int:
    """Time the contenders and print one line each; exit 1 with --strict on a miss."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args()
    corral = str(BIN / "corral")
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as root:
        daemon = _start_daemon(root)
        try:
            cases: dict[str, tuple[list[str], float | None]] = {
                "python -c pass": ([sys.executable, "-c", "pass"], None),
                "corral --version": ([corral, "--version"], 0.150),
                "corral net-list (no daemon)": ([corral, "-c", f"{root}/absent", "net-list"],
                                                None),
            }
            if NETWORK.exists():
                cases["corral validate (lxml)"] = ([corral, "validate", str(NETWORK)], None)
            if daemon is not None:
                cases["corral version (round trip)"] = ([corral, "--root", root, "version"],
                                                        0.200)
                cases["corral net-list (round trip)"] = ([corral, "--root", root, "net-list"],
                                                         0.200)
            samples = timed_rounds([lambda a=argv: _run(a) for argv, _ in cases.values()],
                                   args.rounds)
        finally:
            if daemon is not None:
                daemon.terminate()
                daemon.wait()
    base = statistics.median(samples[0])
    print(f"{'command':<32} {'median ms':>9} {'× python':>9}  target")
    failed = False
    for (name, (_, target)), times in zip(cases.items(), samples, strict=True):
        median = statistics.median(times)
        verdict = "" if target is None else \
            f"< {target * 1000:.0f} ms {'PASS' if median < target else 'FAIL'}"
        failed |= target is not None and median >= target
        print(f"{name:<32} {median * 1000:>9.1f} {median / base:>8.2f}×  {verdict}")
    if daemon is None:
        print("(no corrald beside this interpreter: the round trips were not measured)")
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    os.environ.pop("CORRAL_DEFAULT_URI", None)
    sys.exit(main())
