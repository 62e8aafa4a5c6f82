// The daemon's side of the control API (issue 5): every request of
// api::Request answered on the io thread. A request that fails changes
// nothing: checks come first, then the database, then memory.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "api/response.hpp"
#include "dhcp/reservations.hpp"
#include "server/daemon.hpp"

namespace berth::server {
namespace asio = boost::asio;

namespace {

api::LeaseState api_state(leases::LeaseState s) {
  switch (s) {
    case leases::LeaseState::bound:
      return api::LeaseState::bound;
    case leases::LeaseState::released:
      return api::LeaseState::released;
    case leases::LeaseState::expired:
      return api::LeaseState::expired;
    case leases::LeaseState::declined:
      return api::LeaseState::declined;
  }
  return api::LeaseState::expired;
}

api::LeaseInfo lease_info(const leases::Lease& l, int64_t now) {
  return api::LeaseInfo{.bridge = l.bridge,
                        .ip = l.ip,
                        .mac = l.mac,
                        .client_id = l.client_id,
                        .hostname = l.hostname,
                        .state = api_state(l.state_at(now)),
                        .expires_at = l.expires_at,
                        .updated_at = l.updated_at};
}

api::ReservationInfo reservation_info(const leases::Reservation& r) {
  api::ReservationInfo i;
  i.id = r.from_config ? 0 : r.id;
  i.bridge = r.bridge;
  switch (r.match) {
    case leases::MatchKind::mac:
      i.match = api::MatchKind::mac;
      i.mac = r.mac;
      break;
    case leases::MatchKind::client_id:
      i.match = api::MatchKind::client_id;
      i.client_id = r.client_id;
      break;
    case leases::MatchKind::hostname:
      i.match = api::MatchKind::hostname;
      i.hostname = r.hostname_match;
      break;
  }
  i.ip = r.ip;
  i.name = r.name;
  i.source = r.from_config ? api::ReservationSource::config : api::ReservationSource::api;
  return i;
}
}  // namespace

std::optional<size_t> Daemon::link_index(std::string_view bridge) const {
  for (const BridgeLink& l : links_) {
    if (l.name == bridge) return l.index;
  }
  return std::nullopt;
}

void Daemon::handle(const api::Request& req, const Peer& peer,
                    std::function<void(ApiResponse)> done) {
  try {
    std::visit([&](const auto& r) { on_request(r, peer, done); }, req);
  } catch (const std::exception& e) {
    spdlog::error("control: {}", e.what());
    done(error_response(500, std::string("internal error: ") + e.what()));
  }
}

void Daemon::on_request(const api::GetStatus&, const Peer&, const Done& done) {
  api::Status s;
  s.version = BERTH_VERSION;
  s.uptime_s = unix_now() - started_at_;
  s.bridges = links_.size();
  const int64_t now = unix_now();
  for (const BridgeLink& l : links_) {
    auto c = dhcp_.table(l.index).counts(now);
    s.leases.bound += c.bound;
    s.leases.released += c.released;
    s.leases.expired += c.expired;
    s.leases.declined += c.declined;
    s.reservations += dhcp_.table(l.index).reservations().size();
  }
  s.database = config_.daemon.database;
  s.config = config_.source;
  done(json_response(200, s));
}

void Daemon::on_request(const api::ListBridges&, const Peer&, const Done& done) {
  api::BridgeList list;
  const int64_t now = unix_now();
  for (const BridgeLink& l : links_) {
    const dhcp::BridgeSettings& s = dhcp_.settings(l.index);
    list.bridges.push_back(api::BridgeInfo{.name = l.name,
                                           .address = l.address,
                                           .pool_start = s.pool_first,
                                           .pool_end = s.pool_last,
                                           .pool_size = dhcp_.table(l.index).pool().size(),
                                           .leases_bound = dhcp_.table(l.index).counts(now).bound,
                                           .domain = s.domain});
  }
  done(json_response(200, list));
}

void Daemon::on_request(const api::ListLeases& r, const Peer&, const Done& done) {
  if (r.bridge && !link_index(*r.bridge)) {
    return done(error_response(404, "no bridge named " + *r.bridge));
  }
  api::LeaseList list;
  const int64_t now = unix_now();
  for (const BridgeLink& l : links_) {
    if (r.bridge && l.name != *r.bridge) continue;
    for (const leases::Lease& lease : dhcp_.table(l.index).leases()) {
      list.leases.push_back(lease_info(lease, now));
    }
  }
  std::sort(list.leases.begin(), list.leases.end(), [](const auto& a, const auto& b) {
    return std::tie(a.bridge, a.ip) < std::tie(b.bridge, b.ip);
  });
  done(json_response(200, list));
}

void Daemon::on_request(const api::ListReservations& r, const Peer&, const Done& done) {
  if (r.bridge && !link_index(*r.bridge)) {
    return done(error_response(404, "no bridge named " + *r.bridge));
  }
  api::ReservationList list;
  for (const BridgeLink& l : links_) {
    if (r.bridge && l.name != *r.bridge) continue;
    for (const leases::Reservation& res : dhcp_.table(l.index).reservations()) {
      list.reservations.push_back(reservation_info(res));
    }
  }
  done(json_response(200, list));
}

// Checks a reservation (new, or `existing` changed) against the bridge and
// the reservations it has; returns the leases it makes forget, or an error.
std::variant<std::vector<leases::Lease>, ApiResponse> Daemon::check_reservation(
    size_t bridge, const leases::Reservation& r, int64_t ignore_id, bool force) const {
  const dhcp::BridgeSettings& s = dhcp_.settings(bridge);
  if (auto problem = dhcp::reservation_problem(r, s)) return error_response(400, *problem);
  for (const leases::Reservation& other : dhcp_.table(bridge).reservations()) {
    if (!other.from_config && other.id == ignore_id) continue;
    auto whose = [&] {
      return other.from_config ? std::string("a reservation in the config file")
                               : "reservation " + std::to_string(other.id);
    };
    if (other.ip == r.ip) {
      return error_response(409, r.ip.to_string() + " is already reserved by " + whose() + " (" +
                                     dhcp::client_text(other) + ")");
    }
    // A change keeps its client (only ip and name change): no client check.
    if (ignore_id == 0 && dhcp::same_client(other, r)) {
      return error_response(
          409, dhcp::client_text(r) + " already has " + whose() + " for " + other.ip.to_string());
    }
    if (!r.name.empty() && dhcp::equal_ci(other.name, r.name)) {
      return error_response(409, "name " + r.name + " is already used by " + whose());
    }
  }
  const int64_t now = unix_now();
  std::vector<leases::Lease> forget;
  for (const leases::Lease& l : dhcp_.table(bridge).leases()) {
    const bool mine = leases::ClientKey{l.mac, l.client_id, l.hostname}.matches(r);
    if (l.ip == r.ip && !mine && l.state_at(now) == leases::LeaseState::bound) {
      if (!force) {
        return error_response(409, r.ip.to_string() + " is leased to " + l.mac.to_string() +
                                       (l.hostname.empty() ? "" : " (" + l.hostname + ")") +
                                       " until " + std::to_string(l.expires_at) +
                                       "; use force to forget that lease");
      }
      forget.push_back(l);
    } else if (l.ip == r.ip && !mine) {
      forget.push_back(l);  // released or expired: affinity only, let it go
    } else if (mine && l.ip != r.ip && l.state_at(now) == leases::LeaseState::bound) {
      forget.push_back(l);  // the client's dynamic lease: its next REQUEST is NAKed
    }
  }
  return forget;
}

// Forgets `leases` (one commit), then calls `then(ok)` on the io thread.
void Daemon::forget_leases(size_t bridge, const std::vector<leases::Lease>& gone,
                           std::function<void(bool)> then) {
  if (gone.empty()) return then(true);
  auto decision = std::make_shared<dhcp::Decision>();
  for (const leases::Lease& l : gone) {
    dhcp::Decision d = dhcp_.forget(bridge, l.ip);
    for (auto& c : d.commit) decision->commit.push_back(std::move(c));
    for (auto& u : d.undo) decision->undo.push_back(std::move(u));
  }
  std::vector<leases::LeaseChange> changes = decision->commit;
  writer_->submit(std::move(changes), [this, bridge, decision, then](bool ok) {
    asio::post(io_, [this, bridge, decision, then, ok] {
      if (!ok) {
        dhcp_.commit_failed(bridge, *decision);
      } else {
        const int64_t now = unix_now();
        for (const leases::LeaseChange& c : decision->commit) {
          leases::Lease l = c.lease;
          l.state = leases::LeaseState::released;
          note_lease(bridge, l, now);
        }
      }
      then(ok);
    });
  });
}

void Daemon::on_request(const api::AddReservation& a, const Peer& peer, const Done& done) {
  const api::ReservationCreate& c = a.reservation;
  auto bridge = link_index(c.bridge);
  if (!bridge) return done(error_response(404, "no bridge named " + c.bridge));
  leases::Reservation r;
  r.bridge = c.bridge;
  switch (c.match) {
    case api::MatchKind::mac:
      r.match = leases::MatchKind::mac;
      r.mac = c.mac;
      break;
    case api::MatchKind::client_id:
      r.match = leases::MatchKind::client_id;
      r.client_id = c.client_id;
      break;
    case api::MatchKind::hostname:
      r.match = leases::MatchKind::hostname;
      r.hostname_match = c.hostname;
      break;
  }
  r.ip = c.ip;
  r.name = c.name;
  auto checked = check_reservation(*bridge, r, 0, c.force);
  if (auto* refused = std::get_if<ApiResponse>(&checked)) return done(std::move(*refused));
  auto gone = std::get<std::vector<leases::Lease>>(std::move(checked));
  try {
    r = reader_->add_reservation(r, unix_now());
  } catch (const leases::StoreConflict& e) {
    return done(error_response(409, std::string("reservation ") + e.what()));
  } catch (const leases::StoreError& e) {
    spdlog::error("control: reservation not stored: {}", e.what());
    return done(
        error_response(500, std::string("the reservation could not be stored: ") + e.what()));
  }
  spdlog::info("reservation {} added by uid {}: {} {} -> {}{}{}", r.id, peer.uid, r.bridge,
               dhcp::client_text(r), r.ip.to_string(), r.name.empty() ? "" : " ", r.name);
  db_reservations_.push_back(r);
  reservations_version_ = reader_->reservations_version();
  // check_reservation() refused every clash, so a merge would keep it: add it
  // alone (O(1)) rather than merge the bridge's reservations again.
  dhcp_.add_reservation(*bridge, r);
  names_changed();
  forget_leases(*bridge, gone, [r, gone, done](bool ok) {
    api::ReservationChange change{reservation_info(r), {}};
    const int64_t now = unix_now();
    if (ok) {
      for (const auto& l : gone) change.forgotten_leases.push_back(lease_info(l, now));
    } else {
      spdlog::error("reservation {}: the leases it replaces could not be forgotten", r.id);
    }
    done(json_response(201, change));
  });
}

void Daemon::on_request(const api::DeleteReservation& d, const Peer& peer, const Done& done) {
  for (const BridgeLink& l : links_) {
    for (const leases::Reservation& r : dhcp_.table(l.index).reservations()) {
      if (r.from_config || r.id != d.id) continue;
      const leases::Reservation copy = r;
      if (!reader_->remove_reservation(d.id)) break;
      spdlog::info("reservation {} removed by uid {}", d.id, peer.uid);
      std::erase_if(db_reservations_, [&](const auto& x) { return x.id == d.id; });
      reservations_version_ = reader_->reservations_version();
      apply_reservations(l.index);
      return done(json_response(200, api::ReservationChange{reservation_info(copy), {}}));
    }
  }
  // Not served (ignored for a clash, or on no bridge): it may still be in
  // the database.
  for (const leases::Reservation& r : reader_->load_reservations()) {
    if (r.id == d.id && reader_->remove_reservation(d.id)) {
      reload_reservations();
      return done(json_response(200, api::ReservationChange{reservation_info(r), {}}));
    }
  }
  if (d.id <= 0) {
    return done(error_response(409,
                               "reservations from the config file have no id; edit the file and "
                               "reload to change them"));
  }
  done(error_response(404, "no reservation " + std::to_string(d.id)));
}

void Daemon::on_request(const api::PatchReservation& p, const Peer& peer, const Done& done) {
  for (const BridgeLink& link : links_) {
    for (const leases::Reservation& existing : dhcp_.table(link.index).reservations()) {
      if (existing.from_config || existing.id != p.id) continue;
      leases::Reservation r = existing;
      if (p.patch.ip) r.ip = *p.patch.ip;
      if (p.patch.name) r.name = *p.patch.name;
      auto checked = check_reservation(link.index, r, r.id, p.patch.force);
      if (auto* refused = std::get_if<ApiResponse>(&checked)) return done(std::move(*refused));
      auto gone = std::get<std::vector<leases::Lease>>(std::move(checked));
      try {
        if (!reader_->update_reservation(r.id, r.ip, r.name)) break;
      } catch (const leases::StoreConflict& e) {
        return done(error_response(409, std::string("reservation ") + e.what()));
      } catch (const leases::StoreError& e) {
        spdlog::error("control: reservation {} not changed: {}", r.id, e.what());
        return done(
            error_response(500, std::string("the reservation could not be changed: ") + e.what()));
      }
      spdlog::info("reservation {} changed by uid {}: -> {}{}{}", r.id, peer.uid, r.ip.to_string(),
                   r.name.empty() ? "" : " ", r.name);
      for (auto& x : db_reservations_) {
        if (x.id == r.id) x = r;
      }
      reservations_version_ = reader_->reservations_version();
      const size_t bridge = link.index;
      apply_reservations(bridge);
      return forget_leases(bridge, gone, [r, gone, done](bool ok) {
        api::ReservationChange change{reservation_info(r), {}};
        const int64_t now = unix_now();
        if (ok) {
          for (const auto& l : gone) change.forgotten_leases.push_back(lease_info(l, now));
        }
        done(json_response(200, change));
      });
    }
  }
  done(error_response(p.id <= 0 ? 409 : 404,
                      p.id <= 0 ? "reservations from the config file are changed in the file"
                                : "no reservation " + std::to_string(p.id)));
}

void Daemon::on_request(const api::ForgetLease& f, const Peer& peer, const Done& done) {
  auto bridge = link_index(f.bridge);
  if (!bridge) return done(error_response(404, "no bridge named " + f.bridge));
  const leases::Lease* l = dhcp_.table(*bridge).at(f.ip);
  if (l == nullptr) {
    return done(error_response(404, "no lease for " + f.ip.to_string() + " on " + f.bridge));
  }
  const leases::Lease copy = *l;
  spdlog::info("lease {} {} {} forgotten by uid {}", f.bridge, f.ip.to_string(),
               copy.mac.to_string(), peer.uid);
  forget_leases(*bridge, {copy}, [copy, done](bool ok) {
    if (!ok) return done(error_response(500, "the lease could not be removed from the database"));
    done(json_response(200, lease_info(copy, unix_now())));
  });
}

void Daemon::on_request(const api::Reload&, const Peer& peer, const Done& done) {
  spdlog::info("reload requested by uid {}", peer.uid);
  auto result = reload();
  if (auto* refused = std::get_if<std::string>(&result)) return done(error_response(400, *refused));
  done(json_response(200, std::get<api::ReloadResult>(result)));
}

void Daemon::on_request(const api::GetMetrics&, const Peer&, const Done& done) {
  done(ApiResponse{200, "text/plain; version=0.0.4", metrics_text()});
}

std::variant<api::ReloadResult, std::string> Daemon::reload() {
  if (config_.source == "<built-in defaults>") {
    return std::string("berthd runs on its built-in defaults (no config file): nothing to reload");
  }
  config::Config next;
  try {
    next = config::load_config_file(config_.source);
  } catch (const config::ConfigError& e) {
    spdlog::error("reload refused, the running configuration stays: {}", e.what());
    return std::string(e.what());
  }
  auto refuse = [&](const std::string& what) -> std::string {
    std::string m = config_.source + ": " + what +
                    " cannot change without a restart of berthd (leases are kept); "
                    "nothing was changed";
    spdlog::error("reload refused: {}", m);
    return m;
  };
  const config::DaemonConfig& d0 = config_.daemon;
  const config::DaemonConfig& d1 = next.daemon;
  if (d0.database != d1.database) return refuse("[daemon] database");
  if (d0.durability != d1.durability) return refuse("[daemon] durability");
  if (d0.control_socket != d1.control_socket) return refuse("[daemon] control_socket");
  if (d0.control_group != d1.control_group) return refuse("[daemon] control_group");
  const config::DnsConfig& n0 = config_.dns;
  const config::DnsConfig& n1 = next.dns;
  if (n0.enabled != n1.enabled || n0.port != n1.port || n0.workers != n1.workers) {
    return refuse("[dns] enabled, port or workers");
  }
  if (n0.cache_size != n1.cache_size) return refuse("[dns] cache_size");
  const bool forwarding_changed = n0.upstreams != n1.upstreams ||
                                  n0.resolv_conf != n1.resolv_conf || n0.servers != n1.servers ||
                                  n0.upstream_timeout_ms != n1.upstream_timeout_ms;
  try {
    resolve_auto_addresses(next, *reader_);
  } catch (const std::exception& e) {
    std::string m = config_.source + ": " + e.what() + "; nothing was changed";
    spdlog::error("reload refused: {}", m);
    return m;
  }
  api::ReloadResult result;
  result.config = config_.source;
  result.bridges = next.bridges.size();
  auto find = [](const std::vector<config::BridgeConfig>& list, const std::string& name) {
    const config::BridgeConfig* found = nullptr;
    for (const auto& b : list) {
      if (b.name == name) found = &b;
    }
    return found;
  };
  // A bridge whose address, pool or link settings change is served anew
  // (its sockets reopened, its leases read back from the store); one whose
  // options change keeps its sockets; the others are not touched at all.
  auto needs_new_sockets = [](const config::BridgeConfig& a, const config::BridgeConfig& b) {
    return a.address != b.address || a.pool_start != b.pool_start || a.pool_end != b.pool_end ||
           a.mtu != b.mtu || a.create != b.create || a.mac != b.mac;
  };
  std::vector<std::string> retire;               // removed, or served anew
  std::vector<const config::BridgeConfig*> add;  // added, or served anew
  for (const auto& b : config_.bridges) {
    if (find(next.bridges, b.name) == nullptr) {
      result.bridges_removed.push_back(b.name);
      retire.push_back(b.name);
    }
  }
  for (const auto& b : next.bridges) {
    const config::BridgeConfig* old = find(config_.bridges, b.name);
    if (old != nullptr && (old->uplink != b.uplink || old->uplink_force != b.uplink_force)) {
      return refuse("bridge " + b.name + "'s uplink");
    }
    if (old == nullptr) {
      result.bridges_added.push_back(b.name);
      add.push_back(&b);
    } else if (needs_new_sockets(*old, b)) {
      result.bridges_changed.push_back(b.name);
      retire.push_back(b.name);
      add.push_back(&b);
    } else if (!(*old == b)) {
      result.bridges_changed.push_back(b.name);
    }
  }
  // Everything that can fail first (netlink, sockets): a failure here
  // leaves the running configuration whole.
  std::vector<PreparedBridge> prepared;
  for (const config::BridgeConfig* b : add) {
    try {
      prepared.push_back(prepare_bridge(*b));
    } catch (const std::exception& e) {
      std::string m =
          config_.source + ": bridge " + b->name + ": " + e.what() + "; nothing was changed";
      spdlog::error("reload refused: {}", m);
      return m;
    }
  }
  // Apply.
  for (const std::string& name : retire) {
    if (auto index = link_index(name)) retire_bridge(*index);
  }
  if (!prepared.empty()) {
    writer_->flush();  // what the retired bridges committed is read back below
    const std::vector<leases::Lease> stored = reader_->load_all();
    for (PreparedBridge& p : prepared) serve_bridge(std::move(p), stored);
  }
  for (const config::BridgeConfig& b : next.bridges) {
    // Address and pool are as they were: a bridge whose changed was served anew.
    dhcp_.update_settings(*link_index(b.name), settings_of(b));
  }
  const std::string source = config_.source;
  const std::string log_level = next.daemon.log_level;
  config_ = std::move(next);
  config_.source = source;
  spdlog::set_level(spdlog::level::from_str(log_level));
  reload_reservations();  // config reservations, and the DNS names (static records too)
  if (dns_ && forwarding_changed) dns_->reconfigure_forwarding(config_.dns);
  attach_uplinks();
  reconfigure_firewall();
  spdlog::info("configuration reloaded from {}: {} bridge(s), {} changed", source, result.bridges,
               result.bridges_changed.size());
  return result;
}

std::string Daemon::metrics_text() const {
  std::string out;
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const dhcp::DhcpCounters& c = dhcp_.counters();
  using T = dhcp4::MessageType;
  family("berth_dhcp_received_total", "counter", "DHCP messages received, by type.");
  for (T t : {T::discover, T::request, T::decline, T::release, T::inform}) {
    out += fmt::format("berth_dhcp_received_total{{type=\"{}\"}} {}\n", to_string(t),
                       c.received[static_cast<size_t>(t)]);
  }
  family("berth_dhcp_sent_total", "counter", "DHCP messages sent, by type.");
  for (T t : {T::offer, T::ack, T::nak}) {
    out += fmt::format("berth_dhcp_sent_total{{type=\"{}\"}} {}\n", to_string(t),
                       c.sent[static_cast<size_t>(t)]);
  }
  family("berth_dhcp_dropped_total", "counter", "DHCP messages dropped, by reason.");
  for (const auto& [reason, n] : c.dropped) {
    out += fmt::format("berth_dhcp_dropped_total{{reason=\"{}\"}} {}\n", reason, n);
  }
  family("berth_dhcp_pool_exhausted_total", "counter", "DISCOVERs left unanswered, pool full.");
  out += fmt::format("berth_dhcp_pool_exhausted_total {}\n", c.pool_exhausted);
  family("berth_lease_commit_failed_total", "counter", "Lease commits that failed (no ACK).");
  out += fmt::format("berth_lease_commit_failed_total {}\n", c.commit_failed);
  const auto w = writer_->stats();
  family("berth_lease_transactions_total", "counter", "Group-commit transactions.");
  out += fmt::format("berth_lease_transactions_total {}\n", w.transactions);
  family("berth_lease_writes_total", "counter", "Lease changes written.");
  out += fmt::format("berth_lease_writes_total {}\n", w.leases_written);
  family("berth_lease_commit_seconds", "histogram",
         "Time of each group commit (one SQLite transaction, fsync included).");
  for (size_t i = 0; i < w.commit_le.size(); ++i) {
    out += fmt::format("berth_lease_commit_seconds_bucket{{le=\"{}\"}} {}\n",
                       static_cast<double>(leases::LeaseWriter::Stats::kCommitBucketsUs[i]) / 1e6,
                       w.commit_le[i]);
  }
  out += fmt::format("berth_lease_commit_seconds_bucket{{le=\"+Inf\"}} {}\n", w.transactions);
  out += fmt::format("berth_lease_commit_seconds_sum {}\n",
                     static_cast<double>(w.commit_us_sum) / 1e6);
  out += fmt::format("berth_lease_commit_seconds_count {}\n", w.transactions);
  family("berth_leases", "gauge", "Leases by bridge and state.");
  const int64_t now = unix_now();
  for (const BridgeLink& l : links_) {
    const auto n = dhcp_.table(l.index).counts(now);
    for (auto [state, v] : {std::pair{"bound", n.bound}, std::pair{"offered", n.offered},
                            std::pair{"released", n.released}, std::pair{"expired", n.expired},
                            std::pair{"declined", n.declined}}) {
      out += fmt::format("berth_leases{{bridge=\"{}\",state=\"{}\"}} {}\n", l.name, state, v);
    }
  }
  family("berth_pool_size", "gauge", "Addresses in the dynamic pool.");
  for (const BridgeLink& l : links_) {
    out += fmt::format("berth_pool_size{{bridge=\"{}\"}} {}\n", l.name,
                       dhcp_.table(l.index).pool().size());
  }
  family("berth_pool_used_ratio", "gauge", "Share of the pool that is bound.");
  for (const BridgeLink& l : links_) {
    const double size = dhcp_.table(l.index).pool().size();
    out += fmt::format(
        "berth_pool_used_ratio{{bridge=\"{}\"}} {:.4f}\n", l.name,
        size > 0 ? static_cast<double>(dhcp_.table(l.index).counts(now).bound) / size : 0.0);
  }
  if (dns_) {
    const auto d = dns_->counters();
    family("berth_dns_queries_total", "counter", "DNS queries by result.");
    for (size_t i = 0; i < d.size(); ++i) {
      out += fmt::format("berth_dns_queries_total{{result=\"{}\"}} {}\n",
                         to_string(static_cast<DnsCounters::Kind>(i)), d[i]);
    }
    family("berth_dns_cache_hits_total", "counter", "DNS answers served from the cache.");
    out += fmt::format("berth_dns_cache_hits_total {}\n", dns_->cache_hits());
    family("berth_dns_names", "gauge", "Local names in the current DNS snapshot.");
    out += fmt::format("berth_dns_names {}\n", dns_->table()->name_count());
  }
  return out;
}

}  // namespace berth::server
