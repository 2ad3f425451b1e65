"""The run-time checks: settings that are fine alone but not together, or not for run().

libvirt refuses these when the command runs (not when it is built), since only then is
the whole configuration known. Each refusal names the combination and what to do instead.
"""

from __future__ import annotations

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._spec import Spec

__all__ = ["check_runnable"]


def _problem(spec: Spec, blocking: bool) -> str | None:
    """Return what is wrong with running ``spec`` this way, or None."""
    if spec.pidfile is not None and not spec.daemonize:
        return "set_pidfile() needs daemonize()"
    if spec.daemonize:
        if spec.handshake:
            return "require_handshake() cannot be combined with daemonize()"
        if spec.cwd is not None:
            return "set_working_directory() cannot be combined with daemonize() (daemons run in /)"
        if spec.captures:
            return "input, output and error buffers cannot be combined with daemonize()"
        return None
    if blocking and spec.handshake:
        return "require_handshake() needs run_async(): run() would wait for itself"
    if blocking and spec.uses_pipe:
        if spec.captures:
            return "buffers cannot be mixed with caller pipes (PIPE) in a blocking run()"
        return "caller pipes (PIPE) need run_async(): a blocking run() could deadlock on them"
    return None


def check_runnable(spec: Spec, blocking: bool) -> None:
    """Refuse a configuration that cannot run this way.

    Args:
        spec: The command.
        blocking: True for run(), False for run_async().

    Raises:
        CommandError: code INVALID_ARG, naming the combination.
    """
    problem = _problem(spec, blocking)
    if problem is not None:
        raise CommandError(
            f"Invalid use of the command API: {problem}.",
            code=ErrorCode.INVALID_ARG,
            argv=spec.display_argv,
        )
