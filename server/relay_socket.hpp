// The DHCPv4 server's UDP socket on port 67 (see RelaySocket), on the
// daemon's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <vector>

#include "server/dhcp4_io.hpp"

namespace berth::server {

class UdpRelaySocket : public RelaySocket {
 public:
  // Binds 0.0.0.0:67. Throws boost::system::system_error.
  explicit UdpRelaySocket(boost::asio::io_context& io);

  void start(Handler handler) override;
  void stop() override;
  bool send_to(Ipv4Address to, uint16_t port, ByteView payload) override;

 private:
  void arm();

  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint from_;
  std::vector<uint8_t> buffer_;
  Handler handler_;
  bool stopped_ = false;
};

}  // namespace berth::server
