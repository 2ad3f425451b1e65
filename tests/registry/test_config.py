"""corrald.conf: libvirt's virConf syntax, typed keys, errors that name file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from corral.core import Config, ConfigError, ConfigKey, ErrorCode
from corral.core.host import load_config
from corral.core.host._config import CORE_CONFIG_KEYS, parse_config

KEYS = (
    ConfigKey("name", "string", "x"),
    ConfigKey("count", "int", 3),
    ConfigKey("enabled", "bool", False),
    ConfigKey("items", "list", ()),
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corrald.conf"
    path.write_text(text)
    return path


def test_every_value_kind_with_comments_and_a_multiline_list(tmp_path: Path) -> None:
    path = write(tmp_path, '# header\n\nname = "a b # not a comment"  # comment\n'
                 "count = -42\nenabled = 1\nitems = [\n  \"one\",  # first\n  \"two\",\n]\n")
    config = load_config(path, KEYS)
    assert dict(config) == {"name": "a b # not a comment", "count": -42, "enabled": True,
                            "items": ("one", "two")}
    assert config.source == str(path)
    assert config.strings("items") == ("one", "two")


def test_defaults_fill_what_the_file_does_not_set(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "count = 7\n"), KEYS)
    assert config["count"] == 7 and config["name"] == "x" and config["items"] == ()
    assert dict(load_config(None, KEYS)) == dict(Config.defaults(KEYS))


def test_a_repeated_key_keeps_the_last_value() -> None:
    assert parse_config("count = 1\ncount = 2\n")["count"].value == 2


def test_empty_list_and_semicolon_separated_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "items = []; count = 1\n"), KEYS)
    assert config["items"] == () and config["count"] == 1


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name = 'single'\n", 1, "unexpected character"),
        ("\n\nname \"x\"\n", 3, "expected '=' after 'name'"),
        ("name = \n", 1, "expected a quoted string"),
        ('items = ["a" "b"]\n', 1, "expected ',' or ']'"),
        ('items = [["a"]]\n', 1, "expected a quoted string"),
        ('name = "x" "y"\n', 1, "the end of the line"),
        ('\nitems = ["a",\n "b"\ncount = 1\n', 4, "expected ',' or ']'"),
        ('= 3\n', 1, "expected a setting name"),
    ],
)
def test_syntax_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, KEYS)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)
    assert caught.value.detail["line"] == line and caught.value.code == ErrorCode.CONF_SYNTAX


def test_an_unknown_key_is_refused_with_close_matches(tmp_path: Path) -> None:
    path = write(tmp_path, "count = 1\ncuont = 2\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:2: unknown setting 'cuont'. "
                                                    "Did you mean count?")) as caught:
        load_config(path, KEYS)
    assert caught.value.detail["key"] == "cuont"


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("name = 3\n", "a quoted string"),
        ('count = "3"\n', "an integer"),
        ("enabled = 2\n", "0 or 1"),
        ('enabled = "yes"\n', "0 or 1"),
        ("items = [1, 2]\n", "a list of quoted strings"),
        ('items = "a"\n', "a list of quoted strings"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_key(tmp_path: Path, text: str, wanted: str) -> None:
    path = write(tmp_path, "\n" + text)
    key = text.split()[0]
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}:2: the value of '{key}' "
                                          f"must be {re.escape(wanted)}"):
        load_config(path, KEYS)


def test_an_unreadable_file_is_a_read_failure(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.conf"
    with pytest.raises(ConfigError, match=f"Cannot read the configuration file {missing}") as c:
        load_config(missing, KEYS)
    assert c.value.code == ErrorCode.READ_FAILED and isinstance(c.value.__cause__, OSError)


def test_core_keys_declare_the_plugin_list() -> None:
    assert [key.name for key in CORE_CONFIG_KEYS] == ["plugins"]
    assert Config.defaults(CORE_CONFIG_KEYS).strings("plugins") == ()
