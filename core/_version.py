"""corral's version, kept in one place: pyproject.toml reads it from here.

A module rather than ``importlib.metadata`` at run time: looking a distribution up costs a
``corral`` start about 30 ms, more than the rest of ``corral --version``.
"""

__all__ = ["VERSION"]

VERSION = "0.1.0"
