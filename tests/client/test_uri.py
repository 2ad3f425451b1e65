"""Which socket a URI names: libvirt's unix:// forms, paths, --root, the environment."""

from __future__ import annotations

import pytest
from corral.core import CorralError, ErrorCode
from corral.core.client import DEFAULT_URI_ENV, Address, SshTarget, resolve

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
         "'tcp://host/system' (expected unix://, ssh:// or a socket path)."),
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


@pytest.mark.parametrize(
    ("uri", "socket", "target"),
    [
        ("ssh://host/system", "/run/corral/corrald-sock", SshTarget("host")),
        ("ssh://u@h:2222/system?mode=ro", "/run/corral/corrald-sock-ro",
         SshTarget("h", "u", 2222)),
        ("ssh://h/session", "unix:///session", SshTarget("h")),
        ("ssh://h/session?mode=ro", "unix:///session?mode=ro", SshTarget("h")),
        ("ssh://h/system?socket=/a%20b/c+d%24x", "/a b/c+d$x", SshTarget("h")),
        ("ssh://[::1]:22/system", "/run/corral/corrald-sock", SshTarget("::1", None, 22)),
        ("ssh://a%40b@h/system?keyfile=/k&known_hosts=/kh&no_verify=1&command=/opt/corral",
         "/run/corral/corrald-sock",
         SshTarget("h", "a@b", None, "/k", "/kh", True, "/opt/corral")),
    ],
)  # fmt: skip
def test_ssh_uris_name_a_remote_socket(uri: str, socket: str, target: SshTarget) -> None:
    address = resolve(uri, environ={})
    assert (address.socket, address.remote, address.uri) == (socket, target, uri)
    assert address.readonly == ("mode=ro" in uri)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ssh:///system", "an ssh:// URI names a host, but 'ssh:///system' names none."),
        ("ssh://h", "unknown URI path '' in 'ssh://h' (expected /system or /session)."),
        ("ssh://h:0/system", "invalid port '0' in 'ssh://h:0/system' (expected 1 to 65535)."),
        ("ssh://h:x/system", "invalid port 'x' in 'ssh://h:x/system' (expected 1 to 65535)."),
        ("ssh://h:/system", "invalid port '' in 'ssh://h:/system' (expected 1 to 65535)."),
        ("ssh://-oProxyCommand=x/system",
         "invalid host '-oProxyCommand=x' in 'ssh://-oProxyCommand=x/system'."),
        ("ssh://-l@h/system", "invalid user '-l' in 'ssh://-l@h/system'."),
        ("ssh://u:pw@h/system", "'ssh://u:pw@h/system' holds a password; ssh:// URIs carry "
         "none (use a key, keyfile= or an agent)."),
        ("ssh://[::1/system", "Invalid IPv6 URL in 'ssh://[::1/system'."),
        ("ssh://h/system?no_verify=yes", "invalid value 'yes' for URI parameter 'no_verify' "
         "in 'ssh://h/system?no_verify=yes' (expected 0 or 1)."),
        ("ssh://h/system?netcat=nc", "unknown URI parameter 'netcat' in "
         "'ssh://h/system?netcat=nc' (known: socket, keyfile, known_hosts, no_verify, "
         "command, mode)."),
        ("ssh://h/system?keyfile", "malformed query 'keyfile' in 'ssh://h/system?keyfile' "
         "(expected NAME=VALUE)."),
        ("ssh://h/system?command=", "invalid value '' for URI parameter 'command' in "
         "'ssh://h/system?command='."),
        ("unix:///system?keyfile=/k", "unknown URI parameter 'keyfile' in "
         "'unix:///system?keyfile=/k' (known: socket, mode)."),
    ],
)  # fmt: skip
def test_a_bad_ssh_uri_names_the_wrong_part(uri: str, message: str) -> None:
    with pytest.raises(CorralError) as caught:
        resolve(uri, environ={})
    assert str(caught.value) == f"invalid connection URI: {message}"
    assert caught.value.code == ErrorCode.INVALID_ARG


def test_root_is_refused_with_a_remote_uri() -> None:
    with pytest.raises(CorralError, match="--root cannot be combined with the remote URI"):
        resolve("ssh://h/system", root="/r", environ={})


def test_the_ssh_command_line_is_argv_with_the_remote_words_quoted() -> None:
    from corral.core.client._ssh import ssh_argv

    address = resolve("ssh://u@h:2/system?socket=/a%20b/%24x&keyfile=/k%20f"
                      "&known_hosts=/kh%25d&no_verify=1&command=/opt/c%20orral", environ={})
    assert ssh_argv(address, {"CORRAL_SSH": "ssh -F '/my config'"}) == [
        "ssh", "-F", "/my config", "-T", "-e", "none", "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=10", "-p", "2", "-l", "u", "-i", "/k f",
        "-o", 'UserKnownHostsFile="/kh%%d"', "-o", "StrictHostKeyChecking=accept-new",
        "--", "h", "'/opt/c orral' tunnel '/a b/$x'",
    ]
    assert ssh_argv(resolve("ssh://h/system", environ={}), {})[0] == "ssh"
