#!/usr/bin/python3
"""DNS at the bridge address (issue 4), with real clients in namespaces.

- a container's name resolves by short and full name with dig and kdig, and
  its address by PTR; the name stops resolving within 1 s of a release;
- names that are not local go to a fake upstream in another namespace, and a
  second query is served from the cache (the upstream sees one);
- a dead upstream is skipped for the next one; with none left: SERVFAIL;
- TCP works; a TXT record too large for UDP sets TC and arrives whole over TCP;
- a query from outside the served subnets is REFUSED;
- a malformed query gets FORMERR and berthd keeps serving.
"""

import shutil
import signal
import socket
import struct
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

SERVER = "198.18.0.1"
DIG = shutil.which("dig") or "/usr/bin/dig"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"
HERE = Path(__file__).resolve().parent
UPSTREAM_HOST = "198.18.200.1/24"
UPSTREAM = "198.18.200.2"
DEAD_UPSTREAM = "198.18.200.3"
ANSWER = "198.18.99.7"


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def dig(ns, *args, timeout=10):
    r = ns.run([DIG, f"@{SERVER}", "+time=2", "+tries=1", *args], timeout=timeout, check=False)
    return r.stdout


def dig_short(ns, *args):
    return dig(ns, "+short", *args).split()


def status_of(output):
    for line in output.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    return None


class Dns(unittest.TestCase):
    def start(self, lab, dns_extra="", upstreams=(UPSTREAM,), bridge_extra="", timeout_ms=300):
        ups = ", ".join(f'"{u}"' for u in upstreams)
        bridge = BridgeConfig(extra=bridge_extra)
        config = netlab.berthd_config("@DATABASE@", [bridge]) + \
            f"\n[dns]\nupstreams = [{ups}]\nupstream_timeout_ms = {timeout_ms}\n{dns_extra}\n"
        return start_berthd(lab, config, bridges=[bridge])

    def upstream(self, lab, *extra):
        ns = lab.peer("up", UPSTREAM_HOST, UPSTREAM + "/24")
        proc = ns.spawn(["/usr/bin/python3", str(HERE / "fake_upstream.py"), "--listen", UPSTREAM,
                         "--answer", ANSWER, *extra], log=lab.path("upstream.log"))
        proc.wait_for_log("listening", 5)
        return ns, proc

    def test_container_names_resolve_short_full_and_by_address(self):
        with Lab() as lab:
            ns = lab.client("web")
            server = self.start(lab)
            client = netlab.Udhcpc(ns, hostname="web")
            lease = client.acquire()
            server.process.wait_for_log(r"DHCPACK\(br0\) .* web", 5)
            wait_until(lambda: dig_short(ns, "web") == [lease.ip], 2, "web to resolve")
            self.assertEqual(dig_short(ns, "web.lab"), [lease.ip])
            self.assertEqual(dig_short(ns, "WEB.Lab"), [lease.ip])
            out = dig(ns, "WeB.lAb")
            self.assertIn("WeB.lAb.", out, "the question's case is returned as sent")
            self.assertIn("flags: qr aa rd ra", out)
            self.assertEqual(dig_short(ns, "-x", lease.ip), ["web.lab."])
            kd = ns.run([KDIG, f"@{SERVER}", "+short", "web.lab"], check=False).stdout.split()
            self.assertEqual(kd, [lease.ip])
            kd_tcp = ns.run([KDIG, f"@{SERVER}", "+tcp", "+short", "web.lab"],
                            check=False).stdout.split()
            self.assertEqual(kd_tcp, [lease.ip])
            self.assertEqual(dig_short(ns, "_gateway.lab"), [SERVER])
            # Negative answers: NXDOMAIN and NODATA, both with the SOA.
            nx = dig(ns, "nobody.lab")
            self.assertEqual(status_of(nx), "NXDOMAIN")
            self.assertIn("SOA", nx)
            nodata = dig(ns, "web.lab", "AAAA")
            self.assertEqual(status_of(nodata), "NOERROR")
            self.assertIn("ANSWER: 0", nodata)
            self.assertIn("SOA", nodata)

            # A release takes the name away within a second (asked from another
            # container: the released one has no address any more).
            other = lab.client("other")
            netlab.Udhcpc(other).acquire()
            self.assertEqual(dig_short(other, "web"), [lease.ip])
            client.release()
            t0 = time.monotonic()
            wait_until(lambda: status_of(dig(other, "web.lab")) == "NXDOMAIN", 1.5,
                       "the released name to stop resolving")
            self.assertLess(time.monotonic() - t0, 1.5)

    def test_forwarded_names_are_cached_and_asked_upstream_once(self):
        with Lab() as lab:
            ns = lab.client("fw")
            _, up = self.upstream(lab)
            server = self.start(lab)
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(dig_short(ns, "host.example.test"), [ANSWER])
            self.assertEqual(dig_short(ns, "host.example.test"), [ANSWER])
            self.assertEqual(dig_short(ns, "HOST.example.TEST"), [ANSWER])
            asked = [l for l in up.log_text().splitlines() if l.startswith("query host.example")
                     or l.startswith("query HOST.example")]
            self.assertEqual(len(asked), 1, up.log_text())
            # Forwarded answers keep the upstream's TTL, counting down, and lose AA.
            out = dig(ns, "host.example.test")
            self.assertIn("flags: qr rd ra", out)
            # NXDOMAIN is forwarded and cached too (RFC 2308).
            self.assertEqual(status_of(dig(ns, "nxname.example.test")), "NXDOMAIN")
            self.assertEqual(status_of(dig(ns, "nxname.example.test")), "NXDOMAIN")
            nx_asked = [l for l in up.log_text().splitlines() if l.startswith("query nxname")]
            self.assertEqual(len(nx_asked), 1)
            # TCP forwarding.
            self.assertEqual(dig_short(ns, "+tcp", "other.example.test"), [ANSWER])
            # An upstream answer too big for UDP: berthd asks again over TCP;
            # the client gets TC over UDP and the whole answer over TCP.
            udp = dig(ns, "+ignore", "big.example.test")
            self.assertIn(" tc", udp.split("flags:")[1].split(";")[0])
            self.assertEqual(len(dig_short(ns, "+tcp", "big.example.test")), 100)
            self.assertEqual(len(dig_short(ns, "big.example.test")), 100)  # dig retries on TCP
            self.assertIn("tcp query big.example.test", up.log_text())
            server.process.signal(10)  # SIGUSR1: stats
            server.process.wait_for_log(r"stats: dns .*cached=[1-9]", 5)

    def test_identical_concurrent_questions_go_upstream_once(self):
        with Lab() as lab:
            ns = lab.client("same")
            _, up = self.upstream(lab, "--slow", "0.5")
            self.start(lab, timeout_ms=3000)
            lease = netlab.Udhcpc(ns).acquire()
            # Each dig on a source port of its own: two digs started together
            # may otherwise share an ephemeral port (SO_REUSEPORT), and then
            # one gets both answers and the other times out.
            script = (
                "import subprocess\n"
                f"ps=[subprocess.Popen(['{DIG}','@{SERVER}','-b',f'{lease.ip}#{{40001+i}}',"
                "'+short','+time=3','+tries=1','slow.example.test'],stdout=subprocess.PIPE,"
                "text=True) for i in range(5)]\n"
                "print(' '.join(p.communicate()[0].strip() for p in ps))\n")
            out = ns.run(["/usr/bin/python3", "-c", script], timeout=20).stdout.split()
            self.assertEqual(out, [ANSWER] * 5)
            asked = [l for l in up.log_text().splitlines() if l.startswith("query slow")]
            self.assertEqual(len(asked), 1, up.log_text())

    def test_tcp_connections_are_capped_and_udp_keeps_working(self):
        with Lab() as lab:
            ns = lab.client("tcp")
            self.start(lab)
            netlab.Udhcpc(ns).acquire()
            script = (
                "import socket,struct,time\n"
                "conns=[]\n"
                "for i in range(300):\n"
                "    s=socket.socket(); s.settimeout(2)\n"
                f"    s.connect(('{SERVER}',53)); conns.append(s)\n"
                "time.sleep(0.5)\n"
                "closed=0\n"
                "for s in conns:\n"
                "    s.setblocking(False)\n"
                "    try:\n"
                "        if s.recv(1)==b'': closed+=1\n"
                "    except BlockingIOError: pass\n"
                "    except OSError: closed+=1\n"
                "print(closed)\n"
                # several queries on one of the open connections
                "s=conns[0]; s.setblocking(True)\n"
                "q=b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"
                "\\x08_gateway\\x03lab\\x00\\x00\\x01\\x00\\x01'\n"
                "s.sendall(struct.pack('!H',len(q))+q+struct.pack('!H',len(q))+q)\n"
                "got=0\n"
                "for _ in range(2):\n"
                "    n=struct.unpack('!H',s.recv(2,socket.MSG_WAITALL))[0]; s.recv(n,socket.MSG_WAITALL); got+=1\n"
                "print(got)\n"
                "import subprocess\n"
                f"print(subprocess.run(['{DIG}','@{SERVER}','+short','+time=2','+tries=1','_gateway.lab'],"
                "capture_output=True,text=True).stdout.strip())\n")
            out = ns.run(["/usr/bin/python3", "-c", script], timeout=30).stdout.split()
            self.assertGreaterEqual(int(out[0]), 300 - 256, "connections over the cap are closed")
            self.assertEqual(out[1], "2", "two queries answered on one connection")
            self.assertEqual(out[2], SERVER, "UDP is served while TCP is full")

    def test_resolv_conf_is_re_read_when_it_changes(self):
        with Lab() as lab:
            ns = lab.client("rc")
            self.upstream(lab)
            resolv = lab.path("resolv.conf")
            resolv.write_text(f"# lab\nnameserver {DEAD_UPSTREAM}\n")
            server = self.start(lab, upstreams=(), dns_extra=f'resolv_conf = "{resolv}"\n')
            server.process.wait_for_log(rf"upstreams from .*resolv.conf: {DEAD_UPSTREAM}:53", 5)
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(status_of(dig(ns, "a.example.test")), "SERVFAIL")
            time.sleep(1.1)  # a new modification time, and past the once-a-second check
            resolv.write_text(f"nameserver {UPSTREAM}\noptions edns0\n")
            wait_until(lambda: dig_short(ns, "b.example.test") == [ANSWER], 5,
                       "berthd to use the new nameserver")
            server.process.wait_for_log(rf"upstreams from .*resolv.conf: {UPSTREAM}:53", 2)

    def test_per_domain_upstreams(self):
        with Lab() as lab:
            ns = lab.client("dom")
            self.upstream(lab)
            corp = lab.peer("corp", "198.18.201.1/24", "198.18.201.2/24")
            proc = corp.spawn(["/usr/bin/python3", str(HERE / "fake_upstream.py"), "--listen",
                               "198.18.201.2", "--answer", "198.18.99.8"],
                              log=lab.path("corp.log"))
            proc.wait_for_log("listening", 5)
            self.start(lab, dns_extra='[[dns.server]]\ndomain = "corp.test"\n'
                                      'upstreams = ["198.18.201.2"]\n')
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(dig_short(ns, "git.corp.test"), ["198.18.99.8"])
            self.assertEqual(dig_short(ns, "CORP.TEST"), ["198.18.99.8"])
            self.assertEqual(dig_short(ns, "notcorp.test"), [ANSWER])
            self.assertEqual(dig_short(ns, "www.example.test"), [ANSWER])

    def test_dead_upstream_is_skipped_and_servfail_when_all_fail(self):
        with Lab() as lab:
            ns = lab.client("dead")
            self.upstream(lab)
            server = self.start(lab, upstreams=(DEAD_UPSTREAM, UPSTREAM))
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(dig_short(ns, "retry.example.test"), [ANSWER])
            server.stop()
        with Lab() as lab:
            ns = lab.client("none")
            server = self.start(lab, upstreams=(DEAD_UPSTREAM,))
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(status_of(dig(ns, "lost.example.test")), "SERVFAIL")

    def test_reload_switches_upstreams_without_a_restart(self):
        with Lab() as lab:
            ns = lab.client("swap")
            self.upstream(lab)
            server = self.start(lab, upstreams=(DEAD_UPSTREAM,))
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(status_of(dig(ns, "before.example.test")), "SERVFAIL")
            text = server.config_path.read_text()
            self.assertIn(f'upstreams = ["{DEAD_UPSTREAM}"]', text)
            server.config_path.write_text(
                text.replace(f'upstreams = ["{DEAD_UPSTREAM}"]', f'upstreams = ["{UPSTREAM}"]'))
            pid = server.process.pid
            server.process.signal(signal.SIGHUP)
            server.process.wait_for_log("configuration reloaded", 5)
            self.assertEqual(dig_short(ns, "after.example.test"), [ANSWER])
            self.assertEqual(server.process.pid, pid)
            self.assertTrue(server.process.alive())

    def test_large_txt_truncates_over_udp_and_is_whole_over_tcp(self):
        with Lab() as lab:
            ns = lab.client("tc")
            big = ["%03d" % i + "x" * 196 for i in range(10)]  # ~2 kB
            text = ", ".join(f'"{t}"' for t in big)
            self.start(lab, dns_extra=f'[[dns.txt]]\nname = "big.lab"\ntext = [{text}]\n')
            netlab.Udhcpc(ns).acquire()
            udp = dig(ns, "+ignore", "+bufsize=1232", "big.lab", "TXT")
            self.assertIn(" tc", udp.split("flags:")[1].split(";")[0])
            tcp = dig(ns, "+tcp", "big.lab", "TXT")
            self.assertNotIn(" tc", tcp.split("flags:")[1].split(";")[0])
            for t in big:
                self.assertIn(t, tcp)
            # Without +ignore dig retries over TCP by itself and gets it all.
            self.assertIn(big[-1], dig(ns, "big.lab", "TXT"))

    def test_query_from_outside_the_subnets_is_refused(self):
        with Lab() as lab:
            ns = lab.client("in")
            up, _ = self.upstream(lab)
            self.start(lab)
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(status_of(dig(ns, "_gateway.lab")), "NOERROR")
            out = up.run([DIG, f"@{SERVER}", "+time=2", "+tries=1", "_gateway.lab"],
                         check=False).stdout
            self.assertEqual(status_of(out), "REFUSED")

    def test_malformed_queries_get_formerr_and_service_continues(self):
        with Lab() as lab:
            ns = lab.client("bad")
            server = self.start(lab)
            netlab.Udhcpc(ns).acquire()
            script = (
                "import socket,struct\n"
                "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)\n"
                f"a=('{SERVER}',53)\n"
                # QDCOUNT=2 with one question: FORMERR
                "q=struct.pack('!HHHHHH',0xBEEF,0x0100,2,0,0,0)+b'\\x01a\\x03lab\\x00\\x00\\x01\\x00\\x01'\n"
                "s.sendto(q,a); r=s.recv(512); print('rcode', r[3]&15, 'id', hex(struct.unpack('!H',r[:2])[0]))\n"
                # a compression loop in the question
                "q=struct.pack('!HHHHHH',0xCAFE,0x0100,1,0,0,0)+b'\\xc0\\x0c\\x00\\x01\\x00\\x01'\n"
                "s.sendto(q,a); r=s.recv(512); print('rcode', r[3]&15, 'id', hex(struct.unpack('!H',r[:2])[0]))\n"
                # opcode 2 (STATUS): NOTIMP
                "q=struct.pack('!HHHHHH',0xD00D,0x1100,1,0,0,0)+b'\\x01a\\x03lab\\x00\\x00\\x01\\x00\\x01'\n"
                "s.sendto(q,a); r=s.recv(512); print('rcode', r[3]&15, 'id', hex(struct.unpack('!H',r[:2])[0]))\n"
                # 5 bytes: dropped silently
                "s.sendto(b'\\x01\\x02\\x03\\x04\\x05',a)\n"
                "try:\n  s.recv(512); print('answered')\nexcept socket.timeout: print('silent')\n")
            out = ns.run(["/usr/bin/python3", "-c", script], timeout=15).stdout.split("\n")
            self.assertEqual(out[0], "rcode 1 id 0xbeef")
            self.assertEqual(out[1], "rcode 1 id 0xcafe")
            self.assertEqual(out[2], "rcode 4 id 0xd00d")
            self.assertEqual(out[3], "silent")
            self.assertEqual(dig_short(ns, "_gateway.lab"), [SERVER])
            self.assertTrue(server.process.alive())


if __name__ == "__main__":
    unittest.main(verbosity=2)
