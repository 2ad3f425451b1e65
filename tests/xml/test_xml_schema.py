"""The generic toolkit: a schema found along the search path, its explainer, a kind's loader.

Everything here uses a small kind of its own, ``<gadget>``, whose schema lives in a
temporary folder and includes core's ``basictypes.rng`` by name, as a driver's does.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, XMLError
from corral.core.xml import (
    ON_OFF,
    SCHEMA_DIR,
    SEARCH_PATH,
    YES_NO,
    DefinitionKind,
    Flag,
    Schema,
    Source,
    XMLWriter,
    child,
    load_schema,
    parse_xml,
    text,
)
from lxml import etree

GADGET_RNG = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start><ref name="gadget"/></start>
  <include href="basictypes.rng"/>
  <define name="gadget">
    <element name="gadget">
      <optional><attribute name="shiny"><ref name="virYesNo"/></attribute></optional>
      <interleave>
        <element name="name"><ref name="objectName"/></element>
        <optional><element name="uuid"><ref name="UUID"/></element></optional>
        <zeroOrMore><element name="part"><attribute name="size"><ref name="unsignedInt"/>
        </attribute></element></zeroOrMore>
      </interleave>
    </element>
  </define>
</grammar>
"""


@dataclasses.dataclass(frozen=True)
class Gadget:
    name: str
    shiny: bool | None


def build_gadget(root: etree._Element, source: Source) -> Gadget:
    name = text(child(root, "name")) or ""
    if name.startswith("-"):
        source.fail(child(root, "name"), f"the gadget name '{name}' starts with '-'")
    return Gadget(name, YES_NO.read(root, "shiny"))


@pytest.fixture
def gadget_rng(tmp_path: Path) -> Path:
    path = tmp_path / "schemas" / "gadget.rng"
    path.parent.mkdir()
    path.write_text(GADGET_RNG)
    return path


@pytest.fixture
def gadget(gadget_rng: Path) -> DefinitionKind[Gadget]:
    return DefinitionKind("gadget", gadget_rng, build_gadget)


def test_a_drivers_schema_includes_basictypes_through_the_search_path(gadget_rng: Path) -> None:
    assert SEARCH_PATH == (SCHEMA_DIR,) and (SCHEMA_DIR / "basictypes.rng").is_file()
    assert not (gadget_rng.parent / "basictypes.rng").exists()
    schema = Schema(gadget_rng)
    schema.validate(parse_xml("<gadget><name>g</name></gadget>"))
    with pytest.raises(XMLError) as caught:  # basictypes' UUID pattern is in force
        schema.validate(parse_xml("<gadget><name>g</name>\n<uuid>nope</uuid></gadget>"))
    assert (caught.value.line, caught.value.code) == (2, ErrorCode.XML_INVALID_SCHEMA)
    assert caught.value.rule == "element 'uuid' has the invalid value 'nope'"


def test_without_the_search_path_the_include_is_not_found(gadget_rng: Path) -> None:
    with pytest.raises(CorralError, match=r"includes 'basictypes.rng', found in none of: ") as c:
        Schema(gadget_rng, search_path=())
    assert c.value.code == ErrorCode.INTERNAL_ERROR


def test_a_file_next_to_the_schema_wins_over_the_search_path(gadget_rng: Path) -> None:
    # A driver's own copy shadows core's: here one whose UUID is anything at all.
    basic = (SCHEMA_DIR / "basictypes.rng").read_text()
    start = basic.index('<define name="UUID">')
    end = basic.index("</define>", start) + len("</define>")
    local = basic[:start] + '<define name="UUID"><text/></define>' + basic[end:]
    (gadget_rng.parent / "basictypes.rng").write_text(local)
    Schema(gadget_rng).validate(parse_xml("<gadget><name>g</name><uuid>nope</uuid></gadget>"))


def test_an_include_loop_is_named(tmp_path: Path) -> None:
    grammar = '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><include href="{}"/></grammar>'
    (tmp_path / "a.rng").write_text(grammar.format("b.rng"))
    (tmp_path / "b.rng").write_text(grammar.format("a.rng"))
    with pytest.raises(CorralError, match=r"a.rng includes itself: .*a.rng -> .*b.rng -> .*a.rng"):
        Schema(tmp_path / "a.rng")


def test_an_include_can_override_a_define(tmp_path: Path, gadget_rng: Path) -> None:
    # RelaxNG's own override: the including grammar's define replaces the included one.
    (tmp_path / "strict.rng").write_text(
        '<grammar xmlns="http://relaxng.org/ns/structure/1.0">'
        '<include href="schemas/gadget.rng">'
        '<define name="gadget"><element name="gadget"><empty/></element></define>'
        "</include></grammar>"
    )
    schema = Schema(tmp_path / "strict.rng")
    schema.validate(parse_xml("<gadget/>"))
    with pytest.raises(XMLError, match="element 'name' is not allowed inside element 'gadget'"):
        schema.validate(parse_xml("<gadget><name>g</name></gadget>"))


def test_a_kind_checks_the_root_validates_and_builds(gadget: DefinitionKind[Gadget]) -> None:
    assert gadget.parse("<gadget shiny='yes'><name>g</name></gadget>") == Gadget("g", True)
    with pytest.raises(XMLError, match=r"^x.xml:1: the root element is <widget>, but a <gadget>"):
        gadget.parse("<widget/>", file="x.xml")
    with pytest.raises(XMLError) as caught:
        gadget.parse("<gadget>\n<name>-g</name></gadget>", file="x.xml")
    assert str(caught.value) == "x.xml:2: the gadget name '-g' starts with '-'."
    assert caught.value.code == ErrorCode.XML_ERROR


def test_a_kind_is_a_loader_of_parsed_trees(gadget: DefinitionKind[Gadget], tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_text("<gadget><name>from-file</name></gadget>")
    assert gadget.load(path).name == "from-file"
    assert gadget(parse_xml(path.read_bytes()), file=str(path)).name == "from-file"


def test_the_schema_is_compiled_once_per_thread(gadget_rng: Path) -> None:
    assert load_schema(gadget_rng) is load_schema(gadget_rng)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(load_schema, gadget_rng).result()
    assert other is not load_schema(gadget_rng)


def test_flags_read_and_write_the_same_words() -> None:
    element = etree.Element("e", a="yes", b="no", c="on", d="off")
    assert [YES_NO.read(element, n) for n in ("a", "b", "z")] == [True, False, None]
    assert [ON_OFF.read(element, n) for n in ("c", "d", "z")] == [True, False, None]
    assert [YES_NO.word(v) for v in (True, False, None)] == ["yes", "no", None]
    assert [ON_OFF.word(v) for v in (True, False, None)] == ["on", "off", None]
    assert YES_NO.read(None, "a") is None and Flag("1", "0").word(True) == "1"
    out = XMLWriter()
    out.empty("bridge", [("stp", ON_OFF.word(True)), ("gone", YES_NO.word(None))])
    assert out.result() == "<bridge stp='on'/>\n"
