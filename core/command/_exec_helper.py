"""corral's exec helper: daemonize, pidfile and handshake steps, then exec the real command.

Run as ``python -I -S _exec_helper.py [--report FD] [--handshake READY GO] [--daemon]
[--pidfile PATH] -- PROGRAM ARGV0 [ARG...]``. It is a small fresh process, so forking it
is cheap, and the big parent never forks. Standard library only; nothing of corral is
imported.

Exit statuses follow libvirt: 125 when a step failed before exec (EXIT_CANCELED),
126 when PROGRAM cannot be executed, 127 when it does not exist. With ``--daemon`` the
intermediate process exits 0 once the daemon has written and locked its pidfile and
exec'd; if the daemon fails first, the intermediate exits the same way it did (status
or signal), so the parent sees the daemon's failure.

Why a step failed is written as one sentence on the ``--report`` pipe (close-on-exec here,
so an exec'd program never holds it): the child's stderr is often ``/dev/null``, and the
parent puts the sentence into its CommandError.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys

# Start-up time is this helper's whole cost: ``typing`` (15 ms) and ``signal`` (7 ms, it
# imports enum) are kept out; mypy still sees the real modules.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from typing import NoReturn
else:
    import _signal as signal

EXIT_CANCELED = 125
EXIT_CANNOT_INVOKE = 126
EXIT_ENOENT = 127

REPORT_FD = [-1]
"""The parent's report pipe (``--report``), or -1 to report on stderr instead."""


def fail(message: str, status: int = EXIT_CANCELED) -> NoReturn:
    """Report ``message`` to the parent and exit with ``status`` without cleanup."""
    report = REPORT_FD[0]
    text = message if report >= 0 else f"corral exec helper: {message}"
    try:
        os.write(report if report >= 0 else 2, f"{text}\n".encode(errors="surrogateescape"))
    except OSError:
        pass  # the reader may be gone or stderr closed; the status still tells the parent
    os._exit(status)


def exit_like(wait_status: int) -> NoReturn:
    """Exit the way a child with ``wait_status`` did: same code, or same fatal signal."""
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        import resource  # only this rare path needs it

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the daemon already dumped core
        if number not in (signal.SIGKILL, signal.SIGSTOP):  # those cannot be handled
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
        os.kill(os.getpid(), number)
        os._exit(128 + number)  # only if the signal did not end us
    os._exit(os.waitstatus_to_exitcode(wait_status))


def original_environ() -> dict[bytes, bytes]:
    """Return the environment exactly as we were started with it.

    Python may add LC_CTYPE to ``os.environ`` at start-up (PEP 538 locale coercion);
    /proc/self/environ still holds what the parent passed.
    """
    try:
        with open("/proc/self/environ", "rb") as source:
            entries = source.read().split(b"\0")
    except OSError:
        return dict(os.environb)
    return dict(entry.partition(b"=")[::2] for entry in entries if b"=" in entry)


def handshake(ready_fd: int, go_fd: int) -> None:
    """Tell the parent we are ready, then wait until it lets us exec."""
    try:
        os.write(ready_fd, b"1")
        answer = os.read(go_fd, 1)
    except BrokenPipeError:
        answer = b""  # the parent closed its ends unread: it quit, as EOF would say
    except OSError as exc:
        fail(f"The handshake with the parent failed: {exc.strerror}.")
    if answer != b"1":
        fail("The parent quit during the handshake, so the command was not executed.")
    os.close(ready_fd)
    os.close(go_fd)


class HeldElsewhere(Exception):
    """A live process holds the pid file's lock (the message names it)."""


def acquire_pidfile(path: str) -> int:
    """Take ``path`` as our pid file, locked (F_SETLK on byte 0); return the inherited fd.

    As corral.core.state does it, so a reader never sees the file empty: the whole file
    is written and locked under a temporary name beside it (flocked while staged, like
    every corral temporary file), then linked to ``path`` -- or renamed over a stale file
    whose lock we took. The content at ``path`` is always the old pid or the new one.
    """
    directory, name = os.path.split(path)
    staged = os.path.join(directory or ".", f".{name}.{os.getpid()}-exec.corral-tmp")
    fd = -1
    try:
        fd = os.open(staged, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)  # a sweeper leaves a locked temporary file alone
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _install(path, staged)
        fcntl.flock(fd, fcntl.LOCK_UN)  # the pid file now, no longer a temporary one
    except (OSError, HeldElsewhere) as exc:
        try:
            os.unlink(staged)
        except OSError:
            pass
        fail(str(exc) if isinstance(exc, HeldElsewhere) else
             f"Cannot write pidfile {path}: {exc.strerror}.")
    os.set_inheritable(fd, True)  # held across exec: the lock lives as long as the daemon
    return fd


def _install(path: str, staged: str) -> None:
    """Give ``staged`` the name ``path``: a link where none is, a rename over a stale file."""
    while True:
        try:
            os.link(staged, path)  # never replaces (nor follows) what is at path
        except FileExistsError:
            if _replace_stale(path, staged):
                return
            continue  # the file at path changed under us: look again
        os.unlink(staged)
        return


def _replace_stale(path: str, staged: str) -> bool:
    """Rename ``staged`` over ``path`` once we hold its lock; False when it changed meanwhile."""
    try:
        old = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)  # never via a link
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.lockf(old, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.read(old, 32).decode(errors="replace").strip() or "unknown"
            raise HeldElsewhere(
                f"Pidfile {path} is locked by process {holder}: is the daemon already running?"
            ) from None
        try:
            if os.fstat(old).st_ino != os.stat(path).st_ino:
                return False  # replaced after we opened it
        except FileNotFoundError:
            return False
        os.rename(staged, path)  # holding the old file's lock: no other acquirer renames
        return True
    finally:
        os.close(old)


def remove_pidfile(path: str, fd: int) -> None:
    """Remove the pidfile we hold (``fd``), unless another file took its path meanwhile."""
    try:
        if os.fstat(fd).st_ino == os.stat(path).st_ino:
            os.unlink(path)  # still locked by us: no live daemon's file can go
    except OSError:
        pass  # already gone, or not ours: leave it


def execute(
    program: str,
    argv: list[str],
    ready_fd: int | None = None,
    pidfile: tuple[str, int] | None = None,
) -> NoReturn:
    """Exec ``program``; on failure say so (``X`` on ``ready_fd`` too) and exit 126/127.

    A daemon passes its ``pidfile`` (path, locked fd): a failed exec removes it, so no
    pid file names a process that never ran.
    """
    for number in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(number, signal.SIG_DFL)  # Python ignores these; exec keeps ignores
    try:
        os.execve(program, argv, original_environ())  # noqa: S606 - an exec, never a shell
    except OSError as exc:
        status = EXIT_ENOENT if exc.errno == errno.ENOENT else EXIT_CANNOT_INVOKE
        if pidfile is not None:
            remove_pidfile(*pidfile)
        if ready_fd is not None:
            os.write(ready_fd, b"X")
        fail(f"Cannot execute binary {program}: {exc.strerror}.", status)


def daemon_child(ready_fd: int, pidfile: str | None, program: str, argv: list[str]) -> NoReturn:
    """The daemon: take the pidfile, say so, exec (the ready pipe closes on exec)."""
    held = None if pidfile is None else (pidfile, acquire_pidfile(pidfile))
    os.write(ready_fd, b"R")
    execute(program, argv, ready_fd, held)


def daemonize(pidfile: str | None, program: str, argv: list[str]) -> NoReturn:
    """Become a session leader in ``/``, fork the daemon, exit once it is running."""
    os.setsid()
    os.chdir("/")
    read_end, write_end = os.pipe()  # both close-on-exec
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        daemon_child(write_end, pidfile, program, argv)
    os.close(write_end)
    said = b""
    while chunk := os.read(read_end, 64):
        said += chunk
    if said == b"R":
        os._exit(0)  # exec'd: the pipe closed with nothing but "ready" in it
    _, wait_status = os.waitpid(pid, 0)
    exit_like(wait_status)


def parse(args: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split our options from ``PROGRAM ARGV0 ARG...`` after ``--``."""
    options: dict[str, list[str]] = {}
    index = 0
    while args[index] != "--":
        widths = {"--handshake": 2, "--pidfile": 1, "--report": 1}
        name, width = args[index], widths.get(args[index], 0)
        options[name] = args[index + 1 : index + 1 + width]
        index += 1 + width
    return options, args[index + 1 :]


def main() -> NoReturn:
    """Run the steps the options ask for, then exec."""
    try:
        options, command = parse(sys.argv[1:])
        program, argv = command[0], command[1:]
    except (IndexError, ValueError):
        fail("usage: _exec_helper.py [options] -- PROGRAM ARGV0 [ARG...]")
    if "--report" in options:
        REPORT_FD[0] = int(options["--report"][0])
        os.set_inheritable(REPORT_FD[0], False)  # the exec'd command must not hold it
    if "--handshake" in options:
        ready, go = (int(fd) for fd in options["--handshake"])
        handshake(ready, go)
    if "--daemon" in options:
        pidfile = options.get("--pidfile", [None])[0]
        daemonize(pidfile, program, argv)
    execute(program, argv)


if __name__ == "__main__":
    main()
