#include "server/reservations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace berth::server {
namespace {

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

std::string describe(const leases::Reservation& r) {
  std::string who;
  switch (r.match) {
    case leases::MatchKind::mac:
      who = "mac " + r.mac.to_string();
      break;
    case leases::MatchKind::client_id:
      who = "client-id " + to_hex_colon(r.client_id);
      break;
    case leases::MatchKind::hostname:
      who = "hostname " + r.hostname_match;
      break;
  }
  return fmt::format("reservation {} ({} -> {}{}{}, {})", r.id, who, r.ip.to_string(),
                     r.name.empty() ? "" : " ", r.name, r.from_config ? "config" : "database");
}

}  // namespace

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
  out.name = r.name;
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
  auto clash = [&](const leases::Reservation& r) -> std::string {
    for (const leases::Reservation& k : m.kept) {
      if (k.ip == r.ip) return "its address is " + describe(k) + "'s";
      if (same_client(k, r)) return "its client already has " + describe(k);
      if (!r.name.empty() && equal_ci(k.name, r.name)) return "its name is " + describe(k) + "'s";
    }
    return {};
  };
  for (const auto* list : {&from_config, &from_database}) {
    std::vector<const leases::Reservation*> ordered;
    for (const auto& r : *list) ordered.push_back(&r);
    if (list == &from_database) {
      std::stable_sort(ordered.begin(), ordered.end(),
                       [](const auto* a, const auto* b) { return a->id < b->id; });
    }
    for (const leases::Reservation* r : ordered) {
      if (std::string why = clash(*r); !why.empty()) {
        m.ignored.push_back(describe(*r) + " is ignored: " + why);
        continue;
      }
      m.kept.push_back(*r);
    }
  }
  return m;
}

}  // namespace berth::server
