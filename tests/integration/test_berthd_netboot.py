#!/usr/bin/python3
"""Network boot (issue 14): [bridge.boot] fields in DHCP replies and the
read-only TFTP server.

- A client namespace fetches boot files over TFTP with busybox tftp (plain
  512-byte blocks, and with blksize) and curl tftp:// (tsize, blksize); the
  bytes match. Path traversal, an absolute path, a link out of the root and
  a write are refused.
- scapy DISCOVERs: option 93 = 7 gets filename_efi, no option 93 gets
  filename, user class "iPXE" gets ipxe_url; siaddr and sname are set.
- A berthd without [bridge.boot] sends no boot fields and does not listen
  on port 69.
"""

import os
import shutil
import socket
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, berthd_config, send_raw_frames, start_berthd  # noqa: E402

BUSYBOX = shutil.which("busybox") or "/usr/bin/busybox"
CURL = shutil.which("curl") or "/usr/bin/curl"
SERVER = "198.18.0.1"
CLIENT_IP = "198.18.0.250"

BOOT = """
[bridge.boot]
filename = "undionly.kpxe"
filename_efi = "efi/ipxe.efi"
ipxe_url = "http://198.18.0.1/boot.ipxe"
server_name = "bootsrv"
tftp = true
"""


def setUpModule():
    netlab.require_root()
    if not os.path.exists(BUSYBOX) or not os.path.exists(CURL):
        raise unittest.SkipTest("busybox or curl is not installed")
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def pattern(size: int, seed: int) -> bytes:
    return bytes((i * 31 + seed + i // 251) % 256 for i in range(size))


def boot_reply(ns, mac: str, xid: int, extra: list):
    """The BOOTP layer of berthd's OFFER to a DISCOVER with `extra` options."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.l2 import Ether
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import dhcpframes
    frames = send_raw_frames(ns, ns.ifname, [dhcpframes.discover(mac, xid, extra)],
                             capture_seconds=2)
    for raw in frames:
        f = Ether(raw)
        if BOOTP in f and DHCP in f and f[BOOTP].op == 2 and f[BOOTP].xid == xid:
            return f[BOOTP]
    raise AssertionError(f"no OFFER for xid {xid:#x}")


def cstr(field: bytes) -> str:
    return bytes(field).split(b"\0", 1)[0].decode()


class Netboot(unittest.TestCase):
    def test_tftp_and_boot_fields(self):
        with Lab() as lab:
            root = lab.subdir("tftproot")
            (root / "efi").mkdir()
            small = pattern(512 * 5 + 77, 1)       # several 512-byte blocks
            exact = pattern(512 * 4, 2)            # ends with an empty block
            big = pattern(200_000, 3)              # with blksize
            (root / "undionly.kpxe").write_bytes(small)
            (root / "exact.bin").write_bytes(exact)
            (root / "efi" / "ipxe.efi").write_bytes(big)
            secret = lab.path("secret.txt")
            secret.write_text("not for clients\n")
            os.symlink(secret, root / "escape")
            ns = lab.client("nb")
            config = berthd_config(
                "@DATABASE@", [BridgeConfig(extra=BOOT)],
                extra=f'[tftp]\nroot = "{root}"\ntimeout = 1\nretries = 2\n')
            server = start_berthd(lab, config)
            server.process.wait_for_log(r"serving TFTP on br0 at 198\.18\.0\.1:69", 5)
            ns.ip("addr", "add", f"{CLIENT_IP}/24", "dev", ns.ifname)

            out = lab.path("got.bin")

            def fetch_busybox(name, blksize=None):
                if out.exists():
                    out.unlink()
                argv = [BUSYBOX, "tftp", "-g", "-r", name, "-l", str(out)]
                if blksize:
                    argv += ["-b", str(blksize)]
                r = ns.run(argv + [SERVER], timeout=30, check=False)
                return r, (out.read_bytes() if out.exists() and r.returncode == 0 else None)

            r, got = fetch_busybox("undionly.kpxe")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(got, small)
            r, got = fetch_busybox("exact.bin")
            self.assertEqual(got, exact, r.stderr)
            r, got = fetch_busybox("efi/ipxe.efi", blksize=1400)
            self.assertEqual(got, big, r.stderr)
            server.process.wait_for_log(r"sending efi/ipxe\.efi .*block size 1400", 5)

            # curl: tsize and blksize, bytes compared.
            r = ns.run([CURL, "-sS", "--max-time", "20", "--tftp-blksize", "8192",
                        "-o", str(out), f"tftp://{SERVER}/efi/ipxe.efi"], timeout=30, check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(out.read_bytes(), big)

            # Refused: traversal, absolute, a link out of the root, a write.
            for name in ["../secret.txt", "efi/../../secret.txt", str(secret), "escape"]:
                r, got = fetch_busybox(name)
                self.assertNotEqual(r.returncode, 0, f"{name} was served")
                self.assertIsNone(got)
            upload = lab.path("upload.bin")
            upload.write_bytes(b"x" * 10)
            r = ns.run([BUSYBOX, "tftp", "-p", "-l", str(upload), "-r", "new.bin", SERVER],
                       timeout=30, check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertFalse((root / "new.bin").exists())
            self.assertIn("read-only", r.stderr + r.stdout)
            metrics = server.ctl("metrics").stdout
            self.assertRegex(metrics, r"berth_tftp_completed_total 4\b")
            self.assertRegex(metrics, r"berth_tftp_refused_total 5\b")

            # DHCP: the boot file by architecture and user class; siaddr; sname.
            ns.ip("addr", "flush", "dev", ns.ifname)
            mac = ns.mac
            efi = boot_reply(ns, mac, 0x1001, [("pxe_client_architecture", b"\x00\x07")])
            self.assertEqual(cstr(efi.file), "efi/ipxe.efi")
            self.assertEqual(efi.siaddr, SERVER)
            self.assertEqual(cstr(efi.sname), "bootsrv")
            bios = boot_reply(ns, mac, 0x1002, [])
            self.assertEqual(cstr(bios.file), "undionly.kpxe")
            self.assertEqual(bios.siaddr, SERVER)
            ipxe = boot_reply(ns, mac, 0x1003, [("user_class", b"iPXE"),
                                                ("pxe_client_architecture", b"\x00\x07")])
            self.assertEqual(cstr(ipxe.file), "http://198.18.0.1/boot.ipxe")
            # Options 66/67 when asked for (PXE ROMs ask).
            asked = boot_reply(ns, mac, 0x1004, [("param_req_list", [1, 3, 66, 67])])
            from scapy.layers.dhcp import DHCP
            opts = {o[0]: o[1] for o in asked[DHCP].options if isinstance(o, tuple)}
            self.assertEqual(opts.get("boot-file-name"), b"undionly.kpxe")
            self.assertEqual(opts.get("tftp_server_name"), b"bootsrv")

    def test_no_boot_config_no_boot_fields(self):
        with Lab() as lab:
            ns = lab.client("nn")
            server = start_berthd(lab)
            reply = boot_reply(ns, ns.mac, 0x2001, [("pxe_client_architecture", b"\x00\x07")])
            self.assertEqual(reply.siaddr, "0.0.0.0")
            self.assertEqual(cstr(reply.file), "")
            self.assertEqual(cstr(reply.sname), "")
            self.assertTrue(server.process.alive())
            # Nothing listens on port 69: the port is free in the host namespace.
            r = lab.host().run(["ss", "-uln", "sport = :69"], check=False)
            self.assertNotIn(":69", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
