"""corrald's settings: libvirt's log syntax and the checked socket and limit keys."""

from __future__ import annotations

import logging

import pytest
from corral.core import ConfigError
from corral.core._settings import Config
from corral.core.daemon import DAEMON_CONFIG_KEYS, DaemonSettings, _logging
from corral.core.daemon._logging import (
    LogSettings,
    _Rules,
    apply_logging,
    parse_filters,
    parse_outputs,
)


def _restore_logging() -> None:
    root = logging.getLogger()
    for handler in _logging._installed:
        root.removeHandler(handler)
        handler.close()
    _logging._installed.clear()
    root.setLevel(logging.WARNING)


def settings(**values: object) -> DaemonSettings:
    config = Config.defaults(DAEMON_CONFIG_KEYS)
    return DaemonSettings.from_config(Config({**config, **values}, "test.conf"))  # type: ignore[dict-item]


def test_defaults() -> None:
    defaults = settings()
    assert (defaults.rw_mode, defaults.ro_mode, defaults.admin_mode) == (0o600, 0o666, 0o600)
    assert defaults.socket_gid == -1 and defaults.drivers == ("*",)


def test_a_group_opens_the_rw_socket_to_it() -> None:
    assert settings(unix_sock_group="0").rw_mode == 0o660
    assert settings(unix_sock_group="root").socket_gid == 0


@pytest.mark.parametrize(("key", "value", "why"), [
    ("unix_sock_rw_perms", "rw", "must be an octal mode"),
    ("unix_sock_ro_perms", "01777", "must be an octal mode"),
    ("unix_sock_group", "no-such-group-here", "names no group"),
    ("max_clients", 0, "must be at least 1"),
    ("log_level", 5, "must be 1, 2, 3 or 4"),
])
def test_bad_values_name_the_file_and_key(key: str, value: object, why: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(**{key: value})
    assert why in caught.value.message and caught.value.detail["key"] == key
    assert caught.value.message.startswith("test.conf:")


def test_filters_and_outputs_in_libvirts_syntax() -> None:
    assert parse_filters("1:corral.daemon +3:* ") == ((logging.DEBUG, "corral.daemon"),
                                                      (logging.WARNING, "*"))
    assert parse_outputs("", 2) == ((logging.INFO, "stderr", ""),)
    assert parse_outputs("1:file:/x/y 3:syslog:me", 3) == (
        (logging.DEBUG, "file", "/x/y"), (logging.WARNING, "syslog", "me"))


@pytest.mark.parametrize("bad", ["corral", "9:corral", "x:y"])
def test_bad_filters(bad: str) -> None:
    with pytest.raises(ConfigError, match="log_filters"):
        parse_filters(bad)


@pytest.mark.parametrize("bad", ["1:file", "1:journald", "1:pager", "stderr"])
def test_bad_outputs(bad: str) -> None:
    with pytest.raises(ConfigError, match="log_outputs"):
        parse_outputs(bad, 3)


def test_the_first_matching_filter_sets_the_level() -> None:
    rules = _Rules(parse_filters("1:corral.daemon.call 4:corral.daemon 2:corral.drivers.*"),
                   logging.WARNING, logging.DEBUG)
    assert rules.threshold("corral.daemon.call") == logging.DEBUG
    assert rules.threshold("corral.daemon") == logging.ERROR
    assert rules.threshold("corral.daemonic") == logging.WARNING  # not a child
    assert rules.threshold("corral.drivers.network") == logging.INFO
    assert rules.threshold("other") == logging.WARNING


def test_a_file_output_gets_what_the_filters_let_through(tmp_path: object) -> None:
    from pathlib import Path

    log = Path(str(tmp_path)) / "out.log"
    try:
        apply_logging(LogSettings(3, "2:corral.daemon", f"1:file:{log}"))
        logging.getLogger("corral.daemon.call").info("kept")
        logging.getLogger("elsewhere").info("dropped")
        logging.getLogger("elsewhere").warning("kept too")
    finally:
        _restore_logging()
    text = log.read_text()
    assert "kept" in text and "kept too" in text and "dropped" not in text
    assert oct(log.stat().st_mode & 0o777) == "0o600"
