// The daemon's side of /v1/records: checks first (bridge, names, clashes),
// then the database, then the DNS snapshot, which is rebuilt before the
// reply so that the record answers as soon as the client hears back.
#include <spdlog/spdlog.h>

#include "api/records.hpp"
#include "server/daemon.hpp"

namespace berth::server {
namespace {

std::string domain_of(const config::Config& config, const std::string& bridge) {
  if (bridge.empty()) return {};
  for (const config::BridgeConfig& b : config.bridges) {
    if (b.name == bridge) return b.domain;
  }
  return {};
}

}  // namespace

api::RecordInfo Daemon::record_info(const dns::UserRecord& r) const {
  const auto owner = dns::record_owner(r, domain_of(config_, r.bridge));
  return api::RecordInfo{.record = r, .fqdn = owner ? owner->to_text() : r.name};
}

void Daemon::on_request(const api::ListRecords& l, const Peer&, const Done& done) {
  api::RecordList list;
  for (const dns::UserRecord& r : db_records_) {
    api::RecordInfo info = record_info(r);
    if (api::record_matches(l, info)) list.records.push_back(std::move(info));
  }
  done(json_response(200, list));
}

void Daemon::on_request(const api::AddRecord& a, const Peer& peer, const Done& done) {
  dns::UserRecord r = a.record;
  std::optional<size_t> bridge;
  if (!r.bridge.empty()) {
    bridge = link_index(r.bridge);
    if (!bridge) return done(error_response(404, "no bridge named " + r.bridge));
  }
  const std::string domain = domain_of(config_, r.bridge);
  const auto owner = dns::record_owner(r, domain);
  if (!owner) {
    return done(error_response(
        400, "the name " + r.name + " in domain " + domain + " is longer than 255 bytes"));
  }
  if ((r.type == dns::RecordType::cname || r.type == dns::RecordType::srv) &&
      !dns::record_target(r, domain)) {
    return done(error_response(
        400, "the target " + r.target + " in domain " + domain + " is longer than 255 bytes"));
  }
  std::vector<dns::OwnedRecord> existing;
  existing.reserve(db_records_.size());
  for (const dns::UserRecord& e : db_records_) {
    if (auto o = dns::record_owner(e, domain_of(config_, e.bridge))) existing.push_back({&e, *o});
  }
  if (auto clash = dns::record_conflict(r, *owner, existing))
    return done(error_response(409, *clash));
  // An alias may not take the name of a client of the bridge (RFC 1034
  // §3.6.2): the reservation or lease would lose its address records.
  if (r.type == dns::RecordType::cname && bridge && owner->label_count() >= 1) {
    const std::string label(owner->label(0));
    const bool in_domain =
        dns::record_owner(dns::UserRecord{.bridge = r.bridge, .name = label}, domain) == *owner;
    if (in_domain && (names_->address_of(label, *bridge) || names_->address6_of(label, *bridge))) {
      return done(error_response(409, owner->to_text() +
                                          " is the name of a reservation or lease on " + r.bridge +
                                          "; an alias may have no other records"));
    }
  }
  try {
    r = reader_->add_record(r, unix_now());
  } catch (const leases::StoreError& e) {
    spdlog::error("control: record not stored: {}", e.what());
    return done(error_response(500, std::string("the record could not be stored: ") + e.what()));
  }
  spdlog::info("record {} added by uid {}: {} {} {}", r.id, peer.uid, owner->to_text(),
               dns::to_string(r.type), dns::record_value_text(r));
  db_records_.push_back(r);
  names_->set_records(db_records_);
  names_->build_now();
  done(json_response(201, record_info(r)));
}

void Daemon::on_request(const api::DeleteRecord& d, const Peer& peer, const Done& done) {
  auto it = std::find_if(db_records_.begin(), db_records_.end(),
                         [&](const dns::UserRecord& r) { return r.id == d.id; });
  if (it == db_records_.end())
    return done(error_response(404, "no record " + std::to_string(d.id)));
  try {
    if (!reader_->remove_record(d.id)) {
      return done(error_response(404, "no record " + std::to_string(d.id)));
    }
  } catch (const leases::StoreError& e) {
    spdlog::error("control: record not removed: {}", e.what());
    return done(error_response(500, std::string("the record could not be removed: ") + e.what()));
  }
  const api::RecordInfo info = record_info(*it);
  db_records_.erase(it);
  spdlog::info("record {} removed by uid {}", d.id, peer.uid);
  names_->set_records(db_records_);
  names_->build_now();
  done(json_response(200, info));
}

}  // namespace berth::server
