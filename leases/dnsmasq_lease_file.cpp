#include "leases/dnsmasq_lease_file.hpp"

#include <algorithm>
#include <tuple>

#include "leases/importers.hpp"
#include "protocol/address.hpp"

namespace berth::leases {

namespace {

// RFC 2131 §3.3 and RFC 8415 §7.7: a lease time of 0xffffffff is infinite.
constexpr int64_t kInfiniteLeaseTime = 0xffffffffLL;

// dnsmasq writes 0 for a lease that never ends. berth stores one either as
// an import's kInfiniteExpiry, or as the infinite lease time counted from
// when it was granted.
int64_t dnsmasq_expiry(const Lease& l) {
  if (l.expires_at >= kInfiniteExpiry) return 0;
  if (l.expires_at - l.updated_at >= kInfiniteLeaseTime) return 0;
  return l.expires_at;
}

// A name with a space or a control character would break the line into
// other fields; berth's names are DNS labels, so this is a guard only.
bool writable_name(const std::string& name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  });
}

void append_tail(std::string& out, const Lease& l) {
  out += ' ';
  out += writable_name(l.hostname) ? l.hostname : std::string("*");
  out += ' ';
  out += l.client_id.empty() ? std::string("*") : to_hex_colon(l.client_id);
  out += '\n';
}

}  // namespace

std::string format_dnsmasq_leases(const std::vector<Lease>& leases, const Bytes& server_duid,
                                  int64_t now) {
  std::string out;
  for (const Lease& l : leases) {
    if (!l.ip.is_v4() || l.state_at(now) != LeaseState::bound) continue;
    out += std::to_string(dnsmasq_expiry(l));
    out += ' ';
    out += l.mac.to_string();
    out += ' ';
    out += l.ip.to_string();
    append_tail(out, l);
  }
  if (server_duid.empty()) return out;
  out += "duid ";
  out += to_hex_colon(server_duid);
  out += '\n';
  for (const Lease& l : leases) {
    if (!l.ip.is_v6() || l.state_at(now) != LeaseState::bound) continue;
    out += std::to_string(dnsmasq_expiry(l));
    out += ' ';
    out += std::to_string(l.iaid);
    out += ' ';
    out += l.ip.to_string();
    append_tail(out, l);
  }
  return out;
}

void sort_newest_first(std::vector<Lease>& leases) {
  std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) {
    return std::tie(b.updated_at, a.bridge, a.ip) < std::tie(a.updated_at, b.bridge, b.ip);
  });
}

}  // namespace berth::leases
