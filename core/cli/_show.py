"""How each verb prints its command's ``return`` value for people (virsh's wording).

Every function takes the ``return`` value, the parsed command line and the console; the
values' shapes are daemon.md's return-value table. A field the daemon leaves out prints
as ``-``, as virsh prints what it cannot tell.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from corral.core.cli._command import Console
from corral.core.cli._render import size, yes_no
from corral.core.cli._table import Show, values

__all__ = [
    "dhcp_leases", "net_info", "net_list", "node_cpu_stats", "node_info",
    "node_memory_stats", "pool_info", "pool_list",
    "say", "say_defined", "secret_list", "version", "vol_list", "xml",
]  # fmt: skip


def say(template: str) -> Show:
    """Print ``template`` formatted with the command line's arguments (``-q``: nothing)."""

    def show(value: Any, args: argparse.Namespace, console: Console) -> None:
        console.say(template.format(**vars(args)))

    return show


def say_defined(template: str, element: str) -> Show:
    """Like :func:`say`, with ``{file}`` the definition file and ``{name}`` its ``element``.

    The daemon's answer names the object when it says more than the file (a secret's
    generated UUID); otherwise the name is read from the file.
    """

    def show(value: Any, args: argparse.Namespace, console: Console) -> None:
        path = args.xml  # the FILE positional fills the command's ``xml`` argument
        name = values(value).get(element) or _defined_name(path, element)
        console.say(template.format(**{**vars(args), "name": name, "file": path}))

    return show


def _defined_name(path: str, element: str) -> str:
    # The daemon accepted the file, so it parses; the name is what virsh would print
    # from the object it got back.
    from xml.etree import ElementTree

    try:
        return ElementTree.parse(path).getroot().findtext(element) or "-"  # noqa: S314
    except (OSError, ElementTree.ParseError):
        return "-"


def version(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``version``: the library's version, then the daemon's."""
    from corral.core import __version__ as mine
    numbers = values(values(value).get("corral"))
    daemon = ".".join(str(numbers.get(k, "?")) for k in ("major", "minor", "micro"))
    package = values(value).get("package")
    console.write(f"Using library: corral {mine}\nRunning daemon: corrald {daemon}"
                  + (f" ({package})" if package else "") + "\n")


def xml(value: Any, args: argparse.Namespace, console: Console) -> None:
    """Print the ``xml`` member as it is."""
    text = str(values(value).get("xml", ""))
    console.write(text if text.endswith("\n") else text + "\n")


def _listing(header: tuple[str, ...], row: Callable[[dict[str, Any]], tuple[str, ...]]
             ) -> Show:
    def show(value: Any, args: argparse.Namespace, console: Console) -> None:
        items = [item for item in value if isinstance(item, dict)] if isinstance(
            value, list) else []
        if getattr(args, "name", False) or getattr(args, "uuid", False):
            key = "name" if getattr(args, "name", False) else "uuid"
            console.write("".join(f"{item.get(key, '-')}\n" for item in items))
            return
        console.table(header, [row(item) for item in items])

    return show


def _state(item: dict[str, Any]) -> str:
    return "active" if item.get("active") else "inactive"


net_list = _listing(
    ("Name", "State", "Autostart", "Persistent"),
    lambda n: (str(n.get("name", "-")), _state(n), yes_no(n.get("autostart")),
               yes_no(n.get("persistent"))),
)

pool_list = _listing(
    ("Name", "State", "Autostart"),
    lambda p: (str(p.get("name", "-")), _state(p), yes_no(p.get("autostart"))),
)


def secret_list(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``secret-list``: UUID and usage (``iscsi TARGET``), never a value."""
    rows = []
    for item in value if isinstance(value, list) else []:
        usage = item.get("usage")
        if isinstance(usage, dict):
            usage = " ".join(str(v) for v in (usage.get("type"), usage.get("target")) if v)
        rows.append((str(item.get("uuid", "-")), str(usage or "-")))
    console.table(("UUID", "Usage"), rows)


def vol_list(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``vol-list``: Name, Path; ``--details`` adds Type, Capacity, Allocation."""
    items = [item for item in value if isinstance(item, dict)] if isinstance(
        value, list) else []
    rows: list[tuple[str, ...]]
    if args.details:
        header: tuple[str, ...] = ("Name", "Path", "Type", "Capacity", "Allocation")
        rows = [(str(v.get("name", "-")), str(v.get("path", "-")), str(v.get("type", "-")),
                 size(v.get("capacity")), size(v.get("allocation"))) for v in items]
    else:
        header = ("Name", "Path")
        rows = [(str(v.get("name", "-")), str(v.get("path", "-"))) for v in items]
    console.table(header, rows)


def dhcp_leases(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``net-dhcp-leases`` table."""
    rows = []
    for lease in value if isinstance(value, list) else []:
        expiry = lease.get("expirytime")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(expiry)) \
            if isinstance(expiry, int) else "-"
        address = f"{lease.get('ipaddr', '-')}/{lease.get('prefix', '-')}"
        rows.append((when, str(lease.get("mac") or "-"), str(lease.get("type") or "-"),
                     address, str(lease.get("hostname") or "-"),
                     str(lease.get("clientid") or "-")))
    header = ("Expiry Time", "MAC address", "Protocol", "IP address", "Hostname",
              "Client ID or DUID")
    console.table(header, rows)


def net_info(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``net-info`` block."""
    info = values(value)
    console.block([
        ("Name", info.get("name", "-")), ("UUID", info.get("uuid", "-")),
        ("Active", yes_no(info.get("active"))), ("Persistent", yes_no(info.get("persistent"))),
        ("Autostart", yes_no(info.get("autostart"))), ("Bridge", info.get("bridge") or "-"),
    ])


def pool_info(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``pool-info`` block (sizes only while the pool runs, as virsh)."""
    info = values(value)
    pairs: list[tuple[str, object]] = [
        ("Name", info.get("name", "-")), ("UUID", info.get("uuid", "-")),
        ("State", info.get("state", "-")), ("Persistent", yes_no(info.get("persistent"))),
        ("Autostart", yes_no(info.get("autostart"))),
    ]
    if info.get("state") in ("running", "degraded"):
        shown = (lambda n: n) if args.bytes else size
        pairs += [(key.capitalize(), shown(info.get(key)))
                  for key in ("capacity", "allocation", "available")]
    console.block(pairs)


def node_memory_stats(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``nodememstats``: ``%-7s: %20llu KiB`` for each field the daemon gave."""
    for field, amount in values(value).items():
        console.write(f"{field:<7}: {amount:>20} KiB\n")


def node_cpu_stats(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``nodecpustats``: ``%-15s %20llu`` nanoseconds, kernel time read ``system``."""
    stats = values(value)
    for field, label in (("user", "user:"), ("kernel", "system:"), ("idle", "idle:"),
                         ("iowait", "iowait:")):
        if field in stats:
            console.write(f"{label:<15} {stats[field]:>20}\n")


def node_info(value: Any, args: argparse.Namespace, console: Console) -> None:
    """virsh's ``nodeinfo`` block (``%-20s``)."""
    info = values(value)
    console.block([
        ("CPU model", info.get("model", "-")), ("CPU(s)", info.get("cpus", "-")),
        ("CPU frequency", f"{info.get('mhz', '-')} MHz"),
        ("CPU socket(s)", info.get("sockets", "-")),
        ("Core(s) per socket", info.get("cores", "-")),
        ("Thread(s) per core", info.get("threads", "-")),
        ("NUMA cell(s)", info.get("nodes", "-")),
        ("Memory size", f"{info.get('memory', '-')} KiB"),
    ], width=20)
