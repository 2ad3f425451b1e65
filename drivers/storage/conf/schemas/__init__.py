"""The ``<pool>`` RelaxNG schemas (package data): ``storagepool.rng``, ``storagecommon.rng``.

``storagepool.rng`` includes core's ``basictypes.rng`` through the schema search path.
"""
