"""Spawn latency of corral's Command against subprocess and oslo.concurrency, at 10 MiB and 2 GiB.

Run on its own with ``python bench/spawn.py`` (``--help`` for options) or through
``bench/run.py``. Every ratio printed is between figures measured in this run.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import sys
from typing import Any

from cases import Case, Context, peer_cases, spawn_cases
from table import ms, ratio, render
from timing import GIB, MIB, Ballast, interleaved_medians, rss_mib

SIZES = (10 * MIB, 2 * GIB)


@dataclasses.dataclass
class Row:
    """One case's medians (seconds) per ballast size, or why it could not run."""

    case: Case
    corral: dict[int, float] = dataclasses.field(default_factory=dict)
    peer: dict[int, float] = dataclasses.field(default_factory=dict)
    error: str | None = None


def load_command() -> Any:
    """Return ``corral.core.Command``, or None (with a note) when the engine is missing."""
    try:
        from corral.core import Command
    except ImportError as exc:
        print(f"note: corral.core.Command is not available ({exc}); peers only", file=sys.stderr)
        return None
    return Command


def _size_name(size: int) -> str:
    return f"{size // GIB} GiB" if size >= GIB else f"{size // MIB} MiB"


def measure(sizes: tuple[int, ...], budget: float) -> tuple[list[Row], dict[str, dict[int, float]]]:
    """Time every case and every peer at every ballast size; smaller sizes first."""
    command_class = load_command()
    context, ballast = Context(), Ballast()
    rows: list[Row] = []
    peers: dict[str, dict[int, float]] = {}
    try:
        for size in sorted(sizes):
            ballast.grow_to(size)
            print(f"-- ballast {_size_name(size)}, RSS {rss_mib():.0f} MiB", file=sys.stderr)
            for case in spawn_cases(command_class, context) if command_class else []:
                row = _row_for(rows, case)
                _measure_case(row, size, budget)
            for name, peer in peer_cases():
                (median,), _ = interleaved_medians([peer], budget=budget / 2)
                peers.setdefault(name, {})[size] = median
    finally:
        context.close()
    return rows, peers


def _row_for(rows: list[Row], case: Case) -> Row:
    for row in rows:
        if row.case.name == case.name:
            row.case = case  # fresh callables for this size
            return row
    rows.append(Row(case))
    return rows[-1]


def _measure_case(row: Row, size: int, budget: float) -> None:
    if row.error:
        return
    try:
        (corral, peer), reps = interleaved_medians([row.case.corral, row.case.peer], budget)
    except Exception as exc:  # noqa: BLE001 - a broken option must not stop the others
        row.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(f"   {row.case.name}: ERROR {row.error}", file=sys.stderr)
        return
    row.corral[size], row.peer[size] = corral, peer
    print(f"   {row.case.name}: {corral * 1e3:.3f} ms vs {peer * 1e3:.3f} ms "
          f"({reps} rounds)", file=sys.stderr)


def plain_subprocess(rows: list[Row], peers: dict[str, dict[int, float]]) -> dict[int, float]:
    """Plain ``subprocess.run([true])``: the peer timed interleaved with corral's plain case."""
    for row in rows:
        if row.case.name == "plain" and row.peer:
            return row.peer
    return peers.get("subprocess.run([true])", {})


def verdict(row: Row, plain_subprocess: dict[int, float], sizes: tuple[int, ...]) -> str:
    """PASS, FAIL (with the broken targets) or ERROR for one row."""
    if row.error or len(row.corral) < len(sizes):
        return "ERROR"
    small, large = min(sizes), max(sizes)
    targets, failed = row.case.targets, []
    if targets.vs_peer is not None and any(
        row.corral[size] > targets.vs_peer * row.peer[size] for size in sizes
    ):
        failed.append("×peer")
    if targets.vs_subprocess_2g is not None and (
        row.corral[large] > targets.vs_subprocess_2g * plain_subprocess[large]
    ):
        failed.append("×subp@2G")
    if targets.growth is not None and row.corral[large] > targets.growth * row.corral[small]:
        failed.append("2G/10M")
    if targets.vs_peer is None and targets.vs_subprocess_2g is None and targets.growth is None:
        return "info"
    return "FAIL " + ",".join(failed) if failed else "PASS"


def report(rows: list[Row], peers: dict[str, dict[int, float]], sizes: tuple[int, ...]) -> str:
    """The spawn table and the peer table, as text."""
    small, large = min(sizes), max(sizes)
    plain = plain_subprocess(rows, peers)
    headers = ["option", f"ms @{_size_name(small)}", f"ms @{_size_name(large)}",
               f"×peer @{_size_name(small)}", f"×peer @{_size_name(large)}",
               f"{_size_name(large)}/{_size_name(small)}", "peer", "target", "result"]
    body = [[row.case.name, ms(row.corral.get(small)), ms(row.corral.get(large)),
             ratio(row.corral.get(small), row.peer.get(small)),
             ratio(row.corral.get(large), row.peer.get(large)),
             ratio(row.corral.get(large), row.corral.get(small)),
             row.case.peer_name, row.case.targets.describe(), verdict(row, plain, sizes)]
            for row in rows]
    peer_rows = [[name, ms(times.get(small)), ms(times.get(large)),
                  ratio(times.get(large), times.get(small))] for name, times in peers.items()]
    peer_rows += [[row.case.peer_name + f" ({row.case.name})", ms(row.peer.get(small)),
                   ms(row.peer.get(large)), ratio(row.peer.get(large), row.peer.get(small))]
                  for row in rows]
    errors = [f"- {row.case.name}: {row.error}" for row in rows if row.error]
    peer_headers = ["peer", f"ms @{_size_name(small)}", f"ms @{_size_name(large)}",
                    f"{_size_name(large)}/{_size_name(small)}"]
    parts = ["Spawn latency (median ms per call, /bin/true unless noted)",
             render(headers, body), "", "Peers", render(peer_headers, peer_rows)]
    return "\n".join(parts + (["", "Errors", *errors] if errors else []))


def profile(case_name: str, size: int, calls: int = 200) -> None:
    """Print where corral's time goes for one case, at one ballast size."""
    command_class = load_command()
    context, ballast = Context(), Ballast()
    ballast.grow_to(size)
    try:
        case = next(c for c in spawn_cases(command_class, context) if c.name == case_name)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [case.corral() for _ in range(calls)])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    """Measure, print the tables; exit 1 with ``--strict`` if a target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=1.2,
                        help="seconds per case and size (default 1.2)")
    parser.add_argument("--small-only", action="store_true", help="only the 10 MiB ballast")
    parser.add_argument("--profile", metavar="OPTION", help="profile one option at 2 GiB")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, SIZES[-1])
        return 0
    sizes = SIZES[:1] if args.small_only else SIZES
    rows, peers = measure(sizes, args.budget)
    print(report(rows, peers, sizes))
    plain = plain_subprocess(rows, peers)
    bad = [row for row in rows if verdict(row, plain, sizes).startswith(("FAIL", "ERROR"))]
    return 1 if args.strict and (bad or not rows) else 0


if __name__ == "__main__":
    sys.exit(main())
