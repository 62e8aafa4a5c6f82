#include "dhcp/reservations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

namespace berth::dhcp {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string describe(const leases::Reservation& r) {
  return fmt::format("reservation {} ({} -> {}, {})", r.id, client_text(r), reserved_text(r),
                     r.from_config ? "config" : "database");
}

}  // namespace

std::string client_text(const leases::Reservation& r) {
  switch (r.match) {
    case leases::MatchKind::mac:
      return "mac " + r.mac.to_string();
    case leases::MatchKind::client_id:
      return "client-id " + to_hex_colon(r.client_id);
    case leases::MatchKind::hostname:
      return "hostname " + r.hostname_match;
  }
  return "";
}

std::string reserved_text(const leases::Reservation& r) {
  std::string out = r.ip.to_string();
  if (r.ipv6) out += " " + r.ipv6->to_string();
  if (!r.name.empty()) out += " " + r.name;
  return out;
}

bool equal_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool same_client(const leases::Reservation& a, const leases::Reservation& b) {
  if (a.match != b.match) return false;
  switch (a.match) {
    case leases::MatchKind::mac:
      return a.mac == b.mac;
    case leases::MatchKind::client_id:
      return a.client_id == b.client_id;
    case leases::MatchKind::hostname:
      return equal_ci(a.hostname_match, b.hostname_match);
  }
  return false;
}

std::optional<std::string> ipv6_identity_problem(const leases::Reservation& r) {
  if (!r.duid.empty() && !r.ipv6) {
    return std::string("a DUID without an IPv6 address: it finds the DHCPv6 client to give it to");
  }
  if (r.ipv6 && r.duid.empty() && r.match != leases::MatchKind::mac) {
    return "IPv6 address " + r.ipv6->to_string() + " with no DUID, and " + client_text(r) +
           " is no way to find a DHCPv6 client";
  }
  return std::nullopt;
}

std::optional<std::string> ipv6_problem(const leases::Reservation& r,
                                        const std::optional<Ipv6Prefix>& prefix) {
  if (auto problem = ipv6_identity_problem(r)) return problem;
  if (!r.ipv6) return std::nullopt;
  const Ipv6Address& ip = *r.ipv6;
  if (!prefix) return "IPv6 address " + ip.to_string() + " on a bridge without IPv6";
  if (!prefix->contains(ip) || ip.is_multicast()) {
    return "IPv6 address " + ip.to_string() + " is outside the bridge prefix " +
           prefix->network().to_string() + "/" + std::to_string(prefix->length);
  }
  if (ip == prefix->network()) {
    return "IPv6 address " + ip.to_string() + " is the subnet-router anycast address";
  }
  if (ip == prefix->address) {
    return "IPv6 address " + ip.to_string() + " is the bridge's own address";
  }
  return std::nullopt;
}

std::optional<leases::Reservation6> reservation6_of(const leases::Reservation& r) {
  if (!r.ipv6 || ipv6_identity_problem(r)) return std::nullopt;
  leases::Reservation6 out;
  if (!r.duid.empty()) {
    out.match = leases::MatchKind::client_id;
    out.duid = r.duid;
  } else {
    out.match = leases::MatchKind::mac;
    out.mac = r.mac;
  }
  out.ip = *r.ipv6;
  out.name = r.name;
  return out;
}

leases::Reservation reservation_from_config(const std::string& bridge,
                                            const config::ReservationConfig& r, int64_t id) {
  leases::Reservation out;
  out.id = id;
  out.bridge = bridge;
  switch (r.match) {
    case config::ReservationConfig::Match::mac:
      out.match = leases::MatchKind::mac;
      out.mac = r.mac;
      break;
    case config::ReservationConfig::Match::client_id:
      out.match = leases::MatchKind::client_id;
      out.client_id = r.client_id;
      break;
    case config::ReservationConfig::Match::hostname:
      out.match = leases::MatchKind::hostname;
      out.hostname_match = r.hostname;
      break;
  }
  out.ip = r.ip;
  out.ipv6 = r.ipv6;
  out.duid = r.duid;
  out.name = r.name;
  out.options = r.options;
  out.from_config = true;
  return out;
}

std::vector<leases::Reservation> config_reservations(const config::Config& config) {
  std::vector<leases::Reservation> out;
  int64_t id = 0;
  for (const config::BridgeConfig& b : config.bridges) {
    for (const config::ReservationConfig& r : b.reservations) {
      out.push_back(reservation_from_config(b.name, r, --id));
    }
  }
  return out;
}

MergedReservations merge_reservations(const std::vector<leases::Reservation>& from_config,
                                      const std::vector<leases::Reservation>& from_database) {
  MergedReservations m;
  m.kept.reserve(from_config.size() + from_database.size());
  // Indexes of what is kept, so a merge of n reservations is O(n).
  std::unordered_map<uint32_t, size_t> by_ip;
  std::map<std::string, size_t> by_client;  // "kind/value", hostnames lowercased
  std::unordered_map<std::string, size_t> by_name;
  std::map<Ipv6Address, size_t> by_ipv6;
  std::map<Bytes, size_t> by_duid;
  auto client_key = [](const leases::Reservation& r) {
    switch (r.match) {
      case leases::MatchKind::mac:
        return "m/" + r.mac.to_string();
      case leases::MatchKind::client_id:
        return "c/" + to_hex_colon(r.client_id);
      case leases::MatchKind::hostname:
        return "h/" + lower(r.hostname_match);
    }
    return std::string();
  };
  for (const auto* list : {&from_config, &from_database}) {
    std::vector<const leases::Reservation*> ordered;
    ordered.reserve(list->size());
    for (const auto& r : *list) ordered.push_back(&r);
    if (list == &from_database) {
      std::stable_sort(ordered.begin(), ordered.end(),
                       [](const auto* a, const auto* b) { return a->id < b->id; });
    }
    for (const leases::Reservation* r : ordered) {
      const std::string client = client_key(*r);
      const std::string name = lower(r->name);
      std::string why;
      if (auto it = by_ip.find(r->ip.value()); it != by_ip.end()) {
        why = "its address is " + describe(m.kept[it->second]) + "'s";
      } else if (auto c = by_client.find(client); c != by_client.end()) {
        why = "its client already has " + describe(m.kept[c->second]);
      } else if (auto v6 = r->ipv6 ? by_ipv6.find(*r->ipv6) : by_ipv6.end(); v6 != by_ipv6.end()) {
        why = "its IPv6 address is " + describe(m.kept[v6->second]) + "'s";
      } else if (auto d = r->duid.empty() ? by_duid.end() : by_duid.find(r->duid);
                 d != by_duid.end()) {
        why = "its DUID already has " + describe(m.kept[d->second]);
      } else if (!name.empty()) {
        if (auto n = by_name.find(name); n != by_name.end()) {
          why = "its name is " + describe(m.kept[n->second]) + "'s";
        }
      }
      if (!why.empty()) {
        m.ignored.push_back(describe(*r) + " is ignored: " + why);
        continue;
      }
      by_ip.emplace(r->ip.value(), m.kept.size());
      by_client.emplace(client, m.kept.size());
      if (!name.empty()) by_name.emplace(name, m.kept.size());
      if (r->ipv6) by_ipv6.emplace(*r->ipv6, m.kept.size());
      if (!r->duid.empty()) by_duid.emplace(r->duid, m.kept.size());
      m.kept.push_back(*r);
    }
  }
  return m;
}

}  // namespace berth::dhcp
