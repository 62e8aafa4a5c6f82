#!/usr/bin/python3
"""A stand-in for systemd-resolved or firewalld on a private D-Bus bus, for
test_berthd_resolved.py. It owns the service's name, answers the methods
berthd calls, and appends each call as one JSON line to --record:

    {"service": "resolved", "method": "SetLinkDNS", "args": [5, [[2, [198, 18, 0, 1]]]]}

    fake_host_dbus.py --bus unix:path=... --service resolved --record calls.jsonl
    fake_host_dbus.py --bus ... --service firewalld --record fw.jsonl --zone br1=public

--zone IFACE=ZONE puts an interface in a zone before berthd asks (a binding
berthd did not make). For firewalld, SIGUSR1 is a `firewall-cmd --reload`:
runtime bindings are dropped (--zone ones stay) and Reloaded is emitted.
Prints "ready" once the name is owned."""

import argparse
import json
import signal
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

RESOLVED = "org.freedesktop.resolve1"
FIREWALLD = "org.fedoraproject.FirewallD1"


def plain(value):
    """dbus-python values as JSON ones (arrays of bytes as lists of ints)."""
    if isinstance(value, (dbus.Array, dbus.Struct, list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Byte, dbus.Int16, dbus.Int32, dbus.Int64, dbus.UInt16,
                          dbus.UInt32, dbus.UInt64, int)):
        return int(value)
    if isinstance(value, (dbus.String, str)):
        return str(value)
    return repr(value)


class Recorder:
    def __init__(self, path, service):
        self.path = path
        self.service = service

    def __call__(self, method, *args):
        with open(self.path, "a") as f:
            f.write(json.dumps({"service": self.service, "method": method,
                                "args": [plain(a) for a in args]}) + "\n")


class Resolved(dbus.service.Object):
    IFACE = "org.freedesktop.resolve1.Manager"

    def __init__(self, bus, record):
        super().__init__(bus, "/org/freedesktop/resolve1")
        self.record = record

    @dbus.service.method(IFACE, in_signature="ia(iay)", out_signature="")
    def SetLinkDNS(self, ifindex, servers):
        self.record("SetLinkDNS", ifindex, servers)

    @dbus.service.method(IFACE, in_signature="ia(iayqs)", out_signature="")
    def SetLinkDNSEx(self, ifindex, servers):
        self.record("SetLinkDNSEx", ifindex, servers)

    @dbus.service.method(IFACE, in_signature="ia(sb)", out_signature="")
    def SetLinkDomains(self, ifindex, domains):
        self.record("SetLinkDomains", ifindex, domains)

    @dbus.service.method(IFACE, in_signature="ib", out_signature="")
    def SetLinkDefaultRoute(self, ifindex, enable):
        self.record("SetLinkDefaultRoute", ifindex, enable)

    @dbus.service.method(IFACE, in_signature="i", out_signature="")
    def RevertLink(self, ifindex):
        self.record("RevertLink", ifindex)


class ZoneError(dbus.DBusException):
    _dbus_error_name = "org.fedoraproject.FirewallD1.Exception"


class Firewalld(dbus.service.Object):
    IFACE = "org.fedoraproject.FirewallD1"
    ZONE = "org.fedoraproject.FirewallD1.zone"

    def __init__(self, bus, record, preset):
        super().__init__(bus, "/org/fedoraproject/FirewallD1")
        self.record = record
        self.preset = dict(preset)  # the "permanent" bindings
        self.zones = dict(preset)   # interface -> zone, at run time

    @dbus.service.method(ZONE, in_signature="s", out_signature="s")
    def getZoneOfInterface(self, interface):
        self.record("getZoneOfInterface", interface)
        return self.zones.get(str(interface), "")

    @dbus.service.method(ZONE, in_signature="ss", out_signature="s")
    def addInterface(self, zone, interface):
        self.record("addInterface", zone, interface)
        if str(interface) in self.zones:
            raise ZoneError(f"ZONE_CONFLICT: {interface}")
        self.zones[str(interface)] = str(zone)
        return zone

    @dbus.service.method(ZONE, in_signature="ss", out_signature="s")
    def removeInterface(self, zone, interface):
        self.record("removeInterface", zone, interface)
        if self.zones.get(str(interface)) != str(zone):
            raise ZoneError(f"UNKNOWN_INTERFACE: {interface}")
        del self.zones[str(interface)]
        return zone

    @dbus.service.signal(IFACE, signature="")
    def Reloaded(self):
        pass

    def reload(self):
        self.zones = dict(self.preset)
        self.record("reload")
        self.Reloaded()
        return GLib.SOURCE_CONTINUE


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bus", required=True)
    ap.add_argument("--service", choices=["resolved", "firewalld"], required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--zone", action="append", default=[])
    args = ap.parse_args()

    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(args.bus)
    record = Recorder(args.record, args.service)
    loop = GLib.MainLoop()
    if args.service == "resolved":
        obj = Resolved(bus, record)
        name = dbus.service.BusName(RESOLVED, bus)
    else:
        preset = dict(z.split("=", 1) for z in args.zone)
        obj = Firewalld(bus, record, preset)
        name = dbus.service.BusName(FIREWALLD, bus)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, obj.reload)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("ready", flush=True)
    try:
        loop.run()
    finally:
        del name
    return 0


if __name__ == "__main__":
    sys.exit(main())
