"""Keeps the engine's user documentation from rotting.

Every ```python block of ``docs/command.md`` is executed (each in a fresh namespace, in a
scratch directory; the blocks assert what they claim), the virCommand name table must cover
every libvirt function and name only methods that exist, and ``docs/examples/engine_demo.py``
must run to exit status 0.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import corral.core
import pytest
from corral.core import Command, CommandResult

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "command.md"
DEMO = ROOT / "docs" / "examples" / "engine_demo.py"

# Every virCommand function of command-api.md and reference/libvirt.md §1.1.
LIBVIRT_FUNCTIONS = """
virFork virCommandNew virCommandNewArgs virCommandNewArgList virCommandNewVAList virCommandFree
virCommandAddArg virCommandAddArgFormat virCommandAddArgPair virCommandAddArgSet
virCommandAddArgList virCommandAddArgBuffer virCommandGetArgList virCommandGetBinaryPath
virCommandAddEnvPair virCommandAddEnvString virCommandAddEnvFormat virCommandAddEnvPass
virCommandAddEnvPassCommon virCommandAddEnvXDG virCommandAddEnvPassBlockSUID
virCommandAddEnvPassAllowSUID virCommandSetUID virCommandSetGID virCommandGetUID
virCommandGetGID virCommandClearCaps virCommandAllowCap virCommandSetSELinuxLabel
virCommandSetAppArmorProfile virCommandSetMaxMemLock virCommandSetMaxProcesses
virCommandSetMaxFiles virCommandSetMaxCoreSize virCommandSetUmask virCommandSetRunAlone
virCommandSetRunAmong virCommandSetPreExecHook virCommandPassFD virCommandPassFDIndex
virCommandPassFDGetFDIndex virCommandSetInputFD virCommandSetOutputFD virCommandSetErrorFD
virCommandNonblockingFDs virCommandSetWorkingDirectory virCommandSetPidFile
virCommandDaemonize virCommandSetInputBuffer virCommandSetOutputBuffer
virCommandSetErrorBuffer virCommandSetSendBuffer virCommandDoAsyncIO virCommandRun
virCommandRunAsync virCommandWait virCommandAbort virCommandExec virCommandRawStatus
virCommandRequireHandshake virCommandHandshakeWait virCommandHandshakeNotify
virCommandRunRegex virCommandRunNul virCommandToString virCommandToStringFull
virCommandToStringBuf virCommandWriteArgLog virCommandSetDryRun virCommandDryRunTokenNew
virCommandDryRunTokenFree virRun
""".split()


def _python_blocks() -> list[tuple[int, str]]:
    """Return (line number, source) of every ```python block in the document."""
    text = DOC.read_text()
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append((line, match.group(1)))
    return blocks


def _table_rows() -> dict[str, str]:
    """Map each libvirt name of the name table to its corral cell."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0].startswith("vir"):
            rows[cells[0].strip("`")] = cells[1]
    return rows


BLOCKS = _python_blocks()


def test_the_document_has_examples():
    assert len(BLOCKS) >= 10, "docs/command.md lost its runnable examples"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("line", "source"), BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_example_runs(line, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Pad with newlines so a traceback points at the document's own line numbers.
    code = compile("\n" * (line - 1) + source, str(DOC), "exec")
    exec(code, {"__name__": "__docs__"})


def test_name_table_covers_every_libvirt_function():
    rows = _table_rows()
    missing = [name for name in LIBVIRT_FUNCTIONS if name not in rows]
    assert not missing, f"docs/command.md name table lacks {missing}"


def test_name_table_names_only_what_exists():
    known = {*dir(Command), *dir(corral.core), *dir(CommandResult), "Command"}
    for libvirt, cell in _table_rows().items():
        if cell.lower().startswith("not provided"):
            assert "because" in cell, f"{libvirt}: say why it is not provided"
            continue
        names = re.findall(r"`(?:Command\.|cmd\.)?([A-Za-z_]+)[(`]", cell)
        assert names, f"{libvirt}: the corral cell names nothing: {cell!r}"
        unknown = [name for name in names if name not in known]
        assert not unknown, f"{libvirt}: {unknown} do not exist in corral.core"


@pytest.mark.timeout(60)
def test_engine_demo_exits_zero(tmp_path):
    done = subprocess.run(
        [sys.executable, str(DEMO)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "LC_ALL=C" in done.stdout  # the clean environment shows in to_string()
    assert "CommandResult(" in done.stdout
    assert "deferred" in done.stdout.lower()
