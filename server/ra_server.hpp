// IPv6 router advertisements on one bridge (RFC 4861 §6.2, RFC 8106): the
// bridge's ICMPv6 socket (behind server/ra_io.hpp), the decisions of
// dhcp::RaService, and the timer that drives them. Runs on the daemon's
// io_context thread.
//
//   RaServer ra(io, "berth0", ifindex, dhcp::RaSettings{
//       .prefix = *Ipv6Prefix::parse("fd42::1/64"), .mode = dhcp::RaMode::slaac,
//       .domain = "berth", .mac = bridge_mac});
//   ra.start();               // throws std::system_error naming the bridge
//   ra.update(new_settings);  // on reload; an RA goes out soon when it changed
//   ra.stop();                // the final RA (router lifetime 0), socket closed
//
// The bridge needs a link-local address for the RAs to be heard (see
// server/ra_socket.hpp). Check settings with dhcp::check_settings first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dhcp/ra_service.hpp"
#include "server/ra_io.hpp"

namespace boost::asio {
class io_context;
}

namespace berth::server {

class RaServer {
 public:
  // The kernel's socket and timer on `io`; random delays seeded from
  // std::random_device.
  RaServer(boost::asio::io_context& io, std::string bridge, int ifindex, dhcp::RaSettings settings);
  // For tests: sockets and timers from `network`, and a fixed seed.
  RaServer(RaNetwork& network, std::string bridge, int ifindex, dhcp::RaSettings settings,
           uint64_t seed);
  // Stops (with the final RA) when still running.
  ~RaServer();
  RaServer(const RaServer&) = delete;
  RaServer& operator=(const RaServer&) = delete;

  // Opens the socket and sends the first RA at once; throws when the socket
  // cannot be opened (nothing is left open then). Does nothing when running.
  void start();
  // New settings for this bridge (same ifindex).
  void update(dhcp::RaSettings settings);
  // Sends the final RA and closes the socket. Does nothing when not running.
  void stop();

  bool running() const { return socket_ != nullptr; }
  const std::string& bridge() const { return bridge_; }
  int ifindex() const { return ifindex_; }
  // RSs received and dropped (by reason), RAs sent by kind, send failures:
  // for the daemon's metrics.
  const dhcp::RaCounters& counters() const { return service_.counters(); }
  const dhcp::RaService& service() const { return service_; }

 private:
  void on_message(ByteView message, const Ipv6Address& source, uint8_t hop_limit);
  void on_timer();
  void arm();
  void send(const dhcp::Advertisement& a);

  std::unique_ptr<RaNetwork> own_network_;  // when made from an io_context
  RaNetwork& network_;
  std::string bridge_;
  int ifindex_;
  dhcp::RaService service_;
  std::unique_ptr<RaSocket> socket_;
  std::unique_ptr<RaTimer> timer_;
  std::vector<uint8_t> buffer_;
};

}  // namespace berth::server
