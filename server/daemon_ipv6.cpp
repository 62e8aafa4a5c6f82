// The daemon's IPv6 side of each bridge: router advertisements (RaServer)
// and DHCPv6 (Dhcp6Server), made from the bridge's config, started and
// stopped with the bridge, and their counters for /metrics.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <random>

#include "protocol/dhcp6/options.hpp"
#include "server/daemon.hpp"

namespace berth::server {

namespace {

// RFC 4861 §6.2.1: AdvDefaultLifetime defaults to 3 * MaxRtrAdvInterval,
// at least the 1800 s routers commonly send, at most 9000 s.
uint16_t router_lifetime(uint32_t max_interval) {
  return static_cast<uint16_t>(std::clamp<uint32_t>(3 * max_interval, 1800, 9000));
}

}  // namespace

dhcp::RaSettings ra_settings_of(const config::BridgeConfig& bc, const MacAddress& mac, bool dns) {
  dhcp::RaSettings s;
  s.prefix = *bc.ipv6;
  s.mode = bc.ipv6_mode;
  if (bc.mtu) s.mtu = *bc.mtu;
  s.dns = dns;
  s.domain = bc.domain;
  s.mac = mac;
  s.max_interval = std::chrono::seconds(bc.ra_interval);
  s.router_lifetime = router_lifetime(bc.ra_interval);
  return s;
}

dhcp::Dhcp6Settings dhcp6_settings_of(const config::BridgeConfig& bc, bool dns) {
  dhcp::Dhcp6Settings s;
  s.name = bc.name;
  s.mode = bc.ipv6_mode;
  s.prefix = *bc.ipv6;
  s.pool_first = bc.ipv6_pool_start;
  s.pool_last = bc.ipv6_pool_end;
  if (dns) s.dns_servers = {bc.ipv6->address};
  s.domains = {bc.domain};
  // The DHCPv4 lease time for both families, as dnsmasq does; the
  // preferred lifetime is the same (no deprecation before the end).
  s.valid_lifetime = bc.lease_time;
  s.preferred_lifetime = bc.lease_time;
  s.rapid_commit = bc.rapid_commit;
  s.decline_quarantine = bc.decline_quarantine;
  return s;
}

// RFC 6355 DUID-UUID with a random (version 4) UUID: needs no MAC, so it
// does not change when bridges come and go; made once and kept.
Bytes Daemon::server_duid() {
  if (auto kept = store_->server_duid()) return *kept;
  std::random_device random;
  Bytes duid{0, 4};
  for (int i = 0; i < 16; ++i) duid.push_back(static_cast<uint8_t>(random()));
  duid[2 + 6] = static_cast<uint8_t>((duid[2 + 6] & 0x0f) | 0x40);  // version 4
  duid[2 + 8] = static_cast<uint8_t>((duid[2 + 8] & 0x3f) | 0x80);  // RFC 4122 variant
  store_->set_server_duid(duid);
  spdlog::info("DHCPv6 server DUID {} (kept in the database)", to_hex_colon(duid));
  return duid;
}

void Daemon::serve_ipv6(size_t index, const config::BridgeConfig& bc, const bridge::LinkInfo& info,
                        std::unique_ptr<Dhcp6Link> dhcp6_link,
                        const std::vector<leases::Lease>& stored) {
  if (!bc.ipv6) return;
  auto ra = std::make_unique<RaServer>(io_, bc.name, info.ifindex,
                                       ra_settings_of(bc, info.mac, dns_ != nullptr));
  if (started_at_ != 0) ra->start();
  ra_[index] = std::move(ra);
  if (bc.ipv6_mode != config::Ipv6Mode::slaac) {
    dhcp6_->add_bridge(index, dhcp6_settings_of(bc, dns_ != nullptr), stored,
                       std::move(dhcp6_link));
    // Re-served on a reload: the reservations the DHCPv4 engine holds.
    if (dhcp4_->engine().active(index)) apply_reservations6(index);
  }
}

void Daemon::retire_ipv6(size_t index) {
  if (auto it = ra_.find(index); it != ra_.end()) {
    it->second->stop();  // the final RA: clients stop routing through us
    ra_.erase(it);
  }
  dhcp6_->remove_bridge(index);
}

void Daemon::rebind_ipv6(size_t index, const config::BridgeConfig& bc,
                         const bridge::LinkInfo& info) {
  if (!bc.ipv6) return;
  // A new socket for DHCPv6 (its bindings stay), a new advertiser for the
  // new link (the old link is gone: no final RA to send there).
  if (dhcp6_->serves(index)) dhcp6_->rebind(index, dhcp6_->open_link(info.ifindex, bc.name));
  auto ra = std::make_unique<RaServer>(io_, bc.name, info.ifindex,
                                       ra_settings_of(bc, info.mac, dns_ != nullptr));
  if (started_at_ != 0) ra->start();
  ra_[index] = std::move(ra);
}

void Daemon::start_ipv6() {
  for (auto& [index, ra] : ra_) {
    try {
      ra->start();
    } catch (const std::exception& e) {
      spdlog::error("{}: no router advertisements: {}", ra->bridge(), e.what());
    }
  }
  dhcp6_->start();
}

void Daemon::stop_ipv6() {
  for (auto& [index, ra] : ra_) ra->stop();
  dhcp6_->stop();
}

void Daemon::ipv6_metrics(std::string& out) const {
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("berth_ra_sent_total", "counter", "Router advertisements sent, by bridge and kind.");
  for (const auto& [index, ra] : ra_) {
    for (dhcp::RaKind k :
         {dhcp::RaKind::unsolicited, dhcp::RaKind::solicited, dhcp::RaKind::final}) {
      out += fmt::format("berth_ra_sent_total{{bridge=\"{}\",kind=\"{}\"}} {}\n", ra->bridge(),
                         to_string(k), ra->counters().sent[static_cast<size_t>(k)]);
    }
  }
  family("berth_ra_solicitations_total", "counter", "Valid router solicitations received.");
  for (const auto& [index, ra] : ra_) {
    out += fmt::format("berth_ra_solicitations_total{{bridge=\"{}\"}} {}\n", ra->bridge(),
                       ra->counters().solicitations);
  }
  family("berth_ra_dropped_total", "counter", "Router solicitations dropped, by reason.");
  for (const auto& [index, ra] : ra_) {
    for (const auto& [reason, n] : ra->counters().dropped) {
      out += fmt::format("berth_ra_dropped_total{{bridge=\"{}\",reason=\"{}\"}} {}\n", ra->bridge(),
                         reason, n);
    }
  }
  const dhcp::Dhcp6Counters& c = dhcp6_->engine().counters();
  auto by_type = [&](std::string_view name, const auto& counts) {
    for (size_t t = 1; t < counts.size(); ++t) {
      if (counts[t] == 0) continue;
      out += fmt::format("{}{{type=\"{}\"}} {}\n", name,
                         to_string(static_cast<dhcp6::MessageType>(t)), counts[t]);
    }
  };
  family("berth_dhcp6_received_total", "counter", "DHCPv6 messages received, by type.");
  by_type("berth_dhcp6_received_total", c.received);
  family("berth_dhcp6_sent_total", "counter", "DHCPv6 messages sent, by type.");
  by_type("berth_dhcp6_sent_total", c.sent);
  family("berth_dhcp6_dropped_total", "counter", "DHCPv6 messages dropped, by reason.");
  std::map<std::string, uint64_t, std::less<>> dropped = c.dropped;
  for (const auto& [reason, n] : dhcp6_->dropped()) dropped[reason] += n;
  for (const auto& [reason, n] : dropped) {
    out += fmt::format("berth_dhcp6_dropped_total{{reason=\"{}\"}} {}\n", reason, n);
  }
}

}  // namespace berth::server
