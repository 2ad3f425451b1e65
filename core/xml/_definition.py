"""A kind of definition: its root element, its schema and its builder, and the loaders.

Every definition kind runs the same pipeline: the hardened parser, the check that the
root element is the one expected, the kind's RelaxNG schema (with its limits), then the
kind's builder, which turns the tree into frozen dataclasses and checks, as it builds,
the rules the schema cannot express. :class:`DefinitionKind` is that pipeline for one
kind; a driver declares one per root element it owns and registers it in the
``corral.definitions`` entry-point group under the root element's name, which is how
``corral validate`` (and the daemon) find it. Core itself names no kind.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from corral.core.xml._parse import parse_xml
from corral.core.xml._read import read_xml
from corral.core.xml._report import line_of, rule_error
from corral.core.xml._validate import SEARCH_PATH, load_schema
from corral.core.xml._values import Source
from lxml import etree

__all__ = ["Definition", "DefinitionKind", "DefinitionLoader", "expect_root"]


class Definition(Protocol):
    """What every definition has, whatever its kind: a name."""

    @property
    def name(self) -> str:
        """The definition's name (``<name>``)."""
        ...


_D_co = TypeVar("_D_co", bound=Definition, covariant=True)


class DefinitionLoader(Protocol[_D_co]):
    """What a ``corral.definitions`` entry point points at: a tree in, a definition out."""

    def __call__(self, tree: etree._ElementTree, *, file: str | None = None) -> _D_co:
        """Return the checked definition ``tree`` holds; raise XMLError if it is not one."""
        ...


_D = TypeVar("_D", bound=Definition)


@dataclasses.dataclass(frozen=True)
class DefinitionKind(Generic[_D]):
    """One kind of definition, ready to load from a tree, a string or a file.

    A kind is a :class:`DefinitionLoader` (calling it loads a parsed tree), so the kind
    itself is what a driver registers in the ``corral.definitions`` entry-point group.

    Attributes:
        root: The root element's name (``network``), also the entry point's name.
        schema: The kind's top-level ``.rng`` file.
        build: Builds the definition from the validated root element, checking as it
            builds the rules the schema cannot express (raising through the
            :class:`Source`).
        search_path: Where the schema's includes are looked for after its own directory.
    """

    root: str
    schema: Path
    build: Callable[[etree._Element, Source], _D]
    search_path: tuple[Path, ...] = SEARCH_PATH

    def __call__(self, tree: etree._ElementTree, *, file: str | None = None) -> _D:
        """Return the definition in a parsed ``tree``: root checked, validated, built.

        Raises:
            XMLError: The root element is another one, a schema rule or a rule the schema
                cannot express is broken, or a limit is exceeded.
        """
        root = expect_root(tree, self.root, file=file)
        load_schema(self.schema, search_path=self.search_path).validate(tree, file=file)
        return self.build(root, Source(file))

    def parse(self, xml: str | bytes, *, file: str | None = None) -> _D:
        """Return the definition ``xml`` holds (``file``: where it came from, for errors).

        Raises:
            XMLError: The text is malformed, too large, has a DOCTYPE, or is not a valid
                definition of this kind; ``line`` and ``rule`` say where and what.
        """
        return self(parse_xml(xml, file=file), file=file)

    def load(self, path: str | os.PathLike[str]) -> _D:
        """Return the definition in the file ``path``.

        Raises:
            CorralError: The file cannot be opened or read, or is not a regular file.
            XMLError: As for :meth:`parse`.
        """
        return self(read_xml(path), file=os.fsdecode(path))


def expect_root(tree: etree._ElementTree, name: str, *, file: str | None = None) -> etree._Element:
    """Return the root element of ``tree`` if it is ``<name>`` (no namespace), else raise.

    Checked before the schema: a ``<pool>`` given where a network is expected is one
    mistake, not a list of elements the network schema does not know.

    Raises:
        XMLError: The root element is another one.
    """
    root = tree.getroot()
    if root.tag != name:
        rule = f"the root element is <{root.tag}>, but a <{name}> definition is expected"
        raise rule_error(file, line_of(root), rule)
    return root
