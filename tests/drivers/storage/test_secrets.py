"""Secrets, libvirt's way: definitions and 0600 value files, never a value given out."""

from __future__ import annotations

import base64
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, XMLError
from corral.drivers.storage._secrets import SecretStore, SecretValue
from corral.drivers.storage.conf import SecretDefinition, format_secret, parse_secret

UUID = "5b0f2a3c-8f1e-4d3a-9c2b-7e6d5c4b3a21"
XML = f"""<secret ephemeral='no' private='yes'>
  <uuid>{UUID}</uuid>
  <usage type='iscsi'><target>libvirtiscsi</target></usage>
</secret>"""
VALUE = "s3cret-chap-Value"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_libvirts_secret_xml_round_trips() -> None:
    secret = parse_secret(XML)
    assert secret == SecretDefinition("libvirtiscsi", UUID, ephemeral=False, private=True)
    assert format_secret(secret) == (
        f"<secret ephemeral='no' private='yes'>\n  <uuid>{UUID}</uuid>\n"
        "  <usage type='iscsi'>\n    <target>libvirtiscsi</target>\n  </usage>\n</secret>\n")
    assert parse_secret(format_secret(secret)) == secret


@pytest.mark.parametrize(("xml", "rule"), [
    ("<secret><usage type='ceph'><name>x</name></usage></secret>", "usage"),
    ("<secret><uuid>nope</uuid><usage type='iscsi'><target>t</target></usage></secret>", "uuid"),
    ("<secret/>", "usage"),
])
def test_bad_secrets_are_refused(xml: str, rule: str) -> None:
    with pytest.raises(XMLError, match=rule):
        parse_secret(xml)


def test_values_live_in_0600_files_and_survive_a_restart(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets")
    store.define(XML)
    store.set_value("libvirtiscsi", b64(VALUE))
    for name in (f"{UUID}.xml", f"{UUID}.base64"):
        mode = stat.S_IMODE((tmp_path / "secrets" / name).stat().st_mode)
        assert mode == 0o600, name
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert (tmp_path / "secrets" / f"{UUID}.base64").read_text() == b64(VALUE)
    again = SecretStore(tmp_path / "secrets")
    assert again.lookup(usage="libvirtiscsi").reveal() == VALUE
    assert again.lookup(uuid=UUID.upper()).reveal() == VALUE
    assert again.listing() == [{"uuid": UUID, "usage": "iscsi libvirtiscsi"}]


def test_a_secret_without_uuid_gets_one_and_redefining_keeps_the_value(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    made = store.define("<secret><usage type='iscsi'><target>t</target></usage></secret>")
    assert made.uuid is not None and len(made.uuid) == 36
    store.set_value(made.uuid, b64(VALUE))
    store.define(format_secret(made))
    assert store.lookup(usage="t").reveal() == VALUE


def test_a_second_secret_for_the_same_usage_is_refused(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    store.define(XML)
    other = XML.replace(UUID, "0b0f2a3c-8f1e-4d3a-9c2b-7e6d5c4b3a21")
    with pytest.raises(CorralError, match=f"UUID {UUID} is already defined for use with "
                       "iscsi libvirtiscsi") as caught:
        store.define(other)
    assert caught.value.code == ErrorCode.OPERATION_INVALID


def test_an_ephemeral_secret_is_never_written(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets")
    store.define(XML.replace("ephemeral='no'", "ephemeral='yes'"))
    store.set_value(UUID, b64(VALUE))
    assert store.lookup(uuid=UUID).reveal() == VALUE
    assert not (tmp_path / "secrets").exists()


def test_undefine_removes_both_files(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    store.define(XML)
    store.set_value(UUID, b64(VALUE))
    store.undefine("libvirtiscsi")
    assert list(tmp_path.iterdir()) == [] and store.listing() == []
    with pytest.raises(CorralError, match="no secret with UUID or usage 'libvirtiscsi'"):
        store.undefine("libvirtiscsi")


def test_errors_never_quote_a_value(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    store.define(XML)
    with pytest.raises(CorralError) as caught:
        store.set_value(UUID, VALUE + "!")  # not base64
    assert VALUE not in repr(caught.value.to_dict()) and caught.value.__cause__ is None
    assert caught.value.code == ErrorCode.INVALID_ARG
    with pytest.raises(CorralError, match="has no value"):
        store.lookup(uuid=UUID)


def test_a_value_shows_itself_only_when_asked() -> None:
    value = SecretValue(VALUE.encode())
    assert VALUE not in repr(value) and VALUE not in str(value) and VALUE not in f"{value}"
    assert value.reveal() == VALUE


def test_corral_validate_checks_secret_files(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_text(XML)
    bad.write_text("<secret>\n<usage type='volume'><volume>/v</volume></usage>\n</secret>\n")
    corral = Path(sys.executable).with_name("corral")
    assert subprocess.run([corral, "validate", good], capture_output=True).returncode == 0
    done = subprocess.run([corral, "validate", bad], capture_output=True, text=True)
    assert done.returncode == 1 and f"{bad}:2:" in done.stderr
