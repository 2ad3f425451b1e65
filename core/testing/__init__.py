"""corral.core.testing: the kit for testing a driver or plugin the way corral tests its own.

- :func:`replay` answers the commands a driver runs from recorded tool output
  (``argv → stdout, stderr, exit status``) through :func:`~corral.core.dry_run`, and fails
  clearly when a command runs that nothing recorded; :func:`record` records a real run.
  It answers every thread of the process (``all_threads=True``, the default), so a command
  a driver starts from a Thread or ThreadPoolExecutor never reaches the real tool; a bare
  ``dry_run()`` stays per thread or task.
- :func:`assert_golden` compares rendered text with an expected file;
  ``CORRAL_TEST_REGENERATE_OUTPUT=1`` rewrites the files instead.
- :func:`running_host` starts a :class:`~corral.core.host.Host` with the drivers and
  plugins you choose in a temporary root (:func:`registry_of` builds just the registry).

This sits above the host (it builds one); drivers and plugins themselves never import it,
only their tests do.
"""

from corral.core.testing._golden import REGENERATE_ENV, GoldenMismatch, assert_golden
from corral.core.testing._host import registry_of, running_host
from corral.core.testing._replay import Recorded, Replay, UnexpectedCommand, record, replay

__all__ = [
    "REGENERATE_ENV",
    "GoldenMismatch",
    "Recorded",
    "Replay",
    "UnexpectedCommand",
    "assert_golden",
    "record",
    "registry_of",
    "replay",
    "running_host",
]
