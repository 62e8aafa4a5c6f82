// The daemon's bridges: made ready (created and addressed through
// bridge::Links, sockets opened), served, retired by a reload, and brought
// back when another program deletes one or removes its address. Addresses
// berthd picks itself (address = "auto") and uplinks are here too.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <random>

#include "server/daemon.hpp"

namespace berth::server {

namespace {

bridge::BridgeSpec spec_of(const config::BridgeConfig& bc) {
  return bridge::BridgeSpec{.name = bc.name,
                            .address = bc.address,
                            .mtu = bc.mtu,
                            .create = bc.create,
                            .mac = bc.mac,
                            .ipv6 = bc.ipv6};
}

dns::DnsBridge dns_bridge_of(const config::BridgeConfig& bc) {
  return dns::DnsBridge{
      .name = bc.name, .address = bc.address, .domain = bc.domain, .ipv6 = bc.ipv6};
}

// RFC 4193 §3.2: fd00::/8 with a random 40-bit global ID, here with a
// random 16-bit subnet ID too; the bridge is ::1 of that /64.
Ipv6Prefix random_ula() {
  std::random_device random;
  std::array<uint8_t, 16> b{};
  b[0] = 0xfd;
  for (size_t i = 1; i < 8; ++i) b[i] = static_cast<uint8_t>(random());
  b[15] = 1;
  return Ipv6Prefix{Ipv6Address(b), 64};
}

}  // namespace

Daemon::PreparedBridge Daemon::prepare_bridge(const config::BridgeConfig& bc) {
  PreparedBridge p;
  p.config = bc;
  p.info = host_->ensure_bridge(spec_of(bc));
  p.dhcp = dhcp4_->open_link(p.info.ifindex, bc.name);
  if (bc.ipv6 && bc.ipv6_mode != config::Ipv6Mode::slaac) {
    p.dhcp6 = dhcp6_->open_link(p.info.ifindex, bc.name);
  }
  if (dns_) p.dns = dns_->open_sockets(dns_bridge_of(bc));
  return p;
}

size_t Daemon::serve_bridge(PreparedBridge p, const std::vector<leases::Lease>& stored) {
  const config::BridgeConfig& bc = p.config;
  const size_t index =
      dhcp4_->add_bridge(settings_of(bc), stored, p.info.ifindex, p.info.mac, std::move(p.dhcp));
  bridges_.push_back(BridgeLink{.index = index,
                                .ifindex = p.info.ifindex,
                                .mac = p.info.mac,
                                .address = bc.address,
                                .name = bc.name});
  serve_ipv6(index, bc, p.info, std::move(p.dhcp6), stored);
  serve_tftp(index, bc);
  const dns::DnsBridge zone = dns_bridge_of(bc);
  if (dns_ && p.dns) dns_->add_bridge(index, zone, std::move(*p.dns));
  names_->set_bridge(index, zone);
  const int64_t now = unix_now();
  for (const leases::Lease& l : stored) {
    if (l.bridge == bc.name) names_->note_lease(index, l, now);
  }
  if (started_at_ != 0) log_serving(bridges_.back());
  return index;
}

void Daemon::log_serving(const BridgeLink& link) const {
  const dhcp::BridgeSettings& s = dhcp4_->engine().settings(link.index);
  spdlog::info("serving DHCP on {} (ifindex {}) at {}, pool {}-{}, lease time {} s, domain {}",
               link.name, link.ifindex, link.address.to_string(), s.pool_first.to_string(),
               s.pool_last.to_string(), s.lease_time, s.domain);
  if (const config::BridgeConfig* bc = bridge_config(link.name); bc && bc->ipv6) {
    spdlog::info("serving IPv6 on {} at {}: router advertisements ({}){}", link.name,
                 bc->ipv6->to_string(), to_string(bc->ipv6_mode),
                 bc->ipv6_mode == config::Ipv6Mode::stateful
                     ? fmt::format(", DHCPv6 pool {}-{}", bc->ipv6_pool_start.to_string(),
                                   bc->ipv6_pool_end.to_string())
                 : bc->ipv6_mode == config::Ipv6Mode::stateless ? std::string(", DHCPv6 stateless")
                                                                : std::string());
  }
  if (dns_) {
    spdlog::info("serving DNS on {} at {}:{} ({} worker(s)), domain {}", link.name,
                 link.address.address.to_string(), config_.dns.port, dns_->worker_count(),
                 s.domain);
  }
}

void Daemon::retire_bridge(size_t index) {
  auto it = std::find_if(bridges_.begin(), bridges_.end(),
                         [&](const BridgeLink& l) { return l.index == index; });
  if (it == bridges_.end()) return;
  spdlog::info("{}: no longer served (its leases stay in the database)", it->name);
  bridges_.erase(it);
  dhcp4_->remove_bridge(index);
  retire_ipv6(index);
  if (tftp_) tftp_->remove_bridge(index);
  if (dns_) dns_->remove_bridge(index);
  names_->remove_bridge(index);
}

const Daemon::BridgeLink* Daemon::link_at(size_t index) const {
  for (const BridgeLink& l : bridges_) {
    if (l.index == index) return &l;
  }
  return nullptr;
}

std::optional<size_t> Daemon::link_index(std::string_view bridge) const {
  for (const BridgeLink& l : bridges_) {
    if (l.name == bridge) return l.index;
  }
  return std::nullopt;
}

const config::BridgeConfig* Daemon::bridge_config(std::string_view name) const {
  for (const config::BridgeConfig& b : config_.bridges) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

// ---- address = "auto" --------------------------------------------------------

void Daemon::resolve_auto_addresses(config::Config& cfg, leases::LeaseStore& store) {
  std::vector<Ipv4Prefix> in_use;
  bool host_read = false;
  for (config::BridgeConfig& b : cfg.bridges) {
    if (!b.address_auto) continue;
    std::optional<Ipv4Prefix> chosen;
    // The running config's choice first (a reload), then the database's.
    for (const config::BridgeConfig& old : config_.bridges) {
      if (old.name == b.name && old.address_auto && old.address.length != 0) chosen = old.address;
    }
    if (!chosen) chosen = store.bridge_address(b.name);
    if (!chosen) {
      if (!host_read) {
        in_use = host_->used_ipv4_prefixes();
        host_read = true;
      }
      for (const config::BridgeConfig& other : cfg.bridges) {
        if (!other.address_auto || other.address.length != 0) in_use.push_back(other.address);
      }
      chosen = bridge::choose_auto_subnet(b.name, in_use);
      if (!chosen) {
        throw std::runtime_error("bridge " + b.name +
                                 ": address = \"auto\" found no free 10.x.y.0/24 on this host; "
                                 "write an address");
      }
      store.set_bridge_address(b.name, *chosen);
      spdlog::info("{}: address \"auto\" chose {} (kept in the database)", b.name,
                   chosen->to_string());
    }
    config::resolve_auto_address(b, *chosen);
    in_use.push_back(*chosen);
  }
  for (config::BridgeConfig& b : cfg.bridges) {
    if (!b.ipv6_auto) continue;
    std::optional<Ipv6Prefix> chosen;
    for (const config::BridgeConfig& old : config_.bridges) {
      if (old.name == b.name && old.ipv6_auto && old.ipv6) chosen = old.ipv6;
    }
    if (!chosen) chosen = store.bridge_ipv6(b.name);
    if (!chosen) {
      // 2^56 choices: a clash with another bridge is checked, not expected.
      do {
        chosen = random_ula();
      } while (std::any_of(cfg.bridges.begin(), cfg.bridges.end(), [&](const auto& other) {
        return other.ipv6 && other.ipv6->network() == chosen->network();
      }));
      store.set_bridge_ipv6(b.name, *chosen);
      spdlog::info("{}: ipv6 \"auto\" chose {} (kept in the database)", b.name,
                   chosen->to_string());
    }
    config::resolve_auto_ipv6(b, *chosen);
  }
}

// ---- uplinks -------------------------------------------------------------------

void Daemon::attach_uplinks() {
  for (const config::BridgeConfig& b : config_.bridges) {
    if (b.uplink.empty()) continue;
    try {
      host_->enslave_uplink(b.name, b.uplink, b.uplink_force);
      spdlog::info("{}: uplink {} enslaved", b.name, b.uplink);
    } catch (const std::exception& e) {
      spdlog::error("{}: uplink {} not enslaved: {}", b.name, b.uplink, e.what());
    }
  }
}

// ---- bridges deleted or changed under berthd -----------------------------------

bool Daemon::concerns_bridges(const std::vector<bridge::LinkEvent>& events) const {
  using K = bridge::LinkEvent::Kind;
  for (const bridge::LinkEvent& e : events) {
    if (e.ifindex == 0) return true;  // notifications were lost: look at everything
    for (const BridgeLink& link : bridges_) {
      const bool same_link = e.ifindex == link.ifindex;
      if ((e.kind == K::link_del && same_link) ||
          (e.kind == K::link_new && e.name == link.name && !same_link) ||
          (e.kind == K::addr_del && same_link && e.address &&
           e.address->address == link.address.address)) {
        return true;
      }
    }
  }
  return false;
}

bool Daemon::reconcile_links() {
  bool retry = false;
  for (BridgeLink& link : bridges_) {
    const config::BridgeConfig* bc = bridge_config(link.name);
    if (bc == nullptr) continue;
    std::optional<bridge::LinkInfo> now;
    try {
      now = host_->find_link(link.name);
    } catch (const std::exception& e) {
      spdlog::warn("{}: {}", link.name, e.what());
      retry = true;
      continue;
    }
    if (!now && !bc->create) {
      if (link.ifindex != 0) {
        spdlog::warn("{}: the bridge is gone (create = false): waiting for it to come back",
                     link.name);
        link.ifindex = 0;
      }
      continue;
    }
    const bool had_address =
        now &&
        std::find(now->addresses.begin(), now->addresses.end(), link.address) !=
            now->addresses.end() &&
        (!bc->ipv6 || std::find(now->ipv6_addresses.begin(), now->ipv6_addresses.end(),
                                *bc->ipv6) != now->ipv6_addresses.end());
    if (now && now->ifindex == link.ifindex && had_address) continue;
    bridge::LinkInfo info;
    try {
      info = host_->ensure_bridge(spec_of(*bc));
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot restore the bridge: {}", link.name, e.what());
      retry = true;
      continue;
    }
    if (!now) spdlog::warn("{}: the bridge was deleted; created it again", link.name);
    if (!had_address && now) {
      spdlog::warn("{}: address {}{} was removed; added it again", link.name,
                   link.address.to_string(), bc->ipv6 ? " or " + bc->ipv6->to_string() : "");
    }
    try {
      if (info.ifindex != link.ifindex) {
        dhcp4_->rebind(link.index, info.ifindex, info.mac);
        link.ifindex = info.ifindex;
        link.mac = info.mac;
        rebind_ipv6(link.index, *bc, info);
      }
      if (dns_) {
        dns_->add_bridge(link.index, dns_bridge_of(*bc));
      }
      spdlog::info("{}: DHCP and DNS re-bound (ifindex {})", link.name, link.ifindex);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot re-bind: {}", link.name, e.what());
      retry = true;
      continue;
    }
    if (!bc->uplink.empty()) {
      try {
        host_->enslave_uplink(bc->name, bc->uplink, bc->uplink_force);
      } catch (const std::exception& e) {
        spdlog::error("{}: uplink {} not enslaved: {}", link.name, bc->uplink, e.what());
      }
    }
  }
  if (started_at_ != 0) update_host_dbus();  // a re-created bridge has a new ifindex
  return retry;
}

}  // namespace berth::server
