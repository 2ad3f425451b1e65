"""The public names of corral.core.xml: exactly these, all importable, all documented."""

from __future__ import annotations

import inspect

import corral.core.xml

EXPECTED = {
    # parsing and reading, hardened
    "parse_xml", "read_xml", "MAX_XML_SIZE",
    # schemas: the search path, validation with the explainer, its limits
    "Schema", "load_schema", "SCHEMA_DIR", "SEARCH_PATH", "MAX_ELEMENTS", "MAX_ATTRIBUTES",
    # definition kinds and their loaders
    "Definition", "DefinitionKind", "DefinitionLoader", "expect_root",
    # building: value readers, flags, reporting a broken rule
    "Source", "child", "children", "text", "integer", "Flag", "YES_NO", "ON_OFF",
    "rule_error", "line_of", "element_name", "printable",
    # writing
    "XMLWriter", "Attributes",
}  # fmt: skip


def test_all_is_exactly_the_public_api() -> None:
    assert set(corral.core.xml.__all__) == EXPECTED
    assert sorted(corral.core.xml.__all__) == sorted(set(corral.core.xml.__all__))
    for name in EXPECTED:
        assert hasattr(corral.core.xml, name), name


def test_every_public_class_and_function_has_a_docstring() -> None:
    for name in EXPECTED:
        value = getattr(corral.core.xml, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name


def test_core_names_no_definition_kind() -> None:
    # The kinds are the drivers': nothing of network or pool is left in the toolkit.
    for name in dir(corral.core.xml):
        assert not any(kind in name.lower() for kind in ("network", "pool", "iscsi")), name
