"""Which socket a URI names: libvirt's unix:// forms, paths, --root, the environment."""

from __future__ import annotations

import pytest
from corral.core import CorralError, ErrorCode, NoSupportError
from corral.core.client import DEFAULT_URI_ENV, Address, resolve

SESSION = {"XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"}


@pytest.mark.parametrize(
    ("uri", "readonly", "socket"),
    [
        ("unix:///system", False, "/run/corral/corrald-sock"),
        ("unix:///system", True, "/run/corral/corrald-sock-ro"),
        ("unix:///session", False, "/run/user/1000/corral/corrald-sock"),
        ("unix:///system?socket=/tmp/x.sock", False, "/tmp/x.sock"),
        ("unix:///system?socket=/tmp/x.sock", True, "/tmp/x.sock-ro"),
        ("unix:///system?socket=/tmp/a%20b", False, "/tmp/a b"),  # percent-decoded
        ("unix:///system?mode=ro", False, "/run/corral/corrald-sock-ro"),
        ("/srv/corrald-sock", False, "/srv/corrald-sock"),
        ("/srv/corrald-sock", True, "/srv/corrald-sock-ro"),
        ("/srv/corrald-sock-ro", True, "/srv/corrald-sock-ro"),
        ("relative/sock", False, "relative/sock"),
    ],
)
def test_uris_name_sockets(uri: str, readonly: bool, socket: str) -> None:
    address = resolve(uri, readonly=readonly, environ=SESSION)
    assert address == Address(socket, readonly or "mode=ro" in uri, uri)


def test_root_puts_the_system_socket_under_it() -> None:
    assert resolve(root="/tmp/r", environ={}).socket == "/tmp/r/run/corral/corrald-sock"
    assert resolve(root="/tmp/r", readonly=True, environ={}).socket == \
        "/tmp/r/run/corral/corrald-sock-ro"
    assert resolve("unix:///system", root="/tmp/r", environ={}).socket == \
        "/tmp/r/run/corral/corrald-sock"


def test_the_environment_gives_the_default_and_root_overrides_it() -> None:
    env = {DEFAULT_URI_ENV: "/env/sock"}
    assert resolve(environ=env).socket == "/env/sock"
    assert resolve(root="/r", environ=env).socket == "/r/run/corral/corrald-sock"
    assert resolve("/given", environ=env).socket == "/given"


def test_without_anything_root_talks_to_the_system_daemon() -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("the default for an unprivileged user is the session daemon")
    assert resolve(environ={}).socket == "/run/corral/corrald-sock"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "invalid connection URI: the connection URI is empty."),
        ("tcp://host/system", "invalid connection URI: unsupported URI scheme 'tcp' in "
         "'tcp://host/system' (expected unix:// or a socket path)."),
        ("unix://host/system", "invalid connection URI: a unix:// URI names no host, but "
         "'unix://host/system' names 'host'."),
        ("unix:///systen", "invalid connection URI: unknown URI path '/systen' in "
         "'unix:///systen' (expected /system or /session)."),
        ("unix:///system?sock=/x", "invalid connection URI: unknown URI parameter 'sock' in "
         "'unix:///system?sock=/x' (known: socket, mode)."),
        ("unix:///system?socket=", "invalid connection URI: invalid value '' for URI "
         "parameter 'socket' in 'unix:///system?socket='."),
        ("unix:///system?mode=rx", "invalid connection URI: invalid value 'rx' for URI "
         "parameter 'mode' in 'unix:///system?mode=rx'."),
        ("unix:///system?socket=/a&socket=/b", "invalid connection URI: URI parameter "
         "'socket' given twice in 'unix:///system?socket=/a&socket=/b'."),
        ("unix:///system#x", "invalid connection URI: unexpected fragment '#x' in "
         "'unix:///system#x'."),
    ],
)  # fmt: skip
def test_a_bad_uri_names_the_wrong_part(uri: str, message: str) -> None:
    with pytest.raises(CorralError) as caught:
        resolve(uri, environ={})
    assert (str(caught.value), caught.value.code) == (message, ErrorCode.INVALID_ARG)


@pytest.mark.parametrize("uri", ["/a/sock", "unix:///session", "unix:///system?socket=/a"])
def test_root_with_another_socket_is_refused(uri: str) -> None:
    with pytest.raises(CorralError, match="--root cannot be combined") as caught:
        resolve(uri, root="/r", environ=SESSION)
    assert caught.value.code == ErrorCode.INVALID_ARG


@pytest.mark.parametrize("uri", ["ssh://host/system", "ssh://u@h:22/session?keyfile=k"])
def test_remote_uris_are_not_supported_yet(uri: str) -> None:
    with pytest.raises(NoSupportError, match="remote connections are not supported yet") as c:
        resolve(uri, environ={})
    assert c.value.code == ErrorCode.NO_SUPPORT
