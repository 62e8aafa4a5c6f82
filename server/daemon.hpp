// berthd's owner of everything (STYLE 10): config, store, DHCP service,
// sockets and signals. One io_context thread runs DHCP; the lease writer
// commits on its own thread and hands results back through the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "config/config.hpp"
#include "leases/store.hpp"
#include "leases/writer.hpp"
#include "server/dhcp_service.hpp"
#include "server/packet_socket.hpp"

namespace berth::server {

class Daemon {
 public:
  // Opens the database, prepares every bridge (creating it when configured)
  // and opens the sockets. Throws with a sentence for the user on failure.
  explicit Daemon(config::Config cfg);
  ~Daemon();

  // Serves until SIGINT or SIGTERM. Returns the process exit status.
  int run();

  // Logs every counter at info (also on SIGUSR1).
  void log_stats() const;

 private:
  struct BridgeLink {
    size_t index = 0;  // in DhcpService; also this link's position in links_
    int ifindex = 0;
    MacAddress mac;
    Ipv4Prefix address;
    std::string name;
    std::unique_ptr<PacketSocket> socket;
  };

  void on_frame(BridgeLink& link, ByteView frame, bool checksum_not_ready);
  void on_relay_datagram(size_t n);
  void receive_relay();
  void process(size_t bridge, const dhcp4::Message& msg);
  void execute(size_t bridge, Decision decision);
  void send(size_t bridge, const Reply& reply);
  void arm_tick();
  void send_committed();
  void reload_reservations();
  void wait_signals();

  config::Config config_;
  boost::asio::io_context io_;
  std::unique_ptr<leases::LeaseStore> store_;
  std::unique_ptr<leases::LeaseWriter> writer_;
  // A second connection for reads on the io thread (the writer owns store_).
  std::unique_ptr<leases::LeaseStore> reader_;
  int64_t reservations_version_ = -1;
  DhcpService dhcp_;
  std::vector<BridgeLink> links_;
  std::unique_ptr<boost::asio::ip::udp::socket> relay_socket_;
  boost::asio::ip::udp::endpoint relay_from_;
  std::vector<uint8_t> relay_buffer_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer tick_;
  // Decisions whose commit finished, handed over by the writer thread; one
  // post drains them all, so a group commit costs one wake-up, not one each.
  struct Committed {
    size_t bridge;
    std::shared_ptr<Decision> decision;
    bool ok;
  };
  std::mutex committed_mu_;
  std::vector<Committed> committed_;
  std::vector<Committed> sending_;
  std::vector<uint8_t> encode_buffer_;
  std::vector<uint8_t> frame_buffer_;
};

}  // namespace berth::server
