"""corral.drivers.network: libvirt's bridge networks served by dnsmasq.

The definition model -- ``<network>`` XML to frozen dataclasses and back, with its
RelaxNG schema -- is :mod:`corral.drivers.network.conf`; the driver itself builds on it.
"""
