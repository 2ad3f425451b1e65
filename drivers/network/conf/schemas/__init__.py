"""The ``<network>`` RelaxNG schemas (package data): ``network.rng``, ``networkcommon.rng``.

``network.rng`` includes core's ``basictypes.rng`` through the schema search path.
"""
