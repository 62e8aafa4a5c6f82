// berthd's owner of everything (STYLE 10): it wires the parts and holds the
// state they share, and does no protocol work itself.
//
//   Dhcp4Server   DHCPv4 sockets, decisions, commits, replies (per bridge)
//   DnsServer     DNS sockets and workers; LocalNames feeds its snapshots
//   FirewallKeeper, LinkWatcher, bridge::Links   the bridge companion
//   ControlServer the REST API; the daemon answers it (daemon_control.cpp,
//                 daemon_forwards.cpp)
//
// One io_context thread runs all of it; the lease writer commits on its own
// thread and hands results back through the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bridge/firewall.hpp"
#include "bridge/host_dbus.hpp"
#include "bridge/links.hpp"
#include "config/config.hpp"
#include "dhcp/dhcp4_service.hpp"
#include "leases/event_pruner.hpp"
#include "leases/store.hpp"
#include "leases/writer.hpp"
#include "server/control_backend.hpp"
#include "server/control_server.hpp"
#include "server/dhcp4_io.hpp"
#include "server/dhcp4_server.hpp"
#include "server/dhcp6_server.hpp"
#include "server/dhcp6_socket.hpp"
#include "server/dns_server.hpp"
#include "server/event_feed.hpp"
#include "server/firewall_keeper.hpp"
#include "server/lease_committer.hpp"
#include "server/lease_script_runner.hpp"
#include "server/link_watcher.hpp"
#include "server/local_names.hpp"
#include "server/ra_server.hpp"
#include "server/systemd_notify.hpp"
#include "server/tftp_server.hpp"

namespace berth::server {

// Seconds since the epoch, UTC: the clock of leases.
int64_t unix_now();

// [daemon] events_max_age and events_max_count.
leases::EventRetention event_retention(const config::DaemonConfig& d);

// The DHCP side of a bridge's config.
dhcp::BridgeSettings settings_of(const config::BridgeConfig& bc);
// The IPv6 sides of a bridge's config (one with ipv6 set); `dns`: berthd
// serves DNS there, so the bridge's address is the clients' DNS server.
dhcp::RaSettings ra_settings_of(const config::BridgeConfig& bc, const MacAddress& mac, bool dns);
dhcp::Dhcp6Settings dhcp6_settings_of(const config::BridgeConfig& bc, bool dns);

class Daemon : public ControlBackend {
 public:
  // Opens the database, prepares every bridge (creating it when configured)
  // and opens the sockets. Throws with a sentence for the user on failure.
  explicit Daemon(config::Config cfg);
  ~Daemon() override;

  // Serves until SIGINT or SIGTERM. Returns the process exit status.
  int run();

  // Logs every counter at info (also on SIGUSR1).
  void log_stats() const;

  // The control API (server/daemon_control.cpp).
  void handle(const api::Request& req, const Peer& peer,
              std::function<void(ApiResponse)> done) override;

  // SIGHUP and POST /v1/reload (server/daemon_reload.cpp): re-reads the
  // config file and applies what may change at run time; a bad file, or a
  // change that needs a restart, is refused whole (the sentence says why)
  // and nothing changes.
  std::variant<api::ReloadResult, std::string> reload();

  // Where reload() gets the next configuration instead of reading the
  // config file again: berth-dnsmasq translates dnsmasq's options and hosts
  // files anew. It throws config::ConfigError for a configuration to refuse.
  void set_config_loader(std::function<config::Config()> loader) {
    config_loader_ = std::move(loader);
  }
  // Called once, when berthd is serving (where systemd hears READY=1):
  // berth-dnsmasq's parent process waits for it before it exits.
  void set_ready_callback(std::function<void()> ready) { on_ready_ = std::move(ready); }

 private:
  // A served bridge: where it is and what it is called. Its sockets belong
  // to the DHCP and DNS servers.
  struct BridgeLink {
    size_t index = 0;  // in Dhcp4Server, DnsServer and LocalNames; never reused
    int ifindex = 0;   // 0 while the bridge is gone (create = false)
    MacAddress mac;
    Ipv4Prefix address;
    std::string name;
  };

  // A bridge made ready to serve but not serving yet: everything that can
  // fail (netlink, sockets) is done here, so a reload can refuse whole.
  struct PreparedBridge {
    config::BridgeConfig config;
    bridge::LinkInfo info;
    std::unique_ptr<FrameLink> dhcp;
    std::unique_ptr<Dhcp6Link> dhcp6;  // with IPv6, unless slaac
    std::optional<DnsServer::Sockets> dns;
  };

  // ---- bridges (server/daemon_bridges.cpp)
  PreparedBridge prepare_bridge(const config::BridgeConfig& bc);
  // Serves a prepared bridge with the stored leases; returns its index.
  size_t serve_bridge(PreparedBridge prepared, const std::vector<leases::Lease>& stored);
  // Stops serving bridge `index`; the store keeps its leases.
  void retire_bridge(size_t index);
  void log_serving(const BridgeLink& link) const;
  const BridgeLink* link_at(size_t index) const;
  std::optional<size_t> link_index(std::string_view bridge) const;
  const config::BridgeConfig* bridge_config(std::string_view name) const;
  // Gives every address = "auto" bridge of `cfg` its address: the running
  // config's, else the one kept in `store`, else a free 10.x.y.1/24 (kept).
  void resolve_auto_addresses(config::Config& cfg, leases::LeaseStore& store);
  void attach_uplinks();
  bool concerns_bridges(const std::vector<bridge::LinkEvent>& events) const;
  // Brings every served bridge back to what the config says and re-binds
  // the sockets of those whose link or address came back. True: retry.
  bool reconcile_links();

  // ---- systemd-resolved and firewalld over D-Bus (server/daemon_host.cpp)
  // Hands the served bridges to host_dbus_ (made at the first call); cheap,
  // never blocks: call it whenever a bridge, its ifindex or its domain changes.
  void update_host_dbus();

  // ---- TFTP for network boot (server/daemon_tftp.cpp)
  // Listens on the bridge's address when its boot.tftp is set (the server
  // made at the first such bridge). Throws at start-up; logs on a reload.
  void serve_tftp(size_t index, const config::BridgeConfig& bc);
  void tftp_metrics(std::string& out) const;

  // ---- IPv6: router advertisements and DHCPv6 (server/daemon_ipv6.cpp)
  // The DHCPv6 server DUID: the database's, else a new DUID-UUID (kept).
  Bytes server_duid();
  void serve_ipv6(size_t index, const config::BridgeConfig& bc, const bridge::LinkInfo& info,
                  std::unique_ptr<Dhcp6Link> dhcp6_link, const std::vector<leases::Lease>& stored);
  // Sends the final RA and stops DHCPv6 on bridge `index`.
  void retire_ipv6(size_t index);
  // The bridge came back with a new ifindex: new sockets on it.
  void rebind_ipv6(size_t index, const config::BridgeConfig& bc, const bridge::LinkInfo& info);
  void start_ipv6();
  void stop_ipv6();
  void ipv6_metrics(std::string& out) const;

  // ---- leases, reservations, names (server/daemon.cpp)
  void on_committed(size_t bridge, const std::vector<leases::LeaseChange>& changes);
  void arm_tick();
  void wait_signals();
  // [daemon] user: gives the database and control socket to the user and
  // becomes it (server/privileges.hpp). Nothing when unset.
  void drop_privileges();
  // The STATUS= line systemd shows.
  std::string status_line() const;
  // Reads the database's reservations, then applies them.
  void reload_reservations();
  // Merges the file's and the database's reservations (read again: the
  // DHCP tables keep the only copy in memory) of one bridge (or all) into
  // the DHCP tables and the DNS names.
  void apply_reservations(std::optional<size_t> only);
  // Gives bridge `index`'s DHCPv6 engine the IPv6 part of its reservations
  // (those the DHCPv4 engine holds); nothing when it serves no DHCPv6.
  void apply_reservations6(size_t index);
  // The IPv6 prefix of the bridge named `name`, if it has one.
  std::optional<Ipv6Prefix> bridge_ipv6(std::string_view name) const;

  // ---- [daemon] lease_script (server/daemon_lease_script.cpp)
  // Makes the runner (when a script is configured), watches DHCPv4 commits
  // and queues dnsmasq's start-up "old" call for each bound stored lease.
  void setup_lease_script(const std::vector<leases::Lease>& stored);
  void script_decision(size_t bridge, const dhcp::Decision& decision);
  void script_decision6(const dhcp::Dhcp6Decision& decision);
  void script_expired(const leases::Lease& lease);
  leases::ScriptContext script_context(std::string_view bridge) const;
  void lease_script_metrics(std::string& out) const;

  // ---- [daemon] lease_file (server/daemon_lease_file.cpp)
  // Writes the file now (start-up, before the privilege drop).
  void start_lease_file();
  // Leases changed: a write within 100 ms, one for a burst.
  void lease_file_changed();
  // After a reload: a write soon, to a new path if it changed.
  void lease_file_reloaded(const std::string& before);
  // A scheduled write is done now (shutdown).
  void flush_lease_file();
  void write_lease_file();
  // For drop_privileges: the file, and its directory when it holds only it.
  void lease_file_ownership(std::vector<std::filesystem::path>& files,
                            std::vector<std::filesystem::path>& dirs) const;
  void lease_file_metrics(std::string& out) const;
  struct LeaseFileState {
    explicit LeaseFileState(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;  // the coalescing delay, or the retry after a failure
    bool pending = false;             // a write is scheduled
    bool failing = false;             // the last write failed (logged once)
    uint64_t written = 0, failed = 0;
  };

  // ---- firewall state (server/daemon_forwards.cpp)
  // A forward's target now: its address, or the address its name has.
  std::optional<Ipv4Address> forward_target(const std::string& to, size_t bridge) const;
  // The IPv6 address a forward to a name follows too (none for an address).
  std::optional<Ipv6Address> forward_target6(const std::string& to, size_t bridge) const;
  bridge::FirewallState firewall_state() const;
  // Re-reads the stored forwards and brings the table in line.
  void refresh_firewall();
  void start_firewall();

  // ---- control API (server/daemon_control.cpp, server/daemon_forwards.cpp)
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
  void on_request(const api::ListForwards&, const Peer&, const Done&);
  void on_request(const api::AddForward&, const Peer&, const Done&);
  void on_request(const api::DeleteForward&, const Peer&, const Done&);
  void on_request(const api::Attach&, const Peer&, const Done&);
  void on_request(const api::Detach&, const Peer&, const Done&);
  void on_request(const api::GetFirewall&, const Peer&, const Done&);
  void on_request(const api::GetEvents&, const Peer&, const Done&);  // server/daemon_events.cpp
  // Lease expiries the DHCP engines noticed, as events (one writer commit).
  void record_expiries(const std::vector<leases::Lease>& expired);
  // server/daemon_records.cpp
  void on_request(const api::ListRecords&, const Peer&, const Done&);
  void on_request(const api::AddRecord&, const Peer&, const Done&);
  void on_request(const api::DeleteRecord&, const Peer&, const Done&);
  api::RecordInfo record_info(const dns::UserRecord& r) const;
  std::variant<std::vector<leases::Lease>, ApiResponse> check_reservation(
      size_t bridge, const leases::Reservation& r, int64_t ignore_id, bool force) const;
  void forget_leases(size_t bridge, const std::vector<leases::Lease>& gone,
                     std::function<void(bool)> then);
  std::string metrics_text() const;

  config::Config config_;
  std::function<config::Config()> config_loader_;  // null: read config_.source
  std::function<void()> on_ready_;
  boost::asio::io_context io_;
  std::unique_ptr<bridge::Links> host_;
  std::unique_ptr<leases::LeaseStore> store_;  // the writer's connection
  std::unique_ptr<leases::LeaseWriter> writer_;
  // A second connection for reads on the io thread (the writer owns store_).
  std::unique_ptr<leases::LeaseStore> reader_;
  std::unique_ptr<WriterCommitter> committer_;
  std::unique_ptr<LeaseScriptRunner> lease_script_;  // null without [daemon] lease_script
  SystemDhcp4Network network_;
  std::unique_ptr<Dhcp4Server> dhcp4_;
  SystemDhcp6Network network6_;
  std::unique_ptr<Dhcp6Server> dhcp6_;
  std::map<size_t, std::unique_ptr<RaServer>> ra_;  // by bridge index, bridges with IPv6
  std::unique_ptr<DnsServer> dns_;
  std::unique_ptr<TftpServer> tftp_;  // while any bridge has boot.tftp
  std::unique_ptr<LocalNames> names_;
  FirewallKeeper firewall_;
  LinkWatcher watcher_;
  std::unique_ptr<ControlServer> control_;
  // resolved and firewalld; firewalld_findings() is for GET /v1/firewall.
  std::unique_ptr<bridge::HostDbus> host_dbus_;
  std::vector<BridgeLink> bridges_;
  int64_t reservations_version_ = -1;
  std::vector<leases::StoredForward> db_forwards_;
  std::vector<dns::UserRecord> db_records_;  // /v1/records, as stored
  boost::asio::signal_set signals_;
  boost::asio::steady_timer tick_;
  SystemdNotifier notify_;
  int64_t started_at_ = 0;
  // GET /v1/events: the followers, and the pruning thread (issue 14).
  std::unique_ptr<EventFeed> events_;
  std::unique_ptr<leases::EventPruner> pruner_;
  LeaseFileState lease_file_{io_};
};

}  // namespace berth::server
