"""qemu-ga's ``capture-output``: a bool (since 2.5) or a mode (since 8.1), read exactly."""

from __future__ import annotations

import dataclasses
from typing import Literal, get_args

from corral.core.daemon.exec._errors import invalid_arg

__all__ = ["CaptureMode", "CaptureOutput", "Streams", "streams"]

CaptureMode = Literal["none", "stdout", "stderr", "separated", "merged"]
CaptureOutput = bool | CaptureMode
MODES: tuple[str, ...] = get_args(CaptureMode)


@dataclasses.dataclass(frozen=True)
class Streams:
    """Which streams an exec captures.

    Attributes:
        stdout: stdout goes into out-data.
        stderr: stderr goes into err-data.
        merged: stderr goes into out-data with stdout, in the order written.
    """

    stdout: bool
    stderr: bool
    merged: bool


def streams(capture_output: object) -> Streams:
    """Return what ``capture-output`` captures: absent or false is ``none``, true ``separated``.

    Raises:
        CorralError: INVALID_ARG for a value that is neither a bool nor a mode.
    """
    mode = capture_output
    if mode is None or mode is False:
        mode = "none"
    elif mode is True:
        mode = "separated"
    if mode not in MODES or not isinstance(mode, str):
        raise invalid_arg(
            f"The argument 'capture-output' must be a boolean or one of {', '.join(MODES)}, "
            f"not {mode!r}.", "capture-output")
    return Streams(stdout=mode in ("stdout", "separated", "merged"),
                   stderr=mode in ("stderr", "separated"), merged=mode == "merged")
