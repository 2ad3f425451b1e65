"""The ``network`` driver: libvirt's bridge networks, served by dnsmasq, forwarded by nft.

One instance manages every network under the host's directories (see :mod:`._layout`).
Each operation holds the driver's lock, so two calls never interleave their steps. The
order of a start is libvirt's ``networkStartNetworkVirtual``: the bridge (MAC, MTU, STP,
delay), its addresses, up, the routes, forwarding, the nft rules, dnsmasq's files and
dnsmasq, then the live status file. Each step that leaves something behind registers
its undo first thing after succeeding, on an :class:`~contextlib.ExitStack` popped only
when everything worked: a failing step leaves no link, address, rule, process or file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import random
import threading
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from corral.core import CorralError, Driver, DriverContext, ErrorCode, ErrorDomain, operation
from corral.core.state import atomic_write
from corral.drivers.network import _links
from corral.drivers.network._dnsmasq_process import (
    check_dnsmasq_conf,
    dnsmasq_binary,
    find_dnsmasq,
    reload_dnsmasq,
    start_dnsmasq,
    stop_dnsmasq,
)
from corral.drivers.network._layout import Layout
from corral.drivers.network._leases import read_leases
from corral.drivers.network._nft import chains_for
from corral.drivers.network._update import Updated, update_definition
from corral.drivers.network.conf import (
    Bridge,
    NetworkDefinition,
    format_network,
    load_network,
    parse_network,
)
from corral.drivers.network.dnsmasq import (
    DnsmasqFiles,
    DnsmasqPaths,
    dnsmasq_needed,
    needs_restart,
    render,
)

__all__ = ["NetworkDriver"]

_TYPE = "network"


@dataclasses.dataclass
class _Network:
    """What the driver knows of one network."""

    name: str
    config: NetworkDefinition | None = None  # the persistent definition (None: transient)
    live: NetworkDefinition | None = None  # the running definition (None: inactive)
    pid: int | None = None  # its dnsmasq
    autostart: bool = False

    @property
    def current(self) -> NetworkDefinition:
        """The live definition while active, else the persistent one."""
        definition = self.live or self.config
        assert definition is not None  # a network is always one or the other
        return definition


class NetworkDriver(Driver):
    """Virtual networks as libvirt's network driver runs them (``network-*`` operations).

    Attributes:
        proc_sys: Where the kernel's settings are written (forwarding); ``/proc/sys``.
    """

    domain = ErrorDomain.NETWORK
    proc_sys = Path("/proc/sys")

    def initialize(self, context: DriverContext) -> None:
        """Load definitions, re-attach to the networks that still run, autostart once."""
        super().initialize(context)
        self._lock = threading.RLock()
        self._layout = Layout.of(context.paths)
        self._layout.create()
        self._networks: dict[str, _Network] = {}
        self._binary: Path | None = None
        self._load_definitions()
        self._install_default()
        for path in sorted(self._layout.runtime.glob("*.xml")):
            try:
                self._reattach(path)
            except CorralError as exc:
                # One network that cannot be taken back must not keep corrald down.
                context.logger.error("Cannot re-attach to the network of %s: %s", path, exc)
        self._autostart_once()

    def reload(self) -> None:
        """Re-read the definitions and autostart links (SIGHUP); running networks run on.

        libvirt's stateReload: a file added by hand is defined, a changed one is the next
        start's definition, a removed one undefines its network (an active one becomes
        transient).
        """
        with self._lock:
            self._load_definitions()

    def _load_definitions(self) -> None:
        found: dict[str, NetworkDefinition] = {}
        for path in sorted(self._layout.definitions.glob("*.xml")):
            definition = load_network(path)
            found[definition.name] = definition
        for name, network in list(self._networks.items()):
            if name not in found:
                network.config, network.autostart = None, False
                if network.live is None:
                    del self._networks[name]
        for name, definition in found.items():
            network = self._networks.setdefault(name, _Network(name))
            network.config = definition
            network.autostart = self._layout.autostart(name).is_symlink()

    # --- operations -------------------------------------------------------------------

    @operation
    def network_define(self, xml: str) -> dict[str, Any]:
        """Define (or redefine) a persistent network from its XML."""
        with self._lock:
            definition = self._complete(parse_network(xml))
            network = self._networks.get(definition.name)
            self._write_definition(definition)
            if network is None:
                network = self._networks[definition.name] = _Network(definition.name)
            network.config = definition
            self.context.emit(_TYPE, definition.name, "defined")
            return {}

    @operation
    def network_undefine(self, name: str) -> dict[str, Any]:
        """Remove a network's persistent definition (an active one becomes transient)."""
        with self._lock:
            network = self._get(name)
            if network.config is None:
                raise self._error(f"The network '{name}' is transient: it has no definition "
                                  "to remove.", ErrorCode.OPERATION_INVALID, name)
            self._layout.autostart(name).unlink(missing_ok=True)
            self._layout.definition(name).unlink(missing_ok=True)
            network.config, network.autostart = None, False
            if network.live is None:
                self._forget(name)
            self.context.emit(_TYPE, name, "undefined")
            return {}

    @operation
    def network_create(self, xml: str) -> dict[str, Any]:
        """Create and start a transient network from its XML."""
        with self._lock:
            definition = self._complete(parse_network(xml))
            if definition.name in self._networks:
                raise self._error(f"The network '{definition.name}' already exists.",
                                  ErrorCode.NETWORK_EXIST, definition.name)
            network = _Network(definition.name)
            self._start(network, definition)
            self._networks[definition.name] = network
            return {}

    @operation
    def network_start(self, name: str) -> dict[str, Any]:
        """Start a defined, inactive network."""
        with self._lock:
            network = self._get(name)
            if network.live is not None:
                raise self._error(f"The network '{name}' is already active.",
                                  ErrorCode.OPERATION_INVALID, name)
            assert network.config is not None
            self._start(network, network.config)
            return {}

    @operation
    def network_destroy(self, name: str) -> dict[str, Any]:
        """Stop an active network: dnsmasq, the rules, the bridge, the runtime files."""
        with self._lock:
            network = self._get(name)
            if network.live is None:
                raise self._error(f"The network '{name}' is not active.",
                                  ErrorCode.OPERATION_INVALID, name)
            self._stop(network)
            if network.config is None:
                self._forget(name)
            return {}

    @operation
    def network_set_autostart(self, name: str, autostart: bool) -> dict[str, Any]:
        """Start the network (or not) when corral starts after a boot."""
        with self._lock:
            network = self._get(name)
            if network.config is None:
                raise self._error(f"The transient network '{name}' cannot be autostarted.",
                                  ErrorCode.OPERATION_INVALID, name)
            link = self._layout.autostart(name)
            link.unlink(missing_ok=True)
            if autostart:
                link.symlink_to(self._layout.definition(name))
            network.autostart = autostart
            return {}

    @operation
    def network_update(self, name: str, command: str, section: str, xml: str,
                       parent_index: int = -1, live: bool = False,
                       config: bool = False) -> dict[str, Any]:
        """Change a section of a network, live (reloading dnsmasq) and/or persistently.

        Neither ``live`` nor ``config``: the live network if active, else the definition
        (libvirt's VIR_NETWORK_UPDATE_AFFECT_CURRENT).
        """
        with self._lock:
            network = self._get(name)
            if not live and not config:
                live, config = network.live is not None, network.live is None
            if live and network.live is None:
                raise self._error(f"The network '{name}' is not active: it has no live state "
                                  "to update.", ErrorCode.OPERATION_INVALID, name)
            if config and network.config is None:
                raise self._error(f"The network '{name}' is transient: it has no definition "
                                  "to update.", ErrorCode.OPERATION_INVALID, name)
            # Everything is computed (and so checked) before anything changes; the files'
            # own text is edited, so a 10,000-host network is never formatted again.
            new_config = new_live = None
            if config and network.config is not None:
                new_config = update_definition(
                    network.config, self._layout.definition(name).read_text(encoding="utf-8"),
                    command, section, xml, parent_index)
            if live and network.live is not None:
                new_live = update_definition(
                    network.live, self._layout.live(name).read_text(encoding="utf-8"),
                    command, section, xml, parent_index)
            # Hook scripts see the network as it will be and may refuse ("updated begin").
            what, changed = f"{command} {section}", new_live or new_config
            assert changed is not None
            self.context.begin(_TYPE, name, "update", what, xml=changed.xml)
            with contextlib.ExitStack() as undo:
                # The definition first: an atomic write that fails changes nothing, and a
                # live update that fails afterwards gets the old definition back.
                if new_config is not None:
                    undo.callback(self._quietly, atomic_write, self._layout.definition(name),
                                  self._layout.definition(name).read_bytes(), 0o644)
                    atomic_write(self._layout.definition(name), new_config.xml, mode=0o644)
                if new_live is not None:
                    self._update_live(network, new_live)
                undo.pop_all()
            if new_config is not None:
                network.config = new_config.definition
            self.context.emit(_TYPE, name, "updated", detail=what, xml=changed.xml)
            return {}

    @operation(read_only=True)
    def network_list(self, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002 - the wire name
        """List the active networks (``all``: the inactive ones too), sorted by name."""
        with self._lock:
            return [self._info(network) for _, network in sorted(self._networks.items())
                    if all or network.live is not None]

    @operation(read_only=True)
    def network_info(self, name: str) -> dict[str, Any]:
        """Describe one network: name, uuid, active, persistent, autostart, bridge."""
        with self._lock:
            return self._info(self._get(name))

    @operation(read_only=True)
    def network_get_xml(self, name: str, inactive: bool = False) -> dict[str, Any]:
        """Return the live XML of an active network, else (or ``inactive``) its definition."""
        with self._lock:
            network = self._get(name)
            definition = network.config if inactive and network.config else network.current
            return {"xml": format_network(definition)}

    @operation(read_only=True)
    def network_dhcp_leases(self, name: str, mac: str | None = None) -> list[dict[str, Any]]:
        """Return the network's current DHCP leases (libvirt's virNetworkDHCPLease fields)."""
        with self._lock:
            network = self._get(name)
            if network.live is None:
                raise self._error(f"The network '{name}' is not active.",
                                  ErrorCode.OPERATION_INVALID, name)
            definition = network.live
        found = [_lease_record(lease, definition) for lease in
                 read_leases(self._layout.leases(name))]
        if mac is not None:
            found = [lease for lease in found if (lease["mac"] or "").lower() == mac.lower()]
        return sorted(found, key=_by_address)

    # --- lifecycle ----------------------------------------------------------------------

    def _start(self, network: _Network, definition: NetworkDefinition) -> None:
        name = definition.name
        bridge = _bridge_of(definition)
        chains = chains_for(definition, bridge)  # refused names fail before any work
        if not self.context.privileged:
            raise self._error(f"Cannot start the network '{name}': bridges, addresses and "
                              "firewall rules need corral in system mode (root).",
                              ErrorCode.OPERATION_INVALID, name)
        xml = format_network(definition)  # the hook scripts' stdin, as libvirt gives it
        self.context.begin(_TYPE, name, "start", xml=xml)
        if _links.bridge_exists(bridge):
            raise self._error(f"Cannot start the network '{name}': a network device named "
                              f"'{bridge}' already exists.", ErrorCode.OPERATION_FAILED, name)
        with contextlib.ExitStack() as undo:
            # The live status comes first, so a corral killed halfway through finds what
            # it left (and cleans it up, or takes it back) when it starts again.
            undo.callback(self._quietly, self._layout.live(name).unlink, True)
            atomic_write(self._layout.live(name), xml, mode=0o644)
            _links.add_bridge(bridge, definition)
            undo.callback(self._quietly, _links.delete_bridge, bridge)
            _links.add_addresses(bridge, definition)
            _links.add_routes(bridge, definition)
            _links.enable_forwarding(definition, self.proc_sys)
            undo.callback(self._quietly, _links.remove_chains, bridge)
            _links.apply_chains(chains)
            pid = None
            if dnsmasq_needed(definition):
                paths = self._layout.dnsmasq(name)
                undo.callback(self._quietly, _remove_files, paths)
                if not self._layout.leases(name).exists():
                    # The lease helper's init creates its lock: a first start that
                    # fails must not leave even that.
                    undo.callback(self._quietly, self._forget_leases, name)
                files = render(definition, paths)
                self._write_dnsmasq_files(files, paths)
                check_dnsmasq_conf(definition, files, paths, self._dnsmasq())
                pid = start_dnsmasq(paths, self._layout.leases(name), self._dnsmasq())
                undo.callback(self._quietly, stop_dnsmasq, pid, paths)
            undo.pop_all()
        network.live, network.pid = definition, pid
        self.context.emit(_TYPE, name, "started", detail=f"bridge {bridge}", xml=xml)

    def _stop(self, network: _Network) -> None:
        definition = network.live
        assert definition is not None
        paths = self._layout.dnsmasq(network.name)
        pid = self._verified_pid(network, paths)
        if pid is not None:
            stop_dnsmasq(pid, paths)
        self._cleanup(definition)
        network.live, network.pid = None, None
        self.context.emit(_TYPE, network.name, "stopped", xml=format_network(definition))

    def _cleanup(self, definition: NetworkDefinition) -> None:
        """Remove the rules, the bridge and the runtime files of a stopped network."""
        bridge = _bridge_of(definition)
        _links.remove_chains(bridge)
        if _links.bridge_exists(bridge):
            _links.delete_bridge(bridge)
        paths = self._layout.dnsmasq(definition.name)
        _remove_files(paths)
        self._layout.live(definition.name).unlink(missing_ok=True)

    def _update_live(self, network: _Network, updated: Updated) -> None:
        """Apply ``new`` to the running network: SIGHUP if dnsmasq can take it, else restart.

        dnsmasq re-reads only its hosts and addn-hosts files on SIGHUP, so an update that
        changes the conf itself (a DHCP range, a TXT or SRV record) restarts it, as
        libvirt's does. On failure the old files, a dnsmasq on them and the old live
        status are put back.
        """
        old, new = network.live, updated.definition
        assert old is not None
        status = self._layout.live(network.name)
        old_status = status.read_bytes()
        paths = self._layout.dnsmasq(network.name)
        before = render(old, paths) if dnsmasq_needed(old) else None
        after = render(new, paths) if dnsmasq_needed(new) else None
        replaced = False

        def put_back() -> None:  # runs last: on the old files, restored just before
            if replaced:
                self._replace_dnsmasq(network, paths, before is not None)

        with contextlib.ExitStack() as undo:
            undo.callback(self._quietly, put_back)
            undo.callback(self._quietly, self._put_dnsmasq_files, before, paths)
            self._put_dnsmasq_files(after, paths)
            # A dnsmasq that died meanwhile is started again, not signalled (libvirt).
            network.pid = self._verified_pid(network, paths)
            if network.pid is not None and after is not None and before is not None \
                    and not needs_restart(before, after):
                reload_dnsmasq(network.pid)
            elif network.pid is not None or after is not None:
                replaced = True
                self._replace_dnsmasq(network, paths, after is not None)
            undo.callback(self._quietly, atomic_write, status, old_status, 0o644)
            atomic_write(status, updated.xml, mode=0o644)
            undo.pop_all()
        network.live = new

    def _put_dnsmasq_files(self, files: DnsmasqFiles | None, paths: DnsmasqPaths) -> None:
        """Write ``files``, or remove dnsmasq's files when there are none (no dnsmasq)."""
        if files is None:
            _remove_files(paths)
        else:
            self._write_dnsmasq_files(files, paths)

    def _replace_dnsmasq(self, network: _Network, paths: DnsmasqPaths, run: bool) -> None:
        """Stop the network's dnsmasq, if any, and start one on its files if ``run``."""
        pid = self._verified_pid(network, paths)
        network.pid = None
        if pid is not None:
            stop_dnsmasq(pid, paths)
        if run:
            network.pid = start_dnsmasq(paths, self._layout.leases(network.name),
                                        self._dnsmasq())

    def _verified_pid(self, network: _Network, paths: DnsmasqPaths) -> int | None:
        """The network's dnsmasq pid if that process is still its dnsmasq, else None.

        A dnsmasq can die (or be killed) while corral runs, and its pid be reused: a
        signal is only ever sent to a pid just checked against the pid file, the binary
        and the conf on its command line.
        """
        if network.pid is None:
            return None
        return find_dnsmasq(paths, self._dnsmasq())

    def _forget(self, name: str) -> None:
        """Drop a network that is neither defined nor active, with its leases (libvirt)."""
        del self._networks[name]
        self._forget_leases(name)

    def _forget_leases(self, name: str) -> None:
        leases = self._layout.leases(name)
        for path in (leases, leases.with_name(f"{leases.name}.lock")):
            path.unlink(missing_ok=True)

    # --- state across daemons ------------------------------------------------------------

    def _reattach(self, status: Path) -> None:
        """Take back a network whose live status survived corral, or clean up after it.

        libvirt's networkUpdateState: a network whose bridge is gone is inactive; one
        whose dnsmasq died gets it restarted (its leases come back through the lease
        helper's ``init``).
        """
        try:
            definition = load_network(status)
        except CorralError as exc:
            self.context.logger.warning("Ignoring the unreadable status file %s: %s", status, exc)
            status.unlink(missing_ok=True)
            return
        network = self._networks.get(definition.name) or _Network(definition.name)
        paths = self._layout.dnsmasq(definition.name)
        pid = find_dnsmasq(paths, self._dnsmasq()) if dnsmasq_needed(definition) else None
        if not _links.bridge_exists(_bridge_of(definition)):
            if pid is not None:
                stop_dnsmasq(pid, paths)
            self._cleanup(definition)
            if network.config is not None:
                self._networks[definition.name] = network
            self.context.logger.info("Network %s vanished while corral was away",
                                     definition.name)
            return
        network.live, network.pid = definition, pid
        self._networks[definition.name] = network
        # Addresses, routes and rules may be missing (corral killed while starting, a
        # flushed ruleset): applying them again is idempotent (libvirt reloads its rules).
        bridge = _bridge_of(definition)
        _links.add_addresses(bridge, definition)
        _links.add_routes(bridge, definition)
        _links.apply_chains(chains_for(definition, bridge))
        if pid is None and dnsmasq_needed(definition):
            self._write_dnsmasq_files(render(definition, paths), paths)
            network.pid = start_dnsmasq(paths, self._layout.leases(definition.name),
                                        self._dnsmasq())

    def _autostart_once(self) -> None:
        """Start the autostart networks, once per boot (libvirt's first-start rule)."""
        marker = self._layout.autostarted
        if marker.exists():
            return
        for name, network in sorted(self._networks.items()):
            if network.autostart and network.live is None and network.config is not None:
                try:
                    self._start(network, network.config)
                except CorralError as exc:
                    # One broken network must not keep the others (or the daemon) down.
                    self.context.logger.error("Cannot autostart network %s: %s", name, exc)
        atomic_write(marker, "", mode=0o644)

    def _install_default(self) -> None:
        """Install the shipped ``default`` network once, as a definition (not autostarted).

        Like libvirt's packaging, it is installed on the first start only: undefined
        later, it stays undefined. Its UUID and MAC are filled in then, as at define.
        """
        marker = self._layout.default_installed
        if marker.exists():
            return
        if "default" not in self._networks:
            shipped = resources.files("corral.drivers.network").joinpath("default.xml")
            try:
                definition = self._complete(parse_network(shipped.read_text(encoding="utf-8")))
            except CorralError as exc:  # e.g. virbr0 already taken by another network
                self.context.logger.warning("Not installing the default network: %s", exc)
            else:
                self._write_definition(definition)
                self._networks["default"] = _Network("default", config=definition)
        atomic_write(marker, "", mode=0o644)

    # --- helpers ---------------------------------------------------------------------------

    def _complete(self, definition: NetworkDefinition) -> NetworkDefinition:
        """Fill in what libvirt fills in at define: the UUID, a free bridge name, a MAC.

        Raises:
            CorralError: NETWORK_EXIST when another network has the name's UUID or the
                bridge, or the name another UUID.
        """
        name = definition.name
        existing = self._networks.get(name)
        if existing is not None and definition.uuid is not None:
            if definition.uuid != existing.current.uuid:
                raise self._error(f"The network '{name}' already exists with the UUID "
                                  f"{existing.current.uuid}.", ErrorCode.NETWORK_EXIST, name)
        for other in self._networks.values():
            if other.name == name:
                continue
            if definition.uuid is not None and other.current.uuid == definition.uuid:
                raise self._error(f"The network '{other.name}' already has the UUID "
                                  f"{definition.uuid}.", ErrorCode.NETWORK_EXIST, name)
            if definition.bridge and definition.bridge.name == _bridge_of(other.current):
                raise self._error(f"The bridge name '{definition.bridge.name}' is already used "
                                  f"by the network '{other.name}'.", ErrorCode.NETWORK_EXIST, name)
        uuid_text = definition.uuid or (existing.current.uuid if existing else None)
        bridge = definition.bridge or Bridge()
        if bridge.name is None:
            previous = existing.current.bridge if existing else None
            bridge = dataclasses.replace(bridge, name=previous.name if previous else
                                         self._free_bridge_name())
        return dataclasses.replace(
            definition, uuid=uuid_text or str(uuid.uuid4()), bridge=bridge,
            mac=definition.mac or (existing.current.mac if existing else None) or _random_mac())

    def _free_bridge_name(self) -> str:
        """The first ``virbrN`` no network uses and no device has (libvirt's template)."""
        used = {_bridge_of(network.current) for network in self._networks.values()}
        number = 0
        while f"virbr{number}" in used or _links.bridge_exists(f"virbr{number}"):
            number += 1
        return f"virbr{number}"

    def _write_definition(self, definition: NetworkDefinition) -> None:
        atomic_write(self._layout.definition(definition.name), format_network(definition),
                     mode=0o644)

    def _write_dnsmasq_files(self, files: DnsmasqFiles, paths: DnsmasqPaths) -> None:
        # dnsmasq reads its conf as root; the two hosts files again after a SIGHUP, as
        # nobody: those must be readable by all (libvirt's are too).
        atomic_write(paths.conf, files.conf, mode=0o600)
        atomic_write(paths.hostsfile, files.hosts, mode=0o644)
        atomic_write(paths.addnhosts, files.addn_hosts, mode=0o644)

    def _dnsmasq(self) -> Path:
        if self._binary is None:
            self._binary = dnsmasq_binary()
        return self._binary

    def _get(self, name: str) -> _Network:
        network = self._networks.get(name)
        if network is None:
            raise self._error(f"There is no network named '{name}'.", ErrorCode.NO_NETWORK, name)
        return network

    def _info(self, network: _Network) -> dict[str, Any]:
        definition = network.current
        return {"name": network.name, "uuid": definition.uuid, "active": network.live is not None,
                "persistent": network.config is not None, "autostart": network.autostart,
                "bridge": _bridge_of(definition)}

    def _error(self, message: str, code: ErrorCode, name: str) -> CorralError:
        return CorralError(message, domain=self.domain, code=code, network=name)

    def _quietly(self, step: Callable[..., object], *args: Any) -> None:
        """Run one undo step; a failing one is logged so the others (and the cause) go on."""
        try:
            step(*args)
        except Exception as exc:  # the original failure is what the caller must see
            self.context.logger.error("Rolling back %s failed: %s", step.__name__, exc)


def _bridge_of(definition: NetworkDefinition) -> str:
    if definition.bridge is None or definition.bridge.name is None:
        raise CorralError(f"The network '{definition.name}' has no bridge name.",
                          code=ErrorCode.INTERNAL_ERROR)
    return definition.bridge.name


def _remove_files(paths: DnsmasqPaths) -> None:
    for path in (paths.conf, paths.hostsfile, paths.addnhosts, paths.pid_file):
        path.unlink(missing_ok=True)


def _random_mac() -> str:
    """A random MAC in the 52:54:00 range libvirt and QEMU use."""
    tail = random.getrandbits(24).to_bytes(3, "big")  # noqa: S311 - not for security
    return "52:54:00:" + ":".join(f"{byte:02x}" for byte in tail)


def _lease_record(lease: dict[str, Any], definition: NetworkDefinition) -> dict[str, Any]:
    address = str(lease.get("ip-address"))
    ipv6 = ":" in address
    prefix = next((ip.interface.network.prefixlen for ip in definition.ips
                   if ip.address and ip.is_ipv6 == ipv6
                   and _contains(ip.interface.network, address)), None)
    return {
        "iface": _bridge_of(definition),
        "expirytime": lease.get("expiry-time", 0),
        "type": "ipv6" if ipv6 else "ipv4",
        "mac": lease.get("mac-address"),
        "iaid": lease.get("iaid"),
        "ipaddr": address,
        "prefix": prefix,
        "hostname": lease.get("hostname"),
        "clientid": lease.get("client-id"),
    }


def _contains(network: ipaddress.IPv4Network | ipaddress.IPv6Network, address: str) -> bool:
    return ipaddress.ip_address(address) in network


def _by_address(lease: dict[str, Any]) -> tuple[int, int]:
    address = ipaddress.ip_address(lease["ipaddr"])
    return address.version, int(address)

