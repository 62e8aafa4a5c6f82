#include "server/dhcp6_server.hpp"

#include <spdlog/spdlog.h>

#include <variant>

#include "protocol/dhcp6/message.hpp"

namespace berth::server {

Dhcp6Server::Dhcp6Server(Dhcp6Network& network, LeaseCommitter& commits, Clock clock,
                         CommitObserver on_commit, Bytes server_duid)
    : network_(network),
      commits_(commits),
      clock_(std::move(clock)),
      on_commit_(std::move(on_commit)),
      engine_(std::move(server_duid)),
      encode_buffer_(65536) {}

Dhcp6Server::~Dhcp6Server() { stop(); }

std::unique_ptr<Dhcp6Link> Dhcp6Server::open_link(int ifindex, const std::string& name) {
  return network_.open_link(ifindex, name);
}

void Dhcp6Server::add_bridge(size_t key, dhcp::Dhcp6Settings settings,
                             const std::vector<leases::Lease>& stored,
                             std::unique_ptr<Dhcp6Link> link) {
  remove_bridge(key);
  Link l;
  l.name = settings.name;
  l.index = engine_.add_bridge(std::move(settings), stored);
  l.socket = std::move(link);
  auto [it, inserted] = links_.emplace(key, std::move(l));
  if (started_) start_link(key, it->second);
}

void Dhcp6Server::remove_bridge(size_t key) {
  auto it = links_.find(key);
  if (it == links_.end()) return;
  retire_socket(std::move(it->second.socket));
  engine_.remove_bridge(it->second.index);
  links_.erase(it);
}

void Dhcp6Server::rebind(size_t key, std::unique_ptr<Dhcp6Link> link) {
  auto it = links_.find(key);
  if (it == links_.end()) return;
  retire_socket(std::move(it->second.socket));
  it->second.socket = std::move(link);
  if (started_) start_link(key, it->second);
}

std::optional<size_t> Dhcp6Server::engine_index(size_t key) const {
  auto it = links_.find(key);
  if (it == links_.end()) return std::nullopt;
  return it->second.index;
}

void Dhcp6Server::start() {
  started_ = true;
  for (auto& [key, link] : links_) start_link(key, link);
}

void Dhcp6Server::start_link(size_t key, Link& link) {
  if (!link.socket) return;
  link.socket->start([this, key](const Ipv6Address& from, const Ipv6Address& to, uint16_t port,
                                 ByteView payload) { on_datagram(key, from, to, port, payload); });
}

void Dhcp6Server::stop() {
  started_ = false;
  for (auto& [key, link] : links_) {
    if (link.socket) link.socket->stop();
  }
}

void Dhcp6Server::retire_socket(std::unique_ptr<Dhcp6Link> socket) {
  if (!socket) return;
  socket->stop();
  retired_.push_back(std::move(socket));
}

std::vector<leases::Lease> Dhcp6Server::tick() {
  retired_.clear();
  return engine_.tick(clock_());
}

void Dhcp6Server::on_datagram(size_t key, const Ipv6Address& from, const Ipv6Address& to,
                              uint16_t port, ByteView payload) {
  auto it = links_.find(key);
  if (it == links_.end()) return;  // removed by a reload meanwhile
  const size_t bridge = it->second.index;
  auto packet = dhcp6::parse_packet(payload);
  if (!packet) {
    ++dropped_[fmt::format("parse_{}", to_string(packet.error().code))];
    spdlog::debug("{}: dropped DHCPv6 message from {}: {}", it->second.name, from.to_string(),
                  packet.error().what);
    return;
  }
  if (std::holds_alternative<dhcp6::RelayMessage>(*packet)) {
    // Relays on a container bridge would be another router's business.
    ++dropped_["relayed"];
    spdlog::debug("{}: dropped a relayed DHCPv6 message from {} (relays are not served)",
                  it->second.name, from.to_string());
    return;
  }
  (void)port;
  const auto& msg = std::get<dhcp6::Message>(*packet);
  if (!to.is_multicast() && dhcp6::sent_only_to_multicast(msg.type)) {
    // RFC 8415 §18.4: the server MUST discard these when unicast (it sends
    // no Server Unicast option, so no client has a reason to).
    ++dropped_["unicast"];
    spdlog::debug("{}: dropped a {} from {} sent to {} (only multicast is answered)",
                  it->second.name, dhcp6::to_string(msg.type), from.to_string(), to.to_string());
    return;
  }
  auto decision =
      std::make_shared<dhcp::Dhcp6Decision>(engine_.handle(bridge, msg, from, clock_()));
  if (decision->commit.empty()) {
    if (decision->reply) send(key, *decision->reply);
    return;
  }
  // As for DHCPv4: the binding is stored before the REPLY that grants it.
  std::vector<leases::LeaseChange> changes = decision->commit;
  commits_.submit(std::move(changes), [this, key, bridge, decision](bool ok) {
    if (!ok) {
      engine_.commit_failed(bridge, *decision);
      if (decision->reply) {
        spdlog::error("{}: not sent, the lease could not be stored", decision->reply->log_line);
      }
      return;
    }
    if (decision->reply) send(key, *decision->reply);
    if (on_commit_) on_commit_(key, decision->commit);
    if (on_decision_) on_decision_(*decision);
  });
}

void Dhcp6Server::send(size_t key, const dhcp::Dhcp6Reply& reply) {
  auto it = links_.find(key);
  if (it == links_.end() || !it->second.socket) return;  // removed while committing
  auto encoded = dhcp6::encode_message(reply.message, encode_buffer_);
  if (!encoded) {
    ++dropped_["reply_encode"];
    spdlog::error("{}: cannot encode reply: {}", reply.log_line, encoded.error().what);
    return;
  }
  if (!reply.log_line.empty()) spdlog::info("{}", reply.log_line);
  it->second.socket->send_to(reply.destination, reply.port,
                             ByteView(encode_buffer_.data(), *encoded));
}

}  // namespace berth::server
