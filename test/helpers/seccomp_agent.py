#!/usr/bin/python3
# A seccomp notify agent for the tests: listens on a unix socket (listenerPath), takes the one
# message the runtime sends (the spec's state JSON with the listener fd through SCM_RIGHTS),
# writes that JSON to <out>.json, then answers every notification with success (val 0)
# without doing the call, and records the syscall numbers it saw in <out>.log.
#   seccomp_agent.py SOCKET OUT
import array
import ctypes
import fcntl
import json
import os
import socket
import struct
import sys

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes

sock_path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
open(out + '.ready', 'w').close()
conn, _ = srv.accept()
msg, fds, _flags, _addr = socket.recv_fds(conn, 65536, 4)
with open(out + '.json', 'w') as f:
    f.write(msg.decode())
if not fds:
    sys.exit('no fd received')
fd = fds[0]
log = open(out + '.log', 'a', buffering=1)
while True:
    buf = bytearray(80)
    try:
        fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
    except OSError:
        break  # the filter's last user is gone
    notif_id, pid, _fl, nr = struct.unpack_from('<QIIi', buf, 0)
    log.write(f'{nr}\n')
    resp = struct.pack('<QqiI', notif_id, 0, 0, 0)
    try:
        fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp), True)
    except OSError:
        pass
