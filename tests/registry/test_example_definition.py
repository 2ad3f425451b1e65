"""The out-of-tree example's own XML kind, ``<dummy>``, is checked by ``corral validate``.

The example declares it in the ``corral.definitions`` entry-point group; nothing in corral
names it. The fast tests lay the example out as an install does (its entry points, its
package on ``sys.path``) and run the real ``corral`` program on ``<dummy>`` files; the
slow one installs it with pip, which proves its schema ships in the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from corral.core import XMLError
from corral.core.host import DEFINITION_GROUP, Registry
from corral.core.xml import parse_xml

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "corral-example-plugin"
PROJECT = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
UUID = "81ff0d90-c91e-6742-64da-4a736edb9a9b"


@pytest.fixture
def example_path(make_distribution) -> str:
    """A PYTHONPATH on which the example is installed (entry points and package)."""
    site = make_distribution(PROJECT["name"], PROJECT["entry-points"], version=PROJECT["version"])
    return os.pathsep.join([str(site), str(EXAMPLE / "src")])


def validate(path: Path, pythonpath: str, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    env.pop("CORRAL_DEFAULT_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "corral.core.cli", *options, "validate", str(path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_the_kind_is_declared_in_the_examples_own_pyproject() -> None:
    assert PROJECT["entry-points"][DEFINITION_GROUP] == {
        "dummy": "corral_example.definition:DUMMY"
    }


def test_corral_validate_checks_a_dummy_file(example_path: str, tmp_path: Path) -> None:
    good = tmp_path / "alpha.xml"
    good.write_text(f"<dummy autostart='yes'>\n  <name>alpha</name><uuid>{UUID}</uuid>\n</dummy>")
    done = validate(good, example_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{good} validates\n", "")
    report = validate(good, example_path, "--json")
    assert report.stdout == (
        f'{{"file": "{good}", "name": "alpha", "type": "dummy", "valid": true}}\n'
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # basictypes.rng's UUID pattern, reached through corral's schema search path
        ("<name>a</name>\n  <uuid>nope</uuid>", "3: element 'uuid' has the invalid value 'nope'"),
        ("<name>a</name>\n  <colour/>", "3: element 'colour' is not allowed inside element "
         "'dummy'"),
        # the builder's own rule, at the element's line
        ("\n  <name>.hidden</name>", "3: the dummy name '.hidden' must not start with '.'"),
    ],
)
def test_a_broken_dummy_file_is_one_error_line(
    example_path: str, tmp_path: Path, body: str, error: str
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(f"<dummy>\n  {body}\n</dummy>\n")
    done = validate(path, example_path)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"error: {path}:{error}.\n")


def test_an_unknown_root_names_every_installed_kind(example_path: str, tmp_path: Path) -> None:
    path = tmp_path / "domain.xml"
    path.write_text("<domain/>")
    done = validate(path, example_path)
    assert done.stderr == (
        f"error: {path}:1: the root element 'domain' is none of <dummy>, <network>, <pool> "
        "and <secret>.\n"
    )


def test_the_registry_hands_out_the_examples_loader(
    example_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    registry = Registry.discover((DEFINITION_GROUP,))
    assert registry.names(DEFINITION_GROUP) == ["dummy", "network", "pool", "secret"]
    info = registry.info(DEFINITION_GROUP, "dummy")
    assert (info.distribution, info.value) == (PROJECT["name"], "corral_example.definition:DUMMY")
    tree = parse_xml("<dummy><name>b</name></dummy>")
    assert registry.definition_loader(tree.getroot())(tree).name == "b"
    with pytest.raises(XMLError, match="the root element is <network>, but a <dummy>"):
        registry.load(DEFINITION_GROUP, "dummy")(parse_xml("<network/>"))


@pytest.mark.slow
def test_pip_installs_the_example_and_its_schema_validates(tmp_path: Path) -> None:
    source = tmp_path / "example"
    shutil.copytree(EXAMPLE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(source)],
        check=True, cwd=tmp_path, timeout=120,
    )
    assert (target / "corral_example" / "dummy.rng").is_file()
    path = tmp_path / "alpha.xml"
    path.write_text("<dummy><name>alpha</name></dummy>")
    done = validate(path, str(target))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{path} validates\n", "")
