// The daemon's side of the bridge companion's control API (issue 6): port
// forwards (the config file's, and those added through the API, stored in
// the database), veth attach and detach, and the firewall's state. As in
// daemon_control.cpp, a request that fails changes nothing: checks first,
// then the database, then the firewall.
#include <spdlog/spdlog.h>

#include <string>

#include "api/response.hpp"
#include "server/daemon.hpp"

namespace berth::server {

namespace {

api::ForwardProto api_proto(config::ForwardConfig::Proto p) {
  return p == config::ForwardConfig::Proto::tcp ? api::ForwardProto::tcp : api::ForwardProto::udp;
}

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

api::ForwardInfo forward_info(const leases::StoredForward& f) {
  return api::ForwardInfo{.id = f.id,
                          .bridge = f.bridge,
                          .proto = *api::forward_proto_from_string(f.proto),
                          .host_address = f.host_address,
                          .host_port = f.host_port,
                          .to = f.to,
                          .to_port = f.to_port,
                          .target = std::nullopt,
                          .source = api::ForwardSource::api};
}

api::ForwardInfo forward_info(const std::string& bridge, const config::ForwardConfig& f) {
  return api::ForwardInfo{.id = 0,
                          .bridge = bridge,
                          .proto = api_proto(f.proto),
                          .host_address = f.host_address,
                          .host_port = f.host_port,
                          .to = f.to,
                          .to_port = f.to_port,
                          .target = std::nullopt,
                          .source = api::ForwardSource::config};
}

}  // namespace

void Daemon::on_request(const api::ListForwards& r, const Peer&, const Done& done) {
  if (r.bridge && !link_index(*r.bridge)) {
    return done(error_response(404, "no bridge named " + *r.bridge));
  }
  api::ForwardList list;
  for (const config::BridgeConfig& b : config_.bridges) {
    if (r.bridge && b.name != *r.bridge) continue;
    for (const config::ForwardConfig& f : b.forwards)
      list.forwards.push_back(forward_info(b.name, f));
  }
  for (const leases::StoredForward& f : reader_->list_forwards()) {
    if (r.bridge && f.bridge != *r.bridge) continue;
    list.forwards.push_back(forward_info(f));
  }
  // Where each goes now, as the firewall sees it.
  for (api::ForwardInfo& f : list.forwards) {
    if (auto index = link_index(f.bridge)) f.target = forward_target(f.to, *index);
  }
  done(json_response(200, list));
}

void Daemon::on_request(const api::AddForward& a, const Peer& peer, const Done& done) {
  const api::ForwardCreate& c = a.forward;
  const BridgeLink* link = nullptr;
  for (const BridgeLink& l : links_) {
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

  const api::ForwardInfo wanted{.id = 0,
                                .bridge = c.bridge,
                                .proto = c.proto,
                                .host_address = c.host_address,
                                .host_port = c.host_port,
                                .to = c.to,
                                .to_port = c.to_port,
                                .target = std::nullopt,
                                .source = api::ForwardSource::api};
  // The config file's forwards hold their ports too; the store checks its own.
  for (const config::BridgeConfig& b : config_.bridges) {
    for (const config::ForwardConfig& f : b.forwards) {
      const api::ForwardInfo other = forward_info(b.name, f);
      if (same_host_port(other, wanted)) {
        return done(error_response(
            409, host_side(c.proto, c.host_address, c.host_port) +
                     " is already forwarded by the config file (" +
                     host_side(other.proto, other.host_address, other.host_port) + " -> " +
                     other.to + ":" + std::to_string(other.to_port) + " on " + b.name + ")"));
      }
    }
  }

  leases::StoredForward stored{.id = 0,
                               .bridge = c.bridge,
                               .proto = std::string(api::to_string(c.proto)),
                               .host_address = c.host_address,
                               .host_port = c.host_port,
                               .to = c.to,
                               .to_port = c.to_port,
                               .created_at = unix_now()};
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

  api::ForwardInfo info = forward_info(stored);
  info.target = forward_target(info.to, link->index);
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
  const api::ForwardInfo info = forward_info(*found);
  spdlog::info("forward {} removed by uid {}: {} -> {}:{} on {}", d.id, peer.uid,
               host_side(info.proto, info.host_address, info.host_port), info.to, info.to_port,
               info.bridge);
  refresh_firewall();
  done(json_response(200, info));
}

}  // namespace berth::server
