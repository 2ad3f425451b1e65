"""corral.core.cli: the ``corral`` command line (virsh's conventions).

``corral [-c URI] [--root DIR] [-r] [-q] [--json] COMMAND ARGS``; exit status 0 on
success, 1 with ``error: ...`` on standard error on failure. Each command is a module of
this package; :mod:`corral.core.cli.main` lists them.
"""

from corral.core.cli.main import main

__all__ = ["main"]
