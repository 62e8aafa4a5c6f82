// The daemon's port forwards and firewall state: the table inet berth is
// rendered from the config, the stored forwards and the names of the leases
// (a forward to a name follows its lease). And the bridge companion's side
// of the control API: forwards, veth attach and detach, the firewall. As in
// daemon_control.cpp, a request that fails changes nothing: checks first,
// then the database, then the firewall.
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "dhcp/reservations.hpp"

#include "api/convert.hpp"
#include "api/response.hpp"
#include "server/daemon.hpp"

namespace berth::server {

namespace {

// "tcp *:8080", "udp 192.0.2.1:53": the host side of a forward.
std::string host_side(api::ForwardProto proto, const std::optional<Ipv4Address>& address,
                      uint16_t port) {
  return std::string(api::to_string(proto)) + " " +
         (address ? address->to_string() : std::string("*")) + ":" + std::to_string(port);
}

// Whether two forwards take the same port of the host: the same protocol
// and port, and the same address or either on every address.
bool same_host_port(const api::ForwardInfo& a, const api::ForwardInfo& b) {
  return a.proto == b.proto && a.host_port == b.host_port &&
         (!a.host_address || !b.host_address || *a.host_address == *b.host_address);
}

bridge::Proto proto_of(config::ForwardConfig::Proto p) {
  return p == config::ForwardConfig::Proto::tcp ? bridge::Proto::tcp : bridge::Proto::udp;
}

}  // namespace

// ---- firewall state ------------------------------------------------------------

std::optional<Ipv4Address> Daemon::forward_target(const std::string& to, size_t bridge) const {
  if (auto ip = Ipv4Address::parse(to)) return ip;
  return names_->address_of(to, bridge);
}

std::optional<Ipv6Address> Daemon::forward_target6(const std::string& to, size_t bridge) const {
  if (Ipv4Address::parse(to)) return std::nullopt;
  return names_->address6_of(to, bridge);
}

bridge::FirewallState Daemon::firewall_state() const {
  bridge::FirewallState s;
  for (const BridgeLink& link : bridges_) {
    const config::BridgeConfig* bc = bridge_config(link.name);
    if (bc == nullptr) continue;
    s.bridges.push_back(bridge::FirewallBridge{
        .name = link.name,
        .address = link.address,
        .nat = bc->nat,
        .nat_address = bc->nat_address,
        .dns_port = static_cast<uint16_t>(config_.dns.enabled ? config_.dns.port : 0),
        .ipv6 = bc->ipv6,
        .ipv6_nat = bc->ipv6_nat,
        .tftp = bc->boot.tftp});
    for (const std::string& other : bc->allow_bridges) {
      s.allowed_pairs.emplace_back(link.name, other);
    }
    auto add = [&](bridge::Proto proto, std::optional<Ipv4Address> host_address, uint16_t host_port,
                   const std::string& to, uint16_t to_port) {
      auto target = forward_target(to, link.index);
      // Over IPv6 only on every host address (host_address is IPv4).
      auto target6 = host_address ? std::nullopt : forward_target6(to, link.index);
      if (!target && !target6) return;  // a name without a lease yet: no rule until it has one
      bridge::PortForward f{.bridge = link.name,
                            .proto = proto,
                            .host_address = host_address,
                            .host_port = host_port,
                            .target = target,
                            .target_port = to_port,
                            .target6 = target6};
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

void Daemon::refresh_firewall() {
  firewall_.set_foreign(config_.firewall.foreign);
  try {
    db_forwards_ = reader_->list_forwards();
  } catch (const std::exception& e) {
    spdlog::error("cannot read port forwards: {}", e.what());
  }
  firewall_.apply();
}

void Daemon::start_firewall() {
  if (!config_.firewall.enabled) return;
  try {
    db_forwards_ = reader_->list_forwards();
  } catch (const std::exception& e) {
    spdlog::error("cannot read port forwards: {}", e.what());
  }
  firewall_.set_foreign(config_.firewall.foreign);
  try {
    firewall_.enable(std::make_unique<bridge::Nftables>());
  } catch (const std::exception& e) {
    spdlog::error("firewall: {}; NAT and port forwards are off", e.what());
  }
}

// ---- forwards (control API) ------------------------------------------------------

void Daemon::on_request(const api::ListForwards& r, const Peer&, const Done& done) {
  if (r.bridge && !link_index(*r.bridge)) {
    return done(error_response(404, "no bridge named " + *r.bridge));
  }
  api::ForwardList list;
  for (const config::BridgeConfig& b : config_.bridges) {
    if (r.bridge && b.name != *r.bridge) continue;
    for (const config::ForwardConfig& f : b.forwards)
      list.forwards.push_back(api::forward_info(b.name, f));
  }
  for (const leases::StoredForward& f : reader_->list_forwards()) {
    if (r.bridge && f.bridge != *r.bridge) continue;
    list.forwards.push_back(api::forward_info(f));
  }
  // Where each goes now, as the firewall sees it.
  for (api::ForwardInfo& f : list.forwards) {
    if (auto index = link_index(f.bridge)) {
      f.target = forward_target(f.to, *index);
      if (!f.host_address) f.target6 = forward_target6(f.to, *index);
    }
  }
  done(json_response(200, list));
}

void Daemon::on_request(const api::AddForward& a, const Peer& peer, const Done& done) {
  const api::ForwardCreate& c = a.forward;
  const BridgeLink* link = nullptr;
  for (const BridgeLink& l : bridges_) {
    if (l.name == c.bridge) link = &l;
  }
  if (link == nullptr) return done(error_response(404, "no bridge named " + c.bridge));

  const Ipv4Prefix subnet = link->address;
  if (auto ip = Ipv4Address::parse(c.to)) {
    if (!subnet.contains(*ip)) {
      return done(error_response(400, c.to + " is outside " + c.bridge + "'s subnet " +
                                          subnet.network().to_string() + "/" +
                                          std::to_string(subnet.length) +
                                          "; a forward goes to a container on the bridge"));
    }
    if (*ip == subnet.address) {
      return done(error_response(
          400,
          c.to + " is " + c.bridge + "'s own address (the host); a forward goes to a container"));
    }
    if (*ip == subnet.network() || *ip == subnet.broadcast()) {
      return done(error_response(
          400, c.to + " is the " + std::string(*ip == subnet.network() ? "network" : "broadcast") +
                   " address of " + c.bridge + "'s subnet, which no container has"));
    }
  }

  const api::ForwardInfo wanted = api::forward_info(api::stored_forward(c, 0));
  // The config file's forwards hold their ports too; the store checks its own.
  for (const config::BridgeConfig& b : config_.bridges) {
    for (const config::ForwardConfig& f : b.forwards) {
      const api::ForwardInfo other = api::forward_info(b.name, f);
      if (same_host_port(other, wanted)) {
        return done(error_response(
            409, host_side(c.proto, c.host_address, c.host_port) +
                     " is already forwarded by the config file (" +
                     host_side(other.proto, other.host_address, other.host_port) + " -> " +
                     other.to + ":" + std::to_string(other.to_port) + " on " + b.name + ")"));
      }
    }
  }

  leases::StoredForward stored = api::stored_forward(c, unix_now());
  try {
    stored.id = reader_->add_forward(stored);
  } catch (const leases::StoreConflict& e) {
    return done(
        error_response(409, host_side(c.proto, c.host_address, c.host_port) + " " + e.what()));
  } catch (const leases::StoreError& e) {
    spdlog::error("control: forward not stored: {}", e.what());
    return done(error_response(500, std::string("the forward could not be stored: ") + e.what()));
  }
  spdlog::info("forward {} added by uid {}: {} -> {}:{} on {}", stored.id, peer.uid,
               host_side(c.proto, c.host_address, c.host_port), c.to, c.to_port, c.bridge);
  refresh_firewall();

  api::ForwardInfo info = api::forward_info(stored);
  info.target = forward_target(info.to, link->index);
  if (!info.host_address) info.target6 = forward_target6(info.to, link->index);
  done(json_response(201, info));
}

void Daemon::on_request(const api::DeleteForward& d, const Peer& peer, const Done& done) {
  std::optional<leases::StoredForward> found;
  for (const leases::StoredForward& f : reader_->list_forwards()) {
    if (f.id == d.id) found = f;
  }
  if (!found || !reader_->delete_forward(d.id)) {
    return done(error_response(404, "no forward " + std::to_string(d.id) +
                                        " (forwards of the config file are changed in the file)"));
  }
  const api::ForwardInfo info = api::forward_info(*found);
  spdlog::info("forward {} removed by uid {}: {} -> {}:{} on {}", d.id, peer.uid,
               host_side(info.proto, info.host_address, info.host_port), info.to, info.to_port,
               info.bridge);
  refresh_firewall();
  done(json_response(200, info));
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
    got = host_->attach_veth(bridge::AttachSpec{
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
    host_->detach_veth(d.bridge, fd, d.ifname);
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
  info.enabled = firewall_.enabled();
  if (firewall_.enabled()) {
    try {
      FirewallKeeper::Info now = firewall_.info();
      info.wanted = std::move(now.wanted);
      info.kernel = std::move(now.kernel);
      info.in_sync = now.in_sync;
      // Ours, then any other detector's (FirewallKeeper::add_finding_source).
      for (const bridge::ForeignFinding& f : firewall_.findings()) {
        info.foreign.push_back(api::ForeignFinding{
            .table = f.table, .chain = f.chain, .finding = f.finding, .action = f.action});
      }
    } catch (const std::exception& e) {
      return done(error_response(500, std::string("cannot read the firewall: ") + e.what()));
    }
  }
  done(json_response(200, info));
}

}  // namespace berth::server
