#!/usr/bin/env bash
# Installs, with apt-get, whatever berth needs to build, test and benchmark
# that this Debian 12 machine does not have yet. Idempotent: a second run
# with everything present makes no network request.
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --build  only what building and running berthd needs
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config ninja-build
  libboost-dev libboost-system-dev
  libnl-3-dev libnl-route-3-dev libnftables-dev nftables
  libsqlite3-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libsystemd-dev libcap-dev
  iproute2
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev clang-format git
  busybox isc-dhcp-client dhcpcd-base dnsmasq-base
  kea-dhcp4-server kea-dhcp6-server kea-admin
  dnsutils knot-dnsutils dnsperf
  python3 python3-scapy sqlite3 tcpdump procps psmisc ndisc6 iputils-ping
  groff-base man-db dpkg-dev file systemd iptables
  python3-dbus python3-gi dbus-daemon
  libvirt-daemon  # libvirt_leaseshelper for the lease_script test; no service (that is libvirt-daemon-system)
)

pkgs=("${build_pkgs[@]}")
[[ "${1:-}" == "--build" ]] || pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Kea's packages start their daemons on install; berth's tests start their
  # own, so keep services from starting while packages install.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
