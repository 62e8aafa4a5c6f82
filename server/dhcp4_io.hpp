// What the DHCPv4 server needs from the network, as small interfaces (as
// Kea's PktFilter): the real ones are AF_PACKET and UDP sockets on the
// daemon's io_context (server/packet_socket.hpp, server/relay_socket.hpp);
// tests put fakes behind them, so a whole DORA runs in-process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace boost::asio {
class io_context;
}

namespace berth::server {

// One bridge's link-layer socket: hears every frame to UDP port 67 on the
// bridge that is not relayed (giaddr 0), and sends whole Ethernet frames, so
// clients without an address are answered without ARP.
class FrameLink {
 public:
  // `frame` is valid only during the call; `checksum_not_ready` is the
  // kernel's TP_STATUS_CSUMNOTREADY (the UDP checksum is not filled in yet).
  using Handler = std::function<void(ByteView frame, bool checksum_not_ready)>;

  virtual ~FrameLink() = default;
  virtual void start(Handler handler) = 0;
  // Stops reading and closes the socket. A handler already queued may still
  // run: destroy the object only after the io_context has moved on.
  virtual void stop() = 0;
  // Sends `frame` (copied): at once, or with the other replies of the same
  // burst. False (and a debug log) when it was refused at once; a refusal
  // at the burst's end is logged only.
  virtual bool send(ByteView frame) = 0;
};

// UDP port 67 on every address: relayed requests arrive here (from the relay
// agent's port 67), and its being bound keeps the kernel from answering
// unicast renewals with port-unreachable.
class RelaySocket {
 public:
  using Handler = std::function<void(Ipv4Address from, uint16_t port, ByteView payload)>;

  virtual ~RelaySocket() = default;
  virtual void start(Handler handler) = 0;
  virtual void stop() = 0;
  // As FrameLink::send.
  virtual bool send_to(Ipv4Address to, uint16_t port, ByteView payload) = 0;
};

// Opens the sockets. Both throw std::runtime_error (or std::system_error)
// with a sentence naming the interface or port.
class Dhcp4Network {
 public:
  virtual ~Dhcp4Network() = default;
  virtual std::unique_ptr<FrameLink> open_link(int ifindex, const std::string& ifname) = 0;
  virtual std::unique_ptr<RelaySocket> open_relay_socket() = 0;
};

// The kernel's sockets, served by `io`.
class SystemDhcp4Network : public Dhcp4Network {
 public:
  explicit SystemDhcp4Network(boost::asio::io_context& io) : io_(io) {}
  std::unique_ptr<FrameLink> open_link(int ifindex, const std::string& ifname) override;
  std::unique_ptr<RelaySocket> open_relay_socket() override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace berth::server
