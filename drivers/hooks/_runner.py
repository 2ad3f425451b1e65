"""Run one hook script: arguments as they are, stdin from a file, stderr into a file.

libvirt runs a hook with pipes and waits for them to reach EOF, so a script that leaves a
background child holding its stdout blocks the daemon (a known libvirt bug); corral's
engine with ``set_timeout`` would wait until the deadline and then kill the child's whole
group, reporting a script that exited 0 as timed out. Here no pipe is involved: stdin is a
temporary file holding the XML, stdout goes to ``/dev/null`` and stderr to a temporary
file, so the run ends the moment the script exits; a background child keeps writing into
an unlinked file nobody waits for. Only the last :data:`TAIL_BYTES` of stderr are read.

The script is executed directly (no shell): an object named ``a;rm -rf /`` reaches it as
one literal argument.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import tempfile
from pathlib import Path

from corral.core import Command, CommandError, ErrorCode, HookScriptError
from corral.drivers.hooks._calls import HookCall

__all__ = ["TAIL_BYTES", "TAIL_CHARS", "HookFailure", "run_hook"]

#: How much of a script's stderr is read back (from its end), however much it wrote.
TAIL_BYTES = 64 * 1024
#: How much of that tail an error quotes (the engine's own stderr tail length).
TAIL_CHARS = 2000


@dataclasses.dataclass(frozen=True)
class HookFailure:
    """Why one hook script failed.

    Attributes:
        script: Its path.
        call: The call it was given.
        status: Its exit status, or None (killed, timed out, could not run).
        signal: The signal that killed it, or None.
        stderr: The tail of what it wrote on stderr.
        message: One sentence naming the script, its arguments and what happened.
    """

    script: Path
    call: HookCall
    status: int | None
    signal: int | None
    stderr: str
    message: str

    def error(self) -> HookScriptError:
        """Return the HOOK_SCRIPT_FAILED error a caller sees."""
        return HookScriptError(
            self.message, script=str(self.script), status=self.status, signal=self.signal,
            stderr=self.stderr, driver=self.call.driver, object=self.call.object,
            operation=self.call.operation, sub_operation=self.call.sub_operation,
        )


def run_hook(script: Path, call: HookCall, timeout: float) -> HookFailure | None:
    """Run ``script`` for ``call``; return None on exit status 0, else why it failed.

    Args:
        script: The executable.
        call: Its arguments and stdin.
        timeout: Seconds before the script's process group is killed.
    """
    shown = " ".join(shlex.quote(word) for word in (str(script), *call.argv))
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        stdin.write(call.stdin.encode("utf-8", "surrogateescape"))
        stdin.seek(0)
        command = (Command(str(script), *call.argv).add_env_pass_common()
                   .set_input_fd(stdin.fileno()).set_error_fd(stderr.fileno())
                   .set_timeout(timeout))
        status: int | None = None
        signal: int | None = None
        try:
            status = command.run(check=False).status
        except CommandError as exc:
            if exc.code == ErrorCode.OPERATION_TIMEOUT:
                why = f"did not finish within {timeout:g} seconds and was killed"
            elif exc.signal is not None:
                signal = exc.signal
                why = f"was killed by signal {signal}"
            else:
                why = f"could not run: {exc}"
        else:
            if status == 0:
                return None
            why = f"failed with exit status {status}"
        tail = _tail(stderr.fileno())
    message = f"Hook script execution failed: {shown} {why}" + (f": {tail}" if tail else ".")
    return HookFailure(script, call, status, signal, tail, message)


def _tail(fd: int) -> str:
    size = os.fstat(fd).st_size
    data = os.pread(fd, TAIL_BYTES, max(0, size - TAIL_BYTES))
    return data.decode("utf-8", "replace").strip()[-TAIL_CHARS:]
