// What the DHCPv6 server needs from the network, as small interfaces (as
// server/dhcp4_io.hpp does for DHCPv4): the real one is a UDP socket on port
// 547 of each bridge (server/dhcp6_socket.hpp); tests put a fake behind it,
// so whole exchanges run in-process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace berth::server {

// One bridge's DHCPv6 socket: hears what clients on the bridge send to
// All_DHCP_Relay_Agents_and_Servers (ff02::1:2) or to the server's own
// addresses on port 547, and answers them on the bridge (RFC 8415 §7.2).
class Dhcp6Link {
 public:
  // `from` is the client's address (link-local as a rule), `to` the
  // destination it was sent to (ff02::1:2, or one of the server's own
  // addresses: RFC 8415 §18.4 has some messages discarded when unicast);
  // `payload` is valid only during the call.
  using Handler = std::function<void(const Ipv6Address& from, const Ipv6Address& to, uint16_t port,
                                     ByteView payload)>;

  virtual ~Dhcp6Link() = default;
  virtual void start(Handler handler) = 0;
  // Stops reading and closes the socket. A handler already queued may still
  // run: destroy the object only after the io_context has moved on.
  virtual void stop() = 0;
  // Sends to `to` (a link-local address is scoped to this bridge). False
  // (and a log line) when the kernel refused it.
  virtual bool send_to(const Ipv6Address& to, uint16_t port, ByteView payload) = 0;
};

// Opens the sockets; throws std::runtime_error (or std::system_error) with a
// sentence naming the interface.
class Dhcp6Network {
 public:
  virtual ~Dhcp6Network() = default;
  virtual std::unique_ptr<Dhcp6Link> open_link(int ifindex, const std::string& ifname) = 0;
};

}  // namespace berth::server
