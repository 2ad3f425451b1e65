"""corral.drivers.storage: libvirt's storage pools (iSCSI first).

The definition model -- ``<pool>`` XML to frozen dataclasses and back, with its RelaxNG
schema -- is :mod:`corral.drivers.storage.conf`; what one pool type adds is in
:mod:`corral.drivers.storage.backends`.
:class:`StorageDriver` is the ``storage`` driver (``corral.drivers`` entry point); secrets
are in :mod:`._secrets`. ``docs/storage.md`` describes it all.
"""

from corral.drivers.storage._driver import StorageDriver

__all__ = ["StorageDriver"]
