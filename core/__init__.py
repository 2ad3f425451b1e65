"""corral.core: the spawning engine, the error layer and the services drivers build on.

The public names are re-exported here; the modules behind them are private.
"""

from corral.core._errors import (
    CommandError,
    ConfigError,
    CorralError,
    ErrorCode,
    ErrorDomain,
    HookScriptError,
    NoSupportError,
    ProtocolError,
    XMLError,
)

__all__ = [
    "CommandError",
    "ConfigError",
    "CorralError",
    "ErrorCode",
    "ErrorDomain",
    "HookScriptError",
    "NoSupportError",
    "ProtocolError",
    "XMLError",
]
