"""Replay recorded tool output through :func:`~corral.core.dry_run`.

A driver is tested where its tool cannot run (no iSCSI target, no root) by answering each
command it runs from a table recorded once from the real tool: ``argv → (stdout, stderr,
exit status)``. A command the table does not hold is a test failure that says which one
ran, even if the driver catches the error it gets. The table answers the commands of every
thread by default (``dry_run(all_threads=True)``): a driver running its tool from a worker
thread must not reach the real tool because the test's fake was per thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from corral.core.command import Command, dry_run

__all__ = ["Recorded", "Replay", "UnexpectedCommand", "record", "replay"]


class UnexpectedCommand(AssertionError):
    """A command ran that the replay table does not hold (a test failure, not a corral error).

    It is an ``AssertionError`` on purpose: a driver that catches ``CorralError`` cannot
    mistake it for the tool failing.
    """


@dataclasses.dataclass(frozen=True)
class Recorded:
    """What one run of a tool printed and how it ended.

    Attributes:
        argv: The command line, binary as the driver gives it.
        stdout: What it wrote to standard output.
        stderr: What it wrote to standard error.
        status: Its exit status.
    """

    argv: tuple[str, ...]
    stdout: str = ""
    stderr: str = ""
    status: int = 0

    def to_json(self) -> dict[str, object]:
        """Return the form :meth:`Replay.load` reads."""
        return {"argv": list(self.argv), "stdout": self.stdout, "stderr": self.stderr,
                "status": self.status}


class Replay:
    """A dry-run callback answering each command from recorded runs.

    Runs with the same argv answer in the order recorded; the last one keeps answering
    (a driver polling a tool sees its final state). Use :func:`replay` to install it.

    Args:
        runs: The recorded runs.
    """

    def __init__(self, runs: Iterable[Recorded]) -> None:
        self._answers: dict[tuple[str, ...], list[Recorded]] = {}
        for run in runs:
            self._answers.setdefault(tuple(run.argv), []).append(run)
        self.used: list[tuple[str, ...]] = []
        self.unexpected: list[tuple[str, ...]] = []
        #: ``to_string()`` of every command run while installed by :func:`replay`.
        self.commands: list[str] = []
        self._lock = threading.Lock()  # commands of several threads take turns

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Replay:
        """Read a JSON list of ``{"argv", "stdout", "stderr", "status"}`` objects."""
        runs = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(Recorded(tuple(run["argv"]), run.get("stdout", ""), run.get("stderr", ""),
                            run.get("status", 0)) for run in runs)

    @property
    def unused(self) -> list[tuple[str, ...]]:
        """The recorded command lines nothing ran."""
        return [argv for argv in self._answers if argv not in self.used]

    def __call__(self, argv: list[str], env: dict[str, str],
                 data: bytes | None) -> tuple[int, str, str]:
        key = tuple(argv)
        with self._lock:
            answers = self._answers.get(key)
            if not answers:
                self.unexpected.append(key)
                raise UnexpectedCommand(self._explain(key))
            self.used.append(key)
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer.status, answer.stdout, answer.stderr

    def check(self, *, all_used: bool = False) -> None:
        """Fail if an unexpected command ran (or, with ``all_used``, a recorded one did not).

        Raises:
            UnexpectedCommand: Naming the commands.
        """
        if self.unexpected:
            raise UnexpectedCommand(self._explain(self.unexpected[0]))
        if all_used and self.unused:
            lines = "\n  ".join(Command(*argv).to_string() for argv in self.unused)
            raise UnexpectedCommand(f"Recorded commands that never ran:\n  {lines}")

    def _explain(self, argv: Sequence[str]) -> str:
        known = "\n  ".join(Command(*key).to_string() for key in self._answers) or "(none)"
        return (f"The command {Command(*argv).to_string()!r} ran, but the replay table "
                f"has no recording of it; recorded:\n  {known}")


@contextlib.contextmanager
def replay(runs: Iterable[Recorded] | Replay | str | os.PathLike[str], *,
           all_used: bool = False, all_threads: bool = True) -> Iterator[Replay]:
    """Answer every command run in this process from ``runs``, spawning nothing.

    Args:
        runs: Recorded runs, a :class:`Replay`, or the path of a JSON file of them.
        all_used: Also fail when a recorded command never ran.
        all_threads: Answer the commands of every thread, ``ThreadPoolExecutor`` worker
            and asyncio task (the default), so none runs the real tool; ``False`` limits
            the replay to this thread or task (:func:`~corral.core.dry_run`'s own scope),
            for tests that run in parallel threads of one process.

    Yields:
        The :class:`Replay`; its ``commands`` lists every command line run.

    Raises:
        UnexpectedCommand: When the block ends, if a command ran that the table does not
            hold -- even if the code under test caught the error it got.
    """
    table = runs if isinstance(runs, Replay) else (
        Replay.load(runs) if isinstance(runs, str | os.PathLike) else Replay(runs))
    with dry_run(table, all_threads=all_threads) as record:
        table.commands = record.commands
        yield table
    table.check(all_used=all_used)


def record(*argv: str, path: str | os.PathLike[str] | None = None) -> Recorded:
    """Run ``argv`` for real and return what it did (to build a replay table once).

    With ``path``, the run is also appended to that JSON file (created if missing).
    """
    result = Command(*argv).set_output_buffer().set_error_buffer().run(check=False)
    # A child killed by a signal raises above; an exit always has a status.
    run = Recorded(tuple(argv), str(result.stdout), str(result.stderr), int(result.status or 0))
    if path is not None:
        target = Path(path)
        runs = json.loads(target.read_text(encoding="utf-8")) if target.exists() else []
        target.write_text(json.dumps([*runs, run.to_json()], indent=2) + "\n",
                          encoding="utf-8")
    return run
