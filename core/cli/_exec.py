"""``corral exec`` and ``corral exec-status``: run a program through the daemon.

``exec`` waits by default: it sends ``guest-exec`` with the output captured, waits for
the ``GUEST_EXEC_EXITED`` event of its pid (reading ``guest-exec-status`` again every
second in case an event is missed), writes the child's stdout and stderr to its own and
exits with the child's status -- 128 + N when signal N killed it, as a shell reports.
``--no-wait`` prints the pid instead; ``exec-status PID`` prints qemu-ga's fields.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import Any

from corral.core.cli._command import CliCommand, Console
from corral.core.cli._render import block, yes_no
from corral.core.cli._table import connect, read_file, values

__all__ = ["EXEC", "EXEC_STATUS"]

_MODES = ("none", "stdout", "stderr", "separated", "merged")
_EVENT = "GUEST_EXEC_EXITED"
_POLL = 1.0  # seconds between status reads when no event comes


def _add_exec(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--capture", choices=_MODES, default="separated", metavar="MODE",
                        help=f"what to capture: {', '.join(_MODES)} (default: separated)")
    parser.add_argument("--input", metavar="FILE", help="feed FILE to its stdin (- for ours)")
    parser.add_argument("--env", action="append", metavar="N=V",
                        help="its environment (repeat; replaces the default)")
    parser.add_argument("--cwd", metavar="DIR", help="its working directory")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="kill it after S seconds")
    parser.add_argument("--no-wait", action="store_true",
                        help="print the pid and return at once")
    parser.add_argument("path", metavar="PATH", help="the program")
    rest = parser.add_argument("arg", nargs=argparse.REMAINDER, metavar="ARG",
                               help="its arguments")
    rest.required = False  # argparse marks REMAINDER required: 'corral exec' needs only PATH


def _exec_arguments(args: argparse.Namespace) -> dict[str, Any]:
    arguments: dict[str, Any] = {"path": args.path, "capture-output": args.capture}
    if args.arg:
        arguments["arg"] = list(args.arg)
    if args.env is not None:
        arguments["env"] = list(args.env)
    if args.input is not None:
        arguments["input-data"] = base64.b64encode(read_file(args.input, binary=True)).decode()
    if args.cwd is not None:
        arguments["cwd"] = args.cwd
    if args.timeout is not None:
        arguments["timeout"] = args.timeout
    return arguments


def _run_exec(args: argparse.Namespace, console: Console) -> int:
    arguments = _exec_arguments(args)
    with connect(args) as client:
        events = client.events([_EVENT], timeout=_POLL)  # kept from before guest-exec
        started = client.execute("guest-exec", arguments)
        if args.no_wait:
            console.write(json.dumps(started) + "\n" if console.json
                          else f"{values(started).get('pid')}\n")
            return 0
        pid = values(started).get("pid")
        status = _wait(client, events, pid)
    if console.json:
        console.write(json.dumps(status) + "\n")
    else:
        _pass_through(status)
    return exit_status(status)


def _wait(client: Any, events: Any, pid: Any) -> dict[str, Any]:
    while True:
        status = values(client.execute("guest-exec-status", {"pid": pid}))
        if status.get("exited"):
            return status
        for event in events:  # up to _POLL seconds without one, then read again
            if event.data.get("pid") == pid:
                break
        events = client.events([_EVENT], timeout=_POLL)


def _pass_through(status: dict[str, Any]) -> None:
    for key, stream in (("out-data", sys.stdout), ("err-data", sys.stderr)):
        data = status.get(key)
        if data:
            stream.flush()
            stream.buffer.write(base64.b64decode(data))
            stream.buffer.flush()
    for key, name in (("out-truncated", "standard output"), ("err-truncated", "standard error")):
        if status.get(key):
            print(f"warning: the child's {name} was truncated (the daemon's capture limit).",
                  file=sys.stderr)


def exit_status(status: dict[str, Any]) -> int:
    """The child's exit status as a shell reports it: 128 + N for signal N."""
    signal = status.get("signal")
    if isinstance(signal, int) and signal > 0:
        return 128 + signal
    code = status.get("exitcode")
    return code if isinstance(code, int) else 1


def _add_status(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pid", metavar="PID", type=int, help="what exec --no-wait printed")


#: qemu-ga's GuestExecStatus fields, in its order, as ``exec-status`` names them.
_FIELDS = (("exited", "Exited"), ("exitcode", "Exit code"), ("signal", "Signal"),
           ("out-data", "Out data"), ("err-data", "Err data"),
           ("out-truncated", "Out truncated"), ("err-truncated", "Err truncated"))


def _run_status(args: argparse.Namespace, console: Console) -> int:
    with connect(args) as client:
        status = client.execute("guest-exec-status", {"pid": args.pid})
    if console.json:
        console.write(json.dumps(status) + "\n")
        return 0
    pairs = [(label, _field(key, values(status)[key])) for key, label in _FIELDS
             if key in values(status)]
    console.write(block(pairs))
    return 0


def _field(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if key.endswith("-data"):  # base64 on the wire; shown as the text, quoted
        text = base64.b64decode(str(value)).decode("utf-8", "backslashreplace")
        return json.dumps(text, ensure_ascii=False)
    return str(value)


EXEC = CliCommand(
    name="exec",
    help="run a program through the daemon and pass its output and exit status through",
    add_arguments=_add_exec,
    run=_run_exec,
)
EXEC_STATUS = CliCommand(
    name="exec-status",
    help="print how a program started with exec --no-wait is doing",
    add_arguments=_add_status,
    run=_run_status,
)
