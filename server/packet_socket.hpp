// The DHCP server's link-layer socket for one bridge: AF_PACKET bound to the
// bridge's ifindex with a BPF filter for UDP destination port 67, so that
// clients without an address are heard and can be answered without ARP.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <vector>

#include "protocol/bytes.hpp"

namespace berth::server {

class PacketSocket {
 public:
  // `frame` is valid only during the call; `checksum_not_ready` reports
  // TP_STATUS_CSUMNOTREADY from PACKET_AUXDATA.
  using Handler = std::function<void(ByteView frame, bool checksum_not_ready)>;

  // Throws std::system_error naming the interface.
  PacketSocket(boost::asio::io_context& io, int ifindex, const std::string& ifname);
  ~PacketSocket();
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  void start(Handler handler);
  // Stops reading and closes the socket. A handler already queued may still
  // run, so destroy the object only after the io_context has moved on (post
  // its deletion).
  void stop();
  // Sends a whole Ethernet frame out of the bridge. Returns false (and logs
  // at debug) when the kernel refused it.
  bool send(ByteView frame);

  uint64_t receive_errors() const { return receive_errors_; }

 private:
  void arm();
  void drain();

  boost::asio::posix::stream_descriptor sd_;
  int ifindex_;
  std::string ifname_;
  Handler handler_;
  std::vector<uint8_t> buffer_;
  uint64_t receive_errors_ = 0;
  bool stopped_ = false;
};

}  // namespace berth::server
