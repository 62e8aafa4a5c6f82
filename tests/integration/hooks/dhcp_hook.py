#!/usr/bin/python3 -I
"""Event hook for the DHCP clients the integration harness runs.

udhcpc (-s), dhclient (-sf) and dhcpcd (-c) each call a per-client wrapper
that netlab (clients.py) writes, which runs:

    dhcp_hook.py --out EVENTS.jsonl --kind udhcpc|dhclient|dhcpcd [--configure] -- ARGS...

Every call appends one JSON line {"t", "kind", "args", "env"} to EVENTS.jsonl
so the test can read what the client was given. With --configure (udhcpc
and dhclient, which leave interface setup to their script) it also puts the
address and default route on the client's interface. It runs inside the
client's network namespace, so that is the only place it changes anything.
It never writes resolv.conf or any other file but EVENTS.jsonl.
"""

import argparse
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time

IP = shutil.which("ip") or "/usr/sbin/ip"


def ip(*args):
    # Best effort: a failure is visible in the record, never fatal to the client.
    return subprocess.run([IP, *args], capture_output=True, text=True, timeout=10).returncode


def configure_udhcpc(event, env):
    iface = env.get("interface", "")
    if not iface:
        return
    if event == "deconfig":
        ip("link", "set", iface, "up")
        ip("-4", "addr", "flush", "dev", iface)
    elif event in ("bound", "renew"):
        apply_lease(iface, env.get("ip"), env.get("subnet"), env.get("broadcast"),
                    env.get("router", ""))
        # Option 121 as udhcpc gives it: "PREFIX GATEWAY PREFIX GATEWAY ...".
        words = env.get("staticroutes", "").split()
        apply_routes(iface, list(zip(words[0::2], words[1::2])))


def configure_dhclient(reason, env):
    iface = env.get("interface", "")
    if not iface:
        return
    if reason == "PREINIT":
        ip("link", "set", iface, "up")
    elif reason in ("BOUND", "RENEW", "REBIND", "REBOOT"):
        old = env.get("old_ip_address")
        if old and old != env.get("new_ip_address"):
            ip("-4", "addr", "flush", "dev", iface)
        apply_lease(iface, env.get("new_ip_address"), env.get("new_subnet_mask"),
                    env.get("new_broadcast_address"), env.get("new_routers", ""))
        apply_routes(iface, rfc3442_routes(env.get("new_rfc3442_classless_static_routes", "")))
    elif reason in ("EXPIRE", "FAIL", "RELEASE", "STOP"):
        ip("-4", "addr", "flush", "dev", iface)


def apply_lease(iface, address, mask, broadcast, routers):
    if not address or not mask:
        return
    prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    args = ["-4", "addr", "replace", f"{address}/{prefix}"]
    if broadcast:
        args += ["broadcast", broadcast]
    ip(*args, "dev", iface)
    first_router = routers.split()[0] if routers.split() else ""
    if first_router:
        ip("-4", "route", "replace", "default", "via", first_router, "dev", iface)


def rfc3442_routes(text):
    """dhclient's option 121 (declared as an array of bytes): "16 10 8 198 18 0 254 ..."
    decoded into (prefix, gateway) pairs (RFC 3442 section 3)."""
    b = [int(x) for x in text.split()]
    routes, i = [], 0
    while i < len(b):
        width = b[i]
        octets = (width + 7) // 8
        dest = b[i + 1:i + 1 + octets] + [0] * (4 - octets)
        gw = b[i + 1 + octets:i + 5 + octets]
        if len(gw) != 4:
            break
        routes.append((f"{'.'.join(map(str, dest))}/{width}", ".".join(map(str, gw))))
        i += 5 + octets
    return routes


def apply_routes(iface, routes):
    """Classless static routes; a client that has them ignores option 3
    (RFC 3442), so the default route comes from them too."""
    for prefix, gateway in routes:
        dest = "default" if prefix.endswith("/0") else prefix
        if gateway == "0.0.0.0":
            ip("-4", "route", "replace", dest, "dev", iface)
        else:
            ip("-4", "route", "replace", dest, "via", gateway, "dev", iface)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--kind", required=True, choices=["udhcpc", "dhclient", "dhcpcd"])
    parser.add_argument("--configure", action="store_true")
    parser.add_argument("args", nargs="*")
    opts = parser.parse_args()

    env = dict(os.environ)
    if opts.configure:
        if opts.kind == "udhcpc":
            configure_udhcpc(opts.args[0] if opts.args else "", env)
        elif opts.kind == "dhclient":
            configure_dhclient(env.get("reason", ""), env)

    record = {"t": time.time(), "kind": opts.kind, "args": opts.args, "env": env}
    line = json.dumps(record, sort_keys=True) + "\n"
    # One write on an O_APPEND descriptor: concurrent hooks never interleave.
    fd = os.open(opts.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
