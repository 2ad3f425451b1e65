"""Guards for the packaging trap: setuptools silently drops an unlisted subpackage.

With ``package-dir`` mapping ``core/``, ``drivers/`` and ``plugins/`` onto ``corral.*``,
every subpackage must be listed in ``[tool.setuptools] packages``; an editable install
still imports an unlisted one, so only this check (and ``make test``'s real wheel) catch it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_folders() -> dict[str, Path]:
    """Map every package name found on disk to its folder."""
    found = {}
    for name, folder in SETUPTOOLS["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base)
            dotted = ".".join((name, *relative.parts)) if relative.parts else name
            found[dotted] = init.parent
    return found


def test_every_package_on_disk_is_listed() -> None:
    missing = sorted(set(_package_folders()) - set(SETUPTOOLS["packages"]))
    assert missing == [], f"add these to [tool.setuptools] packages: {missing}"


def test_every_listed_package_exists() -> None:
    stale = sorted(set(SETUPTOOLS["packages"]) - set(_package_folders()))
    assert stale == [], f"listed in pyproject.toml but not on disk: {stale}"


def test_every_package_data_glob_matches_a_file() -> None:
    folders = _package_folders()
    for package, globs in SETUPTOOLS.get("package-data", {}).items():
        for pattern in globs:
            matches = list(folders[package].glob(pattern))
            assert matches, f"package-data {package}: {pattern!r} matches nothing"


def test_no_corral_folder_shadows_the_installed_package() -> None:
    # The tests must import the installed corral, never a folder of the work tree.
    assert not (ROOT / "corral").exists()


def test_every_listed_package_imports() -> None:
    # Under `make test` corral is the real wheel: an unlisted or unpackaged module fails here.
    import importlib

    for package in SETUPTOOLS["packages"]:
        module = importlib.import_module(package)
        assert module.__file__ is not None, package


def test_no_package_holds_a_bare_data_folder() -> None:
    # setuptools warns on every build ("Package would be ignored") about a folder inside a
    # package that has files but no __init__.py: data lives in packages of its own.
    bare = []
    for folder in SETUPTOOLS["package-dir"].values():
        for directory in (ROOT / folder).rglob("*"):
            if not directory.is_dir() or "__pycache__" in directory.parts:
                continue
            has_files = any(entry.is_file() for entry in directory.iterdir())
            if has_files and not (directory / "__init__.py").exists():
                bare.append(str(directory.relative_to(ROOT)))
    assert bare == [], f"give these folders an __init__.py and list them as packages: {bare}"
