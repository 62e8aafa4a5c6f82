#!/usr/bin/env python3
"""Prints the ICMPv6 RS/RA payloads of an Ethernet pcap, one line per packet:
type src dst hoplimit hex."""
import struct, sys
def main(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    assert linktype == 1, linktype
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off+16])
        pkt = data[off+16:off+16+incl]
        off += 16 + incl
        if len(pkt) < 14 + 40 or pkt[12:14] != b'\x86\xdd':
            continue
        ip = pkt[14:]
        plen = struct.unpack('>H', ip[4:6])[0]
        nh, hl = ip[6], ip[7]
        if nh != 58:
            continue
        icmp = ip[40:40+plen]
        if icmp[0] not in (133, 134):
            continue
        import ipaddress
        src = ipaddress.IPv6Address(ip[8:24]); dst = ipaddress.IPv6Address(ip[24:40])
        print(icmp[0], src, dst, hl, pkt[6:12].hex(':'), icmp.hex())
main(sys.argv[1])
