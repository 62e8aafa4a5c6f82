"""Scapy builders for DHCP frames the integration tests send by hand, and a
reader for the replies. Only for tests: clients without a real client's
retries, so a test can say exactly what is sent."""

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether


def chaddr(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", "")) + bytes(10)


def message(mac: str, xid: int, options: list, *, ciaddr: str = "0.0.0.0",
            broadcast: bool = True, dst_ip: str = "255.255.255.255",
            dst_mac: str = "ff:ff:ff:ff:ff:ff", src_ip: str = "0.0.0.0") -> bytes:
    frame = (Ether(src=mac, dst=dst_mac) / IP(src=src_ip, dst=dst_ip) /
             UDP(sport=68, dport=67) /
             BOOTP(op=1, chaddr=chaddr(mac), xid=xid, ciaddr=ciaddr,
                   flags=0x8000 if broadcast else 0) /
             DHCP(options=options + ["end"]))
    return bytes(frame)


def discover(mac: str, xid: int, extra: list = ()) -> bytes:
    return message(mac, xid, [("message-type", "discover")] + list(extra))


def request(mac: str, xid: int, ip: str, server: str) -> bytes:
    return message(mac, xid, [("message-type", "request"), ("requested_addr", ip),
                              ("server_id", server)])


def decline(mac: str, xid: int, ip: str, server: str) -> bytes:
    return message(mac, xid, [("message-type", "decline"), ("requested_addr", ip),
                              ("server_id", server)])


def replies(frames: list, xid: int = None) -> list:
    """(message type, yiaddr, options dict) for each DHCP reply, optionally
    only those for `xid`."""
    out = []
    for raw in frames:
        f = Ether(raw)
        if BOOTP not in f or DHCP not in f or f[BOOTP].op != 2:
            continue
        if xid is not None and f[BOOTP].xid != xid:
            continue
        opts = {o[0]: o[1] for o in f[DHCP].options if isinstance(o, tuple)}
        out.append((opts.get("message-type"), f[BOOTP].yiaddr, opts))
    return out


OFFER, ACK, NAK = 2, 5, 6
