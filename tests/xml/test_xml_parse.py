"""The hardened parser: what it refuses, and how it names the file, line and column."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, ErrorDomain, XMLError
from corral.core.xml import MAX_XML_SIZE, parse_xml, read_xml

NETWORK = "<network>\n  <name>default</name>\n</network>\n"


def test_bytes_str_and_file_parse_alike(tmp_path: Path) -> None:
    path = tmp_path / "net.xml"
    path.write_text(NETWORK)
    trees = [parse_xml(NETWORK), parse_xml(NETWORK.encode()), read_xml(path)]
    assert [tree.getroot().findtext("name") for tree in trees] == ["default"] * 3
    assert trees[2].docinfo.URL == str(path)


def test_str_with_an_encoding_declaration_is_taken_as_decoded_text() -> None:
    text = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<network><name>café</name></network>"
    assert parse_xml(text).getroot().findtext("name") == "café"


def test_bytes_follow_their_encoding_declaration() -> None:
    data = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<network><name>café</name></network>"
    assert parse_xml(data.encode("latin-1")).getroot().findtext("name") == "café"


def test_syntax_error_names_file_line_column_and_libxml2_words() -> None:
    with pytest.raises(XMLError) as caught:
        parse_xml("<network>\n  <name>x</nam>\n</network>", file="n.xml")
    error = caught.value
    assert (error.file, error.line, error.column) == ("n.xml", 2, 16)
    assert error.code == ErrorCode.XML_ERROR and error.domain == ErrorDomain.XML
    assert error.rule == (
        "the document is not well-formed XML: Opening and ending tag mismatch: name line 2 and nam"
    )
    assert str(error) == f"n.xml:2: {error.rule} (column 16)."


def test_string_input_is_named_string_in_messages() -> None:
    with pytest.raises(XMLError, match=r"^<string>:1: the document is not well-formed XML"):
        parse_xml("<network>")


def test_an_empty_document_is_refused() -> None:
    with pytest.raises(XMLError, match="Document is empty") as caught:
        parse_xml(b"", file="empty.xml")
    assert caught.value.line == 1


def test_utf16_doctype_is_refused_with_its_line() -> None:
    text = "\ufeff<?xml version='1.0' encoding='UTF-16'?>\n\n<!DOCTYPE network>\n<network/>"
    with pytest.raises(XMLError, match="DOCTYPE declarations are not allowed") as caught:
        parse_xml(text.encode("utf-16-le"))
    assert caught.value.line == 3


def test_doctype_is_refused_before_libxml2_sees_it() -> None:
    # A billion laughs of a billion laughs: refused instantly by the byte scan, so
    # libxml2's own amplification guard never even runs.
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10 if n else "lol"}">' for n in range(12))
    document = f"<!DOCTYPE network [{entities}]>\n<network><name>&e11;</name></network>"
    started = time.monotonic()
    with pytest.raises(XMLError, match="DOCTYPE declarations are not allowed"):
        parse_xml(document)
    assert time.monotonic() - started < 1


def test_size_cap_is_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<network><name>" + b"x" * MAX_XML_SIZE + b"</name></network>")
    with pytest.raises(XMLError) as caught:
        read_xml(path)
    assert caught.value.rule == f"the document is larger than the limit of {MAX_XML_SIZE} bytes"
    assert caught.value.line is None
    assert str(caught.value) == f"{path}: {caught.value.rule}."


def test_exactly_the_cap_is_accepted() -> None:
    head, tail = b"<network><name>x</name>", b"</network>"
    comment = b"<!--" + b"c" * 1000 + b"-->\n"
    room = MAX_XML_SIZE - len(head) - len(tail)
    data = head + comment * (room // len(comment)) + b" " * (room % len(comment)) + tail
    assert len(data) == MAX_XML_SIZE
    assert parse_xml(data).getroot().findtext("name") == "x"


def test_libxml2_limits_stay_on_and_are_named() -> None:
    # huge_tree is off: one text node over libxml2's 10 MB limit is refused by libxml2.
    data = b"<network><name>" + b"x" * 10_000_001 + b"</name></network>"
    with pytest.raises(XMLError, match="the document exceeds a parser limit: Resource limit"):
        parse_xml(data)


def test_string_over_the_cap_is_refused() -> None:
    with pytest.raises(XMLError, match="larger than the limit"):
        parse_xml("<network><name>" + "é" * (MAX_XML_SIZE // 2) + "</name></network>")


def test_a_missing_file_is_a_corral_error(tmp_path: Path) -> None:
    path = tmp_path / "net.xml"
    with pytest.raises(CorralError) as caught:
        read_xml(path)
    error = caught.value
    assert not isinstance(error, XMLError)
    assert error.code == ErrorCode.OPEN_FAILED and error.domain == ErrorDomain.XML
    assert str(error) == f"{path}: cannot open the file: No such file or directory."
    assert isinstance(error.__cause__, OSError)


def test_a_str_with_a_lone_surrogate_is_an_xml_error() -> None:
    with pytest.raises(XMLError) as caught:
        parse_xml("<network><name>a\ud800b</name></network>", file="n.xml")
    assert caught.value.rule == "the text is not valid Unicode: a lone surrogate at character 16"
    assert str(caught.value) == f"n.xml: {caught.value.rule}."


def test_comments_and_processing_instructions_are_kept_harmless() -> None:
    document = "<?xml-stylesheet href='x.css'?>\n<!-- a comment -->\n" + NETWORK
    assert parse_xml(document).getroot().findtext("name") == "default"


def test_a_fresh_parser_per_document_keeps_errors_apart() -> None:
    with pytest.raises(XMLError):
        parse_xml("<network>", file="first.xml")
    with pytest.raises(XMLError) as caught:
        parse_xml("<network>\n\n</netwrk>", file="second.xml")
    assert caught.value.line == 3 and "first" not in str(caught.value)
