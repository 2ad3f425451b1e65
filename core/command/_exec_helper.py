"""corral's exec helper: daemonize, pidfile and handshake steps, then exec the real command.

Run as ``python -I -S _exec_helper.py [--handshake READY GO] [--daemon] [--pidfile PATH]
-- PROGRAM ARGV0 [ARG...]``. It is a small fresh process, so forking it is cheap, and the
big parent never forks. Standard library only; nothing of corral is imported.

Exit statuses follow libvirt: 125 when a step failed before exec (EXIT_CANCELED),
126 when PROGRAM cannot be executed, 127 when it does not exist. With ``--daemon`` the
intermediate process exits 0 once the daemon has written and locked its pidfile and
exec'd; if the daemon fails first, the intermediate exits the same way it did (status
or signal), so the parent sees the daemon's failure.
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


def fail(message: str, status: int = EXIT_CANCELED) -> NoReturn:
    """Report ``message`` on stderr and exit with ``status`` without cleanup."""
    try:
        os.write(2, f"corral exec helper: {message}\n".encode(errors="surrogateescape"))
    except OSError:
        pass  # stderr may be closed; the status still tells the parent
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
    except OSError as exc:
        fail(f"handshake with the parent failed: {exc.strerror}")
    if answer != b"1":
        fail("the parent quit during the handshake")
    os.close(ready_fd)
    os.close(go_fd)


def acquire_pidfile(path: str) -> int:
    """Create ``path``, lock byte 0 (F_SETLK), write our pid; return the inherited fd."""
    try:
        fd = _open_locked(path)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError as exc:
        fail(f"cannot write pidfile {path}: {exc.strerror}")
    os.set_inheritable(fd, True)  # held across exec: the lock lives as long as the daemon
    return fd


def _open_locked(path: str) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd  # still the file at that path, not one unlinked meanwhile
        except FileNotFoundError:
            pass
        os.close(fd)


def execute(program: str, argv: list[str], report_fd: int | None = None) -> NoReturn:
    """Exec ``program``; on failure report it (on ``report_fd`` too) and exit 126/127."""
    for number in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(number, signal.SIG_DFL)  # Python ignores these; exec keeps ignores
    try:
        os.execve(program, argv, original_environ())  # noqa: S606 - an exec, never a shell
    except OSError as exc:
        status = EXIT_ENOENT if exc.errno == errno.ENOENT else EXIT_CANNOT_INVOKE
        if report_fd is not None:
            os.write(report_fd, b"X")
        fail(f"cannot execute binary {program}: {exc.strerror}", status)


def daemon_child(report_fd: int, pidfile: str | None, program: str, argv: list[str]) -> NoReturn:
    """The daemon: take the pidfile, say so, exec (the report pipe closes on exec)."""
    if pidfile is not None:
        acquire_pidfile(pidfile)
    os.write(report_fd, b"R")
    execute(program, argv, report_fd)


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
    report = b""
    while chunk := os.read(read_end, 64):
        report += chunk
    if report == b"R":
        os._exit(0)  # exec'd: the pipe closed with nothing but "ready" in it
    _, wait_status = os.waitpid(pid, 0)
    exit_like(wait_status)


def parse(args: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split our options from ``PROGRAM ARGV0 ARG...`` after ``--``."""
    options: dict[str, list[str]] = {}
    index = 0
    while args[index] != "--":
        name, width = args[index], {"--handshake": 2, "--pidfile": 1}.get(args[index], 0)
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
    if "--handshake" in options:
        ready, go = (int(fd) for fd in options["--handshake"])
        handshake(ready, go)
    if "--daemon" in options:
        pidfile = options.get("--pidfile", [None])[0]
        daemonize(pidfile, program, argv)
    execute(program, argv)


if __name__ == "__main__":
    main()
