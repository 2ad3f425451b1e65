"""The corral command line against corrald as a real process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from corral.core.cli._verbs import VERBS
from corral.core.client import connect

from .conftest import Corrald, StartCorrald

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: The QMP commands that change nothing (daemon.md's "ro" column).
READ_ONLY = {"query-version", "network-list", "network-get-xml", "network-info",
             "network-dhcp-leases", "pool-list", "pool-get-xml", "pool-info", "volume-list",
             "pool-find-sources", "node-info", "secret-list"}


def corral(*args: str | Path, env: dict[str, str] | None = None,
           input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if k != "CORRAL_DEFAULT_URI"} | (env or {})
    return subprocess.run([sys.executable, "-m", "corral.core.cli", *map(str, args)],
                          capture_output=True, env=environ, input=input, timeout=120,
                          check=False)


@pytest.fixture
def daemon(corrald: StartCorrald) -> Corrald:
    return corrald()


def _offers(daemon: Corrald, command: str) -> bool:
    with connect(root=daemon.root) as client:
        return command in {entry["name"] for entry in client.call("query-commands")}


def test_version_and_its_exact_json(daemon: Corrald) -> None:
    with connect(root=daemon.root) as client:
        value = client.call("query-version")
    done = corral("--root", daemon.root, "version")
    daemon_version = "{major}.{minor}.{micro}".format(**value["corral"])
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode().splitlines() == [
        f"Using library: corral {__import__('corral.core').core.__version__}",
        f"Running daemon: corrald {daemon_version}"]
    as_json = corral("--root", daemon.root, "--json", "version")
    assert as_json.stdout.decode() == json.dumps(value) + "\n"


def test_uri_forms_and_the_environment(daemon: Corrald) -> None:
    path = daemon.socket_path()
    for args, env in ((("-c", path), {}), (("-c", f"unix:///system?socket={path}"), {}),
                      ((), {"CORRAL_DEFAULT_URI": str(path)})):
        done = corral(*args, "--json", "version", env=env)
        assert done.returncode == 0, done.stderr


def test_a_daemon_that_is_not_running(tmp_path: Path) -> None:
    done = corral("--root", tmp_path, "version")
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode() == (f"error: Failed to connect socket to "
                                    f"'{tmp_path}/run/corral/corrald-sock': "
                                    "No such file or directory\n")
    bad = corral("-c", "tcp://h/system", "version")
    assert (bad.returncode, bad.stderr.decode()) == (1, "error: invalid connection URI: "
        "unsupported URI scheme 'tcp' in 'tcp://h/system' (expected unix://, ssh:// or a "
        "socket path).\n")  # fmt: skip


def test_a_verb_the_daemon_does_not_offer_is_no_support(daemon: Corrald) -> None:
    missing = [verb for verb in VERBS if not _offers(daemon, verb.command)]
    if not missing:
        pytest.skip("this daemon offers every command of the table")
    verb = next(v for v in missing if not v.params)  # nodeinfo, secret-list...
    done = corral("--root", daemon.root, verb.name)
    assert done.returncode == 1
    assert done.stderr.decode().startswith(
        f"error: the daemon does not offer the command '{verb.command}' (")


def _argv(verb_name: str, tmp_path: Path) -> list[str]:
    verb = next(v for v in VERBS if v.name == verb_name)
    definition = tmp_path / "def.xml"
    definition.write_text("<network><name>x</name><uuid>u</uuid></network>\n")
    (tmp_path / "value").write_text("c2VjcmV0\n")
    argv = [verb.name]
    for param in verb.params:
        if param.flag.startswith("-"):
            continue
        argv.append(str(definition) if param.kind == "file" else
                    "60" if param.kind == "int" else "x")
    secret_file = ["--file", str(tmp_path / "value")] if verb.name == "secret-set-value" else []
    return [*argv, *secret_file]


@pytest.mark.parametrize("verb", [v.name for v in VERBS if v.command not in READ_ONLY])
def test_read_only_refuses_every_mutating_verb(daemon: Corrald, verb: str,
                                               tmp_path: Path) -> None:
    command = next(v.command for v in VERBS if v.name == verb)
    done = corral("-r", "--root", daemon.root, *_argv(verb, tmp_path))
    assert done.returncode == 1
    refused = f"error: operation forbidden: read only access prevents {command}\n"
    missing = f"error: the daemon does not offer the command '{command}' ("
    text = done.stderr.decode()
    assert text == refused or (text.startswith(missing) and not _offers(daemon, command))


@pytest.fixture
def exec_daemon(daemon: Corrald) -> Corrald:
    assert _offers(daemon, "guest-exec"), "corrald serves guest-exec itself"
    return daemon


def test_read_only_refuses_exec(exec_daemon: Corrald) -> None:
    done = corral("-r", "--root", exec_daemon.root, "exec", "/bin/true")
    assert (done.returncode, done.stderr.decode()) == (
        1, "error: operation forbidden: read only access prevents guest-exec\n")


def test_exec_passes_output_and_status_through(exec_daemon: Corrald) -> None:
    done = corral("--root", exec_daemon.root, "exec", "/bin/sh", "-c",
                  "echo out; echo err >&2; exit 3")
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err\n")
    ok = corral("--root", exec_daemon.root, "exec", "/bin/echo", "-n", "a b")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b"a b", b"")


def test_exec_killed_by_a_signal_is_128_plus_n(exec_daemon: Corrald) -> None:
    done = corral("--root", exec_daemon.root, "exec", "/bin/sh", "-c", "kill -TERM $$")
    assert done.returncode == 128 + signal.SIGTERM


def test_exec_input_env_cwd_and_merged_capture(exec_daemon: Corrald, tmp_path: Path) -> None:
    done = corral("--root", exec_daemon.root, "exec", "--input", "-", "--env", "X=1",
                  "--cwd", tmp_path, "--capture", "merged", "/bin/sh", "-c",
                  'cat; echo "$X"; pwd; echo e >&2', input=b"fed\n")
    assert (done.returncode, done.stdout.decode(), done.stderr) == (
        0, f"fed\n1\n{tmp_path}\ne\n", b"")


def test_exec_no_wait_then_exec_status(exec_daemon: Corrald) -> None:
    started = corral("--root", exec_daemon.root, "exec", "--no-wait", "/bin/sh", "-c",
                     "printf 'hi\\n'; exit 2")
    assert started.returncode == 0 and re.fullmatch(rb"\d+\n", started.stdout)
    pid = started.stdout.decode().strip()
    with connect(root=exec_daemon.root) as client:
        for _ in client.events(["GUEST_EXEC_EXITED"], timeout=10):
            if client.call("guest-exec-status", pid=int(pid))["exited"]:
                break
        value = client.call("guest-exec-status", pid=int(pid))
    status = corral("--root", exec_daemon.root, "exec-status", pid)
    assert status.returncode == 0
    assert status.stdout.decode() == (
        "Exited:         yes\nExit code:      2\nOut data:       \"hi\\n\"\n"
        "Out truncated:  no\n")
    as_json = corral("--root", exec_daemon.root, "--json", "exec-status", pid)
    assert as_json.stdout.decode() == json.dumps(value) + "\n"


def test_the_client_doc_script_runs(exec_daemon: Corrald) -> None:
    text = (DOCS / "client.md").read_text()
    script = text.split("## A complete script", 1)[1].split("```python\n", 1)[1]
    script = script.split("\n```", 1)[0]
    env = {k: v for k, v in os.environ.items() if k != "CORRAL_DEFAULT_URI"}
    env["CORRAL_DEFAULT_URI"] = str(exec_daemon.socket_path())
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "read-only commands include query-version: True",
        "not offered: network-start",
        "exit code 0 output b'hello\\n'",
        "the callback saw it too: True",
        "five programs ran at once and all five ended",
    ]


def test_define_verbs_say_what_they_defined(corrald: StartCorrald, tmp_path: Path) -> None:
    daemon = corrald(config='drivers = ["storage"]\n')
    secret = tmp_path / "secret.xml"
    secret.write_text("<secret ephemeral='no' private='yes'><usage type='iscsi'>"
                      "<target>chap</target></usage></secret>\n")
    done = corral("--root", daemon.root, "secret-define", secret)
    assert done.returncode == 0, done.stderr
    uuid = corral("--root", daemon.root, "--json", "secret-list").stdout
    assert done.stdout.decode() == (
        f"Secret {json.loads(uuid)[0]['uuid']} defined from {secret}\n")
    pool = tmp_path / "pool.xml"
    pool.write_text("<pool type='iscsi-direct'><name>lab</name><source>"
                    "<host name='127.0.0.1'/><device path='iqn.2026-12.lab:disk'/>"
                    "<initiator><iqn name='iqn.2026-12.lab:host'/></initiator>"
                    "</source></pool>\n")
    done = corral("--root", daemon.root, "pool-define", pool)
    assert (done.returncode, done.stdout.decode()) == (0, f"Pool lab defined from {pool}\n")


def test_node_stats_read_like_virsh(corrald: StartCorrald) -> None:
    daemon = corrald(config='drivers = ["node"]\n')
    memory = corral("--root", daemon.root, "nodememstats").stdout.decode().splitlines()
    assert [line.split(":")[0].strip() for line in memory] == ["total", "free", "buffers",
                                                              "cached"]
    total = int(memory[0].split(":")[1].split()[0])
    with open("/proc/meminfo") as meminfo:
        assert total == int(meminfo.readline().split()[1])  # MemTotal, in KiB
    assert re.fullmatch(r"total  : +\d+ KiB", memory[0]) and len(memory[0]) == 33
    cpu = corral("--root", daemon.root, "nodecpustats", "--cpu", "0").stdout.decode()
    assert [line.split()[0] for line in cpu.splitlines()] == [
        "user:", "system:", "idle:", "iowait:"]
    assert all(re.fullmatch(r".{15} +\d+", line) and len(line) == 36
               for line in cpu.splitlines())


def test_a_definition_error_names_the_file_as_validate_does(corrald: StartCorrald,
                                                            tmp_path: Path) -> None:
    daemon = corrald(config='drivers = ["storage"]\n')
    pool = tmp_path / "bad.xml"
    pool.write_text("<pool type='iscsi'>\n<name>lab</name>\n<source>\n"
                    "<host name='10.0.0.1'/>\n<host name='10.0.0.2'/>\n"
                    "<device path='iqn.2026-12.lab:disk'/>\n</source>\n"
                    "<target><path>/dev/disk/by-path</path></target>\n</pool>\n")
    broken = tmp_path / "broken.xml"
    broken.write_text("<pool type='dir'>\n<name>x</name>\n")
    for path in (pool, broken):
        defined = corral("--root", daemon.root, "pool-define", path)
        validated = corral("validate", path)
        assert defined.returncode == validated.returncode == 1
        said = defined.stderr.decode()
        assert said.startswith(f"error: {path}:") and "<string>" not in said
        assert said == validated.stderr.decode(), (said, validated.stderr)
