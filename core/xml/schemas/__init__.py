"""Core's RelaxNG schemas (package data): ``basictypes.rng``, libvirt's shared datatypes.

A package rather than a bare folder so that setuptools ships it as one (a data folder
inside a package draws a warning on every build). Drivers include these files by name
through the schema search path, :data:`corral.core.xml.SEARCH_PATH`.
"""
