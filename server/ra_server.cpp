#include "server/ra_server.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace berth::server {
namespace {

uint64_t random_seed() {
  std::random_device device;
  return static_cast<uint64_t>(device()) << 32 | device();
}

}  // namespace

RaServer::RaServer(boost::asio::io_context& io, std::string bridge, int ifindex,
                   dhcp::RaSettings settings)
    : own_network_(std::make_unique<SystemRaNetwork>(io)),
      network_(*own_network_),
      bridge_(std::move(bridge)),
      ifindex_(ifindex),
      service_(std::move(settings), random_seed()),
      buffer_(1500) {}

RaServer::RaServer(RaNetwork& network, std::string bridge, int ifindex, dhcp::RaSettings settings,
                   uint64_t seed)
    : network_(network),
      bridge_(std::move(bridge)),
      ifindex_(ifindex),
      service_(std::move(settings), seed),
      buffer_(1500) {}

RaServer::~RaServer() { stop(); }

void RaServer::start() {
  if (socket_) return;
  std::unique_ptr<RaTimer> timer = network_.timer();
  std::unique_ptr<RaSocket> socket = network_.open(ifindex_, bridge_);
  timer_ = std::move(timer);
  socket_ = std::move(socket);
  socket_->start([this](ByteView message, const Ipv6Address& source, uint8_t hop_limit) {
    on_message(message, source, hop_limit);
  });
  service_.start(timer_->now());
  spdlog::info("{}: advertising {} ({})", bridge_,
               Ipv6Prefix{service_.settings().prefix.network(), service_.settings().prefix.length}
                   .to_string(),
               to_string(service_.settings().mode));
  on_timer();
}

void RaServer::update(dhcp::RaSettings settings) {
  if (!socket_) {
    // Not running: the next start() advertises these.
    service_.update(std::move(settings), dhcp::RaTime(0));
    return;
  }
  service_.update(std::move(settings), timer_->now());
  arm();
}

void RaServer::stop() {
  if (!socket_) return;
  timer_->cancel();
  send(service_.stop());
  socket_->stop();
  socket_.reset();
  timer_.reset();
}

void RaServer::on_message(ByteView message, const Ipv6Address& source, uint8_t hop_limit) {
  if (!socket_) return;
  const dhcp::SolicitationOutcome o =
      service_.on_solicitation(message, hop_limit, source, timer_->now());
  if (o.invalid) {
    spdlog::debug("{}: RS from {} dropped: {}", bridge_, source.to_string(), o.what);
    return;
  }
  if (o.answer_at) {
    spdlog::debug("{}: RS from {}, RA in {} ms", bridge_, source.to_string(),
                  (*o.answer_at - timer_->now()).count());
  }
  arm();
}

void RaServer::on_timer() {
  if (!socket_) return;
  if (auto a = service_.poll(timer_->now())) send(*a);
  arm();
}

void RaServer::arm() {
  if (!socket_) return;
  if (auto at = service_.next_wakeup()) {
    timer_->wait_until(*at, [this] { on_timer(); });
  } else {
    timer_->cancel();
  }
}

void RaServer::send(const dhcp::Advertisement& a) {
  dhcp::RaCounters& counters = service_.counters();
  auto n = ndp::encode_router_advertisement(a.message, buffer_);
  if (!n) {
    ++counters.send_failed;
    spdlog::error("{}: cannot encode RA: {}", bridge_, n.error().what);
    return;
  }
  if (!socket_->send_all_nodes(ByteView(buffer_.data(), *n))) {
    ++counters.send_failed;
    return;
  }
  ++counters.sent[static_cast<size_t>(a.kind)];
  spdlog::debug("{}: {} RA sent", bridge_, to_string(a.kind));
}

}  // namespace berth::server
