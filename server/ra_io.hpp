// What the router advertisement server needs from the system, as small
// interfaces (as server/dhcp4_io.hpp does for DHCPv4): the real ones are a
// raw ICMPv6 socket and an Asio timer (server/ra_socket.hpp); tests put
// fakes behind them, with a clock they move by hand.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dhcp/ra_service.hpp"
#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace boost::asio {
class io_context;
}

namespace berth::server {

// One bridge's ICMPv6 socket: hears Router Solicitations only, sends RAs
// to all nodes (ff02::1) on the bridge.
class RaSocket {
 public:
  // `message` is the ICMPv6 message, valid only during the call; `hop_limit`
  // is the IPv6 hop limit it arrived with (0 when the kernel did not say).
  using Handler =
      std::function<void(ByteView message, const Ipv6Address& source, uint8_t hop_limit)>;

  virtual ~RaSocket() = default;
  virtual void start(Handler handler) = 0;
  // Stops reading and closes the socket.
  virtual void stop() = 0;
  // False (and a debug log) when the kernel refused it.
  virtual bool send_all_nodes(ByteView message) = 0;
};

// A one-shot timer on a monotonic clock, in the units of dhcp::RaTime.
class RaTimer {
 public:
  virtual ~RaTimer() = default;
  virtual dhcp::RaTime now() const = 0;
  // Calls `fire` on the io thread at `at` (soon when that has passed);
  // replaces the wait before.
  virtual void wait_until(dhcp::RaTime at, std::function<void()> fire) = 0;
  // `fire` will not be called.
  virtual void cancel() = 0;
};

class RaNetwork {
 public:
  virtual ~RaNetwork() = default;
  // Throws std::system_error with a sentence naming the interface.
  virtual std::unique_ptr<RaSocket> open(int ifindex, const std::string& ifname) = 0;
  virtual std::unique_ptr<RaTimer> timer() = 0;
};

// The kernel's sockets and a steady_timer, served by `io`.
class SystemRaNetwork : public RaNetwork {
 public:
  explicit SystemRaNetwork(boost::asio::io_context& io) : io_(io) {}
  std::unique_ptr<RaSocket> open(int ifindex, const std::string& ifname) override;
  std::unique_ptr<RaTimer> timer() override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace berth::server
