"""Whole Ethernet frames sent and captured in a namespace, through the
rawframes.py helper, for what no real client would send."""

from __future__ import annotations

import json
from typing import Sequence

from .core import PYTHON, RAWFRAMES, LabError
from .namespaces import Namespace


def send_raw_frames(ns: Namespace, ifname: str, frames: Sequence[bytes],
                    capture_seconds: float = 0.0, capture: str = "dhcp-client",
                    max_frames: int = 64) -> list:
    """Sends whole Ethernet frames (scapy, AF_PACKET) out of ifname in `ns`.

    With capture_seconds > 0, also returns the frames that arrived on ifname
    during that time (after the sends), filtered by `capture`:
    "dhcp-client" (UDP to port 68), "udp" or "all"."""
    if capture_seconds < 0 or capture_seconds > 30:
        raise LabError("capture_seconds must be within 0..30")
    request = {"ifname": ifname, "frames": [bytes(f).hex() for f in frames],
               "capture_seconds": capture_seconds, "capture": capture, "max_frames": max_frames}
    result = ns.run([PYTHON, "-I", str(RAWFRAMES)], timeout=capture_seconds + 30,
                    input=json.dumps(request).encode())
    reply = json.loads(result.stdout)
    return [bytes.fromhex(h) for h in reply["captured"]]
