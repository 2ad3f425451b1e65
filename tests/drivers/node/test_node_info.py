"""node-info and the stats, for real against /proc, and the topology rule on fake trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode
from corral.core.host import Registry
from corral.core.testing import running_host
from corral.drivers.node import NodeDriver, memory_stats, node_info
from corral.drivers.node._info import cpu_stats, parse_ranges


def meminfo() -> dict[str, int]:
    values = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        values[key] = int(value.split()[0])
    return values


def proc_stat(label: str = "cpu") -> dict[str, int]:
    tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name == label:
            user, nice, system, idle, iowait, irq, softirq = map(int, fields[:7])
            return {"user": (user + nice) * tick, "kernel": (system + irq + softirq) * tick,
                    "idle": idle * tick, "iowait": iowait * tick}
    raise AssertionError(f"{label} not in /proc/stat")


@pytest.fixture
def node(tmp_path: Path):
    with running_host(tmp_path, drivers=["node"]) as host:  # the installed entry point
        yield lambda operation, **arguments: host.call("node", operation, **arguments)


def test_node_info_matches_proc_and_keeps_libvirts_topology_rule(node) -> None:
    info = node("node-info")
    assert set(info) == {"model", "memory", "cpus", "mhz", "nodes", "sockets", "cores",
                         "threads"}
    assert info["model"] == os.uname().machine
    assert info["memory"] == meminfo()["MemTotal"]
    processors = [line for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("processor")]
    assert info["cpus"] == len(processors) == len(
        parse_ranges(Path("/sys/devices/system/cpu/online").read_text()))
    assert info["nodes"] * info["sockets"] * info["cores"] * info["threads"] == len(
        parse_ranges(Path("/sys/devices/system/cpu/present").read_text()))
    mhz = [line for line in Path("/proc/cpuinfo").read_text().splitlines()
           if line.startswith("cpu MHz")]
    if mhz:
        assert info["mhz"] == int(float(mhz[0].split(":")[1]))


def test_memory_stats_are_proc_meminfos_in_kib(node) -> None:
    stats = node("node-memory-stats")
    assert set(stats) == {"total", "free", "buffers", "cached"}
    assert stats["total"] == meminfo()["MemTotal"]
    assert 0 < stats["free"] <= stats["total"]
    cell = node("node-memory-stats", cell=0)
    assert set(cell) == {"total", "free"} and 0 < cell["free"] <= cell["total"]
    with pytest.raises(CorralError, match="The NUMA cell 4096 does not exist") as caught:
        node("node-memory-stats", cell=4096)
    assert caught.value.code == ErrorCode.INVALID_ARG


def test_cpu_stats_lie_between_two_reads_of_proc_stat(node) -> None:
    for label, arguments in (("cpu", {}), ("cpu0", {"cpu": 0})):
        before = proc_stat(label)
        stats = node("node-cpu-stats", **arguments)
        after = proc_stat(label)
        assert set(stats) == {"kernel", "user", "idle", "iowait"}
        for field, value in stats.items():
            assert before[field] <= value <= after[field], field
    with pytest.raises(CorralError, match="The CPU 100000 does not exist") as caught:
        node("node-cpu-stats", cpu=100000)
    assert caught.value.code == ErrorCode.INVALID_ARG


def fake_topology(root: Path, cpus: dict[int, tuple[int, int, int]], present: str) -> Path:
    """cpus: cpu -> (node, package, core)."""
    cpu_dir = root / "sys/devices/system/cpu"
    cpu_dir.mkdir(parents=True)
    (cpu_dir / "online").write_text(present + "\n")
    (cpu_dir / "present").write_text(present + "\n")
    nodes: dict[int, list[int]] = {}
    for cpu, (numa, package, core) in cpus.items():
        topology = cpu_dir / f"cpu{cpu}/topology"
        topology.mkdir(parents=True)
        (topology / "physical_package_id").write_text(f"{package}\n")
        (topology / "core_id").write_text(f"{core}\n")
        nodes.setdefault(numa, []).append(cpu)
    for numa, members in nodes.items():
        node_dir = root / f"sys/devices/system/node/node{numa}"
        node_dir.mkdir(parents=True)
        (node_dir / "cpulist").write_text(",".join(map(str, members)) + "\n")
    proc = root / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text("MemTotal:       16384 kB\nMemFree:         8192 kB\n")
    (proc / "cpuinfo").write_text("processor\t: 0\ncpu MHz\t\t: 3600.250\n")
    return root


def test_two_nodes_of_one_socket_with_two_cores_of_two_threads(tmp_path: Path) -> None:
    cpus = {cpu: (cpu // 4, cpu // 4, (cpu % 4) // 2) for cpu in range(8)}
    root = fake_topology(tmp_path, cpus, "0-7")
    assert node_info(root / "sys", root / "proc", "x86_64") == {
        "model": "x86_64", "memory": 16384, "cpus": 8, "mhz": 3600, "nodes": 2, "sockets": 1,
        "cores": 2, "threads": 2}


def test_a_topology_that_does_not_add_up_is_reported_flat_as_libvirt_does(
    tmp_path: Path
) -> None:
    # Six CPUs, but two cores of two threads per socket would make 8: libvirt lies flat.
    cpus = {0: (0, 0, 0), 1: (0, 0, 0), 2: (0, 0, 1), 3: (0, 0, 1), 4: (0, 0, 2), 5: (0, 0, 3)}
    root = fake_topology(tmp_path, cpus, "0-5")
    info = node_info(root / "sys", root / "proc", "aarch64")
    assert (info["nodes"], info["sockets"], info["cores"], info["threads"]) == (1, 1, 6, 1)


def test_kernel_range_lists() -> None:
    assert parse_ranges("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
    assert parse_ranges("") == []


def test_the_driver_is_the_installed_node_entry_point() -> None:
    assert Registry.discover().driver_class("node") is NodeDriver


def test_a_cell_of_a_host_without_numa_is_invalid_arg(tmp_path: Path) -> None:
    root = fake_topology(tmp_path, {0: (0, 0, 0)}, "0")
    for node_dir in (root / "sys/devices/system/node").iterdir():
        (node_dir / "cpulist").unlink()
        node_dir.rmdir()
    with pytest.raises(CorralError, match=r"The NUMA cell 0 does not exist on this host "
                                          r"\(cells: none\)"):
        memory_stats(root / "sys", root / "proc", 0)
    assert memory_stats(root / "sys", root / "proc") == {"total": 16384, "free": 8192,
                                                         "buffers": 0, "cached": 0}


def test_only_minus_one_means_every_cell_or_cpu(tmp_path: Path) -> None:
    root = fake_topology(tmp_path, {0: (0, 0, 0)}, "0")
    with pytest.raises(CorralError, match=r"The NUMA cell -5 does not exist") as caught:
        memory_stats(root / "sys", root / "proc", -5)
    assert caught.value.code == ErrorCode.INVALID_ARG
    with pytest.raises(CorralError, match=r"The CPU -5 does not exist") as caught:
        cpu_stats(Path("/proc"), -5)
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert set(cpu_stats(Path("/proc"), -1)) == {"kernel", "user", "idle", "iowait"}
