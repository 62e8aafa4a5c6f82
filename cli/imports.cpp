#include "cli/imports.hpp"

#include "cli/output.hpp"

namespace berth::cli {

std::vector<api::ReservationCreate> reservations_from_leases(
    const std::vector<leases::Lease>& leases, bool force) {
  std::vector<api::ReservationCreate> out;
  out.reserve(leases.size());
  for (const leases::Lease& l : leases) {
    // By MAC even when the client sent a client id: berth matches a MAC
    // reservation whatever identifier the client sends, so a container
    // whose DHCP client changes (dhclient to systemd-networkd) keeps it.
    out.push_back(api::ReservationCreate{.bridge = l.bridge,
                                         .match = api::MatchKind::mac,
                                         .mac = l.mac,
                                         .client_id = {},
                                         .hostname = {},
                                         .ip = l.ip.v4(),  // the importers read IPv4 files
                                         .ipv6 = std::nullopt,
                                         .duid = {},
                                         .name = api::is_dns_label(l.hostname) ? l.hostname : "",
                                         .force = force});
  }
  return out;
}

std::vector<api::ReservationCreate> reservations_from_hosts(
    const std::vector<leases::Reservation>& reservations, bool force) {
  std::vector<api::ReservationCreate> out;
  out.reserve(reservations.size());
  for (const leases::Reservation& r : reservations) {
    api::ReservationCreate c{.bridge = r.bridge,
                             .match = r.match,
                             .mac = {},
                             .client_id = {},
                             .hostname = {},
                             .ip = r.ip,
                             .ipv6 = r.ipv6,
                             .duid = r.duid,
                             .name = api::is_dns_label(r.name) ? r.name : "",
                             .force = force};
    switch (r.match) {
      case api::MatchKind::mac:
        c.mac = r.mac;
        break;
      case api::MatchKind::client_id:
        c.client_id = r.client_id;
        break;
      case api::MatchKind::hostname:
        c.hostname = r.hostname_match;
        break;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string format_problem(const leases::ImportProblem& p) {
  std::string out = printable(p.source);
  if (p.line > 0) out += ":" + std::to_string(p.line);
  return out + ": " + printable(p.message);
}

}  // namespace berth::cli
