"""A RelaxNG schema that validates and, when it says no, names the rule in words.

libxml2 decides validity; when it says no, :mod:`._explain` names the first broken rule --
"attribute 'mode' of element 'forward' has the invalid value 'bogus'", "element 'foo' is
not allowed inside element 'network'" -- with its line. Before libxml2 runs, the counts of
:mod:`._limits` bound what validation can cost.

A driver's schema finds core's ``basictypes.rng`` through the schema search path
(:data:`SEARCH_PATH`, see :mod:`._grammar`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from corral.core.xml._explain import explain
from corral.core.xml._grammar import read_grammar
from corral.core.xml._limits import MAX_ATTRIBUTES, MAX_ELEMENTS, check_limits
from corral.core.xml._report import line_of, rule_error
from corral.core.xml._schema import PatternMap
from lxml import etree

__all__ = ["SCHEMA_DIR", "SEARCH_PATH", "Schema", "load_schema"]

#: Core's own schemas: ``basictypes.rng`` (libvirt's shared datatypes).
SCHEMA_DIR: Final = Path(__file__).resolve().parent / "schemas"

#: Where an ``<include href>`` is looked for after the including file's own directory.
SEARCH_PATH: Final = (SCHEMA_DIR,)

_PER_THREAD: Final = threading.local()


class Schema:
    """One compiled RelaxNG grammar, with the explainer behind its errors.

    Not shared between threads: lxml keeps a validator's error log in the object, so
    one used by two of the daemon's worker threads would mix their errors (use
    :func:`load_schema`, which compiles once per thread).

    Args:
        path: The top-level ``.rng`` file.
        search_path: Where its includes are looked for after its own directory (by
            default core's schema directory, for ``basictypes.rng``).

    Raises:
        CorralError: The grammar or an included file cannot be found or read, or
            libxml2 does not accept it (domain xml, INTERNAL_ERROR).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, search_path: Sequence[Path] = SEARCH_PATH
    ) -> None:
        self.path = Path(path)
        self._grammar = read_grammar(self.path, search_path)
        try:
            self._relaxng = etree.RelaxNG(self._grammar)
        except etree.RelaxNGParseError as exc:
            raise CorralError(
                f"The schema {self.path} is not valid RelaxNG: {exc}.",
                domain=ErrorDomain.XML,
                code=ErrorCode.INTERNAL_ERROR,
            ) from exc
        self._patterns: PatternMap | None = None  # built only to explain a failure

    def validate(
        self,
        tree: etree._ElementTree,
        *,
        file: str | None = None,
        max_elements: int = MAX_ELEMENTS,
        max_attributes: int = MAX_ATTRIBUTES,
    ) -> None:
        """Validate a parsed document, or raise an error naming the first broken rule.

        Args:
            tree: A document from :func:`corral.core.xml.parse_xml` or ``read_xml``.
            file: The file it came from, for the message.
            max_elements: The most elements the document may have.
            max_attributes: The most attributes one of its elements may have.

        Raises:
            XMLError: code XML_INVALID_SCHEMA, with ``line`` and ``rule`` of the first
                broken rule; code XML_ERROR when a limit is exceeded.
        """
        check_limits(tree, file=file, max_elements=max_elements, max_attributes=max_attributes)
        if self._relaxng.validate(tree):
            return
        if self._patterns is None:
            self._patterns = PatternMap(self._grammar)
        finding = explain(self._patterns, self._relaxng, tree.getroot())
        line = line_of(finding.element)
        raise rule_error(file, line, finding.rule, code=ErrorCode.XML_INVALID_SCHEMA, column=None)


def load_schema(
    path: str | os.PathLike[str], *, search_path: Sequence[Path] = SEARCH_PATH
) -> Schema:
    """Return the :class:`Schema` for ``path``, compiled once per thread and then reused."""
    cache: dict[tuple[Path, tuple[Path, ...]], Schema]
    cache = _PER_THREAD.__dict__.setdefault("schemas", {})
    key = (Path(path), tuple(search_path))
    if key not in cache:
        cache[key] = Schema(path, search_path=search_path)
    return cache[key]
