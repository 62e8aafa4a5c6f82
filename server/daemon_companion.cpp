// The daemon's bridge companion: addresses berthd picks itself
// (address = "auto"), uplinks, the link monitor that re-binds a bridge's
// sockets when the bridge or its address comes back, and the nftables table
// `inet berth`, rendered from the config, the stored forwards and the names
// of the leases, and put back when another program removes it.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <set>

#include <fcntl.h>
#include <unistd.h>

#include "api/response.hpp"
#include "dhcp/reservations.hpp"
#include "server/daemon.hpp"

namespace berth::server {
namespace asio = boost::asio;

namespace {

constexpr auto kFirewallCheck = std::chrono::seconds(2);
constexpr auto kReconcileDelay = std::chrono::milliseconds(100);

bridge::Proto proto_of(config::ForwardConfig::Proto p) {
  return p == config::ForwardConfig::Proto::tcp ? bridge::Proto::tcp : bridge::Proto::udp;
}

}  // namespace

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
        in_use = bridge::host_ipv4_addresses();
        for (const Ipv4Prefix& r : bridge::host_ipv4_routes()) in_use.push_back(r);
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
}

// ---- uplinks -------------------------------------------------------------------

void Daemon::attach_uplinks() {
  for (const config::BridgeConfig& b : config_.bridges) {
    if (b.uplink.empty()) continue;
    try {
      bridge::enslave_uplink(b.name, b.uplink, b.uplink_force);
      spdlog::info("{}: uplink {} enslaved", b.name, b.uplink);
    } catch (const std::exception& e) {
      spdlog::error("{}: uplink {} not enslaved: {}", b.name, b.uplink, e.what());
    }
  }
}

// ---- firewall ----------------------------------------------------------------

std::optional<Ipv4Address> Daemon::forward_target(const std::string& to, size_t bridge) const {
  if (auto ip = Ipv4Address::parse(to)) return ip;
  const BridgeLink* link = link_at(bridge);
  if (link == nullptr) return std::nullopt;
  for (const leases::Reservation& r : dhcp_.table(bridge).reservations()) {
    if (!r.name.empty() && dhcp::equal_ci(r.name, to)) return r.ip;
  }
  // The current holder of a dynamic name: the DNS snapshot settles clashes.
  if (dns_) {
    if (auto table = dns_->table()) {
      for (Ipv4Address a : table->addresses(to, bridge)) {
        if (link->address.contains(a) && a != link->address.address) return a;
      }
      return std::nullopt;
    }
  }
  std::optional<Ipv4Address> best;
  for (const auto& [key, name] : named_leases_) {
    if (key.first == bridge && dhcp::equal_ci(name, to)) {
      const Ipv4Address a(key.second);
      if (!best || a < *best) best = a;
    }
  }
  return best;
}

bridge::FirewallState Daemon::firewall_state() const {
  bridge::FirewallState s;
  for (const BridgeLink& link : links_) {
    const config::BridgeConfig* bc = bridge_config(link.name);
    if (bc == nullptr) continue;
    s.bridges.push_back(bridge::FirewallBridge{
        .name = link.name,
        .address = link.address,
        .nat = bc->nat,
        .nat_address = bc->nat_address,
        .dns_port = static_cast<uint16_t>(config_.dns.enabled ? config_.dns.port : 0)});
    for (const std::string& other : bc->allow_bridges) {
      s.allowed_pairs.emplace_back(link.name, other);
    }
    auto add = [&](bridge::Proto proto, std::optional<Ipv4Address> host_address, uint16_t host_port,
                   const std::string& to, uint16_t to_port) {
      auto target = forward_target(to, link.index);
      if (!target) return;  // a name without a lease yet: no rule until it has one
      bridge::PortForward f{.bridge = link.name,
                            .proto = proto,
                            .host_address = host_address,
                            .host_port = host_port,
                            .target = *target,
                            .target_port = to_port};
      // The file wins over a stored forward for the same host port.
      for (const bridge::PortForward& g : s.forwards) {
        if (g.proto == f.proto && g.host_port == f.host_port &&
            (!g.host_address || !f.host_address || *g.host_address == *f.host_address)) {
          return;
        }
      }
      s.forwards.push_back(f);
    };
    for (const config::ForwardConfig& f : bc->forwards) {
      add(proto_of(f.proto), f.host_address, f.host_port, f.to, f.to_port);
    }
    for (const leases::StoredForward& f : db_forwards_) {
      if (f.bridge != link.name) continue;
      add(f.proto == "udp" ? bridge::Proto::udp : bridge::Proto::tcp, f.host_address, f.host_port,
          f.to, f.to_port);
    }
  }
  return s;
}

const config::BridgeConfig* Daemon::bridge_config(std::string_view name) const {
  for (const config::BridgeConfig& b : config_.bridges) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

void Daemon::refresh_firewall() {
  try {
    db_forwards_ = reader_->list_forwards();
  } catch (const std::exception& e) {
    spdlog::error("cannot read port forwards: {}", e.what());
  }
  apply_firewall(false);
}

void Daemon::apply_firewall(bool force) {
  if (!nft_) return;
  bridge::FirewallState want = firewall_state();
  if (!force && applied_state_ && *applied_state_ == want) return;
  try {
    nft_->apply(want);
  } catch (const std::exception& e) {
    firewall_error_ = e.what();
    spdlog::error("firewall: table inet berth not applied: {}", e.what());
    return;
  }
  firewall_error_.clear();
  const bool changed_forwards = !applied_state_ || applied_state_->forwards != want.forwards;
  applied_state_ = std::move(want);
  spdlog::info("firewall: table inet berth applied ({} bridge(s), {} forward(s))",
               applied_state_->bridges.size(), applied_state_->forwards.size());
  if (changed_forwards) {
    for (const bridge::PortForward& f : applied_state_->forwards) {
      spdlog::debug("firewall: forward {} {}:{} -> {}:{} on {}",
                    f.proto == bridge::Proto::tcp ? "tcp" : "udp",
                    f.host_address ? f.host_address->to_string() : "*", f.host_port,
                    f.target.to_string(), f.target_port, f.bridge);
    }
  }
  const bool nat = std::any_of(applied_state_->bridges.begin(), applied_state_->bridges.end(),
                               [](const bridge::FirewallBridge& b) { return b.nat; });
  const bool forwards = !applied_state_->forwards.empty();
  if (nat || forwards) {
    try {
      if (!bridge::ipv4_forwarding()) {
        bridge::set_ipv4_forwarding(true);
        spdlog::info("firewall: IPv4 forwarding enabled (net.ipv4.ip_forward = 1) for NAT");
      }
    } catch (const std::exception& e) {
      spdlog::error("firewall: cannot enable IPv4 forwarding: {}", e.what());
    }
  }
}

void Daemon::start_firewall() {
  if (!config_.firewall.enabled) return;
  try {
    nft_ = std::make_unique<bridge::Nftables>();
  } catch (const std::exception& e) {
    spdlog::error("firewall: {}; NAT and port forwards are off", e.what());
    return;
  }
  refresh_firewall();
  arm_firewall_check();
}

// Another program may flush the ruleset or delete the table: put it back.
void Daemon::arm_firewall_check() {
  firewall_timer_.expires_after(kFirewallCheck);
  firewall_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !nft_) return;
    bool ok = true;
    try {
      ok = nft_->in_sync();
    } catch (const std::exception& e) {
      spdlog::warn("firewall: cannot list table inet berth: {}", e.what());
    }
    if (!ok) {
      spdlog::warn(
          "firewall: table inet berth was changed or removed by another program; "
          "restoring it");
      apply_firewall(true);
    }
    arm_firewall_check();
  });
}

void Daemon::stop_firewall() {
  if (!nft_) return;
  firewall_timer_.cancel();
  if (config_.firewall.keep_rules) {
    spdlog::info("firewall: table inet berth kept (keep_rules = true)");
    return;
  }
  try {
    nft_->remove();
    spdlog::info("firewall: table inet berth removed");
  } catch (const std::exception& e) {
    spdlog::error("firewall: cannot remove table inet berth: {}", e.what());
  }
}

void Daemon::reconfigure_firewall() {
  if (config_.firewall.enabled && !nft_) {
    start_firewall();
  } else if (!config_.firewall.enabled && nft_) {
    firewall_timer_.cancel();
    try {
      nft_->remove();
    } catch (const std::exception& e) {
      spdlog::error("firewall: cannot remove table inet berth: {}", e.what());
    }
    nft_.reset();
    applied_state_.reset();
  } else {
    refresh_firewall();
  }
}

// ---- link monitor --------------------------------------------------------------

void Daemon::start_link_monitor() {
  try {
    monitor_ = std::make_unique<bridge::LinkMonitor>();
  } catch (const std::exception& e) {
    spdlog::error("link monitor: {}; a bridge deleted under berthd will not be re-bound", e.what());
    return;
  }
  const int fd = ::fcntl(monitor_->fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    spdlog::error("link monitor: cannot duplicate its socket");
    monitor_.reset();
    return;
  }
  monitor_sd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  wait_link_events();
}

void Daemon::wait_link_events() {
  monitor_sd_->async_wait(asio::posix::stream_descriptor::wait_read,
                          [this](const boost::system::error_code& ec) {
                            if (ec) return;
                            std::vector<bridge::LinkEvent> events;
                            try {
                              events = monitor_->read_events();
                            } catch (const std::exception& e) {
                              spdlog::warn("link monitor: {}", e.what());
                            }
                            on_link_events(events);
                            wait_link_events();
                          });
}

void Daemon::on_link_events(const std::vector<bridge::LinkEvent>& events) {
  using K = bridge::LinkEvent::Kind;
  bool ours = false;
  for (const bridge::LinkEvent& e : events) {
    if (e.ifindex == 0) {
      ours = true;  // notifications were lost: look at everything
      break;
    }
    for (const BridgeLink& link : links_) {
      const bool same_link = e.ifindex == link.ifindex;
      if ((e.kind == K::link_del && same_link) ||
          (e.kind == K::link_new && e.name == link.name && !same_link) ||
          (e.kind == K::addr_del && same_link && e.address &&
           e.address->address == link.address.address)) {
        ours = true;
      }
    }
  }
  if (!ours || reconcile_pending_) return;
  reconcile_pending_ = true;
  reconcile_timer_.expires_after(kReconcileDelay);
  reconcile_timer_.async_wait([this](const boost::system::error_code& ec) {
    reconcile_pending_ = false;
    if (!ec) reconcile_links();
  });
}

// Brings every served bridge back to what the config says, and re-binds the
// sockets of those whose link or address came back.
void Daemon::reconcile_links() {
  bool retry = false;
  for (BridgeLink& link : links_) {
    const config::BridgeConfig* bc = bridge_config(link.name);
    if (bc == nullptr) continue;
    std::optional<bridge::LinkInfo> now;
    try {
      now = bridge::find_link(link.name);
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
    const bool had_address = now && std::find(now->addresses.begin(), now->addresses.end(),
                                              link.address) != now->addresses.end();
    if (now && now->ifindex == link.ifindex && had_address) continue;
    bridge::LinkInfo info;
    try {
      info = bridge::ensure_bridge(bridge::BridgeSpec{.name = bc->name,
                                                      .address = bc->address,
                                                      .mtu = bc->mtu,
                                                      .create = bc->create,
                                                      .mac = bc->mac});
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot restore the bridge: {}", link.name, e.what());
      retry = true;
      continue;
    }
    if (!now) spdlog::warn("{}: the bridge was deleted; created it again", link.name);
    if (!had_address && now) {
      spdlog::warn("{}: address {} was removed; added it again", link.name,
                   link.address.to_string());
    }
    try {
      if (info.ifindex != link.ifindex) {
        auto socket = std::make_unique<PacketSocket>(io_, info.ifindex, link.name);
        if (link.socket) {
          link.socket->stop();
          asio::post(io_, [old = std::shared_ptr<PacketSocket>(std::move(link.socket))] {});
        }
        link.socket = std::move(socket);
        link.ifindex = info.ifindex;
        link.mac = info.mac;
        link.socket->start([this, index = link.index](ByteView frame, bool csum_not_ready) {
          on_frame(index, frame, csum_not_ready);
        });
      }
      if (dns_) {
        dns_->add_bridge(
            link.index, dns::DnsBridge{link.name, link.address, dhcp_.settings(link.index).domain});
      }
      spdlog::info("{}: DHCP and DNS re-bound (ifindex {})", link.name, link.ifindex);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot re-bind: {}", link.name, e.what());
      retry = true;
      continue;
    }
    if (!bc->uplink.empty()) {
      try {
        bridge::enslave_uplink(bc->name, bc->uplink, bc->uplink_force);
      } catch (const std::exception& e) {
        spdlog::error("{}: uplink {} not enslaved: {}", link.name, bc->uplink, e.what());
      }
    }
  }
  if (retry && !reconcile_pending_) {
    reconcile_pending_ = true;
    reconcile_timer_.expires_after(std::chrono::seconds(1));
    reconcile_timer_.async_wait([this](const boost::system::error_code& ec) {
      reconcile_pending_ = false;
      if (!ec) reconcile_links();
    });
  }
}

// ---- attach, detach, firewall (control API) ----------------------------------

namespace {

// An open fd of the network namespace a request names, or the sentence why
// there is none.
std::variant<int, std::string> open_netns(const std::optional<std::string>& netns,
                                          const std::optional<int32_t>& pid) {
  const std::string path =
      netns ? "/run/netns/" + *netns : "/proc/" + std::to_string(pid.value_or(0)) + "/ns/net";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return netns ? "no network namespace named " + *netns + " (" + path + ")"
                 : "no process " + std::to_string(pid.value_or(0)) + " (" + path + ")";
  }
  return fd;
}

}  // namespace

void Daemon::on_request(const api::Attach& a, const Peer& peer, const Done& done) {
  if (!link_index(a.bridge)) return done(error_response(404, "no bridge named " + a.bridge));
  auto opened = open_netns(a.netns, a.pid);
  if (auto* why = std::get_if<std::string>(&opened)) return done(error_response(404, *why));
  const int fd = std::get<int>(opened);
  bridge::Attached got;
  try {
    got = bridge::attach_veth(bridge::AttachSpec{
        .bridge = a.bridge, .netns_fd = fd, .ifname = a.ifname, .mac = a.mac, .host_ifname = {}});
  } catch (const std::exception& e) {
    ::close(fd);
    return done(error_response(409, e.what()));
  }
  ::close(fd);
  spdlog::info("control: uid {} attached {} ({}) to {} as {} in {}", peer.uid, got.host_ifname,
               got.mac.to_string(), a.bridge, got.ifname,
               a.netns ? "netns " + *a.netns : "pid " + std::to_string(*a.pid));
  done(json_response(201, api::AttachResult{.bridge = a.bridge,
                                            .host_ifname = got.host_ifname,
                                            .ifname = got.ifname,
                                            .mac = got.mac}));
}

void Daemon::on_request(const api::Detach& d, const Peer& peer, const Done& done) {
  if (!link_index(d.bridge)) return done(error_response(404, "no bridge named " + d.bridge));
  auto opened = open_netns(d.netns, d.pid);
  if (auto* why = std::get_if<std::string>(&opened)) return done(error_response(404, *why));
  const int fd = std::get<int>(opened);
  try {
    bridge::detach_veth(d.bridge, fd, d.ifname);
  } catch (const std::exception& e) {
    ::close(fd);
    return done(error_response(409, e.what()));
  }
  ::close(fd);
  spdlog::info("control: uid {} detached {} in {} from {}", peer.uid, d.ifname,
               d.netns ? "netns " + *d.netns : "pid " + std::to_string(*d.pid), d.bridge);
  done(json_response(200, api::DetachResult{.bridge = d.bridge, .ifname = d.ifname}));
}

void Daemon::on_request(const api::GetFirewall&, const Peer&, const Done& done) {
  api::FirewallInfo info;
  info.enabled = nft_ != nullptr;
  if (nft_) {
    try {
      info.wanted = bridge::render_table(firewall_state());
      info.kernel = nft_->kernel_table();
      info.in_sync = nft_->in_sync() && applied_state_ && *applied_state_ == firewall_state();
    } catch (const std::exception& e) {
      return done(error_response(500, std::string("cannot read the firewall: ") + e.what()));
    }
  }
  done(json_response(200, info));
}

}  // namespace berth::server
