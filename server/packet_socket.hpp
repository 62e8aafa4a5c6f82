// The DHCP server's link-layer socket for one bridge: AF_PACKET bound to the
// bridge's ifindex with a BPF filter for UDP destination port 67, so that
// clients without an address are heard and can be answered without ARP.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <string>
#include <vector>

#include <linux/if_packet.h>

#include "protocol/bytes.hpp"
#include "server/dhcp4_io.hpp"
#include "server/received_batch.hpp"
#include "server/send_batch.hpp"

namespace berth::server {

class PacketSocket : public FrameLink {
 public:
  // Throws std::system_error naming the interface.
  PacketSocket(boost::asio::io_context& io, int ifindex, const std::string& ifname);
  ~PacketSocket() override;
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  void start(Handler handler) override;
  void stop() override;
  // Queued, and sent with the other frames of the same burst: at the end
  // of the read that caused it, else once the current handler is done.
  bool send(ByteView frame) override;

  uint64_t receive_errors() const { return receive_errors_; }

 private:
  void arm();
  void drain();

  boost::asio::posix::stream_descriptor sd_;
  int ifindex_;
  std::string ifname_;
  Handler handler_;
  // 16 frames of up to 64 KiB per read, each with its PACKET_AUXDATA.
  ReceivedBatch<sockaddr_ll, sizeof(tpacket_auxdata), 16> batch_;
  // Up to 32 frames per sendmmsg; Dhcp4Server builds them in 1,600 bytes.
  Outbox<sockaddr_ll, 32> out_;
  uint64_t receive_errors_ = 0;
  bool stopped_ = false;
};

}  // namespace berth::server
