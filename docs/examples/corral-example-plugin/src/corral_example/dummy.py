"""The ``dummy`` driver: named objects with a state, and a real command on each start.

It shows the whole driver contract in a few lines: the lifecycle (``initialize``,
``reload``, ``shutdown``), an error domain of its own (``dummy``), operations marked with
``@operation`` (their names become ``dummy-define``, ``dummy-start``, ...; their type hints
are checked on every call; anything else raises NoSupportError), commands run only through
corral's ``Command`` (so plugins see and may refuse them), a start that asks the plugins
first (``context.begin``) and announces itself after (``context.emit``), and state kept
under ``context.paths``.
"""

from __future__ import annotations

from pathlib import Path

from corral.core import Command, CorralError, Driver, DriverContext, ErrorCode, operation


class DummyDriver(Driver):
    """Objects that can be defined, started, stopped and listed; nothing else."""

    domain = "dummy"  # a domain of its own: its errors say where they came from

    def initialize(self, context: DriverContext) -> None:
        """Load the defined names from ``<state>/dummy/`` (kept across daemon restarts)."""
        super().initialize(context)
        self.running: set[str] = set()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        context.logger.info("dummy driver ready with %d objects", len(self.defined()))

    @property
    def state_dir(self) -> Path:
        """Where one empty file per defined object lives."""
        return self.context.paths.state / "dummy"

    def defined(self) -> list[str]:
        """Return the defined names, sorted."""
        return sorted(path.name for path in self.state_dir.iterdir())

    @operation
    def dummy_define(self, name: str) -> None:
        """Define ``name`` (idempotent)."""
        if not name or "/" in name or name.startswith("."):
            # The name becomes a file name: never let it climb out of the state directory.
            raise CorralError(f"The dummy object name '{name}' must be a plain file name.",
                              code=ErrorCode.INVALID_ARG, name=name)
        (self.state_dir / name).touch()
        self.context.emit("dummy", name, "defined")

    @operation
    def dummy_start(self, name: str) -> str:
        """Start ``name``: run ``echo started NAME`` and return what it printed."""
        if name not in self.defined():
            raise CorralError(f"There is no dummy object named '{name}'.",
                              code=ErrorCode.INVALID_ARG, name=name)
        self.context.begin("dummy", name, "start")  # a plugin may refuse: nothing done yet
        result = Command("echo", "started", name).set_output_buffer().run()
        self.running.add(name)
        self.context.emit("dummy", name, "started", detail=f"pid {result.pid}")
        return str(result.stdout)

    @operation
    def dummy_stop(self, name: str) -> None:
        """Stop ``name`` if it runs."""
        if name in self.running:
            self.running.discard(name)
            self.context.emit("dummy", name, "stopped")

    @operation(read_only=True)
    def dummy_list(self) -> list[str]:
        """Return the defined names."""
        return self.defined()

    def shutdown(self) -> None:
        """Forget what runs; the definitions stay on disk."""
        self.running.clear()
