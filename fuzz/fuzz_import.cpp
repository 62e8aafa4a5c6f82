// libFuzzer target: the dnsmasq lease-file, dnsmasq dhcp-host and libvirt
// status importers. Whatever the input, each must return without crashing,
// and what it imports must keep the importers' promises: usable addresses,
// one-label names, no address or MAC imported twice, problems that point
// into the input.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "leases/importers.hpp"

namespace {

using berth::leases::ImportResult;

constexpr int64_t kNow = 1735689600;
const std::string kBridge = "br0";
const std::string kSource = "fuzz";

void check(bool ok) {
  if (!ok) std::abort();
}

bool usable(berth::Ipv4Address a) {
  return !a.is_unspecified() && a != berth::Ipv4Address::broadcast();
}

bool label_or_empty(const std::string& s) {
  if (s.empty()) return true;
  if (s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

void check_problems(const ImportResult& r, uint32_t max_line) {
  for (const auto& p : r.problems) {
    check(p.source == kSource);
    check(!p.message.empty());
    check(p.line <= max_line);
  }
}

void check_leases(const ImportResult& r) {
  check(r.reservations.empty());
  std::set<uint32_t> ips;
  std::set<berth::MacAddress> macs;
  for (const auto& l : r.leases) {
    check(l.bridge == kBridge);
    check(l.ip.is_v4());  // the files imported hold IPv4 leases only
    check(usable(l.ip.v4()));
    check(ips.insert(l.ip.v4().value()).second);
    check(macs.insert(l.mac).second);
    check(label_or_empty(l.hostname));
    check(l.expires_at > 0);
    check(l.updated_at == kNow);
    check(l.state == l.state_at(kNow));
  }
}

void check_reservations(const ImportResult& r) {
  check(r.leases.empty());
  std::set<berth::MacAddress> macs;
  for (const auto& res : r.reservations) {
    check(res.bridge == kBridge);
    check(usable(res.ip));
    check(label_or_empty(res.name));
    check(res.id == 0 && !res.from_config);
    switch (res.match) {
      case berth::leases::MatchKind::mac:
        check(res.client_id.empty() && res.hostname_match.empty());
        check(macs.insert(res.mac).second);
        break;
      case berth::leases::MatchKind::client_id:
        check(!res.client_id.empty() && res.hostname_match.empty() && res.mac.is_zero());
        break;
      case berth::leases::MatchKind::hostname:
        check(!res.hostname_match.empty() && res.client_id.empty() && res.mac.is_zero());
        check(res.hostname_match == res.name);
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n') + 1);

  const ImportResult leases = berth::leases::import_dnsmasq_leases(text, kBridge, kNow, kSource);
  check_problems(leases, lines);
  check_leases(leases);

  const ImportResult hosts = berth::leases::import_dnsmasq_hosts(text, kBridge, kSource);
  check_problems(hosts, lines);
  check_reservations(hosts);
  // Pure functions: the same text imports the same way again.
  const ImportResult again = berth::leases::import_dnsmasq_hosts(text, kBridge, kSource);
  check(again.reservations == hosts.reservations);
  check(again.problems.size() == hosts.problems.size());

  const ImportResult libvirt = berth::leases::import_libvirt_status(text, kBridge, kNow, kSource);
  check_problems(libvirt, 0);
  check_leases(libvirt);
  return 0;
}
