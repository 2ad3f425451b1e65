"""Spawn latency of corral's Command against subprocess and oslo.concurrency, at 10 MiB and 2 GiB.

Run on its own with ``python bench/spawn.py`` (``--help`` for options) or through
``bench/run.py``. Every ratio printed is between figures measured in this run: each
ballast size lives in its own worker process (``bench/worker.py``) and the workers take
turns in short batches, corral and its peer alternating inside each batch.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import pstats
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from cases import Case, Context, spawn_cases
from table import ms, ratio, render
from timing import GIB, MIB, Ballast
from worker import load_command

SIZES = (10 * MIB, 2 * GIB)
WORKER = Path(__file__).resolve().parent / "worker.py"
BATCHES = 12  # alternations between the ballast sizes per case
SETTLE_SECONDS = 2.5
NOISE_GROWTH = 1.2  # a peer growing more than this from 10 MiB to 2 GiB means a noisy run


@dataclasses.dataclass
class Row:
    """One case's medians (seconds) per ballast size, or why it could not run."""

    case: Case
    corral: dict[int, float] = dataclasses.field(default_factory=dict)
    peer: dict[int, float] = dataclasses.field(default_factory=dict)
    rounds: int = 0
    error: str | None = None


class Worker:
    """A ``bench/worker.py`` process holding one ballast size."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.process = subprocess.Popen([sys.executable, str(WORKER), str(size)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {_size_name(self.size)} worker died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, **request: Any) -> dict[str, Any]:
        """Send one request and return the answer; an error answer raises RuntimeError."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self) -> None:
        """Let the worker exit and reap it."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()


def _size_name(size: int) -> str:
    return f"{size // GIB} GiB" if size >= GIB else f"{size // MIB} MiB"


Samples = dict[int, dict[str, list[float]]]  # ballast size -> "corral"/"peer"/... -> seconds


def _sample(workers: list[Worker], budget: float, **request: Any) -> Samples:
    """Warm up, then alternate batches between the workers; samples per size and key."""
    warm = [worker.ask(rounds=2, **request) for worker in workers]
    per_round = sum(statistics.median(v) for answer in warm for v in answer.values())
    rounds = max(7, min(300, int(budget / max(per_round, 1e-6))))
    batch = max(1, -(-rounds // BATCHES))
    samples: Samples = {w.size: {} for w in workers}
    for start in range(0, rounds, batch):
        for worker in workers if start // batch % 2 == 0 else workers[::-1]:
            answer = worker.ask(rounds=min(batch, rounds - start), **request)
            for key, values in answer.items():
                samples[worker.size].setdefault(key, []).extend(values)
    return samples


def measure(sizes: tuple[int, ...], budget: float) -> tuple[list[Row], dict[str, dict[int, float]]]:
    """Time every case and every peer at every ballast size, the sizes side by side."""
    workers = [Worker(size) for size in sizes]
    try:
        hello = workers[0].hello
        for worker in workers:
            print(f"-- worker {_size_name(worker.size)}: RSS {worker.hello['rss_mib']:.0f} MiB",
                  file=sys.stderr)
        if not hello["engine"]:
            print(f"note: {hello['missing']}; peers only", file=sys.stderr)
        cases = [c for c in _case_list() if c.name in hello["cases"]]
        if cases:
            # Settle the freshly started workers: for about a second after the 2 GiB
            # worker is ready its spawns run 2-4x slower (kernel work on the new memory,
            # measured with bench/worker.py alone). Not reported.
            _sample(workers, SETTLE_SECONDS, case=cases[0].name)
        rows = [_measure_case(Row(case), workers, budget) for case in cases]
        peers = {name: _measure_peer(name, workers, budget) for name in hello["peers"]}
    finally:
        for worker in workers:
            worker.close()
    return rows, peers


def _case_list() -> list[Case]:
    """The cases' names and targets; the workers run them, this process never does."""
    context = Context()
    try:
        return spawn_cases(None, context)
    finally:
        context.close()


def _measure_case(row: Row, workers: list[Worker], budget: float) -> Row:
    try:
        samples = _sample(workers, budget, case=row.case.name)
    except RuntimeError as exc:
        row.error = str(exc)
        print(f"   {row.case.name}: ERROR {row.error}", file=sys.stderr)
        return row
    for size, by_key in samples.items():
        row.corral[size] = statistics.median(by_key["corral"])
        row.peer[size] = statistics.median(by_key["peer"])
    row.rounds = len(samples[workers[0].size]["corral"])
    summary = ", ".join(f"{_size_name(size)} {row.corral[size] * 1e3:.3f} vs "
                        f"{row.peer[size] * 1e3:.3f} ms" for size in samples)
    print(f"   {row.case.name}: {summary} ({row.rounds} rounds)", file=sys.stderr)
    return row


def _measure_peer(name: str, workers: list[Worker], budget: float) -> dict[int, float]:
    try:
        samples = _sample(workers, budget / 2, peer=name)
    except RuntimeError as exc:
        print(f"   {name}: ERROR {exc}", file=sys.stderr)
        return {}
    return {size: statistics.median(by_key["samples"]) for size, by_key in samples.items()}


def verdict(row: Row, sizes: tuple[int, ...]) -> str:
    """PASS, FAIL (with the broken targets) or ERROR for one row."""
    if row.error or len(row.corral) < len(sizes):
        return "ERROR"
    small, large = min(sizes), max(sizes)
    targets, failed = row.case.targets, []
    if targets.vs_peer is not None and any(
        row.corral[size] > targets.vs_peer * row.peer[size] for size in sizes
    ):
        failed.append("×peer")
    if targets.vs_peer_2g is not None and row.corral[large] > targets.vs_peer_2g * row.peer[large]:
        failed.append("×peer@2G")
    if targets.growth is not None and row.corral[large] > targets.growth * row.corral[small]:
        failed.append("2G/10M")
        peer_growth = row.peer[large] / row.peer[small]
        if peer_growth > NOISE_GROWTH and not row.case.peer_forks:
            # The vfork-based peer should not grow either: say so, so a reader reruns
            # rather than blames the engine (the FAIL stands).
            failed.append(f"(peer grew {peer_growth:.2f}× too: rerun)")
    if targets.vs_peer is None and targets.vs_peer_2g is None and targets.growth is None:
        return "info"
    return "FAIL " + ",".join(failed) if failed else "PASS"


def report(rows: list[Row], peers: dict[str, dict[int, float]], sizes: tuple[int, ...]) -> str:
    """The spawn table and the peer table, as text."""
    small, large = min(sizes), max(sizes)
    headers = ["option", f"ms @{_size_name(small)}", f"ms @{_size_name(large)}",
               f"×peer @{_size_name(small)}", f"×peer @{_size_name(large)}",
               f"{_size_name(large)}/{_size_name(small)}", "peer", "target", "result"]
    body = [[row.case.name, ms(row.corral.get(small)), ms(row.corral.get(large)),
             ratio(row.corral.get(small), row.peer.get(small)),
             ratio(row.corral.get(large), row.peer.get(large)),
             ratio(row.corral.get(large), row.corral.get(small)),
             row.case.peer_name, row.case.targets.describe(), verdict(row, sizes)]
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
    command_class, missing = load_command()
    if missing:
        raise SystemExit(missing)
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
    bad = [row for row in rows if verdict(row, sizes).startswith(("FAIL", "ERROR"))]
    return 1 if args.strict and (bad or not rows) else 0


if __name__ == "__main__":
    sys.exit(main())
