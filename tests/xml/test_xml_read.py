"""read_xml: only regular files, only UTF-8 names, and names that cannot forge a line."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, ErrorDomain, XMLError
from corral.core.xml import printable, read_xml, rule_error

NETWORK = b"<network><name>n</name></network>\n"


def refused(path: str | Path) -> CorralError:
    with pytest.raises(CorralError) as caught:
        read_xml(path)
    return caught.value


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "net.xml"
    os.mkfifo(fifo)
    result: list[CorralError] = []
    # Before the fix open() waited for a writer forever: run it where a hang cannot stop
    # the suite, and fail if it has not come back.
    reader = threading.Thread(target=lambda: result.append(refused(fifo)), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        with open(fifo, "wb"):  # release the blocked reader
            pass
        pytest.fail("read_xml blocked on a FIFO")
    error = result[0]
    assert not isinstance(error, XMLError)
    assert (error.code, error.domain) == (ErrorCode.OPEN_FAILED, ErrorDomain.XML)
    assert str(error) == f"{fifo}: cannot open the file: it is a FIFO, not a regular file."


@pytest.mark.parametrize(
    ("path", "what"), [("/dev/zero", "a character device"), ("/", "a directory")]
)
def test_other_non_regular_files_are_refused(path: str, what: str) -> None:
    if not Path(path).exists():
        pytest.skip(f"this machine has no {path}")
    error = refused(path)
    assert error.code == ErrorCode.OPEN_FAILED
    assert str(error) == f"{path}: cannot open the file: it is {what}, not a regular file."


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.xml").write_bytes(NETWORK)
    (tmp_path / "link.xml").symlink_to("real.xml")
    assert read_xml(tmp_path / "link.xml").getroot().findtext("name") == "n"


def test_a_name_that_is_not_utf8_is_an_xml_error(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/net-\xff.xml"
    with open(raw, "wb") as stream:
        stream.write(NETWORK)
    for path in (os.fsdecode(raw), raw):  # as argv gives it, and as bytes
        with pytest.raises(XMLError) as caught:
            read_xml(path)  # type: ignore[arg-type]
        error = caught.value
        assert error.rule == "the file name is not valid UTF-8"
        assert str(error) == f"{tmp_path}/net-\\xff.xml: the file name is not valid UTF-8."
        assert error.file == os.fsdecode(raw)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("net.xml", "net.xml"),
        ("a b/é.xml", "a b/é.xml"),
        ("x\nerror: forged", "x\\nerror: forged"),
        ("tab\there\r", "tab\\there\\r"),
        ("esc\x1b[31mred", "esc\\x1b[31mred"),
        ("raw\udcff", "raw\\xff"),
        ("lone\ud800", "lone\\ud800"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
    ],
)
def test_printable_escapes_what_could_break_a_line(name: str, shown: str) -> None:
    assert printable(name) == shown
    assert "\n" not in str(rule_error(name, 3, "a rule"))


def test_a_newline_in_a_file_name_stays_on_one_line_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "x\nerror: forged.xml"
    path.write_bytes(b"<network>")
    with pytest.raises(XMLError) as caught:
        read_xml(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path}/x\\nerror: forged.xml:1: ")
    assert caught.value.file == str(path)  # the detail keeps the real name
