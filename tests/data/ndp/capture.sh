#!/usr/bin/env bash
# Captures RS and RA payloads between two throwaway namespaces (fd00::/8 only).
set -euo pipefail
OUT=${1:-/tmp/ndpcap/out}; mkdir -p "$OUT"
S=ndpcap-r-$$; C=ndpcap-h-$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$S"; ip netns add "$C"
ip -n "$S" link set lo up; ip -n "$C" link set lo up
ip -n "$S" link add r0 address 02:be:00:00:01:01 type veth peer name h0 address 02:be:00:00:01:02 netns "$C"
ip -n "$S" link add r1 address 02:be:00:00:02:01 type veth peer name h1 address 02:be:00:00:02:02 netns "$C"
ip netns exec "$S" sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns exec "$C" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.accept_ra=1 \
  net.ipv6.conf.h0.accept_ra=1 net.ipv6.conf.h1.accept_ra=1
ip -n "$S" addr add fd00:be:1::1/64 dev r0 nodad
ip -n "$S" addr add fd00:be:2::1/64 dev r1 nodad
ip -n "$S" link set r0 up; ip -n "$S" link set r1 up
ip netns exec "$S" timeout 30 tcpdump -q -i r0 -U -w "$OUT/r0.pcap" icmp6 2>"$OUT/tcpdump0.log" & PIDS+=($!)
ip netns exec "$S" timeout 30 tcpdump -q -i r1 -U -w "$OUT/r1.pcap" icmp6 2>"$OUT/tcpdump1.log" & PIDS+=($!)
sleep 1.5
# The kernel of C sends RS once the link-local addresses pass DAD.
ip -n "$C" link set h0 up; ip -n "$C" link set h1 up
sleep 4
cat > "$OUT/radvd.conf" <<CONF
interface r0 {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 10;
  AdvOtherConfigFlag on;
  AdvLinkMTU 1480;
  prefix fd00:be:1::/64 { AdvOnLink on; AdvAutonomous on; };
  RDNSS fd00:be:1::1 { };
  DNSSL berth.test example.org { };
};
CONF
ip netns exec "$S" radvd -n -C "$OUT/radvd.conf" -p "$OUT/radvd.pid" -m stderr -u root 2>"$OUT/radvd.log" & PIDS+=($!)
ip netns exec "$S" dnsmasq -k --port=0 --conf-file=/dev/null --no-resolv --no-hosts -u root \
  --interface=r1 --enable-ra --dhcp-range=fd00:be:2::,ra-only --domain=berth.test \
  --pid-file="$OUT/dnsmasq.pid" --dhcp-leasefile="$OUT/dnsmasq.leases" --log-facility=- \
  >"$OUT/dnsmasq.log" 2>&1 & PIDS+=($!)
sleep 2
ip netns exec "$C" timeout 5 rdisc6 -1 -w 2000 h0 >"$OUT/rdisc6_h0.txt" 2>&1 || true
ip netns exec "$C" timeout 5 rdisc6 -1 -w 2000 h1 >"$OUT/rdisc6_h1.txt" 2>&1 || true
sleep 4
kill "$(cat "$OUT/radvd.pid")"; sleep 1.5
ip -n "$C" -6 addr >"$OUT/client_addr.txt"; ip -n "$C" -6 route >"$OUT/client_route.txt"
ip netns exec "$S" radvd --version >"$OUT/versions.txt" 2>&1 || true
ip netns exec "$S" dnsmasq --version | head -1 >>"$OUT/versions.txt"
rdisc6 -V 2>&1 | head -1 >>"$OUT/versions.txt" || true
uname -r >>"$OUT/versions.txt"
