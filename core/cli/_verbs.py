"""Every daemon-backed verb of daemon.md's command table, each a few lines.

A verb is usable as soon as the daemon offers its QMP command (the driver providing it
is installed and started); until then it fails with NO_SUPPORT naming the command.
"""

from __future__ import annotations

import argparse
import base64
import binascii
from typing import Any

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.cli import _show as show
from corral.core.cli._table import Param, Show, Verb, read_file

__all__ = ["VERBS"]

_NET = Param("NETWORK", "name", "the network's name")
_POOL = Param("POOL", "name", "the pool's name")
_NET_FILE = Param("FILE", "xml", "a <network> XML definition", "file")
_POOL_FILE = Param("FILE", "xml", "a <pool> XML definition", "file")
_SECRET = Param("SECRET", "secret", "the secret's UUID or usage name")
_ALL = Param("--all", "all", "list inactive ones too", "flag")
_NAME = Param("--name", "", "print only the names", "show")
_UUID = Param("--uuid", "", "print only the UUIDs", "show")
_INACTIVE = Param("--inactive", "inactive", "the definition, not the live state", "flag")
_DISABLE = Param("--disable", "autostart", "stop starting it at boot", "unflag")


def _autostart(kind: str) -> Show:
    marked = show.say(f"{kind} {{name}} marked as autostarted")
    unmarked = show.say(f"{kind} {{name}} unmarked as autostarted")
    return lambda value, args, console: (unmarked if args.disable else marked)(
        value, args, console)


def _secret_value(args: argparse.Namespace) -> dict[str, Any]:
    """virsh's secret-set-value --file: the file holds base64 unless --plain."""
    data: bytes = read_file(args.file, binary=True)
    if args.plain:
        return {"value-b64": base64.b64encode(data).decode()}
    text = b"".join(data.split())
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        raise CorralError(f"{args.file}: the file does not hold base64 (use --plain for a "
                          "raw value).", domain=ErrorDomain.CLI, code=ErrorCode.INVALID_ARG,
                          file=args.file) from None
    return {"value-b64": text.decode()}


def _secret_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", required=True, metavar="F", help="the file with the value")
    parser.add_argument("--plain", action="store_true",
                        help="the file holds the raw value, not base64")


def _current_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--current", action="store_true",
                        help="the running network if active, else the definition (default)")


def _affect_current(args: argparse.Namespace) -> dict[str, Any]:
    """virsh's --current: neither live nor config, and never together with them."""
    if args.current and (args.live or args.config):
        raise CorralError("--current cannot be used with --live or --config.",
                          domain=ErrorDomain.CLI, code=ErrorCode.INVALID_ARG)
    return {}


VERBS: tuple[Verb, ...] = (
    Verb("version", "query-version", "print the versions of corral and of the daemon",
         show.version),
    # networks
    Verb("net-define", "network-define", "define a persistent network from an XML file",
         show.say_defined("Network {name} defined from {file}", "name"), (_NET_FILE,)),
    Verb("net-undefine", "network-undefine", "undefine a network",
         show.say("Network {name} has been undefined"), (_NET,)),
    Verb("net-create", "network-create", "create and start a transient network from a file",
         show.say_defined("Network {name} created from {file}", "name"), (_NET_FILE,)),
    Verb("net-start", "network-start", "start a defined network",
         show.say("Network {name} started"), (_NET,)),
    Verb("net-destroy", "network-destroy", "stop a network now",
         show.say("Network {name} destroyed"), (_NET,)),
    Verb("net-autostart", "network-set-autostart", "start a network when corrald starts",
         _autostart("Network"), (_NET, _DISABLE)),
    Verb("net-update", "network-update", "update a part of a network's definition",
         show.say("Updated network {name}"),
         (_NET, Param("COMMAND", "command", "add, add-first, add-last, delete or modify"),
          Param("SECTION", "section", "the part to change (ip-dhcp-host, dns-host, ...)"),
          Param("XML", "xml", "the XML of the part, or a file holding it", "xml"),
          Param("--parent-index", "parent-index", "which parent element (e.g. which <ip>)",
                "int"),
          Param("--live", "live", "change the running network", "flag"),
          Param("--config", "config", "change the persistent definition", "flag")),
         build=_affect_current, options=_current_option),
    Verb("net-list", "network-list", "list the networks", show.net_list,
         (_ALL, _NAME, _UUID)),
    Verb("net-dumpxml", "network-get-xml", "print a network's XML", show.xml,
         (_NET, _INACTIVE)),
    Verb("net-info", "network-info", "print a network's basic information", show.net_info,
         (_NET,)),
    Verb("net-dhcp-leases", "network-dhcp-leases", "print a network's DHCP leases",
         show.dhcp_leases,
         (_NET, Param("MAC", "mac", "only the leases of this MAC address", optional=True))),
    # storage pools
    Verb("pool-define", "pool-define", "define a persistent pool from an XML file",
         show.say_defined("Pool {name} defined from {file}", "name"), (_POOL_FILE,)),
    Verb("pool-undefine", "pool-undefine", "undefine a pool",
         show.say("Pool {name} has been undefined"), (_POOL,)),
    Verb("pool-start", "pool-start", "start a defined pool",
         show.say("Pool {name} started"), (_POOL,)),
    Verb("pool-destroy", "pool-destroy", "stop a pool",
         show.say("Pool {name} destroyed"), (_POOL,)),
    Verb("pool-refresh", "pool-refresh", "rescan a pool's volumes",
         show.say("Pool {name} refreshed"), (_POOL,)),
    Verb("pool-autostart", "pool-set-autostart", "start a pool when corrald starts",
         _autostart("Pool"), (_POOL, _DISABLE)),
    Verb("pool-list", "pool-list", "list the pools", show.pool_list, (_ALL, _NAME, _UUID)),
    Verb("pool-dumpxml", "pool-get-xml", "print a pool's XML", show.xml,
         (_POOL, _INACTIVE)),
    Verb("pool-info", "pool-info", "print a pool's basic information", show.pool_info,
         (_POOL, Param("--bytes", "", "sizes in bytes", "show"))),
    Verb("vol-list", "volume-list", "list a pool's volumes", show.vol_list,
         (Param("POOL", "pool", "the pool's name"),
          Param("--details", "", "add type, capacity and allocation", "show"))),
    Verb("find-storage-pool-sources", "pool-find-sources",
         "discover the pool sources a host offers", show.xml,
         (Param("TYPE", "type", "the pool type (iscsi)"),
          Param("HOST", "host", "the host to ask"),
          Param("--port", "port", "its port", "int"),
          Param("--initiator", "initiator", "the initiator IQN to log in as"))),
    # the node
    Verb("nodeinfo", "node-info", "print the host's CPU and memory", show.node_info),
    Verb("nodememstats", "node-memory-stats", "print the host's (or a NUMA cell's) memory",
         show.node_memory_stats, (Param("--cell", "cell", "one NUMA cell", "int"),)),
    Verb("nodecpustats", "node-cpu-stats", "print the host's (or one CPU's) CPU times",
         show.node_cpu_stats, (Param("--cpu", "cpu", "one CPU", "int"),)),
    Verb("nodesuspend", "node-suspend", "suspend the host and wake it up after SECONDS",
         show.say("Node suspended for {duration} seconds"),
         (Param("TARGET", "target", "mem, disk or hybrid"),
          Param("SECONDS", "duration", "when to wake up (at least 60)", "int"))),
    # secrets
    Verb("secret-define", "secret-define", "define a secret from an XML file",
         show.say_defined("Secret {name} defined from {file}", "uuid"),
         (Param("FILE", "xml", "a <secret> XML definition", "file"),)),
    Verb("secret-undefine", "secret-undefine", "undefine a secret and its value",
         show.say("Secret {secret} deleted"), (_SECRET,)),
    Verb("secret-set-value", "secret-set-value", "set a secret's value from a file",
         show.say("Secret value set"), (_SECRET,), build=_secret_value, options=_secret_file),
    Verb("secret-list", "secret-list", "list the secrets (never their values)",
         show.secret_list),
)
