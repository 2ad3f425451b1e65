"""The host's facts as libvirt's virNodeGetInfo, nodememstats and nodecpustats give them.

Everything is read from ``/proc`` and ``/sys`` (both roots injectable for tests), the way
libvirt's ``virHostCPUGetInfoPopulateLinux`` and ``virHostMemGetStats`` read them:

- ``cpus``: the online CPUs; ``nodes``: the NUMA nodes (1 without NUMA); ``sockets``,
  ``cores`` and ``threads``: the largest count per node, per socket and per core among
  online CPUs. When ``nodes × sockets × cores × threads`` is not the number of CPUs
  present (machines that hide nodes, AMD modules that count as both threads and cores),
  libvirt reports a flat topology -- 1 node, 1 socket, every CPU a core, 1 thread -- and so
  does corral, so the rule always holds.
- ``mhz``: ``cpu MHz`` (or ``clock``) of ``/proc/cpuinfo``, else cpufreq's maximum, else 0.
- Memory in KiB (``MemTotal``, ``MemFree``, ``Buffers``, ``Cached``); CPU times in
  nanoseconds from ``/proc/stat`` ticks (``user`` = user + nice, ``kernel`` = system + irq +
  softirq, as libvirt sums them).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from corral.core import CorralError, ErrorCode

__all__ = ["cpu_stats", "memory_stats", "node_info", "parse_ranges"]

_NODE_DIR = re.compile(r"node(\d+)")
_CPU_DIR = re.compile(r"cpu(\d+)")


def parse_ranges(text: str) -> list[int]:
    """Return the numbers of a kernel range list (``0-3,8,10-11``), sorted."""
    numbers: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return sorted(numbers)


def node_info(sys_root: Path, proc_root: Path, machine: str) -> dict[str, Any]:
    """Return virNodeInfo's fields: model, memory (KiB), cpus, mhz, nodes, sockets, cores, threads.

    Raises:
        CorralError: SYSTEM_ERROR if ``/proc/meminfo`` or the CPU list cannot be read.
    """
    cpu_dir = sys_root / "devices/system/cpu"
    online = set(_ranges_file(cpu_dir / "online") or _cpu_dirs(cpu_dir))
    present = set(_ranges_file(cpu_dir / "present") or _cpu_dirs(cpu_dir)) | online
    per_node = _node_cpus(sys_root, present)
    sockets = cores = threads = 0
    for cpus in per_node.values():
        node_sockets, node_cores, node_threads = _topology(cpu_dir, cpus & online)
        sockets, cores = max(sockets, node_sockets), max(cores, node_cores)
        threads = max(threads, node_threads)
    nodes = len(per_node)
    if nodes * sockets * cores * threads != len(present):
        nodes, sockets, cores, threads = 1, 1, len(present), 1  # libvirt's flat topology
    return {
        "model": machine,
        "memory": _meminfo(proc_root / "meminfo")["MemTotal"],
        "cpus": len(online),
        "mhz": _mhz(proc_root, cpu_dir),
        "nodes": nodes,
        "sockets": sockets,
        "cores": cores,
        "threads": threads,
    }


def memory_stats(sys_root: Path, proc_root: Path, cell: int = -1) -> dict[str, int]:
    """Return nodememstats in KiB: total, free, buffers, cached (a NUMA cell: total, free).

    Raises:
        CorralError: INVALID_ARG for a cell that does not exist; SYSTEM_ERROR if the
            file cannot be read.
    """
    if cell == -1:  # libvirt's VIR_NODE_MEMORY_STATS_ALL_CELLS; any other negative is refused
        info = _meminfo(proc_root / "meminfo")
        return {"total": info["MemTotal"], "free": info["MemFree"],
                "buffers": info.get("Buffers", 0), "cached": info.get("Cached", 0)}
    cells = _numa_nodes(sys_root)
    if cell not in cells:
        raise CorralError(
            f"The NUMA cell {cell} does not exist on this host (cells: "
            f"{', '.join(map(str, cells)) or 'none'}).",
            code=ErrorCode.INVALID_ARG, argument="cell", cell=cell)
    info = _meminfo(sys_root / f"devices/system/node/node{cell}/meminfo")
    return {"total": info["MemTotal"], "free": info["MemFree"]}


def cpu_stats(proc_root: Path, cpu: int = -1) -> dict[str, int]:
    """Return nodecpustats in nanoseconds: kernel, user, idle, iowait (all CPUs, or one).

    Raises:
        CorralError: INVALID_ARG for a CPU that /proc/stat does not list; SYSTEM_ERROR if
            it cannot be read.
    """
    wanted = "cpu" if cpu == -1 else f"cpu{cpu}"  # -1: VIR_NODE_CPU_STATS_ALL_CPUS
    tick_ns = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    for line in _read(proc_root / "stat").splitlines():
        label, *fields = line.split()
        if label != wanted:
            continue
        user, nice, system, idle, iowait, irq, softirq = (int(v) for v in fields[:7])
        return {"kernel": (system + irq + softirq) * tick_ns, "user": (user + nice) * tick_ns,
                "idle": idle * tick_ns, "iowait": iowait * tick_ns}
    raise CorralError(f"The CPU {cpu} does not exist on this host (see /proc/stat).",
                      code=ErrorCode.INVALID_ARG, argument="cpu", cpu=cpu)


def _topology(cpu_dir: Path, cpus: set[int]) -> tuple[int, int, int]:
    """Return (sockets, most cores in a socket, most threads in a core) of ``cpus``."""
    cores_of: dict[str, set[str]] = defaultdict(set)
    threads_of: dict[tuple[str, str], int] = defaultdict(int)
    for cpu in cpus:
        topology = cpu_dir / f"cpu{cpu}/topology"
        socket = _read_optional(topology / "physical_package_id") or "0"
        core = _read_optional(topology / "core_id") or str(cpu)
        cores_of[socket].add(core)
        threads_of[socket, core] += 1
    if not cpus:
        return 0, 0, 0
    return (len(cores_of), max(map(len, cores_of.values())), max(threads_of.values()))


def _numa_nodes(sys_root: Path) -> list[int]:
    """Return the NUMA nodes sysfs lists (none on a kernel without NUMA)."""
    try:
        names = os.listdir(sys_root / "devices/system/node")
    except OSError:
        return []
    return sorted(int(m.group(1)) for name in names if (m := _NODE_DIR.fullmatch(name)))


def _node_cpus(sys_root: Path, present: set[int]) -> dict[int, set[int]]:
    """Return each NUMA node's CPUs; without NUMA in sysfs, one node 0 holding ``present``."""
    node_dir = sys_root / "devices/system/node"
    nodes = {node: set(_ranges_file(node_dir / f"node{node}" / "cpulist"))
             for node in _numa_nodes(sys_root)}
    return nodes or {0: present}


def _mhz(proc_root: Path, cpu_dir: Path) -> int:
    for line in _read_optional(proc_root / "cpuinfo").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("cpu MHz", "clock"):
            number = re.match(r"\s*(\d+)", value)
            if number:
                return int(number.group(1))
    khz = _read_optional(cpu_dir / "cpu0/cpufreq/cpuinfo_max_freq")
    return int(khz) // 1000 if khz.isdigit() else 0


def _meminfo(path: Path) -> dict[str, int]:
    """``MemTotal: 123 kB`` (and a node's ``Node 0 MemTotal: 123 kB``) -> {"MemTotal": 123}."""
    values = {}
    for line in _read(path).splitlines():
        key, _, value = line.partition(":")
        words = value.split()
        if words and words[0].isdigit():
            values[key.split()[-1]] = int(words[0])
    if "MemTotal" not in values or "MemFree" not in values:
        raise CorralError(f"{path} has no MemTotal or MemFree line.",
                          code=ErrorCode.SYSTEM_ERROR, path=str(path))
    return values


def _cpu_dirs(cpu_dir: Path) -> list[int]:
    try:
        return sorted(int(m.group(1)) for name in os.listdir(cpu_dir)
                      if (m := _CPU_DIR.fullmatch(name)))
    except OSError as exc:
        raise CorralError(f"Cannot list the CPUs in {cpu_dir}: {exc.strerror}.",
                          code=ErrorCode.SYSTEM_ERROR, path=str(cpu_dir)) from exc


def _ranges_file(path: Path) -> list[int]:
    return parse_ranges(_read_optional(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CorralError(f"Cannot read {path}: {exc.strerror}.",
                          code=ErrorCode.SYSTEM_ERROR, path=str(path)) from exc


def _read_optional(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
