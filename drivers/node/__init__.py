"""corral.drivers.node: the host itself -- its facts and its suspend (libvirt's nodeinfo,
nodememstats, nodecpustats and nodesuspend). See ``docs/node.md``."""

from corral.drivers.node._driver import MIN_DURATION, NODE, NodeDriver
from corral.drivers.node._info import cpu_stats, memory_stats, node_info
from corral.drivers.node._suspend import Support, probe_support

__all__ = ["MIN_DURATION", "NODE", "NodeDriver", "Support", "cpu_stats", "memory_stats",
           "node_info", "probe_support"]
