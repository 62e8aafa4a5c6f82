#!/usr/bin/env bash
# Packaging tests, run by ctest (label packaging) with BERTH_BUILD_DIR and
# BERTH_VERSION set. Nothing is installed on this machine: every install
# goes to a temporary directory, which is removed.
#   test_packaging.sh install  cmake --install into DESTDIR (Debian's /usr layout)
#                              and into a plain prefix: every file is there, the
#                              man pages format without warnings, systemd accepts
#                              the unit, sysusers.d and tmpfiles.d make the user
#                              and directories in a scratch root
#   test_packaging.sh deb      cpack -G DEB: file name, Depends, Recommends,
#                              contents, maintainer scripts
# `test && pass ... || fail ...` is safe here: pass only echoes.
# shellcheck disable=SC2015
set -euo pipefail

build=${BERTH_BUILD_DIR:?}
version=${BERTH_VERSION:?}
tmp=$(mktemp -d /tmp/berth-packaging.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# The files of an install under `root` with the given prefix layout.
expect_files() {
  local root=$1
  shift
  local f
  for f in "$@"; do
    if [[ -f "$root$f" ]]; then pass "installed $f"; else fail "missing $f"; fi
  done
}

# groff reads the page with every warning on; any output is a defect.
check_man_page() {
  local page=$1 out
  out=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff exited non-zero on $page"
  if [[ -n "$out" ]]; then
    fail "groff warns about $(basename "$page"):"$'\n'"$out"
  else
    pass "$(basename "$page") formats without warnings"
  fi
  # man's own check too (it runs the page through man-db's preprocessors).
  if command -v man >/dev/null; then
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || true
    if [[ -n "$out" ]]; then fail "man --warnings on $(basename "$page"):"$'\n'"$out"; fi
  fi
}

test_install() {
  # 1. Debian's layout: prefix /usr, staged with DESTDIR.
  local root=$tmp/destdir
  DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
    {
      cat "$tmp/install.log" >&2
      fail "cmake --install with DESTDIR failed"
      return
    }
  expect_files "$root" \
    /usr/sbin/berthd /usr/bin/berthctl /usr/sbin/berth-dnsmasq \
    /usr/share/man/man8/berthd.8 /usr/share/man/man8/berthctl.8 \
    /usr/share/man/man8/berth-dnsmasq.8 \
    /usr/share/man/man5/berth.toml.5 \
    /usr/share/doc/berth/examples/berth.toml \
    /usr/share/polkit-1/rules.d/50-berth.rules \
    /lib/systemd/system/berthd.service \
    /usr/lib/sysusers.d/berth.conf /usr/lib/tmpfiles.d/berth.conf
  [[ -x $root/usr/sbin/berthd && -x $root/usr/bin/berthctl ]] || fail "binaries not executable"
  if [[ -e $root/usr/local || -e $root/usr/lib/systemd/system ]]; then
    fail "files outside Debian's layout: $(cd "$root" && find usr/local usr/lib/systemd 2>/dev/null)"
  fi
  grep -qx 'ExecStart=/usr/sbin/berthd' "$root/lib/systemd/system/berthd.service" &&
    pass "unit starts /usr/sbin/berthd" || fail "unit ExecStart is not /usr/sbin/berthd"
  grep -Eq '@[A-Z_]+@' "$root/lib/systemd/system/berthd.service" && fail "unit has an unreplaced @VAR@"

  "$root/usr/sbin/berthd" --version >/dev/null && pass "installed berthd runs" ||
    fail "installed berthd --version failed"
  "$root/usr/bin/berthctl" --version >/dev/null && pass "installed berthctl runs" ||
    fail "installed berthctl --version failed"
  "$root/usr/sbin/berth-dnsmasq" --version | grep -q '^Dnsmasq version ' &&
    pass "installed berth-dnsmasq answers as dnsmasq" || fail "installed berth-dnsmasq --version"
  "$root/usr/sbin/berthd" --check-config --config "$root/usr/share/doc/berth/examples/berth.toml" \
    >/dev/null && pass "installed example config is valid" || fail "example config refused"

  local page
  for page in "$root"/usr/share/man/man8/*.8 "$root"/usr/share/man/man5/*.5; do
    check_man_page "$page"
  done
  # The generated page is the one the build made from the schema.
  grep -q '^\.TH BERTH\.TOML 5 .*"berth '"$version"'"' "$root/usr/share/man/man5/berth.toml.5" ||
    fail "berth.toml(5) does not carry version $version"

  # sysusers.d and tmpfiles.d, applied to a scratch root: user berth with
  # home /var/lib/berth, and the directories with their modes and owner.
  local sysroot=$tmp/sysroot
  mkdir -p "$sysroot/etc"
  if systemd-sysusers --root="$sysroot" "$root/usr/lib/sysusers.d/berth.conf" &&
    systemd-tmpfiles --root="$sysroot" --create "$root/usr/lib/tmpfiles.d/berth.conf"; then
    local entry uid
    entry=$(grep '^berth:' "$sysroot/etc/passwd" || true)
    uid=$(cut -d: -f3 <<<"$entry")
    [[ $(cut -d: -f6 <<<"$entry") == /var/lib/berth ]] && pass "sysusers makes berth, home /var/lib/berth" ||
      fail "sysusers entry: '$entry'"
    grep -q '^berth:' "$sysroot/etc/group" || fail "sysusers made no group berth"
    [[ $(stat -c '%a %u' "$sysroot/var/lib/berth" 2>/dev/null) == "750 $uid" ]] &&
      pass "tmpfiles makes /var/lib/berth 0750 berth" ||
      fail "/var/lib/berth: $(stat -c '%a %u' "$sysroot/var/lib/berth" 2>&1)"
    [[ $(stat -c '%a %u' "$sysroot/run/berth" 2>/dev/null) == "755 $uid" ]] &&
      pass "tmpfiles makes /run/berth 0755 berth" ||
      fail "/run/berth: $(stat -c '%a %u' "$sysroot/run/berth" 2>&1)"
  else
    fail "systemd-sysusers or systemd-tmpfiles refused the snippets"
  fi

  # 2. Any other prefix keeps everything under it; here the unit's
  #    ExecStart= names a binary that exists, so systemd-analyze verify can
  #    check the whole unit, man: links included.
  local prefix=$tmp/prefix
  cmake --install "$build" --prefix "$prefix" >"$tmp/install2.log" 2>&1 ||
    {
      cat "$tmp/install2.log" >&2
      fail "cmake --install --prefix failed"
      return
    }
  expect_files "$prefix" /sbin/berthd /bin/berthctl /lib/systemd/system/berthd.service \
    /lib/sysusers.d/berth.conf /lib/tmpfiles.d/berth.conf /share/man/man5/berth.toml.5
  grep -qx "ExecStart=$prefix/sbin/berthd" "$prefix/lib/systemd/system/berthd.service" ||
    fail "unit ExecStart does not follow the prefix"
  local out
  if out=$(MANPATH=$prefix/share/man systemd-analyze verify \
    "$prefix/lib/systemd/system/berthd.service" 2>&1); then
    pass "systemd-analyze verify accepts the unit"
  else
    fail "systemd-analyze verify:"$'\n'"$out"
  fi
  # Whatever else verify prints is about the unit's neighbours on this host;
  # nothing may be about berthd.service itself.
  if grep -q 'berthd.service' <<<"$out"; then fail "verify warns:"$'\n'"$out"; fi

  # The sandbox stays as tight as it is now (exposure 0.0 safest .. 10.0).
  local exposure
  exposure=$(systemd-analyze security --offline=true \
    "$prefix/lib/systemd/system/berthd.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for berthd.service: \([0-9.]*\).*/\1/p' || true)
  echo "systemd-analyze security exposure: ${exposure:-?}"
  if [[ -z $exposure ]] || ! awk -v e="$exposure" 'BEGIN { exit !(e <= 3.0) }'; then
    fail "systemd-analyze security exposure ${exposure:-unknown} > 3.0"
  fi
}

test_deb() {
  local host_unit_before=no
  [[ -e /lib/systemd/system/berthd.service ]] && host_unit_before=yes

  (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out") \
    >"$tmp/cpack.log" 2>&1 || {
    cat "$tmp/cpack.log" >&2
    fail "cpack -G DEB failed"
    return
  }
  local deb=$tmp/out/berth_${version}_amd64.deb
  [[ -f $deb ]] && pass "built $(basename "$deb")" || {
    fail "no $(basename "$deb") in: $(ls "$tmp/out")"
    return
  }
  if [[ $host_unit_before == no && -e /lib/systemd/system/berthd.service ]]; then
    fail "cpack wrote /lib/systemd/system/berthd.service on this machine"
  fi

  local depends recommends lib
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  for lib in libnl-3-200 libnl-route-3-200 libnftables1 libsqlite3-0 libsystemd0 libcap2 libc6; do
    grep -Eq "(^|, )$lib( |,|$)" <<<"$depends" && pass "Depends on $lib" ||
      fail "Depends lacks $lib"
  done
  recommends=$(dpkg-deb -f "$deb" Recommends)
  [[ $recommends == *nftables* ]] && pass "Recommends nftables" || fail "Recommends: '$recommends'"
  [[ $(dpkg-deb -f "$deb" Package) == berth ]] || fail "Package is not berth"
  [[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version is not $version"

  local contents f
  contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
  for f in ./usr/sbin/berthd ./usr/bin/berthctl ./usr/sbin/berth-dnsmasq \
    ./lib/systemd/system/berthd.service \
    ./usr/share/man/man8/berthd.8 ./usr/share/man/man8/berthctl.8 \
    ./usr/share/man/man8/berth-dnsmasq.8 \
    ./usr/share/man/man5/berth.toml.5 ./usr/lib/sysusers.d/berth.conf \
    ./usr/lib/tmpfiles.d/berth.conf ./usr/share/doc/berth/examples/berth.toml \
    ./usr/share/polkit-1/rules.d/50-berth.rules; do
    grep -qx -- "$f" <<<"$contents" && pass "package holds $f" || fail "package lacks $f"
  done
  grep -q '^\./usr/local' <<<"$contents" && fail "package holds files under /usr/local"

  dpkg-deb -x "$deb" "$tmp/x"
  grep -qx 'ExecStart=/usr/sbin/berthd' "$tmp/x/lib/systemd/system/berthd.service" ||
    fail "packaged unit ExecStart is not /usr/sbin/berthd"

  dpkg-deb -e "$deb" "$tmp/control"
  local script
  for script in postinst prerm postrm; do
    if [[ -x $tmp/control/$script ]] && sh -n "$tmp/control/$script"; then
      pass "maintainer script $script"
    else
      fail "maintainer script $script missing, not executable or not valid sh"
    fi
  done
  grep -q 'systemd-sysusers' "$tmp/control/postinst" && grep -q 'adduser --system' "$tmp/control/postinst" ||
    fail "postinst does not make the berth user"
  grep -q '/run/systemd/system' "$tmp/control/postinst" || fail "postinst starts without checking for systemd"
  # purge, and only purge, removes the state.
  awk '/"\$1" = "purge"/,/^fi/' "$tmp/control/postrm" | grep -q 'rm -rf /var/lib/berth' ||
    fail "postrm does not remove /var/lib/berth on purge"
}

case "${1:-}" in
  install) test_install ;;
  deb) test_deb ;;
  *)
    echo "usage: $0 install|deb" >&2
    exit 2
    ;;
esac

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
