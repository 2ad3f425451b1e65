"""The ``<dummy>`` definition: an XML kind of the example's own, checked by ``corral validate``.

A definition kind is three things: a RelaxNG schema (``dummy.rng``, which includes
corral's ``basictypes.rng`` by name), frozen dataclasses, and a builder that turns the
validated tree into them and checks, as it builds, what the schema cannot say. The
:class:`~corral.core.xml.DefinitionKind` joins them; the ``corral.definitions`` entry
point ``dummy`` (named after the root element) is how corral finds it::

    $ corral validate alpha.xml
    alpha.xml validates
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from corral.core.xml import YES_NO, DefinitionKind, Source, child, text
from lxml import etree


@dataclasses.dataclass(frozen=True)
class DummyDefinition:
    """``<dummy autostart>`` with its ``<name>`` and optional ``<uuid>``."""

    name: str
    uuid: str | None = None
    autostart: bool | None = None


def build_dummy(root: etree._Element, source: Source) -> DummyDefinition:
    """Build the definition of a schema-valid ``<dummy>``; the name must not be hidden."""
    name_element = child(root, "name")
    name = text(name_element) or ""
    # The schema already refuses "/" (basictypes' objectName); the driver also refuses
    # hidden names, which RelaxNG can say but the error would be less clear.
    if name.startswith("."):
        source.fail(name_element, f"the dummy name '{name}' must not start with '.'")
    return DummyDefinition(name, text(child(root, "uuid")), YES_NO.read(root, "autostart"))


#: The ``<dummy>`` kind, registered as the ``corral.definitions`` entry point ``dummy``.
DUMMY = DefinitionKind("dummy", Path(__file__).with_name("dummy.rng"), build_dummy)
