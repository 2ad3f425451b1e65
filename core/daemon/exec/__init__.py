"""corral.core.daemon.exec: the guest-exec family of corrald (qemu-ga's, plus the seed's pipes).

:class:`ExecService` is a command provider: its ``@operation`` methods are the QMP
commands guest-exec, guest-exec-status, guest-exec-terminate, guest-pipe-open and
guest-file-read/-write/-close. :class:`ExecSettings` holds its limits and
:data:`CONFIG_KEYS` the corrald.conf keys that set them. See docs/exec.md.
"""

from corral.core.daemon.exec._capture import CaptureMode, CaptureOutput
from corral.core.daemon.exec._service import EVENT, ExecService
from corral.core.daemon.exec._settings import CONFIG_KEYS, ExecSettings

__all__ = ["CONFIG_KEYS", "EVENT", "CaptureMode", "CaptureOutput", "ExecService",
           "ExecSettings"]
