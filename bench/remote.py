"""corral over ssh: a verb's latency with and without ControlMaster, and ``--hosts`` fan-out.

An sshd is started on loopback (``tests/daemon/remote/sshd.py``: its own keys, nothing of
the machine's ssh configuration read or written) and corrald processes stand in for the
remote hosts. Measured, each a median of interleaved rounds (``timing.timed_rounds``):

- ``corral -c ssh://... version`` as a fresh process, a plain ssh connection each time
  against one multiplexed over a ControlMaster (``ControlMaster auto``, ``ControlPersist``),
  with the same verb over the local socket as the floor;
- ``connect(uri).call("query-version")`` in-process, the same three ways;
- ``corral --hosts FILE version`` over 1, 10 and 50 URIs, against the sum of that many
  single-host runs: a fleet costs its slowest host, not the sum. This 2-core machine is
  shared, so the 50 URIs reach 10 daemons (5 URIs each, every URI its own ssh connection,
  sshd session and tunnel; ``--daemons`` changes it). The target: from 10 URIs on, the
  fleet's wall time is under half the sum (``--strict`` exits 1 otherwise).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from timing import timed_rounds

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.daemon.remote.sshd import start_sshd, stop_sshd  # noqa: E402

BIN = Path(sys.executable).parent
CONTROL = "  ControlMaster auto\n  ControlPath {dir}/cm-%C\n  ControlPersist 120\n"


def _start_daemon(root: Path) -> subprocess.Popen[bytes]:
    root.mkdir(parents=True)
    (root / "corrald.conf").write_text('drivers = []\nlog_outputs = "1:stderr"\n')
    daemon = subprocess.Popen([str(BIN / "corrald"), "--root", str(root), "-f",
                               str(root / "corrald.conf")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    socket = root / "run/corral/corrald-sock"
    deadline = time.monotonic() + 60
    while not socket.exists():
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"corrald did not start in {root}")
        time.sleep(0.05)
    return daemon


def _cli(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()}")


def _medians(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    samples = timed_rounds(list(cases.values()), rounds)
    return {name: statistics.median(times) for name, times in zip(cases, samples, strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--daemons", type=int, default=10)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--max-hosts", type=int, default=50, help="the largest fleet")
    args = parser.parse_args()
    if os.geteuid() != 0 or not Path("/usr/sbin/sshd").exists():
        print("skipped: needs root and /usr/sbin/sshd (openssh-server)")
        return 0
    corral = str(BIN / "corral")
    with tempfile.TemporaryDirectory(prefix="corral-bench-remote-") as tmp:
        base = Path(tmp)
        plain = start_sshd(base / "ssh")
        config = plain.ssh_config.read_text()
        muxed_config = base / "ssh/ssh_config_mux"
        muxed_config.write_text(config + CONTROL.format(dir=base / "ssh"))
        daemons = [_start_daemon(base / f"d{i}") for i in range(args.daemons)]
        env = plain.env()
        env_mux = {**env, "CORRAL_SSH": f"ssh -F {muxed_config}"}
        sockets = [base / f"d{i}/run/corral/corrald-sock" for i in range(args.daemons)]
        uri = plain.uri(sockets[0])
        # 50 distinct URIs (a fleet drops repeats) over the daemons: a link per URI
        (base / "links").mkdir()
        links = [base / f"links/s{i}" for i in range(args.max_hosts)]
        for i, link in enumerate(links):
            link.symlink_to(sockets[i % len(sockets)])
        status = 0
        try:
            _cli([corral, "-c", uri, "version"], env_mux)  # the master starts here
            cases = {
                "local socket": lambda: _cli([corral, "-c", str(sockets[0]), "version"], env),
                "ssh": lambda: _cli([corral, "-c", uri, "version"], env),
                "ssh + ControlMaster": lambda: _cli([corral, "-c", uri, "version"], env_mux),
            }
            medians = _medians(cases, args.rounds)
            print("corral version, a fresh process (median ms):")
            for name, seconds in medians.items():
                print(f"  {name:<22} {seconds * 1000:8.1f}")
            from corral.core.client import connect

            def call(target: str, environ: dict[str, str]) -> None:
                os.environ["CORRAL_SSH"] = environ["CORRAL_SSH"]
                with connect(target) as client:
                    client.call("query-version")

            calls = _medians({
                "local socket": lambda: call(str(sockets[0]), env),
                "ssh": lambda: call(uri, env),
                "ssh + ControlMaster": lambda: call(uri, env_mux),
            }, args.rounds)
            print("connect + query-version + close, in-process (median ms):")
            for name, seconds in calls.items():
                print(f"  {name:<22} {seconds * 1000:8.1f}")
            single = medians["ssh"]
            print("corral --hosts FILE version (median ms of 3; sum = N x one host):")
            for count in sorted({1, min(10, args.max_hosts), args.max_hosts}):
                hosts = base / f"hosts{count}"
                hosts.write_text("".join(plain.uri(links[i]) + "\n" for i in range(count)))
                for label, environ in (("ssh", env), ("ssh + ControlMaster", env_mux)):
                    runs = []
                    for _ in range(3):
                        started = time.perf_counter()
                        _cli([corral, "--hosts", str(hosts), "version"], environ)
                        runs.append(time.perf_counter() - started)
                    wall = statistics.median(runs)
                    ratio = wall / (count * single)
                    verdict = "" if count == 1 else " PASS" if ratio < 0.5 else " FAIL"
                    print(f"  {count:>3} URIs, {label:<22} {wall * 1000:8.1f}   "
                          f"sum {count * single * 1000:8.1f}   wall/sum {ratio:5.2f}{verdict}")
                    if verdict == " FAIL" and args.strict:
                        status = 1
        finally:
            subprocess.run(["ssh", "-F", str(muxed_config), "-O", "exit", "-p",
                            str(plain.port), "127.0.0.1"], capture_output=True, check=False)
            for daemon in daemons:
                daemon.terminate()
            for daemon in daemons:
                daemon.wait(30)
            stop_sshd(plain)
    return status


if __name__ == "__main__":
    sys.exit(main())
