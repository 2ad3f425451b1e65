"""corral.drivers.hooks: the administrator's hook scripts, run as libvirt runs its own.

A driver (entry point ``hooks``) whose hookimpls answer the other drivers' lifecycle:
``hooks/<driver>`` and ``hooks/<driver>.d/*`` under the config root are run with
``<object|-> <operation> <sub-op|-> <extra|->`` and the object's XML on stdin. A failing
``start``-type script refuses the operation (``HookScriptError``, HOOK_SCRIPT_FAILED); a
failing ``stopped``-type script is logged and announced, never fatal. No driver imports this
package and it imports none: the plugin manager is their only meeting point. See
``docs/hooks.md``.
"""

from corral.drivers.hooks._calls import HookCall, hook_call
from corral.drivers.hooks._driver import FAILED_EVENT, HOOK_OBJECT_TYPE, HOOK_TIMEOUT, HooksDriver
from corral.drivers.hooks._layout import HookScripts, find_scripts
from corral.drivers.hooks._runner import HookFailure, run_hook

__all__ = ["FAILED_EVENT", "HOOK_OBJECT_TYPE", "HOOK_TIMEOUT", "HookCall", "HookFailure",
           "HookScripts", "HooksDriver", "find_scripts", "hook_call", "run_hook"]
