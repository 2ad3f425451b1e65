"""The public surface of corral.core.state: exactly these names, each documented."""

from __future__ import annotations

import corral.core.state as state

EXPECTED = {
    "DRIVER_LOCK_PATH",
    "DriverLock",
    "acquire_pidfile",
    "atomic_write",
    "delete_pidfile",
    "pidfile_is_locked",
    "pidfile_path",
    "read_pidfile",
    "read_pidfile_if_alive",
    "release_pidfile",
}


def test_exported_names() -> None:
    assert set(state.__all__) == EXPECTED
    assert all(hasattr(state, name) for name in EXPECTED)


def test_every_public_callable_has_a_docstring() -> None:
    for name in EXPECTED - {"DRIVER_LOCK_PATH"}:
        assert getattr(state, name).__doc__, name
