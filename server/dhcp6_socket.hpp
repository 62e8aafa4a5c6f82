// The DHCPv6 server's UDP socket of one bridge (see Dhcp6Link), on the
// daemon's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <string>
#include <vector>

#include "server/dhcp6_io.hpp"

namespace berth::server {

class Dhcp6Socket : public Dhcp6Link {
 public:
  // Binds [::]:547 on the bridge alone (SO_BINDTODEVICE, so other programs
  // may serve other links on the same port) and joins ff02::1:2 there.
  // Throws std::runtime_error naming the bridge.
  Dhcp6Socket(boost::asio::io_context& io, int ifindex, const std::string& ifname);

  void start(Handler handler) override;
  void stop() override;
  bool send_to(const Ipv6Address& to, uint16_t port, ByteView payload) override;

 private:
  void arm();

  boost::asio::ip::udp::socket socket_;
  int ifindex_;
  std::string ifname_;
  std::vector<uint8_t> buffer_;
  Handler handler_;
  bool stopped_ = false;
};

// The kernel's sockets, served by `io`.
class SystemDhcp6Network : public Dhcp6Network {
 public:
  explicit SystemDhcp6Network(boost::asio::io_context& io) : io_(io) {}
  std::unique_ptr<Dhcp6Link> open_link(int ifindex, const std::string& ifname) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace berth::server
