"""Which local process holds the other end of a loopback TCP connection (Linux's /proc).

A worker's Runtime API listens on 127.0.0.1, where any local process can connect; Lambda's
is reachable from its own sandbox only. `held_by_group` tells the worker's connections
from a stranger's: the client socket's inode, found in /proc/net/tcp by its port pair,
must be an open file of the worker or of a process in its group. AWS's runtime client
knows no more than AWS_LAMBDA_RUNTIME_API=host:port, so a secret it would send is not an
option; the kernel's own bookkeeping is.
"""

from __future__ import annotations

import os
import socket

__all__ = ["can_check_peers", "held_by_group"]

_PROC_TCP = "/proc/net/tcp"


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
    inode = _client_inode(peer_port, local_port)
    if inode is None:
        return False
    target = f"socket:[{inode}]"
    if _holds(group, target):
        return True  # the usual case: the worker itself
    return any(_holds(pid, target) for pid in _group_members(group) if pid != group)


def _client_inode(client_port: int, server_port: int) -> str | None:
    """The inode of the socket whose local port is `client_port`, connected to ours."""
    local_suffix = f":{client_port:04X}"
    remote_suffix = f":{server_port:04X}"
    try:
        with open(_PROC_TCP, encoding="ascii") as table:
            next(table, None)  # the header line
            for line in table:
                fields = line.split()
                # sl local_address rem_address st queues timer retrnsmt uid timeout inode
                if (
                    len(fields) > 9
                    and fields[1].endswith(local_suffix)
                    and fields[2].endswith(remote_suffix)
                ):
                    return fields[9]
    except OSError:
        return None
    return None


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
