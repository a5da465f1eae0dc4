"""Which local process holds the other end of a loopback TCP connection (Linux's /proc).

A worker's Runtime API listens on 127.0.0.1, where any local process can connect; Lambda's
is reachable from its own sandbox only. `held_by_group` tells the worker's connections
from a stranger's: the client socket's inode, asked of the kernel by its port pair
(sock_diag over netlink, ~15 µs; /proc/net/tcp, some milliseconds, where that fails),
must be an open file of the worker or of a process in its group. AWS's runtime client
knows no more than AWS_LAMBDA_RUNTIME_API=host:port, so a secret it would send is not an
option; the kernel's own bookkeeping is.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

__all__ = ["can_check_peers", "held_by_group"]

_PROC_TCP = "/proc/net/tcp"
# <linux/netlink.h>, <linux/sock_diag.h>, <linux/inet_diag.h>
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_ALL_STATES = 0xFFFFFFFF
_NO_COOKIE = 0xFFFFFFFF
_MESSAGE_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, seq, pid
# inet_diag_msg: family, state, timer, retrans, the 48-byte socket id, expires, rqueue,
# wqueue, then uid and inode.
_UID_INODE = struct.Struct("=II")
_UID_OFFSET = _MESSAGE_HEADER.size + 4 + 48 + 12


def can_check_peers() -> bool:
    """Whether this system shows sockets and their owners in /proc (Linux)."""
    return os.path.exists(_PROC_TCP)


def held_by_group(sock: socket.socket, group: int) -> bool:
    """Whether the peer of `sock` (accepted on 127.0.0.1) belongs to process `group`
    itself or to a process whose process group is `group`."""
    try:
        local_port = sock.getsockname()[1]
        peer_host, peer_port = sock.getpeername()[:2]
    except OSError:
        return False  # already gone
    if peer_host != "127.0.0.1":
        return False
    inode = _diag_inode(peer_port, local_port) or _client_inode(peer_port, local_port)
    if inode is None:
        return False
    target = f"socket:[{inode}]"
    if _holds(group, target):
        return True  # the usual case: the worker itself
    return any(_holds(pid, target) for pid in _group_members(group) if pid != group)


def _diag_inode(client_port: int, server_port: int) -> str | None:
    """The client socket's inode from the kernel's sock_diag: one exact lookup."""
    loopback = socket.inet_aton("127.0.0.1") + bytes(12)  # an IPv4 address in 16 bytes
    request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, _ALL_STATES)
    socket_id = struct.pack(">HH", client_port, server_port) + loopback + loopback
    socket_id += struct.pack("=III", 0, _NO_COOKIE, _NO_COOKIE)  # any interface
    body = request + socket_id
    header = _MESSAGE_HEADER.pack(
        _MESSAGE_HEADER.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0
    )
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as diag:
            diag.settimeout(1.0)
            diag.send(header + body)
            answer = diag.recv(8192)
    except (OSError, AttributeError):  # no netlink (not Linux), or refused
        return None
    if len(answer) < _UID_OFFSET + _UID_INODE.size:
        return None  # an error message: no such socket
    kind = _MESSAGE_HEADER.unpack_from(answer)[1]
    if kind != _SOCK_DIAG_BY_FAMILY:
        return None
    inode = _UID_INODE.unpack_from(answer, _UID_OFFSET)[1]
    return str(inode) if inode else None


def _client_inode(client_port: int, server_port: int) -> str | None:
    """The inode of the socket whose local port is `client_port`, connected to ours."""
    # Rows read "  sl local_address rem_address st ... uid timeout inode", addresses as
    # the 32-bit value in host order then the port, in hex: one search finds the row.
    loopback = f"{int.from_bytes(socket.inet_aton('127.0.0.1'), sys.byteorder):08X}"
    needle = f" {loopback}:{client_port:04X} {loopback}:{server_port:04X} ".encode()
    try:
        with open(_PROC_TCP, "rb") as table:
            text = table.read()
    except OSError:
        return None
    start = text.find(needle)
    if start < 0:
        return None
    fields = text[start : text.find(b"\n", start)].split()
    return fields[8].decode() if len(fields) > 8 else None


def _holds(pid: int, target: str) -> bool:
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    for name in names:
        try:
            if os.readlink(f"{folder}/{name}") == target:
                return True
        except OSError:
            continue  # closed meanwhile
    return False


def _group_members(group: int) -> list[int]:
    """The processes of a process group. A stranger cannot join one: setpgid() only
    moves a process into a group of its own session, and workers each have their own."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == group:
            members.append(int(entry))
    return members
