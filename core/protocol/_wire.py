"""Errors on the wire: a :class:`~corral.core.CorralError` as a QMP error, and back.

A QMP error has a ``class`` from QMP's small closed set and a ``desc`` for humans; corral
puts everything else :meth:`CorralError.to_dict` knows under ``data``::

    {"class": "GenericError", "desc": "There is no network named 'x'.",
     "data": {"domain": "network", "code": 43, "corral-class": "CorralError", ...detail}}

``data.domain`` and ``data.code`` are libvirt's (``data.code`` 29 is OPERATION_DENIED), the
detail keys are the error's own, and ``corral-class`` names the Python class so that
:func:`error_from_wire` rebuilds the same one (its dash keeps it apart from any detail
key, which is a Python identifier). A detail value JSON cannot carry is sent as its
``str()``: an error must always reach the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from corral.core.protocol._messages import ErrorClass

__all__ = ["CLASS_KEY", "error_from_wire", "error_to_wire"]

#: The ``data`` key naming the corral exception class.
CLASS_KEY = "corral-class"


def error_to_wire(error: CorralError,
                  qmp_class: str = ErrorClass.GENERIC_ERROR) -> dict[str, Any]:
    """Return ``error`` as the ``error`` member of a QMP reply.

    Args:
        error: What went wrong.
        qmp_class: The QMP class: ``GenericError`` unless the command was not found.
    """
    wire = error.to_dict()
    data = {CLASS_KEY: wire["class"], **wire["data"]}  # to_dict made every value JSON-able
    return {"class": str(qmp_class), "desc": wire["desc"], "data": data}


def error_from_wire(wire: Mapping[str, Any]) -> CorralError:
    """Rebuild the exception :func:`error_to_wire` described, as the same class if known.

    A QMP error from a server that is not corrald (no ``data``) becomes a
    :class:`~corral.core.CorralError` in the ``rpc`` domain: OPERATION_FAILED, or
    NO_SUPPORT for ``CommandNotFound``; its QMP class is kept as ``detail["qmp_class"]``.
    """
    data = wire.get("data")
    if not isinstance(data, Mapping) or "code" not in data:
        code = (ErrorCode.NO_SUPPORT if wire.get("class") == ErrorClass.COMMAND_NOT_FOUND
                else ErrorCode.OPERATION_FAILED)
        return CorralError(str(wire.get("desc", "")), domain=ErrorDomain.RPC, code=code,
                           qmp_class=str(wire.get("class", "")))
    rest = dict(data)
    corral_class = rest.pop(CLASS_KEY, "CorralError")
    return CorralError.from_dict({"class": corral_class, "desc": wire.get("desc", ""),
                                  "data": rest})

