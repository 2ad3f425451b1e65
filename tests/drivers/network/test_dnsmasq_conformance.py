"""The dnsmasq files of libvirt's own test networks, against what real libvirt 9.0.0 wrote.

For every input of libvirt's ``networkxml2confdata``: the conf equals the 9.0.0 daemon's
byte for byte after the six ``##`` header lines (the conf is rendered with libvirt's own
directories, so even the paths and the ``pid-file=`` line compare equal), and the hosts
file and the addn-hosts file equal its files byte for byte. Where the daemon wrote nothing
(``routed-network-no-dns``: no dnsmasq runs), the test suite's ``.conf`` is the expectation
for the directive lines. And every conf passes the real ``dnsmasq --test``, except the one
libvirt failed to start, whose failure becomes a clear CONFIG_UNSUPPORTED error.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode
from corral.drivers.network.conf import NetworkDefinition, load_network
from corral.drivers.network.dnsmasq import (
    DnsmasqFiles,
    DnsmasqPaths,
    dnsmasq_needed,
    explain_test_failure,
    render,
    syntax_check_arguments,
)

DATA = Path(__file__).resolve().parents[2] / "data"
INPUTS = sorted((DATA / "xml" / "conformance" / "network").glob("*.xml"))
LIBVIRT_9 = DATA / "dnsmasq" / "libvirt-9.0.0"
SUITE = DATA / "dnsmasq" / "networkxml2conf"
# libvirt's directories: the conf then names the same files as the daemon's did.
STATE_DIR, RUNTIME_DIR = "/var/lib/libvirt/dnsmasq", "/run/libvirt/network"
HEADER_LINES = 6


def _case(path: Path) -> str:
    return path.stem


def _render(case: str, state: str = STATE_DIR, runtime: str = RUNTIME_DIR) -> DnsmasqFiles:
    network = load_network(DATA / "xml" / "conformance" / "network" / f"{case}.xml")
    return render(network, DnsmasqPaths.for_network(network.name, state, runtime))


def _same(actual: str, expected: str, what: str) -> None:
    if actual != expected:
        diff = "\n".join(difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "libvirt", "corral", lineterm=""))
        pytest.fail(f"{what} differs from libvirt's:\n{diff}")


def _directives(conf: str) -> list[str]:
    return [line for line in conf.splitlines()
            if not line.startswith("##") and not line.startswith("pid-file=")]


def test_the_data_covers_every_input() -> None:
    # 26 inputs; 25 with the daemon's conf, the 26th with the suite's.
    assert len(INPUTS) == 26
    with_daemon = {path.stem for path in LIBVIRT_9.glob("*.conf")}
    assert len(with_daemon) == 25
    assert {path.stem for path in INPUTS} - with_daemon == {"routed-network-no-dns"}


@pytest.mark.parametrize("path", INPUTS, ids=_case)
def test_the_conf_is_libvirt_9s_after_the_header(path: Path) -> None:
    case, files = _case(path), _render(_case(path))
    expected = LIBVIRT_9 / f"{case}.conf"
    if expected.exists():
        ours = files.conf.splitlines(keepends=True)
        theirs = expected.read_text().splitlines(keepends=True)
        _same("".join(ours[HEADER_LINES:]), "".join(theirs[HEADER_LINES:]), f"{case}.conf")
    else:  # the daemon wrote nothing: the suite's expectation, which has no pid file
        suite = (SUITE / f"{case}.conf").read_text()
        _same("\n".join(_directives(files.conf)), "\n".join(_directives(suite)), f"{case}.conf")


@pytest.mark.parametrize("path", INPUTS, ids=_case)
def test_the_hosts_files_are_libvirt_9s_byte_for_byte(path: Path) -> None:
    case, files = _case(path), _render(_case(path))
    if not (LIBVIRT_9 / f"{case}.conf").exists():
        # No dnsmasq, no files (libvirt); rendered, they would be empty.
        assert (files.hosts, files.addn_hosts) == ("", "")
        return
    _same(files.hosts, (LIBVIRT_9 / f"{case}.hostsfile").read_text(), f"{case}.hostsfile")
    _same(files.addn_hosts, (LIBVIRT_9 / f"{case}.addnhosts").read_text(), f"{case}.addnhosts")


@pytest.mark.parametrize("path", INPUTS, ids=_case)
def test_the_header_is_six_comment_lines_naming_the_network(path: Path) -> None:
    files = _render(_case(path))
    header = files.conf.splitlines()[:HEADER_LINES]
    assert all(line.startswith("##") for line in header)
    assert files.conf.splitlines()[HEADER_LINES] == "strict-order"
    name = load_network(path).name
    assert any(name in line for line in header)


@pytest.mark.parametrize("path", INPUTS, ids=_case)
def test_dnsmasq_runs_exactly_where_libvirt_ran_one(path: Path) -> None:
    assert dnsmasq_needed(load_network(path)) == (LIBVIRT_9 / f"{_case(path)}.conf").exists()


def test_only_the_directories_change_with_other_paths() -> None:
    ours = _render("nat-network-name-with-quotes", "/srv/state", "/srv/run").conf
    libvirts = _render("nat-network-name-with-quotes").conf
    assert ours.replace("/srv/state", STATE_DIR).replace("/srv/run", RUNTIME_DIR) == libvirts
    assert "pid-file=/srv/run/default&quot;with&quot;quotes&quot;.pid\n" in ours


# --- the real dnsmasq -----------------------------------------------------------------

DNSMASQ = shutil.which("dnsmasq") or ("/usr/sbin/dnsmasq" if Path("/usr/sbin/dnsmasq").exists()
                                      else None)
needs_dnsmasq = pytest.mark.skipif(DNSMASQ is None, reason="dnsmasq is not installed "
                                   "(make system-deps installs dnsmasq-base)")


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory ``nobody`` can read: dnsmasq drops root (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="corral-dnsmasq-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def _dnsmasq_test(network: NetworkDefinition, directory: Path) -> tuple[DnsmasqFiles,
                                                                         subprocess.CompletedProcess[str]]:
    paths = DnsmasqPaths.for_network(network.name, directory, directory)
    files = render(network, paths)
    for path, text in ((paths.conf, files.conf), (paths.hostsfile, files.hosts),
                       (paths.addnhosts, files.addn_hosts)):
        path.write_text(text)
        path.chmod(0o644)
    assert DNSMASQ is not None
    done = subprocess.run([DNSMASQ, *syntax_check_arguments(paths)], capture_output=True,
                          text=True, timeout=60, env={"PATH": os.defpath})
    return files, done


@needs_dnsmasq
@pytest.mark.parametrize("path", INPUTS, ids=_case)
def test_every_conf_passes_dnsmasq_test(path: Path, world_readable_dir: Path) -> None:
    network = load_network(path)
    files, done = _dnsmasq_test(network, world_readable_dir)
    if (LIBVIRT_9 / f"{_case(path)}.error").exists():
        # libvirt 9.0.0 wrote this conf and failed to start: dnsmasq rejects a passed-through
        # option. corral's check finds it first and says which.
        assert done.returncode == 1
        assert "bad option at line 18" in done.stderr
        error = explain_test_failure(network, files, done.stderr)
        assert error.code == ErrorCode.CONFIG_UNSUPPORTED
        assert "<dnsmasq:option value='foo=bar'/>" in str(error)
        assert "'default'" in str(error)
    else:
        assert (done.returncode, done.stderr.strip()) == (0, "dnsmasq: syntax check OK.")


def test_a_bad_line_that_is_not_an_option_is_named_too(world_readable_dir: Path) -> None:
    network = load_network(DATA / "xml" / "conformance" / "network" / "nat-network.xml")
    files = DnsmasqFiles(conf=_render("nat-network").conf.replace("bind-dynamic", "bind-dynamix"),
                         hosts="", addn_hosts="")
    error = explain_test_failure(network, files, "dnsmasq: bad option at line 10 of /x.conf\n")
    assert isinstance(error, CorralError) and error.code == ErrorCode.CONFIG_UNSUPPORTED
    assert "line 10 of its configuration, 'bind-dynamix' (bad option)" in str(error)
    other = explain_test_failure(network, files, "dnsmasq: something else\n")
    assert "dnsmasq rejects its configuration: dnsmasq: something else" in str(other)


# Beyond libvirt's data: what the conformance inputs do not combine, each checked by dnsmasq.
MORE = {
    "ipv6 static hosts with leases, ipv4 name-only host": (
        "<ip address='10.9.0.1' prefix='16'><dhcp><range start='10.9.0.2' end='10.9.1.254'>"
        "<lease expiry='2' unit='hours'/></range><host name='solo' ip='10.9.2.2'/></dhcp></ip>"
        "<ip family='ipv6' address='fd09::1' prefix='64'><dhcp>"
        "<host id='0:3:0:1:0:16:3e:11:22:33' ip='fd09::20'><lease expiry='0'/></host>"
        "</dhcp></ip>"),
    "tftp without dhcp, dns off": (
        "<dns enable='no'/><ip address='10.9.0.1' prefix='24'><tftp root='/srv/tftp'/></ip>"),
    "isolated with every dns record": (
        "<domain name='lab.example' localOnly='yes'/>"
        "<dns forwardPlainNames='no'><forwarder addr='10.9.0.53'/>"
        "<forwarder domain='corp.example' addr='fd09::53'/><forwarder domain='no.example'/>"
        "<txt name='t' value='some text'/><srv service='ldap' protocol='tcp' domain='lab.example'"
        " target='dc.lab.example' port='389' priority='1' weight='5'/>"
        "<host ip='10.9.0.7'><hostname>seven</hostname></host></dns>"
        "<ip address='10.9.0.1' prefix='16' localPtr='yes'/>"
        "<ip family='ipv6' address='fd09::1' prefix='48' localPtr='yes'/>"),
}


@needs_dnsmasq
@pytest.mark.parametrize("body", MORE.values(), ids=MORE.keys())
def test_more_combinations_pass_dnsmasq_test(body: str, world_readable_dir: Path) -> None:
    from corral.drivers.network.conf import parse_network

    forward = "" if body.startswith("<domain") else "<forward mode='route'/>"
    network = parse_network(f"<network><name>more</name>{forward}<bridge name='virbr9'/>"
                            f"{body}</network>")
    _, done = _dnsmasq_test(network, world_readable_dir)
    assert (done.returncode, done.stderr.strip()) == (0, "dnsmasq: syntax check OK.")
