"""Throwaway distributions on sys.path: real entry points, found by importlib.metadata.

``make_distribution`` writes ``NAME-VERSION.dist-info/{METADATA,entry_points.txt}`` plus
any modules into a private directory and puts it on ``sys.path``, exactly what ``pip
install`` leaves behind. stevedore keeps an in-process entry-point cache per group for the
life of the process (the reason the daemon discovers once), so each test starts it empty;
the modules a test imported are forgotten afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

Distribution = Callable[..., Path]


@pytest.fixture
def fresh_entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Empty stevedore's per-process cache; forget the test's own modules afterwards."""
    from stevedore import ExtensionManager

    monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
    path_before = set(sys.path)
    yield
    # Forget only modules loaded from the directories this test put on sys.path, so the
    # next test imports its own copies; the standard library's stay untouched.
    added = tuple(entry for entry in sys.path if entry not in path_before)
    for name, module in list(sys.modules.items()):
        if added and str(getattr(module, "__file__", None) or "").startswith(added):
            del sys.modules[name]


def write_distribution(
    directory: Path,
    name: str,
    entry_points: Mapping[str, Mapping[str, str]],
    modules: Mapping[str, str] | None = None,
    version: str = "1.0",
) -> Path:
    """Write an installed-looking distribution into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    info = directory / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in (modules or {}).items():
        path = directory / (module.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return directory


@pytest.fixture
def make_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_entry_points: None
) -> Distribution:
    """Return ``make(name, entry_points, modules=None, version="1.0")`` -> its directory."""
    counter = iter(range(1000))

    def make(name: str, entry_points: Mapping[str, Mapping[str, str]],
             modules: Mapping[str, str] | None = None, version: str = "1.0") -> Path:
        directory = write_distribution(tmp_path / f"site{next(counter)}", name, entry_points,
                                       modules, version)
        monkeypatch.syspath_prepend(str(directory))
        return directory

    return make
