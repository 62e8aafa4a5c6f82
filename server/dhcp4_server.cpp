#include "server/dhcp4_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/dhcp4/message.hpp"
#include "protocol/frame.hpp"

namespace berth::server {

Dhcp4Server::Dhcp4Server(Dhcp4Network& network, LeaseCommitter& commits, Clock clock,
                         CommitObserver on_commit)
    : network_(network),
      commits_(commits),
      clock_(std::move(clock)),
      on_commit_(std::move(on_commit)),
      encode_buffer_(1500),
      frame_buffer_(1600) {}

Dhcp4Server::~Dhcp4Server() { stop(); }

std::unique_ptr<FrameLink> Dhcp4Server::open_link(int ifindex, const std::string& name) {
  return network_.open_link(ifindex, name);
}

size_t Dhcp4Server::add_bridge(dhcp::BridgeSettings settings,
                               const std::vector<leases::Lease>& stored, int ifindex,
                               MacAddress mac, std::unique_ptr<FrameLink> link) {
  const Ipv4Address address = settings.address.address;
  std::string name = settings.name;
  const size_t index = engine_.add_bridge(std::move(settings), stored);
  links_.push_back(Link{.index = index,
                        .ifindex = ifindex,
                        .mac = mac,
                        .address = address,
                        .name = std::move(name),
                        .socket = std::move(link)});
  if (started_) start_link(links_.back());
  return index;
}

void Dhcp4Server::remove_bridge(size_t bridge) {
  auto it =
      std::find_if(links_.begin(), links_.end(), [&](const Link& l) { return l.index == bridge; });
  if (it == links_.end()) return;
  retire_socket(std::move(it->socket));
  links_.erase(it);
  engine_.remove_bridge(bridge);
}

void Dhcp4Server::rebind(size_t bridge, int ifindex, MacAddress mac) {
  Link* link = link_at(bridge);
  if (link == nullptr) return;
  std::unique_ptr<FrameLink> socket = network_.open_link(ifindex, link->name);
  retire_socket(std::move(link->socket));
  link->socket = std::move(socket);
  link->ifindex = ifindex;
  link->mac = mac;
  if (started_) start_link(*link);
}

bool Dhcp4Server::open_relay_socket() {
  try {
    relay_ = network_.open_relay_socket();
  } catch (const std::exception& e) {
    spdlog::warn("cannot bind UDP port 67 ({}): relayed requests will not be served", e.what());
    return false;
  }
  if (started_) {
    relay_->start([this](Ipv4Address from, uint16_t port, ByteView payload) {
      on_datagram(from, port, payload);
    });
  }
  return true;
}

void Dhcp4Server::start() {
  if (started_) return;
  started_ = true;
  for (Link& link : links_) start_link(link);
  if (relay_) {
    relay_->start([this](Ipv4Address from, uint16_t port, ByteView payload) {
      on_datagram(from, port, payload);
    });
  }
}

void Dhcp4Server::stop() {
  if (!started_) return;
  started_ = false;
  for (Link& link : links_) {
    if (link.socket) link.socket->stop();
  }
  if (relay_) relay_->stop();
}

void Dhcp4Server::start_link(Link& link) {
  link.socket->start([this, index = link.index](ByteView frame, bool csum_not_ready) {
    on_frame(index, frame, csum_not_ready);
  });
}

void Dhcp4Server::retire_socket(std::unique_ptr<FrameLink> socket) {
  if (!socket) return;
  socket->stop();
  retired_.push_back(std::move(socket));
}

Dhcp4Server::Link* Dhcp4Server::link_at(size_t bridge) {
  for (Link& l : links_) {
    if (l.index == bridge) return &l;
  }
  return nullptr;
}

std::vector<leases::Lease> Dhcp4Server::tick() {
  // Handlers the closed sockets had queued have run by now (a tick is a
  // second apart): free them.
  retired_.clear();
  return engine_.tick(clock_());
}

void Dhcp4Server::on_frame(size_t bridge, ByteView bytes, bool checksum_not_ready) {
  ++socket_counts_.frames;
  const Link* link = link_at(bridge);
  if (link == nullptr) return;  // removed by a reload meanwhile
  auto frame = parse_udp_frame(bytes, checksum_not_ready);
  if (!frame) {
    engine_.counters().drop(fmt::format("frame_{}", to_string(frame.error().code)));
    spdlog::debug("{}: dropped frame: {}", link->name, frame.error().what);
    return;
  }
  // The socket hears every frame to port 67 on the bridge; ours are those
  // broadcast or sent to the bridge's address.
  if (frame->dst_ip != Ipv4Address::broadcast() && frame->dst_ip != link->address) return;
  auto msg = dhcp4::parse_message(frame->payload);
  if (!msg) {
    engine_.counters().drop(fmt::format("dhcp_{}", to_string(msg.error().code)));
    spdlog::debug("{}: dropped DHCP message from {}: {}", link->name, frame->src_mac.to_string(),
                  msg.error().what);
    return;
  }
  // Relayed requests are the UDP socket's (the kernel filter keeps them out
  // of the packet socket; this keeps them out of any other FrameLink).
  if (!msg->giaddr.is_unspecified()) return;
  process(bridge, *msg);
}

void Dhcp4Server::on_datagram(Ipv4Address from, uint16_t port, ByteView payload) {
  ++socket_counts_.datagrams;
  auto msg = dhcp4::parse_message(payload);
  if (!msg) {
    // Local clients (port 68) land here too and are counted by the packet
    // socket; relay agents send from port 67 and are only seen here.
    if (port == dhcp4::kServerPort) {
      engine_.counters().drop(fmt::format("dhcp_{}", to_string(msg.error().code)));
      spdlog::debug("relayed message from {}: {}", from.to_string(), msg.error().what);
    }
    return;
  }
  if (msg->giaddr.is_unspecified()) return;  // a local client: the packet socket has it
  auto bridge = engine_.bridge_for_relay(msg->giaddr);
  if (!bridge) {
    engine_.counters().drop("relay_unknown_subnet");
    spdlog::debug("relayed request via {}: no bridge serves that subnet", msg->giaddr.to_string());
    return;
  }
  process(*bridge, *msg);
}

void Dhcp4Server::process(size_t bridge, const dhcp4::Message& msg) {
  dhcp::Decision d = engine_.handle(bridge, msg, clock_());
  if (!d.reply && d.commit.empty()) {
    if (!d.drop_reason.empty()) {
      spdlog::debug("{} from {} dropped: {}", msg.type() ? to_string(*msg.type()) : "BOOTP",
                    msg.mac().to_string(), d.drop_reason);
    }
    return;
  }
  if (on_decision_ && !d.commit.empty()) {
    d.script_request =
        std::make_shared<const leases::ScriptRequest>(leases::script_request_of(msg));
  }
  execute(bridge, std::move(d), nullptr);
}

void Dhcp4Server::commit(size_t bridge, dhcp::Decision decision,
                         std::function<void(bool ok)> then) {
  execute(bridge, std::move(decision), std::move(then));
}

void Dhcp4Server::execute(size_t bridge, dhcp::Decision decision,
                          std::function<void(bool ok)> then) {
  if (decision.commit.empty()) {
    if (decision.reply) send(bridge, *decision.reply);
    if (then) then(true);
    return;
  }
  // RFC 2131 §4.3.2 with durability: the lease is stored before the ACK
  // that grants it leaves the host.
  auto shared = std::make_shared<dhcp::Decision>(std::move(decision));
  std::vector<leases::LeaseChange> changes = shared->commit;
  commits_.submit(std::move(changes), [this, bridge, shared, then = std::move(then)](bool ok) {
    if (!ok) {
      engine_.commit_failed(bridge, *shared);
      if (shared->reply) {
        spdlog::error("{}: not sent, the lease could not be stored", shared->reply->log_line);
      }
    } else {
      if (shared->reply) send(bridge, *shared->reply);
      if (on_commit_) on_commit_(bridge, shared->commit);
      if (on_decision_) on_decision_(bridge, *shared);
    }
    if (then) then(ok);
  });
}

void Dhcp4Server::send(size_t bridge, const dhcp::Reply& reply) {
  auto encoded = dhcp4::encode_message(reply.message, encode_buffer_, reply.max_size);
  if (!encoded) {
    engine_.counters().drop("reply_encode");
    spdlog::error("{}: cannot encode reply: {}", reply.log_line, encoded.error().what);
    return;
  }
  ByteView payload(encode_buffer_.data(), *encoded);
  spdlog::info("{}", reply.log_line);

  if (reply.delivery == dhcp::Delivery::relay) {
    if (relay_) relay_->send_to(reply.dst_ip, reply.dst_port, payload);
    return;
  }
  Link* link = link_at(bridge);
  if (link == nullptr || !link->socket) return;  // removed while the lease was committed
  UdpFrameSpec spec{.src_mac = link->mac,
                    .dst_mac = reply.dst_mac,
                    .src_ip = link->address,
                    .dst_ip = reply.dst_ip,
                    .src_port = dhcp4::kServerPort,
                    .dst_port = reply.dst_port};
  auto frame = build_udp_frame(spec, payload, frame_buffer_);
  if (!frame) {
    spdlog::error("{}: cannot build frame: {}", reply.log_line, frame.error().what);
    return;
  }
  link->socket->send(ByteView(frame_buffer_.data(), *frame));
}

}  // namespace berth::server
