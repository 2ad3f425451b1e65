"""corral-exec, the engine's compiled exec wrapper, lives in this folder.

``corral_exec.c`` is built to ``corral-exec`` next to this file by ``setup.py``: into the
wheel, or into the work tree by an editable install (``make dev``). Without it the engine
falls back to util-linux ``prlimit`` and ``setpriv``. There is no Python code here.
"""
