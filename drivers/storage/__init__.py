"""corral.drivers.storage: libvirt's storage pools (iSCSI first).

The definition model -- ``<pool>`` XML to frozen dataclasses and back, with its RelaxNG
schema -- is :mod:`corral.drivers.storage.conf`; what one pool type adds is in
:mod:`corral.drivers.storage.backends`.
"""
