// The daemon's side of the control API (issue 5): every request of
// api::Request answered on the io thread. A request that fails changes
// nothing: checks come first, then the database, then memory.
#include <spdlog/spdlog.h>

#include <chrono>

#include "api/convert.hpp"
#include "api/response.hpp"
#include "dhcp/reservations.hpp"
#include "leases/importers.hpp"
#include "leases/time.hpp"
#include "server/daemon.hpp"

namespace berth::server {

void Daemon::handle(const api::Request& req, const Peer& peer,
                    std::function<void(ApiResponse)> done) {
  try {
    std::visit([&](const auto& r) { on_request(r, peer, done); }, req);
    // Reservation and forward changes wrote their events by trigger.
    if (api::changes_state(req)) events_->notify();
  } catch (const std::exception& e) {
    spdlog::error("control: {}", e.what());
    done(error_response(500, std::string("internal error: ") + e.what()));
  }
}

void Daemon::on_request(const api::GetStatus&, const Peer&, const Done& done) {
  api::Status s;
  s.version = BERTH_VERSION;
  s.uptime_s = unix_now() - started_at_;
  s.bridges = bridges_.size();
  const int64_t now = unix_now();
  for (const BridgeLink& l : bridges_) {
    auto c = dhcp4_->engine().table(l.index).counts(now);
    s.leases.bound += c.bound;
    s.leases.released += c.released;
    s.leases.expired += c.expired;
    s.leases.declined += c.declined;
    s.reservations += dhcp4_->engine().table(l.index).reservation_count();
  }
  s.database = config_.daemon.database;
  s.config = config_.source;
  done(json_response(200, s));
}

void Daemon::on_request(const api::ListBridges&, const Peer&, const Done& done) {
  api::BridgeList list;
  const int64_t now = unix_now();
  for (const BridgeLink& l : bridges_) {
    const dhcp::BridgeSettings& s = dhcp4_->engine().settings(l.index);
    list.bridges.push_back(
        api::BridgeInfo{.name = l.name,
                        .address = l.address,
                        .pool_start = s.pool_first,
                        .pool_end = s.pool_last,
                        .pool_size = dhcp4_->engine().table(l.index).pool().size(),
                        .leases_bound = dhcp4_->engine().table(l.index).counts(now).bound,
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
  for (const BridgeLink& l : bridges_) {
    if (r.bridge && l.name != *r.bridge) continue;
    for (const leases::Lease& lease : dhcp4_->engine().table(l.index).leases()) {
      list.leases.push_back(api::lease_info(lease, now));
    }
    if (auto index6 = dhcp6_->engine_index(l.index)) {
      for (const leases::Lease& lease : dhcp6_->engine().table(*index6).leases()) {
        list.leases.push_back(api::lease_info(lease, now));
      }
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
  for (const BridgeLink& l : bridges_) {
    if (r.bridge && l.name != *r.bridge) continue;
    for (const leases::Reservation& res : dhcp4_->engine().table(l.index).reservations()) {
      list.reservations.push_back(api::reservation_info(res));
    }
  }
  done(json_response(200, list));
}

// Checks a reservation (new, or `existing` changed) against the bridge and
// the reservations it has; returns the leases it makes forget, or an error.
std::variant<std::vector<leases::Lease>, ApiResponse> Daemon::check_reservation(
    size_t bridge, const leases::Reservation& r, int64_t ignore_id, bool force) const {
  const dhcp::BridgeSettings& s = dhcp4_->engine().settings(bridge);
  if (auto problem = dhcp::reservation_problem(r, s)) return error_response(400, *problem);
  if (auto problem = dhcp::ipv6_problem(r, bridge_ipv6(r.bridge))) {
    return error_response(400, *problem);
  }
  for (const leases::Reservation& other : dhcp4_->engine().table(bridge).reservations()) {
    if (!other.from_config && other.id == ignore_id) continue;
    auto whose = [&] {
      return other.from_config ? std::string("a reservation in the config file")
                               : "reservation " + std::to_string(other.id);
    };
    if (other.ip == r.ip) {
      return error_response(409, r.ip.to_string() + " is already reserved by " + whose() + " (" +
                                     dhcp::client_text(other) + ")");
    }
    if (r.ipv6 && other.ipv6 == r.ipv6) {
      return error_response(409, r.ipv6->to_string() + " is already reserved by " + whose() + " (" +
                                     dhcp::client_text(other) + ")");
    }
    if (ignore_id == 0 && !r.duid.empty() && other.duid == r.duid) {
      return error_response(409, "DUID " + to_hex_colon(r.duid) + " already has " + whose());
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
  for (const leases::Lease& l : dhcp4_->engine().table(bridge).leases()) {
    const bool mine = leases::ClientKey{l.mac, l.client_id, l.hostname}.matches(r);
    if (l.ip == r.ip && !mine && l.state_at(now) == leases::LeaseState::bound) {
      if (!force) {
        return error_response(409, r.ip.to_string() + " is leased to " + l.mac.to_string() +
                                       (l.hostname.empty() ? "" : " (" + l.hostname + ")") +
                                       (l.expires_at >= leases::kInfiniteExpiry
                                            ? std::string(" with no end")
                                            : " until " + leases::format_utc(l.expires_at)) +
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

// Forgets `gone` (one commit), then calls `then(ok)` on the io thread. The
// DNS names follow through on_committed.
void Daemon::forget_leases(size_t bridge, const std::vector<leases::Lease>& gone,
                           std::function<void(bool)> then) {
  if (gone.empty()) return then(true);
  dhcp::Decision decision;
  for (const leases::Lease& l : gone) {
    dhcp::Decision d = dhcp4_->engine().forget(bridge, l.ip.v4());
    for (auto& c : d.commit) decision.commit.push_back(std::move(c));
    for (auto& u : d.undo) decision.undo.push_back(std::move(u));
  }
  dhcp4_->commit(bridge, std::move(decision), std::move(then));
}

void Daemon::on_request(const api::AddReservation& a, const Peer& peer, const Done& done) {
  const api::ReservationCreate& c = a.reservation;
  auto bridge = link_index(c.bridge);
  if (!bridge) return done(error_response(404, "no bridge named " + c.bridge));
  leases::Reservation r = api::reservation_from(c);
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
  spdlog::info("reservation {} added by uid {}: {} {} -> {}", r.id, peer.uid, r.bridge,
               dhcp::client_text(r), dhcp::reserved_text(r));
  reservations_version_ = reader_->reservations_version();
  // check_reservation() refused every clash, so a merge would keep it: add it
  // alone (O(1)) rather than merge the bridge's reservations again.
  dhcp4_->engine().add_reservation(*bridge, r);
  names_->set_reservations(*bridge, dhcp4_->engine().table(*bridge));
  apply_reservations6(*bridge);
  forget_leases(*bridge, gone, [r, gone, done](bool ok) {
    api::ReservationChange change{api::reservation_info(r), {}};
    const int64_t now = unix_now();
    if (ok) {
      for (const auto& l : gone) change.forgotten_leases.push_back(api::lease_info(l, now));
    } else {
      spdlog::error("reservation {}: the leases it replaces could not be forgotten", r.id);
    }
    done(json_response(201, change));
  });
}

void Daemon::on_request(const api::DeleteReservation& d, const Peer& peer, const Done& done) {
  for (const BridgeLink& l : bridges_) {
    for (const leases::Reservation& r : dhcp4_->engine().table(l.index).reservations()) {
      if (r.from_config || r.id != d.id) continue;
      const leases::Reservation copy = r;
      if (!reader_->remove_reservation(d.id)) break;
      spdlog::info("reservation {} removed by uid {}", d.id, peer.uid);
      reservations_version_ = reader_->reservations_version();
      apply_reservations(l.index);
      return done(json_response(200, api::ReservationChange{api::reservation_info(copy), {}}));
    }
  }
  // Not served (ignored for a clash, or on no bridge): it may still be in
  // the database.
  for (const leases::Reservation& r : reader_->load_reservations()) {
    if (r.id == d.id && reader_->remove_reservation(d.id)) {
      reload_reservations();
      return done(json_response(200, api::ReservationChange{api::reservation_info(r), {}}));
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
  for (const BridgeLink& link : bridges_) {
    for (const leases::Reservation& existing : dhcp4_->engine().table(link.index).reservations()) {
      if (existing.from_config || existing.id != p.id) continue;
      leases::Reservation r = existing;
      if (p.patch.ip) r.ip = *p.patch.ip;
      if (p.patch.ipv6) {
        r.ipv6 = *p.patch.ipv6;
        if (!r.ipv6) r.duid.clear();  // as the store does: a DUID only finds an IPv6 client
      }
      if (p.patch.name) r.name = *p.patch.name;
      if (p.patch.options) r.options = *p.patch.options;
      auto checked = check_reservation(link.index, r, r.id, p.patch.force);
      if (auto* refused = std::get_if<ApiResponse>(&checked)) return done(std::move(*refused));
      auto gone = std::get<std::vector<leases::Lease>>(std::move(checked));
      try {
        if (!reader_->update_reservation(r.id, r.ip, r.ipv6, r.name,
                                         p.patch.options ? &r.options : nullptr)) {
          break;
        }
      } catch (const leases::StoreConflict& e) {
        return done(error_response(409, std::string("reservation ") + e.what()));
      } catch (const leases::StoreError& e) {
        spdlog::error("control: reservation {} not changed: {}", r.id, e.what());
        return done(
            error_response(500, std::string("the reservation could not be changed: ") + e.what()));
      }
      spdlog::info("reservation {} changed by uid {}: -> {}", r.id, peer.uid,
                   dhcp::reserved_text(r));
      reservations_version_ = reader_->reservations_version();
      const size_t bridge = link.index;
      apply_reservations(bridge);
      return forget_leases(bridge, gone, [r, gone, done](bool ok) {
        api::ReservationChange change{api::reservation_info(r), {}};
        const int64_t now = unix_now();
        if (ok) {
          for (const auto& l : gone) change.forgotten_leases.push_back(api::lease_info(l, now));
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
  const std::optional<leases::Lease> l = dhcp4_->engine().table(*bridge).at(f.ip);
  if (!l) {
    return done(error_response(404, "no lease for " + f.ip.to_string() + " on " + f.bridge));
  }
  const leases::Lease copy = *l;
  spdlog::info("lease {} {} {} forgotten by uid {}", f.bridge, f.ip.to_string(),
               copy.mac.to_string(), peer.uid);
  forget_leases(*bridge, {copy}, [copy, done](bool ok) {
    if (!ok) return done(error_response(500, "the lease could not be removed from the database"));
    done(json_response(200, api::lease_info(copy, unix_now())));
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

}  // namespace berth::server
