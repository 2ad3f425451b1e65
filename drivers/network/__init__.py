"""corral.drivers.network: libvirt's bridge networks served by dnsmasq.

- :mod:`corral.drivers.network.conf`: the ``<network>`` definition model (XML to frozen
  dataclasses and back, with its RelaxNG schema);
- :mod:`corral.drivers.network.dnsmasq`: the definition rendered as dnsmasq's files;
- the driver (entry point ``network`` in ``corral.drivers``, class
  ``corral.drivers.network._driver.NetworkDriver``): bridges, nftables rules, dnsmasq;
- :mod:`corral.drivers.network.leaseshelper`: ``corral-leaseshelper``, dnsmasq's
  ``--dhcp-script``.

This package imports nothing itself, so the lease helper (run for every lease change)
starts without loading the driver.
"""
