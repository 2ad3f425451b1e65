"""The verb table: daemon.md's every command, help for each, completion, quick imports."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from corral.core.cli import main
from corral.core.cli._commands import COMMANDS
from corral.core.cli._verbs import VERBS

#: daemon.md's command table (and issue 11's node stats): CLI verb -> QMP command.
DAEMON_MD = {
    "net-define": "network-define", "net-undefine": "network-undefine",
    "net-create": "network-create", "net-start": "network-start",
    "net-destroy": "network-destroy", "net-autostart": "network-set-autostart",
    "net-update": "network-update", "net-list": "network-list",
    "net-dumpxml": "network-get-xml", "net-info": "network-info",
    "net-dhcp-leases": "network-dhcp-leases",
    "pool-define": "pool-define", "pool-undefine": "pool-undefine", "pool-start": "pool-start",
    "pool-destroy": "pool-destroy", "pool-refresh": "pool-refresh",
    "pool-autostart": "pool-set-autostart", "pool-list": "pool-list",
    "pool-dumpxml": "pool-get-xml", "pool-info": "pool-info", "vol-list": "volume-list",
    "find-storage-pool-sources": "pool-find-sources",
    "nodesuspend": "node-suspend", "nodeinfo": "node-info",
    # issue 11's additions, virsh's nodememstats / nodecpustats
    "nodememstats": "node-memory-stats", "nodecpustats": "node-cpu-stats",
    "secret-define": "secret-define", "secret-undefine": "secret-undefine",
    "secret-set-value": "secret-set-value", "secret-list": "secret-list",
    "version": "query-version",
}  # fmt: skip
NAMES = [entry.name for entry in COMMANDS]


def test_every_command_of_daemon_md_has_its_verb() -> None:
    assert {verb.name: verb.command for verb in VERBS} == DAEMON_MD
    assert {"exec", "exec-status", "validate", "net-dumpconf", "help", "completion"} <= set(NAMES)
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_every_verb_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    own = capsys.readouterr()
    assert own.out.startswith(f"usage: corral {name}") and own.err == ""
    assert main(["help", name]) == 0
    assert capsys.readouterr().out == own.out


def test_help_lists_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["help"]) == 0
    listing = capsys.readouterr().out
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == listing
    for name in NAMES:
        assert f"\n  {name} " in listing


def test_help_for_an_unknown_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["help", "frobnicate"]) == 1
    assert capsys.readouterr().err == "error: unknown command: 'frobnicate' (see 'corral help').\n"


def _complete(*words: str) -> list[str]:
    """Run the generated completion in bash for ``corral WORDS`` (the last word being typed)."""
    script = subprocess.run([sys.executable, "-m", "corral.core.cli", "completion", "bash"],
                            capture_output=True, text=True, check=True, timeout=60).stdout
    line = " ".join(("corral", *words))
    driver = textwrap.dedent(f"""\
        {script}
        COMP_WORDS=(corral {" ".join(repr(w) if w else "''" for w in words)})
        COMP_CWORD={len(words)}
        COMP_LINE={line!r}
        _corral
        printf '%s\\n' "${{COMPREPLY[@]}}"
        """)
    done = subprocess.run(["bash", "--norc", "--noprofile"], input=driver, capture_output=True,
                          text=True, check=True, timeout=60)
    return sorted(filter(None, done.stdout.splitlines()))


def test_completion_knows_the_verbs_and_their_options() -> None:
    assert _complete("net-") == sorted(n for n in NAMES if n.startswith("net-"))
    assert _complete("net-list", "--") == ["--all", "--help", "--name", "--uuid"]
    assert _complete("--ro") == ["--root"]
    assert _complete("-r", "exec", "--capture", "s") == ["separated", "stderr", "stdout"]
    assert _complete("help", "pool-d") == ["pool-define", "pool-destroy", "pool-dumpxml"]
    assert _complete("completion", "") == ["bash"]


def test_completion_completes_files_for_file_arguments(tmp_path: os.PathLike[str]) -> None:
    os.chdir(tmp_path)
    open("net.xml", "w").close()
    assert _complete("net-define", "ne") == ["net.xml"]


HEAVY = ("lxml", "pluggy", "stevedore", "asyncio", "corral.core.host", "corral.core.daemon",
         "corral.core.command", "corral.core.xml", "importlib.metadata")


@pytest.mark.parametrize("argv", [["--version"], ["-c", "/nonexistent/sock", "net-list"],
                                  ["-c", "/nonexistent/sock", "exec", "/bin/true"]])
def test_a_start_imports_nothing_heavy(argv: list[str]) -> None:
    code = (f"import sys; from corral.core.cli import main; main({argv!r}); "
            "print(' '.join(sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    loaded = done.stdout.split()
    assert "corral.core.cli.main" in loaded
    assert [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []


def test_exec_without_arguments_asks_only_for_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exec"]) == 1
    assert capsys.readouterr().err == (
        "error: the following arguments are required: PATH (see 'corral exec --help').\n")
