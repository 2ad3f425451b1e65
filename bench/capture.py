"""Capture throughput: 1 GiB of stdout through corral, subprocess, and a bare pipe.

The ceiling is the pipe itself: ``head -c 1G /dev/zero | cat > /dev/null``, built here from
two processes joined by ``os.pipe()`` (no shell). A capture also has to fault in 1 GiB of
fresh memory for the result, which ``cat`` never does: the "floor" row times that alone.
The contenders take turns, round after round. Run on its own with
``python bench/capture.py`` or through ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from table import render
from timing import GIB, Ballast, timed_rounds

SIZE_ARG = "1G"
SIZE = GIB
TARGET = 4.0  # corral's throughput / subprocess's


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"capture benchmark: {name} is not installed")
    return path


HEAD, CAT = _tool("head"), _tool("cat")
PRODUCER = [HEAD, "-c", SIZE_ARG, "/dev/zero"]


def _expect_size(output: bytes | str) -> None:
    if len(output) != SIZE:
        raise RuntimeError(f"captured {len(output)} bytes instead of {SIZE}")


def corral_capture(command_class: Any) -> Callable[[], None]:
    """Capture the producer's stdout into a bytes buffer with corral."""

    def run() -> None:
        result = command_class.from_argv(PRODUCER).set_output_buffer(binary=True).run()
        _expect_size(result.stdout)

    return run


def subprocess_capture() -> None:
    """Capture it with ``subprocess.run(capture_output=True)``."""
    _expect_size(subprocess.run(PRODUCER, capture_output=True, check=True).stdout)


def pipe_ceiling() -> None:
    """``head -c 1G /dev/zero | cat > /dev/null`` without a shell: the pipe's own limit."""
    read_end, write_end = os.pipe()
    with subprocess.Popen(PRODUCER, stdout=write_end) as producer:
        os.close(write_end)
        with subprocess.Popen([CAT], stdin=read_end, stdout=subprocess.DEVNULL) as consumer:
            os.close(read_end)
            consumer.wait()
        producer.wait()
    if producer.returncode or consumer.returncode:
        raise RuntimeError("the head | cat pipeline failed")


def fault_floor() -> None:
    """Touch a fresh 1 GiB buffer, no pipe: the page-fault cost any capture into memory pays."""
    Ballast().grow_to(SIZE)


def measure(rounds: int) -> dict[str, float | str]:
    """Median seconds per GiB of each contender (or the error that stopped corral's)."""
    contenders: dict[str, Callable[[], None]] = {
        "subprocess.run(capture_output=True)": subprocess_capture,
        "pipe ceiling: head → cat": pipe_ceiling,
        "floor: touch a fresh 1 GiB (no pipe)": fault_floor,
    }
    results: dict[str, float | str] = {}
    try:
        from corral.core import Command

        corral = corral_capture(Command)
        corral()  # fail early, and outside the timing, if the engine cannot do it
        contenders = {"corral set_output_buffer(binary=True)": corral, **contenders}
    except Exception as exc:  # noqa: BLE001 - report the engine's failure, time the peers
        results["corral set_output_buffer(binary=True)"] = f"{type(exc).__name__}: {exc}"
    samples = timed_rounds(list(contenders.values()), rounds)
    results.update(zip(contenders, map(statistics.median, samples), strict=True))
    return results


def report(results: dict[str, float | str]) -> str:
    """The throughput table and the verdict, as text."""
    subprocess_seconds = results["subprocess.run(capture_output=True)"]
    ceiling = results["pipe ceiling: head → cat"]
    rows = []
    for name, seconds in results.items():
        if isinstance(seconds, str):
            rows.append([name, "ERROR", "n/a", "n/a", "n/a", seconds])
            continue
        assert isinstance(subprocess_seconds, float) and isinstance(ceiling, float)
        rows.append([name, f"{seconds:.3f}", f"{SIZE / seconds / 1e9:.2f}",
                     f"{subprocess_seconds / seconds:.2f}×", f"{ceiling / seconds:.0%}", ""])
    corral = results.get("corral set_output_buffer(binary=True)")
    if isinstance(corral, float) and isinstance(subprocess_seconds, float):
        speedup = subprocess_seconds / corral
        verdict = (f"{'PASS' if speedup >= TARGET else 'FAIL'} "
                   f"(corral {speedup:.2f}× subprocess's throughput; target ≥ {TARGET}×)")
    else:
        verdict = "ERROR (corral did not run)"
    headers = ["capture 1 GiB of stdout", "s", "GB/s", "× subprocess", "of pipe ceiling", "note"]
    table = render(headers, rows)
    return f"Capture throughput (median of the rounds)\n{table}\ncapture target: {verdict}"


def main(argv: list[str] | None = None) -> int:
    """Measure and print; exit 1 with ``--strict`` when the target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per contender (5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    text = report(measure(args.rounds))
    print(text)
    return 1 if args.strict and "capture target: PASS" not in text else 0


if __name__ == "__main__":
    sys.exit(main())
