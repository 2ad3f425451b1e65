"""corral.drivers: the drivers shipped with corral, each found through an entry point.

Drivers never import each other; each reaches the world only through
:class:`corral.core.Command` and the files it owns.
"""
