#!/usr/bin/env python3
"""Plays systemd's side of Type=notify for a VM scenario: binds the datagram socket NOTIFY_SOCKET will name and
writes each field it receives to a log. The moment READY=1 arrives it asks GET /health itself, with no delay a
shell poll would add, so the log shows whether the API really answered when ublkd said it was ready.

    notify-listener.py SOCKET PORT LOG     (SOCKET: a path, or @name for an abstract socket)

Exits after STOPPING=1, or after 60 s without a datagram. Plain sockets rather than urllib: in the TCG guest,
importing urllib alone takes seconds."""
import json
import socket
import sys


def health(port):
    """GET /health on 127.0.0.1: 'STATUS live=N', or 'none REASON' when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
    except OSError as error:  # refused, reset, timed out: all mean "not ready"
        return f"none {error}"
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "garbled"
    try:
        live = json.loads(body).get("devices", {}).get("live", 0)
    except ValueError:
        live = "?"
    return f"{status} live={live}"


address, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind("\0" + address[1:] if address.startswith("@") else address)
listener.settimeout(60)

with open(log_path, "a", buffering=1) as log:
    log.write("LISTENING\n")
    while True:
        try:
            datagram = listener.recv(4096)
        except socket.timeout:
            log.write("TIMEOUT\n")
            sys.exit(1)
        fields = datagram.decode("utf-8", "replace").split("\n")
        for field in fields:
            log.write(f"FIELD {field}\n")
        if "READY=1" in fields:
            log.write(f"HEALTH {health(port)}\n")
        if "STOPPING=1" in fields:
            sys.exit(0)
