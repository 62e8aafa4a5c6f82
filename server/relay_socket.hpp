// The DHCPv4 server's UDP socket on port 67 (see RelaySocket), on the
// daemon's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <netinet/in.h>

#include "server/dhcp4_io.hpp"
#include "server/received_batch.hpp"
#include "server/send_batch.hpp"

namespace berth::server {

class UdpRelaySocket : public RelaySocket {
 public:
  // Binds 0.0.0.0:67, with a socket filter that keeps out what is not
  // relayed (giaddr 0): a local client's broadcast reaches this socket as
  // well as the bridge's packet socket, which is the one that serves it.
  // Throws boost::system::system_error.
  explicit UdpRelaySocket(boost::asio::io_context& io);

  void start(Handler handler) override;
  void stop() override;
  // Queued, and sent with the other replies of the same burst: at the end
  // of the read that caused it, else once the current handler is done.
  bool send_to(Ipv4Address to, uint16_t port, ByteView payload) override;

 private:
  void arm();

  boost::asio::ip::udp::socket socket_;
  // 16 datagrams of up to 64 KiB per read.
  ReceivedBatch<sockaddr_in, 0, 16> batch_;
  // Up to 32 replies per sendmmsg; a reply is at most 1,472 bytes.
  Outbox<sockaddr_in, 32> out_;
  Handler handler_;
  bool stopped_ = false;
};

}  // namespace berth::server
