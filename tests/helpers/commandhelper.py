"""A child that reports how it was started, in the manner of libvirt's commandhelper.

It writes ``commandhelper.log`` next to the path it was started as (``argv[0]``):

    ARG:<arg>        one line per argument after argv[0]
    ENV:<name=value> the environment as exec'd, sorted by name, ``LD_*`` skipped
    FD:<n>           every open descriptor, in ascending order
    DAEMON:yes|no    whether it runs in a session other than its parent's
    CWD:<dir>        the working directory
    UMASK:<0ooo>     the umask

Then it reads standard input and every ``--readfd N`` descriptor to EOF and writes
``BEGIN STDOUT`` / the data in descriptor order / ``END STDOUT`` on stdout, and the same
framed with ``STDERR`` on stderr (BEGIN on both, then the data on both, then END on both,
so a shared stdout+stderr shows the interleaving).

Options (reported as ARG lines too): ``--readfd N``, ``--close-stdin`` (reopen stdin on
/dev/null and wait 100 ms first), ``--check-daemonize`` (retry the daemon check 3×100 ms),
``--exit N`` (exit with status N after reporting).

It uses the standard library only and is run as ``python -I -S`` so it starts fast and
sees the environment exactly as the engine built it.
"""

import os
import sys
import time


def _open_fds():
    names = os.listdir("/proc/self/fd")
    fds = []
    for name in names:
        fd = int(name)
        try:
            os.fstat(fd)  # the listing's own directory fd is closed by now
        except OSError:
            continue
        fds.append(fd)
    return sorted(fds)


def _is_daemon(retries):
    for attempt in range(retries + 1):
        if os.getsid(0) != os.getsid(os.getppid()):
            return True
        if attempt < retries:
            time.sleep(0.1)
    return False


def _options(args):
    readfds, close_stdin, check_daemon, exit_status = [], False, False, 0
    for index, arg in enumerate(args):
        if arg == "--readfd":
            readfds.append(int(args[index + 1]))
        elif arg == "--close-stdin":
            close_stdin = True
        elif arg == "--check-daemonize":
            check_daemon = True
        elif arg == "--exit":
            exit_status = int(args[index + 1])
    return readfds, close_stdin, check_daemon, exit_status


def _exec_environment():
    # The environment exactly as exec'd: Python itself adds LC_CTYPE to os.environ when the
    # locale is C (PEP 538), which the engine never set. /proc/self/environ is untouched by it.
    with open("/proc/self/environ", "rb") as source:
        entries = [entry for entry in source.read().split(b"\0") if entry]
    pairs = [os.fsdecode(entry).partition("=") for entry in entries]
    return {name: value for name, _, value in pairs}


def _report(args, check_daemon):
    lines = ["ARG:" + arg for arg in args]
    lines += [
        "ENV:%s=%s" % (name, value)
        for name, value in sorted(_exec_environment().items())
        if not name.startswith("LD_")
    ]
    lines += ["FD:%d" % fd for fd in _open_fds()]
    lines.append("DAEMON:" + ("yes" if _is_daemon(3 if check_daemon else 0) else "no"))
    lines.append("CWD:" + os.getcwd())
    mask = os.umask(0)
    os.umask(mask)
    lines.append("UMASK:%04o" % mask)
    return "\n".join(lines) + "\n"


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def main():
    args = sys.argv[1:]
    readfds, close_stdin, check_daemon, exit_status = _options(args)
    log_path = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "commandhelper.log")
    report = _report(args, check_daemon)  # before the log file adds a descriptor
    with open(log_path, "w") as log:
        log.write(report)
    if close_stdin:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        time.sleep(0.1)
    buffers = [_read_all(fd) for fd in [0] + readfds]
    _write_all(1, b"BEGIN STDOUT\n")
    _write_all(2, b"BEGIN STDERR\n")
    for data in buffers:
        _write_all(1, data)
        _write_all(2, data)
    _write_all(1, b"END STDOUT\n")
    _write_all(2, b"END STDERR\n")
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
