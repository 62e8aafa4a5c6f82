#!/usr/bin/python3
"""A client gets the address it asks for when nobody holds it (issue 11).

RFC 2131 §4.3.1: the address in option 50 SHOULD be offered when it is not
allocated. A container re-created with a new MAC asks for its old address;
the old lease, released or expired, belongs to a client that is gone, so the
new one must get it (dnsmasq gives it), not a fresh address.

- dhclient A gets a lease and releases it (dhclient -r);
- dhclient B, another MAC, starts with a lease file holding an expired lease
  for that address, so its DISCOVER asks for it (option 50); B gets it.
"""

import shutil
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import Lab, start_berthd, wait_until  # noqa: E402

TCPDUMP = shutil.which("tcpdump") or "/usr/bin/tcpdump"


def setUpModule():
    netlab.require_root()
    if not shutil.which(netlab.DHCLIENT) or not shutil.which(TCPDUMP):
        raise unittest.SkipTest("dhclient or tcpdump is not installed")
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def expired_lease_file(ifname: str, ip: str, server: str) -> str:
    """A dhclient lease file whose last (so active) lease ran out years ago:
    dhclient skips INIT-REBOOT for it and puts its address in option 50 of
    the DISCOVER (state_init -> make_discover with the active lease)."""
    when = "1 2024/01/01 00:00:00"  # weekday, date and time in UTC
    return (f"lease {{\n  interface \"{ifname}\";\n  fixed-address {ip};\n"
            f"  option subnet-mask 255.255.255.0;\n  option dhcp-lease-time 600;\n"
            f"  option dhcp-server-identifier {server};\n"
            f"  renew {when};\n  rebind {when};\n  expire {when};\n}}\n")


def discovers(pcap: Path, mac: str) -> list:
    """Option 50 of every DHCPDISCOVER `mac` sent in a capture (None when absent)."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.utils import PcapReader
    out = []
    with PcapReader(str(pcap)) as packets:
        for p in packets:
            if BOOTP not in p or DHCP not in p or p[BOOTP].op != 1:
                continue
            if ":".join(f"{b:02x}" for b in bytes(p[BOOTP].chaddr)[:6]) != mac:
                continue
            opts = {o[0]: o[1] for o in p[DHCP].options if isinstance(o, tuple)}
            if opts.get("message-type") == 1:
                out.append(opts.get("requested_addr"))
    return out


class RequestedAddress(unittest.TestCase):
    def test_new_client_gets_the_released_address_it_asks_for(self):
        with Lab() as lab:
            a, b = lab.client("ra"), lab.client("rb")
            server = start_berthd(lab)
            first = netlab.Dhclient(a)
            held = first.acquire(keep_running=True)
            self.assertTrue(server.in_pool(held.ip))
            wait_until(lambda: held.ip in first.lease_file.read_text(), 5,
                       "dhclient A to write its lease file")
            first.release()
            server.process.wait_for_log(rf"DHCPRELEASE\(br0\) {held.ip} {a.mac}", 5,
                                        "berthd to log A's release")
            rows = {l["ip"]: l for l in server.leases()}
            self.assertEqual((rows[held.ip]["mac"], rows[held.ip]["state"]), (a.mac, "released"))

            pcap = lab.path("rb-discover.pcap")
            capture = b.spawn([TCPDUMP, "-i", b.ifname, "-n", "-U", "--immediate-mode", "-w",
                               str(pcap), "udp dst port 67"], log=lab.path("tcpdump-rb.log"))
            capture.wait_for_log(r"listening on", 10, "tcpdump to start")
            second = netlab.Dhclient(b)
            second.lease_file.write_text(expired_lease_file(b.ifname, held.ip, server.address))
            got = second.acquire(keep_running=False)
            asked = wait_until(lambda: discovers(pcap, b.mac), 5, "B's DISCOVER in the capture")
            capture.terminate()
            self.assertEqual(asked[0], held.ip, "B's DISCOVER did not ask for A's old address")
            self.assertEqual(got.ip, held.ip, "B did not get the free address it asked for")
            server.process.wait_for_log(rf"DHCPOFFER\(br0\) {held.ip} {b.mac}", 5)
            rows = {l["ip"]: l for l in server.leases()}
            self.assertEqual((rows[held.ip]["mac"], rows[held.ip]["state"]), (b.mac, "bound"))
            self.assertEqual([l for l in rows.values() if l["mac"] == a.mac], [],
                             "A's released record should have been replaced by B's lease")


if __name__ == "__main__":
    unittest.main(verbosity=2)
