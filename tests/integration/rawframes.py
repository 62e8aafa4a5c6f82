#!/usr/bin/python3 -I
"""Sends raw Ethernet frames and captures what comes back, inside a namespace.

netlab.send_raw_frames() runs this under `ip netns exec`, with a JSON request
on stdin: {"ifname", "frames": [hex...], "capture_seconds", "capture",
"max_frames"}. It prints {"captured": [hex...]} on stdout. Frames go out
through scapy's layer-2 socket exactly as given, so malformed packets stay
malformed. Capture uses an AF_PACKET socket opened before the first send and
ignores our own outgoing frames.
"""

import json
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4


def udp_dport(frame: bytes):
    """Destination UDP port of an Ethernet/IPv4/UDP frame, else None."""
    if len(frame) < 14 + 20 + 8 or struct.unpack_from("!H", frame, 12)[0] != ETH_P_IP:
        return None
    ihl = (frame[14] & 0x0F) * 4
    if ihl < 20 or frame[14 + 9] != 17 or len(frame) < 14 + ihl + 8:
        return None
    return struct.unpack_from("!H", frame, 14 + ihl + 2)[0]


def wanted(frame: bytes, capture: str) -> bool:
    if capture == "all":
        return True
    port = udp_dport(frame)
    if capture == "udp":
        return port is not None
    return port == 68  # "dhcp-client": replies from a DHCP server


def main():
    request = json.load(sys.stdin)
    ifname = request["ifname"]
    frames = [bytes.fromhex(h) for h in request["frames"]]
    seconds = float(request.get("capture_seconds", 0))
    capture = request.get("capture", "dhcp-client")
    max_frames = int(request.get("max_frames", 64))

    sniffer = None
    if seconds > 0:
        sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sniffer.bind((ifname, 0))

    if frames:
        from scapy.all import Raw, conf  # imported late: it takes most of a second

        l2 = conf.L2socket(iface=ifname)
        try:
            for f in frames:
                l2.send(Raw(load=f))
        finally:
            l2.close()

    captured = []
    if sniffer is not None:
        deadline = time.monotonic() + seconds
        while len(captured) < max_frames:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([sniffer], [], [], left)
            if not ready:
                break
            data, addr = sniffer.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            if wanted(data, capture):
                captured.append(data.hex())
        sniffer.close()

    json.dump({"captured": captured}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
