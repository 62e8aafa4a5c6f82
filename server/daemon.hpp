// berthd's owner of everything (STYLE 10): config, store, DHCP service,
// sockets and signals. One io_context thread runs DHCP; the lease writer
// commits on its own thread and hands results back through the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "bridge/firewall.hpp"
#include "bridge/link_monitor.hpp"
#include "bridge/netlink.hpp"
#include "config/config.hpp"
#include "dhcp/dhcp4_service.hpp"
#include "leases/store.hpp"
#include "leases/writer.hpp"
#include "server/control_backend.hpp"
#include "server/control_server.hpp"
#include "server/dns_server.hpp"
#include "server/packet_socket.hpp"

namespace berth::server {

// Seconds since the epoch, UTC: the clock of leases.
int64_t unix_now();

// The DHCP side of a bridge's config.
dhcp::BridgeSettings settings_of(const config::BridgeConfig& bc);

class Daemon : public ControlBackend {
 public:
  // Opens the database, prepares every bridge (creating it when configured)
  // and opens the sockets. Throws with a sentence for the user on failure.
  explicit Daemon(config::Config cfg);
  ~Daemon();

  // Serves until SIGINT or SIGTERM. Returns the process exit status.
  int run();

  // Logs every counter at info (also on SIGUSR1).
  void log_stats() const;

  // The control API (server/daemon_control.cpp).
  void handle(const api::Request& req, const Peer& peer,
              std::function<void(ApiResponse)> done) override;

  // SIGHUP and POST /v1/reload: re-reads the config file and applies what
  // may change at run time; a bad file, or a change that needs a restart,
  // is refused whole (the sentence says why) and nothing changes.
  std::variant<api::ReloadResult, std::string> reload();

 private:
  struct BridgeLink {
    size_t index = 0;  // in Dhcp4Service and DnsServer; never reused
    int ifindex = 0;
    MacAddress mac;
    Ipv4Prefix address;
    std::string name;
    std::unique_ptr<PacketSocket> socket;
  };

  using Done = std::function<void(ApiResponse)>;
  void on_request(const api::GetStatus&, const Peer&, const Done&);
  void on_request(const api::ListBridges&, const Peer&, const Done&);
  void on_request(const api::ListLeases&, const Peer&, const Done&);
  void on_request(const api::ListReservations&, const Peer&, const Done&);
  void on_request(const api::AddReservation&, const Peer&, const Done&);
  void on_request(const api::DeleteReservation&, const Peer&, const Done&);
  void on_request(const api::PatchReservation&, const Peer&, const Done&);
  void on_request(const api::ForgetLease&, const Peer&, const Done&);
  void on_request(const api::Reload&, const Peer&, const Done&);
  void on_request(const api::GetMetrics&, const Peer&, const Done&);
  // Bridge companion (server/daemon_bridge.cpp).
  void on_request(const api::ListForwards&, const Peer&, const Done&);
  void on_request(const api::AddForward&, const Peer&, const Done&);
  void on_request(const api::DeleteForward&, const Peer&, const Done&);
  void on_request(const api::Attach&, const Peer&, const Done&);
  void on_request(const api::Detach&, const Peer&, const Done&);
  void on_request(const api::GetFirewall&, const Peer&, const Done&);
  // Brings the nftables table in line with the config and the stored
  // forwards; called after every change to either.
  void refresh_firewall();
  std::optional<size_t> link_index(std::string_view bridge) const;
  std::variant<std::vector<leases::Lease>, ApiResponse> check_reservation(
      size_t bridge, const leases::Reservation& r, int64_t ignore_id, bool force) const;
  void forget_leases(size_t bridge, const std::vector<leases::Lease>& gone,
                     std::function<void(bool)> then);
  std::string metrics_text() const;

  // A bridge made ready to serve but not serving yet: everything that can
  // fail (netlink, sockets) is done here, so a reload can refuse whole.
  struct PreparedBridge {
    config::BridgeConfig config;
    bridge::LinkInfo info;
    std::unique_ptr<PacketSocket> socket;
    std::optional<DnsServer::Sockets> dns;
  };
  PreparedBridge prepare_bridge(const config::BridgeConfig& bc);
  // Serves a prepared bridge with the stored leases; returns its index.
  size_t serve_bridge(PreparedBridge prepared, const std::vector<leases::Lease>& stored);
  void start_link(BridgeLink& link);
  // Stops serving bridge `index` (sockets closed, names gone); the store
  // keeps its leases.
  void retire_bridge(size_t index);
  BridgeLink* link_at(size_t index);
  const BridgeLink* link_at(size_t index) const;

  void on_frame(size_t index, ByteView frame, bool checksum_not_ready);

  // Bridge companion (server/daemon_companion.cpp).
  // Gives every address = "auto" bridge of `cfg` its address: the running
  // config's, else the one kept in `store`, else a free 10.x.y.1/24 (kept).
  void resolve_auto_addresses(config::Config& cfg, leases::LeaseStore& store);
  void attach_uplinks();
  const config::BridgeConfig* bridge_config(std::string_view name) const;
  // A forward's target now: its address, or the address its name has.
  std::optional<Ipv4Address> forward_target(const std::string& to, size_t bridge) const;
  bridge::FirewallState firewall_state() const;
  // Renders the state and replaces the table when it differs from the last
  // one applied (or always, with force).
  void apply_firewall(bool force);
  void start_firewall();
  void arm_firewall_check();
  void stop_firewall();
  void reconfigure_firewall();
  void start_link_monitor();
  void wait_link_events();
  void on_link_events(const std::vector<bridge::LinkEvent>& events);
  void reconcile_links();
  void on_relay_datagram(size_t n);
  void receive_relay();
  void process(size_t bridge, const dhcp4::Message& msg);
  void execute(size_t bridge, dhcp::Decision decision);
  void send(size_t bridge, const dhcp::Reply& reply);
  void arm_tick();
  void send_committed();
  // Reads the database's reservations, then applies them.
  void reload_reservations();
  // Merges the file's and the database's (db_reservations_) reservations of
  // one bridge (or all) into the DHCP tables and the DNS names.
  void apply_reservations(std::optional<size_t> only);
  void wait_signals();
  // DNS names: leases with a hostname, by (bridge, address).
  void note_lease(size_t bridge, const leases::Lease& lease, int64_t now);
  void names_changed();
  void rebuild_names();

  config::Config config_;
  boost::asio::io_context io_;
  std::unique_ptr<leases::LeaseStore> store_;
  std::unique_ptr<leases::LeaseWriter> writer_;
  // A second connection for reads on the io thread (the writer owns store_).
  std::unique_ptr<leases::LeaseStore> reader_;
  int64_t reservations_version_ = -1;
  std::vector<leases::Reservation> db_reservations_;
  dhcp::Dhcp4Service dhcp_;
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
    std::shared_ptr<dhcp::Decision> decision;
    bool ok;
  };
  std::mutex committed_mu_;
  std::vector<Committed> committed_;
  std::vector<Committed> sending_;
  std::vector<uint8_t> encode_buffer_;
  std::vector<uint8_t> frame_buffer_;

  std::unique_ptr<DnsServer> dns_;
  std::unique_ptr<ControlServer> control_;
  int64_t started_at_ = 0;
  std::map<std::pair<size_t, uint32_t>, std::string> named_leases_;
  bool names_pending_ = false;
  boost::asio::steady_timer names_timer_;
  std::chrono::steady_clock::time_point names_built_at_{};
  std::chrono::steady_clock::duration names_build_time_{};
  uint32_t names_serial_ = 0;
  std::string host_name_;
  std::vector<std::string> name_clashes_;

  std::unique_ptr<bridge::Nftables> nft_;
  std::optional<bridge::FirewallState> applied_state_;
  std::string firewall_error_;
  std::vector<leases::StoredForward> db_forwards_;
  boost::asio::steady_timer firewall_timer_;
  std::unique_ptr<bridge::LinkMonitor> monitor_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> monitor_sd_;
  boost::asio::steady_timer reconcile_timer_;
  bool reconcile_pending_ = false;
};

}  // namespace berth::server
