#!/usr/bin/python3
"""A tiny authoritative DNS server standing for the internet's resolvers in
the lab. It answers every A question under its zones with a fixed address
(TTL from --ttl), names starting with "nx" with NXDOMAIN (and an SOA), and
names starting with "slow" after --slow seconds, and names starting with
"big" with 100 addresses: over UDP a truncated (TC) empty answer, over TCP
(it listens there too) the whole answer. Every query it receives is
printed as "query NAME TYPE ID" so tests can count them.

    fake_upstream.py --listen 198.18.200.2 --answer 198.18.99.1 [--port 53]
"""

import argparse
import socket
import struct
import sys
import threading
import time


def read_name(data: bytes, pos: int):
    labels = []
    while True:
        n = data[pos]
        if n == 0:
            return ".".join(labels), pos + 1
        if n & 0xC0:
            raise ValueError("compressed question")
        labels.append(data[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n


def answer(data: bytes, args, tcp: bool = False) -> bytes:
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    name, end = read_name(data, 12)
    qtype, qclass = struct.unpack("!HH", data[end:end + 4])
    question = data[12:end + 4]
    print(f"query {name} {qtype} {qid}", flush=True)
    rd = flags & 0x0100
    first = name.split(".")[0].lower()
    if first.startswith("nx"):
        soa_rdata = (b"\x02ns\x00" + b"\x0ahostmaster\x00" +
                     struct.pack("!IIIII", 1, 3600, 600, 86400, 60))
        soa = b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, 300, len(soa_rdata)) + soa_rdata
        return struct.pack("!HHHHHH", qid, 0x8083 | rd, 1, 0, 1, 0) + question + soa
    if qtype != 1:
        return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 0, 0, 0) + question
    if first.startswith("big"):
        if not tcp:
            return struct.pack("!HHHHHH", qid, 0x8280 | rd, 1, 0, 0, 0) + question
        rrs = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, args.ttl, 4) +
                       bytes([198, 18, 98, i]) for i in range(100))
        return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 100, 0, 0) + question + rrs
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, args.ttl, 4) + socket.inet_aton(args.answer)
    return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + rr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--answer", required=True)
    p.add_argument("--ttl", type=int, default=300)
    p.add_argument("--slow", type=float, default=3.0)
    p.add_argument("--silent", action="store_true", help="never answer (a dead upstream)")
    args = p.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.listen, args.port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((args.listen, args.port))
    t.listen(16)

    def serve_tcp():
        while True:
            conn, _ = t.accept()
            with conn:
                conn.settimeout(5)
                try:
                    n = struct.unpack("!H", conn.recv(2, socket.MSG_WAITALL))[0]
                    data = conn.recv(n, socket.MSG_WAITALL)
                    print("tcp", end=" ", flush=True)
                    reply = answer(data, args, tcp=True)
                    if not args.silent:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                except (OSError, ValueError, IndexError, struct.error) as e:
                    print(f"bad tcp query: {e}", flush=True)

    threading.Thread(target=serve_tcp, daemon=True).start()
    print(f"listening on {args.listen}:{args.port}", flush=True)
    while True:
        data, peer = s.recvfrom(4096)
        if len(data) < 12:
            continue
        try:
            reply = answer(data, args)
        except (ValueError, IndexError, struct.error) as e:
            print(f"bad query from {peer}: {e}", flush=True)
            continue
        if args.silent:
            continue
        name, _ = read_name(data, 12)
        if name.split(".")[0].lower().startswith("slow"):
            threading.Timer(args.slow, s.sendto, (reply, peer)).start()
        else:
            s.sendto(reply, peer)


if __name__ == "__main__":
    sys.exit(main())
