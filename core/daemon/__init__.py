"""corral.core.daemon: corrald, the management daemon (see ``docs/daemon-protocol.md``)."""
