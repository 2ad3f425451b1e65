"""The lease status file and corral-leaseshelper, run as dnsmasq runs it."""

from __future__ import annotations

import json
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode
from corral.drivers.network._leases import apply_event, dnsmasq_lease_lines, read_leases

HELPER = Path(sysconfig.get_path("scripts")) / "corral-leaseshelper"
FUTURE = str(int(time.time()) + 3600)


def helper(status: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with only dnsmasq's kind of environment."""
    environment = {"CORRAL_LEASES_FILE": str(status), **env}
    return subprocess.run([str(HELPER), *args], env=environment, capture_output=True,
                          text=True, timeout=60)


def test_add_old_and_del_keep_the_status_file(tmp_path: Path) -> None:
    status = tmp_path / "n.status"
    done = helper(status, "add", "52:54:00:00:00:01", "10.0.0.5", "vm1",
                  DNSMASQ_LEASE_EXPIRES=FUTURE, DNSMASQ_CLIENT_ID="01:52:54:00:00:00:01")
    assert done.returncode == 0, done.stderr
    assert json.loads(status.read_text()) == [{
        "ip-address": "10.0.0.5", "expiry-time": int(FUTURE), "mac-address": "52:54:00:00:00:01",
        "client-id": "01:52:54:00:00:00:01", "hostname": "vm1"}]
    assert status.stat().st_mode & 0o777 == 0o644
    helper(status, "old", "52:54:00:00:00:01", "10.0.0.5", "renamed",
           DNSMASQ_LEASE_EXPIRES=FUTURE)
    assert [lease["hostname"] for lease in json.loads(status.read_text())] == ["renamed"]
    helper(status, "del", "52:54:00:00:00:01", "10.0.0.5")
    assert json.loads(status.read_text()) == []


def test_init_answers_in_dnsmasq_lease_file_format(tmp_path: Path) -> None:
    status = tmp_path / "n.status"
    helper(status, "add", "52:54:00:00:00:01", "10.0.0.5", DNSMASQ_LEASE_EXPIRES=FUTURE)
    helper(status, "add", "00:01:00:01:aa:bb", "2001:db8::5", "v6host",
           DNSMASQ_IAID="1234", DNSMASQ_LEASE_EXPIRES=FUTURE, DNSMASQ_MAC="52:54:00:00:00:02",
           DNSMASQ_SERVER_DUID="00:01:00:01:cc:dd")
    done = helper(status, "init")
    assert done.stdout == (f"{FUTURE} 52:54:00:00:00:01 10.0.0.5 * *\n"
                           "duid 00:01:00:01:cc:dd\n"
                           f"{FUTURE} 1234 2001:db8::5 v6host 00:01:00:01:aa:bb\n")


def test_expired_leases_are_dropped_and_zero_never_expires(tmp_path: Path) -> None:
    status = tmp_path / "n.status"
    status.write_text(json.dumps([
        {"ip-address": "10.0.0.1", "mac-address": "a", "expiry-time": 1},
        {"ip-address": "10.0.0.2", "mac-address": "b", "expiry-time": 0},
    ]))
    assert [lease["ip-address"] for lease in read_leases(status)] == ["10.0.0.2"]


def test_concurrent_helpers_lose_no_lease(tmp_path: Path) -> None:
    status = tmp_path / "n.status"
    environment = {"CORRAL_LEASES_FILE": str(status), "DNSMASQ_LEASE_EXPIRES": FUTURE}
    runs = [subprocess.Popen([str(HELPER), "add", f"52:54:00:00:00:{n:02x}", f"10.0.0.{n}"],
                             env=environment) for n in range(1, 13)]
    assert [run.wait(timeout=60) for run in runs] == [0] * 12
    assert len(read_leases(status)) == 12


def test_the_helper_refuses_to_run_without_its_file_variable() -> None:
    done = subprocess.run([str(HELPER), "add", "m", "10.0.0.1"], env={}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "CORRAL_LEASES_FILE" in done.stderr


def test_a_broken_status_file_is_a_read_error(tmp_path: Path) -> None:
    status = tmp_path / "n.status"
    status.write_text("{not json")
    with pytest.raises(CorralError) as caught:
        read_leases(status)
    assert caught.value.code == ErrorCode.READ_FAILED
    assert helper(status, "add", "m", "10.0.0.1").returncode == 1


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(CorralError) as caught:
        apply_event([], "tftp", ["1", "2"], {})
    assert caught.value.code == ErrorCode.INVALID_ARG


def test_lease_length_stands_in_for_a_missing_expiry() -> None:
    (lease,) = apply_event([], "add", ["m", "10.0.0.1"], {"DNSMASQ_LEASE_LENGTH": "60"})
    assert abs(lease["expiry-time"] - (time.time() + 60)) < 5
    assert dnsmasq_lease_lines([]) == ""
