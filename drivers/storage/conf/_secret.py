"""The ``<secret>`` definition: libvirt's secret XML, without its value.

``<secret ephemeral='no' private='yes'><uuid>U</uuid><usage type='iscsi'><target>NAME
</target></usage></secret>`` names a secret (a CHAP password) that a pool's ``<auth>``
refers to by its UUID or its usage name. The value is set apart (``secret-set-value``)
and is never part of the XML, the dataclass or anything formatted from it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Final, Literal

from corral.core.xml import YES_NO, DefinitionKind, Source, XMLWriter, child, text
from lxml import etree

__all__ = ["SECRET", "SecretDefinition", "format_secret", "parse_secret"]


@dataclasses.dataclass(frozen=True, slots=True)
class SecretDefinition:
    """A ``<secret>``: who it is (UUID), what it is for (usage), never its value.

    Attributes:
        usage_id: The usage's ``<target>`` (the name a pool's ``<secret usage>`` gives).
        uuid: The UUID as written; None until ``secret-define`` gives it one.
        usage_type: The usage type: ``iscsi``.
        ephemeral: libvirt's ``ephemeral``: kept in memory only, never written to disk.
        private: libvirt's ``private``: the value may not be read back (corral never
            returns a value, so this is kept for the round trip only).
        description: ``<description>``, if any.
    """

    usage_id: str
    uuid: str | None = None
    usage_type: Literal["iscsi"] = "iscsi"
    ephemeral: bool = False
    private: bool = False
    description: str | None = None

    @property
    def name(self) -> str:
        """The secret's name: its UUID (what ``secret-list`` shows first), or the usage."""
        return self.uuid or self.usage_id

    @property
    def usage(self) -> str:
        """The usage as ``secret-list`` shows it: ``iscsi NAME`` (libvirt's column)."""
        return f"{self.usage_type} {self.usage_id}"


def _build(root: etree._Element, source: Source) -> SecretDefinition:
    target = root.find("usage/target")
    return SecretDefinition(
        usage_id=(text(target) or "").strip(),
        uuid=text(child(root, "uuid")),
        ephemeral=bool(YES_NO.read(root, "ephemeral")),
        private=bool(YES_NO.read(root, "private")),
        description=text(child(root, "description")),
    )


def format_secret(secret: SecretDefinition) -> str:
    """Return ``secret`` as libvirt writes it (``virSecretDefFormat``): never a value."""
    out = XMLWriter()
    flags = [("ephemeral", YES_NO.word(secret.ephemeral)),
             ("private", YES_NO.word(secret.private))]
    with out.element("secret", flags):
        if secret.uuid is not None:
            out.text("uuid", secret.uuid)
        if secret.description is not None:
            out.text("description", secret.description)
        with out.element("usage", [("type", secret.usage_type)]):
            out.text("target", secret.usage_id)
    return out.result()


#: The ``<secret>`` definition kind (the ``corral.definitions`` entry point ``secret``).
SECRET: Final = DefinitionKind(
    "secret", Path(__file__).resolve().parent / "schemas" / "secret.rng", _build
)

#: ``parse_secret(xml, *, file=None)``: the ``<secret>`` the text holds.
parse_secret: Final = SECRET.parse
