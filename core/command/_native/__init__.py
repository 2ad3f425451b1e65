"""corral-exec, the engine's compiled exec wrapper, lives in this folder.

``corral_exec.c`` is built to ``corral-exec`` next to this file: by the wheel build
(``setup.py``) or, in a work tree, by ``make native``. Without it the engine falls back to
util-linux ``prlimit`` and ``setpriv``. There is no Python code here.
"""
