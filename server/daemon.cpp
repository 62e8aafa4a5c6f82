#include "server/daemon.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <utility>

#include <malloc.h>
#include <unistd.h>

#include "dhcp/reservations.hpp"
#include "server/privileges.hpp"

namespace berth::server {

namespace {

leases::Durability durability_of(config::Durability d) {
  return d == config::Durability::fsync ? leases::Durability::fsync : leases::Durability::process;
}

// The host's own name as one DNS label ("" when it has none usable).
std::string host_label() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return {};
  std::string first(host.data());
  return dhcp::sanitize_hostname(first.substr(0, first.find('.')));
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

static std::vector<leases::PoolRange> more_pools_of(const config::BridgeConfig& bc) {
  std::vector<leases::PoolRange> out;
  for (const config::PoolConfig& p : bc.more_pools) {
    out.push_back(leases::PoolRange{.first = p.start, .last = p.end, .only_class = p.class_name});
  }
  return out;
}

dhcp::BridgeSettings settings_of(const config::BridgeConfig& bc) {
  return dhcp::BridgeSettings{.name = bc.name,
                              .address = bc.address,
                              .pool_first = bc.pool_start,
                              .pool_last = bc.pool_end,
                              .lease_time = bc.lease_time,
                              .domain = bc.domain,
                              .mtu = bc.mtu,
                              .decline_quarantine = bc.decline_quarantine,
                              .authoritative = bc.authoritative,
                              .ignore_client_id = bc.ignore_client_id,
                              .rapid_commit = bc.rapid_commit,
                              .boot = bc.boot,
                              .options = bc.dhcp_options,
                              .pool_class = bc.pool_class,
                              .more_pools = more_pools_of(bc)};
}

Daemon::Daemon(config::Config cfg)
    : config_(std::move(cfg)),
      host_(std::make_unique<bridge::NetlinkLinks>()),
      network_(io_),
      network6_(io_),
      firewall_(io_, [this] { return firewall_state(); }),
      watcher_(
          io_, [this](const auto& events) { return concerns_bridges(events); },
          [this] { return reconcile_links(); }),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      tick_(io_),
      notify_(io_) {
  signals_.add(SIGUSR1);
  const std::string& db = config_.daemon.database;
  if (auto parent = std::filesystem::path(db).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error("cannot create " + parent.string() + ": " + ec.message());
  }
  store_ = std::make_unique<leases::LeaseStore>(db, durability_of(config_.daemon.durability));
  std::vector<leases::Lease> stored = store_->load_all();
  store_->release_memory();  // before the writer thread takes the connection
  writer_ = std::make_unique<leases::LeaseWriter>(
      *store_, std::chrono::microseconds(config_.daemon.commit_interval_us));
  reader_ = std::make_unique<leases::LeaseStore>(db, durability_of(config_.daemon.durability));
  committer_ = std::make_unique<WriterCommitter>(io_, *writer_);
  events_ = std::make_unique<EventFeed>(io_, *reader_);
  pruner_ = std::make_unique<leases::EventPruner>(db, durability_of(config_.daemon.durability),
                                                  event_retention(config_.daemon),
                                                  std::chrono::minutes(1));
  spdlog::info("lease database {}: {} lease(s)", db, stored.size());

  dhcp4_ = std::make_unique<Dhcp4Server>(
      network_, *committer_, unix_now,
      [this](size_t bridge, const auto& changes) { on_committed(bridge, changes); });
  dhcp6_ = std::make_unique<Dhcp6Server>(
      network6_, *committer_, unix_now,
      [this](size_t bridge, const auto& changes) { on_committed(bridge, changes); }, server_duid());
  // Each bridge's DNS sockets are opened with its DHCP socket (prepare_bridge).
  if (config_.dns.enabled)
    dns_ = std::make_unique<DnsServer>(config_.dns, std::vector<dns::DnsBridge>{});
  names_ = std::make_unique<LocalNames>(io_, dns_.get(), [this] { firewall_.apply(); });
  if (dns_) names_->set_host_name(host_label());
  names_->set_statics(config_.dns);
  db_records_ = reader_->load_records();
  names_->set_records(db_records_);

  resolve_auto_addresses(config_, *store_);
  for (const config::BridgeConfig& bc : config_.bridges) {
    serve_bridge(prepare_bridge(bc), stored);
  }
  attach_uplinks();
  setup_lease_script(stored);
  stored.clear();
  reload_reservations();
  reader_->release_memory();
  dhcp4_->open_relay_socket();
}

Daemon::~Daemon() {
  // The writer commits what is queued before the store closes; its reports
  // go to the committer, which must still be there.
  writer_.reset();
}

int Daemon::run() {
  started_at_ = unix_now();
  for (const BridgeLink& link : bridges_) log_serving(link);
  try {
    std::optional<std::string> group;
    if (!config_.daemon.control_group.empty()) group = config_.daemon.control_group;
    control_ = std::make_unique<ControlServer>(io_, config_.daemon.control_socket,
                                               kDefaultControlSocketMode, group, *this);
    spdlog::info("control API on {}", config_.daemon.control_socket);
  } catch (const std::exception& e) {
    spdlog::error("no control API: {}", e.what());
    throw;
  }
  // Before the privilege drop: HostDbus reads /proc/1/ns/net to tell whether
  // the system bus belongs to berthd's network namespace.
  update_host_dbus();
  start_lease_file();  // before the drop: the file exists to be given to the user
  drop_privileges();
  if (lease_script_) lease_script_->start();  // as [daemon] user
  dhcp4_->start();
  start_ipv6();
  if (dns_) {
    names_->build_now();
    dns_->start();
    spdlog::info("dns: {} local names", names_->name_count());
  }
  // Start-up read every lease and reservation through temporaries (rows,
  // merge lists, the first DNS snapshot's spec): freed, but glibc keeps the
  // pages resident unless asked to give them back.
  ::malloc_trim(0);
  spdlog::default_logger()->flush();  // "serving" is what supervisors and tests wait for
  watcher_.start();
  start_firewall();
  arm_tick();
  wait_signals();
  notify_.ready(status_line());
  if (on_ready_) std::exchange(on_ready_, nullptr)();
  io_.run();
  if (host_dbus_) host_dbus_->stop();  // RevertLink, removeInterface: bounded
  firewall_.stop(config_.firewall.keep_rules);
  if (control_) control_->stop();
  dhcp4_->stop();
  stop_ipv6();
  if (dns_) dns_->stop();
  flush_lease_file();
  writer_->flush();
  log_stats();
  spdlog::info("berthd stopped");
  return 0;
}

void Daemon::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    switch (sig) {
      case SIGUSR1:
        log_stats();
        break;
      case SIGHUP:
        spdlog::info("SIGHUP: reloading {}", config_.source);
        notify_.reloading();
        (void)reload();  // a refusal is logged; the running config stays
        notify_.ready(status_line());
        break;
      default:
        spdlog::info("signal {}: shutting down", sig);
        notify_.stopping();
        io_.stop();
        return;
    }
    wait_signals();
  });
}

void Daemon::drop_privileges() {
  if (config_.daemon.user.empty()) return;
  const Identity who = lookup_user(config_.daemon.user);
  if (::geteuid() == who.uid) {
    // Started as the user already (systemd's User=): nothing to give away.
    spdlog::info("running as user {} (uid {})", who.name, who.uid);
    return;
  }
  if (::geteuid() != 0) become(who);  // throws: only root may switch users
  namespace fs = std::filesystem;
  std::vector<fs::path> files, dirs;
  const fs::path db(config_.daemon.database);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    files.push_back(db.string() + suffix);
  }
  files.emplace_back(config_.daemon.control_socket);
  // SQLite creates and removes its -wal and -journal files next to the
  // database, and berthd removes its socket on stop: the user needs those
  // directories, as long as they hold nothing else.
  for (const fs::path& file : {db, fs::path(config_.daemon.control_socket)}) {
    const fs::path dir = file.parent_path();
    if (dir.empty() || dir == dir.root_path()) continue;
    if (holds_only(dir, file.filename().string())) {
      dirs.push_back(dir);
    } else {
      spdlog::warn(
          "{} holds other files: it stays its owner's, and user {} must be able to "
          "write there",
          dir.string(), who.name);
    }
  }
  lease_file_ownership(files, dirs);
  give_to(who, files, dirs);
  become(who);
}

std::string Daemon::status_line() const {
  return "serving " + std::to_string(bridges_.size()) + " bridge(s)";
}

// A lease change is durable: DNS names (and port forwards to names) follow.
void Daemon::on_committed(size_t bridge, const std::vector<leases::LeaseChange>& changes) {
  events_->notify();  // their events went in with them
  const int64_t now = unix_now();
  for (const leases::LeaseChange& change : changes) {
    if (change.kind == leases::LeaseChange::Kind::erase) {
      leases::Lease gone = change.lease;
      gone.state = leases::LeaseState::released;
      names_->note_lease(bridge, gone, now);
    } else {
      names_->note_lease(bridge, change.lease, now);
    }
  }
  lease_file_changed();
}

void Daemon::arm_tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const int64_t now = unix_now();
    std::vector<leases::Lease> expired = dhcp4_->tick();
    for (leases::Lease& l : dhcp6_->tick()) expired.push_back(std::move(l));
    record_expiries(expired);
    if (!expired.empty()) lease_file_changed();
    events_->notify();  // changes other processes made (berthctl offline, sqlite3)
    for (const leases::Lease& l : expired) {
      spdlog::info("lease expired: {} {} {} {}", l.bridge, l.ip.to_string(), l.mac.to_string(),
                   l.hostname);
      script_expired(l);
      if (auto index = link_index(l.bridge)) {
        leases::Lease gone = l;
        gone.state = leases::LeaseState::expired;
        names_->note_lease(*index, gone, now);
      }
    }
    try {
      if (reader_->reservations_version() != reservations_version_) reload_reservations();
    } catch (const std::exception& e) {
      spdlog::error("cannot read reservations: {}", e.what());
    }
    arm_tick();
  });
}

void Daemon::reload_reservations() {
  reservations_version_ = reader_->reservations_version();
  apply_reservations(std::nullopt);
}

void Daemon::apply_reservations(std::optional<size_t> only) {
  const std::vector<leases::Reservation> configured = dhcp::config_reservations(config_);
  std::vector<leases::Reservation> stored = reader_->load_reservations();
  dhcp::Dhcp4Service& engine = dhcp4_->engine();
  for (const BridgeLink& link : bridges_) {
    if (only && link.index != *only) continue;
    const dhcp::BridgeSettings& s = engine.settings(link.index);
    std::vector<leases::Reservation> file, database;
    for (const leases::Reservation& r : configured) {
      if (r.bridge == link.name) file.push_back(r);
    }
    const std::optional<Ipv6Prefix> prefix6 = bridge_ipv6(link.name);
    for (leases::Reservation& r : stored) {
      if (r.bridge != link.name) continue;
      if (auto problem = dhcp::reservation_problem(r, s)) {
        spdlog::warn("reservation {} on {} ignored: {}", r.id, link.name, *problem);
        continue;
      }
      database.push_back(std::move(r));
      // The bridge's prefix may have changed since: keep the IPv4 part.
      if (auto problem = dhcp::ipv6_problem(database.back(), prefix6)) {
        spdlog::warn("reservation {} on {}: its IPv6 part is ignored: {}", database.back().id,
                     link.name, *problem);
        database.back().ipv6.reset();
        database.back().duid.clear();
      }
    }
    dhcp::MergedReservations merged = dhcp::merge_reservations(file, database);
    for (const std::string& why : merged.ignored) spdlog::warn("{}: {}", link.name, why);
    if (!only) {
      spdlog::info("{}: {} reservation(s), {} from the config file", link.name, merged.kept.size(),
                   file.size());
    }
    file.clear();
    database.clear();
    engine.set_reservations(link.index, std::move(merged.kept));
    names_->set_reservations(link.index, engine.table(link.index));
    apply_reservations6(link.index);
  }
}

void Daemon::apply_reservations6(size_t index) {
  auto index6 = dhcp6_->engine_index(index);
  if (!index6) return;
  std::vector<leases::Reservation6> list;
  for (const leases::Reservation& r : dhcp4_->engine().table(index).reservations()) {
    if (auto r6 = dhcp::reservation6_of(r)) list.push_back(std::move(*r6));
  }
  dhcp6_->engine().set_reservations(*index6, std::move(list));
}

std::optional<Ipv6Prefix> Daemon::bridge_ipv6(std::string_view name) const {
  const config::BridgeConfig* bc = bridge_config(name);
  if (bc == nullptr) return std::nullopt;
  return bc->ipv6;
}

void Daemon::log_stats() const {
  const dhcp::DhcpCounters& c = dhcp4_->engine().counters();
  using T = dhcp4::MessageType;
  std::string received, sent, dropped;
  for (T t : {T::discover, T::request, T::decline, T::release, T::inform}) {
    received += fmt::format(" {}={}", to_string(t), c.received[static_cast<size_t>(t)]);
  }
  for (T t : {T::offer, T::ack, T::nak}) {
    sent += fmt::format(" {}={}", to_string(t), c.sent[static_cast<size_t>(t)]);
  }
  for (const auto& [reason, n] : c.dropped) dropped += fmt::format(" {}={}", reason, n);
  spdlog::info("stats: received{}", received);
  spdlog::info("stats: sent{}", sent);
  spdlog::info("stats: dropped{}", dropped.empty() ? " none" : dropped);
  auto w = writer_->stats();
  spdlog::info("stats: pool_exhausted={} commit_failed={} transactions={} leases_written={}",
               c.pool_exhausted, c.commit_failed, w.transactions, w.leases_written);
  if (dns_) {
    auto d = dns_->counters();
    std::string line;
    for (size_t i = 0; i < d.size(); ++i) {
      line += fmt::format(" {}={}", to_string(static_cast<DnsCounters::Kind>(i)), d[i]);
    }
    spdlog::info("stats: dns{} cache_hits={} names={}", line, dns_->cache_hits(),
                 names_->name_count());
  }
  const int64_t now = unix_now();
  for (const BridgeLink& l : bridges_) {
    const leases::LeaseTable& table = dhcp4_->engine().table(l.index);
    auto counts = table.counts(now);
    spdlog::info("stats: {} leases bound={} offered={} released={} expired={} declined={} pool={}",
                 l.name, counts.bound, counts.offered, counts.released, counts.expired,
                 counts.declined, table.pool().size());
  }
}

}  // namespace berth::server
