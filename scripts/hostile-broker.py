#!/usr/bin/env python3
"""A raw-socket MQTT 3.1.1 "broker" that sends what no real broker will, to try
mqscope's release build by hand (the test suite has its own in
tests/hostile_broker.rs). It answers CONNECT and SUBSCRIBE, then sends one of:

  deep     COUNT topics of LEVELS levels each (default 200 x 32,700)
  flood    COUNT messages of SIZE bytes on COUNT topics, as fast as the socket takes them
  topics   COUNT messages on COUNT distinct topics (default 100,000)

and keeps answering PINGREQ. Usage:

  scripts/hostile-broker.py PORT deep [COUNT] [LEVELS]
  scripts/hostile-broker.py PORT flood [COUNT] [SIZE]
  scripts/hostile-broker.py PORT topics [COUNT]

then `mqscope --broker mqtt://127.0.0.1:PORT --stats-json stats.json`.
"""

import socket
import sys
import threading


def packet(first, body):
    out = bytearray([first])
    n = len(body)
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + body


def publish(topic, payload):
    return packet(0x30, len(topic).to_bytes(2, "big") + topic + payload)


def read_packet(conn):
    first = conn.recv(1)
    if not first:
        return None, None
    n, shift = 0, 0
    while True:
        b = conn.recv(1)[0]
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    body = b""
    while len(body) < n:
        chunk = conn.recv(n - len(body))
        if not chunk:
            return None, None
        body += chunk
    return first[0], body


def messages(mode, args):
    if mode == "deep":
        count = int(args[0]) if args else 200
        levels = int(args[1]) if len(args) > 1 else 32_700
        for i in range(count):
            yield publish(("/".join([f"d{i}"] + ["l"] * (levels - 1))).encode(), b"1")
    elif mode == "flood":
        count = int(args[0]) if args else 1_000
        size = int(args[1]) if len(args) > 1 else 1 << 20
        payload = b"x" * size
        for i in range(count):
            yield publish(f"flood/{i}".encode(), payload)
    elif mode == "topics":
        count = int(args[0]) if args else 100_000
        for i in range(count):
            yield publish(f"many/{i % 100}/{i}".encode(), b'{"v": 1}')
    else:
        sys.exit(f"unknown mode {mode}")


def serve(conn, mode, args):
    first, _ = read_packet(conn)
    if first != 0x10:
        return
    conn.sendall(bytes([0x20, 2, 0, 0]))
    while True:
        first, body = read_packet(conn)
        if first is None:
            return
        kind = first >> 4
        if kind == 8:
            conn.sendall(packet(0x90, body[:2] + b"\x00"))
            def send():
                try:
                    for m in messages(mode, args):
                        conn.sendall(m)
                    print("all sent", flush=True)
                except OSError:
                    pass
            threading.Thread(target=send, daemon=True).start()
        elif kind == 12:
            conn.sendall(bytes([0xD0, 0]))
        elif kind == 14:
            return


def main():
    port, mode, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    print(f"listening on 127.0.0.1:{port} ({mode})", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, mode, args), daemon=True).start()


if __name__ == "__main__":
    main()
