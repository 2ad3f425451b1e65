"""``to_string()`` pasted into a real ``sh`` reproduces the argv and environment exactly.

Only a test runs a shell, to prove the quoting: product code never does. The shell runs
in a directory where an unquoted glob, ``$VAR`` or ``~`` would expand to something else,
and the command is the commandhelper, which reports the argv and environment it got.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from corral.core import Command, CommandError, ErrorCode

WORDS = [
    "*", "?", "[xy]", "x*", "$VAR", "${VAR}", "$", "~", "~/x", "~root", "a=~", "a:~",
    "$(echo hi)", "`echo hi`", "it's", '"dq"', "back\\slash", "tab\there", "new\nline", "",
    "!", "!!", "#hash", "a#b", "semi;colon", "amp&", "pipe|", "<in", ">out", "(paren)",
    "{a,b}", "^caret", "%pct", "=eq", "-dash", "trailing ", " leading", "crlf\r\n", "\\",
]
ENV = {
    "GLOB": "*", "DOLLAR": "$VAR", "TILDE": "~", "TILDE_PATH": "~/x:~", "QUOTE": "it's",
    "SPACES": "two  words", "EMPTY": "", "SUBST": "$(touch pasted)", "NEWLINE": "a\nb",
}


def reported(commandhelper) -> tuple[list[str], dict[str, str]]:
    """Parse the helper's ``ARG:``/``ENV:`` records, whose values may hold newlines."""
    with open(commandhelper.log_path, newline="") as log:  # keep a "\r" as it came
        text = log.read()
    head, _, rest = text.partition("\nENV:")
    chunks = head.split("ARG:")[1:]
    args = [chunk[:-1] for chunk in chunks[:-1]] + chunks[-1:]  # drop each record's "\n"
    entries = rest.split("\nFD:")[0].split("\nENV:")
    return args, dict(entry.partition("=")[::2] for entry in entries)


@pytest.mark.parametrize("linebreaks", [False, True])
def test_sh_reproduces_the_exact_argv_and_environment(
    commandhelper, tmp_path: Path, linebreaks: bool
) -> None:
    play, home = tmp_path / "play", tmp_path / "home"
    play.mkdir()
    home.mkdir()
    for name in ("x", "y", "xa", "a", "out"):
        (play / name).write_text("")
    command = Command(commandhelper.path, *WORDS)
    for name, value in ENV.items():
        command.add_env_pair(name, value)
    line = command.to_string(linebreaks=linebreaks)
    shell_env = {"HOME": str(home), "VAR": "expanded", "PATH": os.environ["PATH"]}
    paste = Command("sh", "-c", line).set_working_directory(play).set_output_buffer()
    for name, value in shell_env.items():
        paste.add_env_pair(name, value)
    paste.run()
    args, env = reported(commandhelper)
    assert args == WORDS
    added_by_sh = {"PWD", "OLDPWD", "SHLVL", "_"}
    assert {k: v for k, v in env.items() if k not in added_by_sh} == {**shell_env, **ENV}
    assert sorted(os.listdir(play)) == ["a", "out", "x", "xa", "y"]  # nothing written


@pytest.mark.parametrize("name", ["A;touch X;B", "1A", "A-B", "A B", "A.B", "$A", "A\n", "é"])
def test_a_name_sh_cannot_assign_is_a_deferred_error(name: str, tmp_path: Path) -> None:
    for command in (
        Command("true").add_env_pair(name, "v"),
        Command("true").add_env_string(f"{name}=v"),
        Command("true").add_env_secret(name, "v"),
    ):
        for action in (command.to_string, command.run):
            with pytest.raises(CommandError) as caught:
                action()
            assert caught.value.code == ErrorCode.INVALID_ARG
            assert f"environment name {name!r} is not a shell variable name" in str(caught.value)


RESERVED = ["if", "then", "else", "elif", "fi", "case", "esac", "while", "until", "for", "do",
            "done", "in", "!", "{", "}", "time", "function", "coproc", "select", "[[", "]]"]


@pytest.mark.parametrize("explicit_env", [False, True])
@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize("binary", ["x=y", "A=", *RESERVED])
def test_sh_runs_a_binary_named_like_an_assignment_or_a_reserved_word(
    commandhelper, shell: str, binary: str, explicit_env: bool
) -> None:
    # libvirt leaves both bare; corral quotes them so that the paste still runs the binary.
    # (A reserved word is only one in command position: an environment before it hides it.)
    bin_dir = commandhelper.path.parent
    (bin_dir / binary).symlink_to(commandhelper.path)
    (bin_dir / "z").symlink_to("/bin/false")  # what sh would run after "x=y"
    command = Command(binary, "z", "y")
    if explicit_env:
        command.add_env_pair("K", "v")
    paste = Command(shell, "-c", command.to_string())
    paste.add_env_pair("PATH", f"{bin_dir}:{os.environ['PATH']}").set_error_buffer().run()
    args, env = reported(commandhelper)
    assert args == ["z", "y"] and env.get("K") == ("v" if explicit_env else None)
