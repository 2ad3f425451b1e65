"""``corral validate FILE`` run as a real process: exit statuses and exact output lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from corral.core.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "xml"
NETWORK = DATA / "conformance" / "network" / "nat-network.xml"
POOL = DATA / "conformance" / "pool" / "in" / "pool-iscsi-auth.xml"
INVALID = DATA / "invalid"
SCRIPT = Path(sys.executable).with_name("corral")


def corral(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m corral.core.cli ARGS`` (the console script's code) in a clean env."""
    env = {k: v for k, v in os.environ.items() if k != "CORRAL_DEFAULT_URI"}
    return subprocess.run(
        [sys.executable, "-m", "corral.core.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("path", [NETWORK, POOL], ids=["network", "pool"])
def test_a_valid_definition_validates(path: Path) -> None:
    done = corral("validate", path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{path} validates\n", "")


def test_a_relative_file_is_named_as_given(tmp_path: Path) -> None:
    (tmp_path / "net.xml").write_bytes(NETWORK.read_bytes())
    done = corral("validate", "net.xml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "net.xml validates\n")


def test_a_schema_error_names_file_line_and_rule(tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text(
        "<network>\n  <name>default</name>\n  <forward mode='bogus'/>\n</network>\n"
    )
    done = corral("validate", "bad.xml", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "error: bad.xml:3: attribute 'mode' of element 'forward' has the invalid value 'bogus'"
        " (expected one of: nat, route, open, bridge).\n"
    )


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("malformed-tag-mismatch.xml", "error: {path}:3: the document is not well-formed XML: "
         "Opening and ending tag mismatch: name line 3 and nam (column 22).\n"),
        ("missing-name.xml", "error: {path}:2: element 'network' is missing the required "
         "element 'name'.\n"),
        ("doctype-billion-laughs.xml", "error: {path}:3: DOCTYPE declarations are not allowed "
         "(they can declare entities).\n"),
        ("rule-range-outside-network.xml", "error: {path}:7: the DHCP range 192.168.122.2 - "
         "192.168.123.254 is not entirely within the network 192.168.122.0/24.\n"),
        ("wrong-root.xml", "error: {path}:2: the root element 'domain' is none of <network>, "
         "<pool> and <secret>.\n"),
    ],
)  # fmt: skip
def test_invalid_files_fail_with_one_error_line(name: str, line: str) -> None:
    path = INVALID / name
    done = corral("validate", path)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", line.format(path=path))


def test_an_unreadable_file(tmp_path: Path) -> None:
    done = corral("validate", tmp_path / "absent.xml")
    assert done.returncode == 1
    expected = (
        f"error: {tmp_path / 'absent.xml'}: cannot open the file: No such file or directory.\n"
    )
    assert done.stderr == expected


def test_an_oversize_file(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as stream:
        stream.truncate(10 * 1024 * 1024 + 1)
    done = corral("validate", big)
    assert done.returncode == 1
    assert (
        done.stderr == f"error: {big}: the document is larger than the limit of 10485760 bytes.\n"
    )


def test_quiet_and_json() -> None:
    quiet = corral("-q", "validate", NETWORK)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    report = corral("--json", "validate", POOL)
    assert report.returncode == 0
    assert json.loads(report.stdout) == {
        "file": str(POOL), "valid": True, "type": "pool", "name": "virtimages",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: the following arguments are required: COMMAND (see 'corral --help').\n"),
        (("validate",), "error: the following arguments are required: FILE "
         "(see 'corral validate --help').\n"),
        (("frobnicate",), "error: unknown command: 'frobnicate' (see 'corral help').\n"),
    ],
)  # fmt: skip
def test_usage_mistakes_exit_1_with_an_error_line(args: tuple[str, ...], message: str) -> None:
    done = corral(*args)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", message)


def test_help_and_version_exit_0() -> None:
    help_ = corral("--help")
    assert help_.returncode == 0 and "validate" in help_.stdout and help_.stderr == ""
    version = corral("--version")
    assert version.returncode == 0 and version.stdout.startswith("corral ")


def test_the_console_script_is_the_same_program() -> None:
    if not SCRIPT.exists():
        pytest.skip(f"no console script next to {sys.executable} (corral not pip-installed)")
    done = subprocess.run(
        [str(SCRIPT), "validate", str(NETWORK)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{NETWORK} validates\n", "")


def test_main_returns_the_status_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(NETWORK)]) == 0
    assert main(["validate", str(INVALID / "unknown-element.xml")]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{NETWORK} validates\n"
    assert captured.err.startswith(
        f"error: {INVALID / 'unknown-element.xml'}:5: element 'frobnicate'"
    )


def script(*args: str | bytes | Path) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``corral`` console script; output kept as bytes, exactly as written."""
    if not SCRIPT.exists():
        pytest.skip(f"no console script next to {sys.executable} (corral not pip-installed)")
    env = {k: v for k, v in os.environ.items() if k != "CORRAL_DEFAULT_URI"}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, env=env, timeout=20, check=False
    )


def one_error_line(done: subprocess.CompletedProcess[bytes]) -> str:
    assert (done.returncode, done.stdout) == (1, b"")
    assert b"Traceback" not in done.stderr
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_a_file_name_that_is_not_utf8_is_one_error_line(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path / "net-") + b"\xff.xml"
    with open(raw, "wb") as stream:
        stream.write(NETWORK.read_bytes())
    line = one_error_line(script(b"validate", raw))
    assert line == f"error: {tmp_path}/net-\\xff.xml: the file name is not valid UTF-8."


def test_a_newline_in_a_file_name_cannot_forge_a_line(tmp_path: Path) -> None:
    good = tmp_path / "ok\nerror: forged.xml"
    good.write_bytes(NETWORK.read_bytes())
    done = script("validate", good)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode() == f"{tmp_path}/ok\\nerror: forged.xml validates\n"
    bad = tmp_path / "bad\nerror: forged.xml"
    bad.write_bytes(b"<network>\n  <name>x</nam>\n</network>\n")
    line = one_error_line(script("validate", bad))
    assert line.startswith(f"error: {tmp_path}/bad\\nerror: forged.xml:2: the document is not")


def test_a_json_report_keeps_the_real_name(tmp_path: Path) -> None:
    path = tmp_path / "tab\there.xml"
    path.write_bytes(NETWORK.read_bytes())
    done = script("--json", "validate", path)
    assert done.returncode == 0 and done.stdout.count(b"\n") == 1
    assert json.loads(done.stdout)["file"] == str(path)


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_a_file_that_is_not_regular_is_one_error_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "net.xml"
    if kind == "fifo":
        os.mkfifo(path)  # before the fix, opening it waited for a writer forever
        what = "a FIFO"
    elif kind == "directory":
        path.mkdir()
        what = "a directory"
    else:
        path = Path("/dev/zero")
        what = "a character device"
    line = one_error_line(script("validate", path))
    assert line == f"error: {path}: cannot open the file: it is {what}, not a regular file."
