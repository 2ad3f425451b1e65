"""docs/errors.md lists every ErrorCode with its libvirt number and every ErrorDomain."""

from __future__ import annotations

import re
from pathlib import Path

from corral.core import ErrorCode, ErrorDomain

DOC = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()


def test_every_code_is_in_the_table_with_its_number() -> None:
    rows = dict(re.findall(r"^\| ([A-Z_]+) \| (\d+) \| VIR_ERR_\1 \|", DOC, re.MULTILINE))
    assert rows == {code.name: str(code.value) for code in ErrorCode}


def test_every_domain_is_in_the_table() -> None:
    rows = set(re.findall(r"^\| ([a-z]+) \| ", DOC, re.MULTILINE))
    assert {domain.value for domain in ErrorDomain} <= rows


def test_operation_denied_is_libvirts_29() -> None:
    assert ErrorCode.OPERATION_DENIED == 29
