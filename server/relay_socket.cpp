#include "server/relay_socket.hpp"

#include <spdlog/spdlog.h>

#include "protocol/dhcp4/message.hpp"
#include "server/packet_socket.hpp"

namespace berth::server {
namespace asio = boost::asio;

UdpRelaySocket::UdpRelaySocket(asio::io_context& io)
    : socket_(io, asio::ip::udp::v4()), buffer_(65536) {
  socket_.set_option(asio::socket_base::reuse_address(true));
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20));
  socket_.bind(asio::ip::udp::endpoint(asio::ip::address_v4::any(), dhcp4::kServerPort));
  socket_.non_blocking(true);
}

void UdpRelaySocket::start(Handler handler) {
  handler_ = std::move(handler);
  arm();
}

void UdpRelaySocket::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpRelaySocket::arm() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    // Drain what is queued, bounded so the bridges' sockets get their turn.
    for (int i = 0; !ec && i < 64 && !stopped_; ++i) {
      boost::system::error_code rec;
      const size_t n = socket_.receive_from(asio::buffer(buffer_), from_, 0, rec);
      if (rec) break;  // would_block: drained
      handler_(Ipv4Address(from_.address().to_v4().to_uint()), from_.port(),
               ByteView(buffer_.data(), n));
    }
    if (!stopped_) arm();
  });
}

bool UdpRelaySocket::send_to(Ipv4Address to, uint16_t port, ByteView payload) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(payload.data(), payload.size()),
                  asio::ip::udp::endpoint(asio::ip::address_v4(to.value()), port), 0, ec);
  if (ec) {
    spdlog::warn("reply to relay {}: {}", to.to_string(), ec.message());
    return false;
  }
  return true;
}

std::unique_ptr<FrameLink> SystemDhcp4Network::open_link(int ifindex, const std::string& ifname) {
  return std::make_unique<PacketSocket>(io_, ifindex, ifname);
}

std::unique_ptr<RelaySocket> SystemDhcp4Network::open_relay_socket() {
  return std::make_unique<UdpRelaySocket>(io_);
}

}  // namespace berth::server
