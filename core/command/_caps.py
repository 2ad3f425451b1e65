"""Linux capability names and numbers, as <linux/capability.h> defines them.

``allow_cap`` accepts ``"CAP_NET_RAW"``, ``"net_raw"`` (any case) or the number 13; the
exec wrapper ``setpriv`` is given the lower-case name without the ``cap_`` prefix.
"""

from __future__ import annotations

__all__ = ["CAPABILITIES", "cap_name", "parse_cap"]

CAPABILITIES: tuple[str, ...] = (
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
    "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
    "net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
    "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
    "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
)  # fmt: skip
_NUMBERS = {name: number for number, name in enumerate(CAPABILITIES)}


def parse_cap(value: object) -> int | None:
    """Return the capability number ``value`` names, or None when it names none.

    Args:
        value: ``"CAP_NET_RAW"``, ``"net_raw"`` or ``13``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < len(CAPABILITIES) else None
    if isinstance(value, str):
        name = value.strip().lower()
        return _NUMBERS.get(name.removeprefix("cap_"))
    return None


def cap_name(number: int) -> str:
    """Return setpriv's name for capability ``number`` (``13`` -> ``"net_raw"``)."""
    return CAPABILITIES[number]
