// GET /v1/events (issue 14): the events after a cursor, once or followed.
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "api/events.hpp"
#include "server/daemon.hpp"

namespace berth::server {

leases::EventRetention event_retention(const config::DaemonConfig& d) {
  return leases::EventRetention{.max_age_s = d.events_max_age, .max_count = d.events_max_count};
}

void Daemon::on_request(const api::GetEvents& r, const Peer& peer, const Done& done) {
  const leases::LeaseStore::EventBounds bounds = reader_->event_bounds();
  if (r.since && *r.since > bounds.head) {
    return done(error_response(
        400, "cursor " + std::to_string(*r.since) + " is past the newest event (" +
                 std::to_string(bounds.head) +
                 "); it is not from this database: ask again without since= for every event"));
  }
  std::optional<leases::Event> gap;
  if (r.since) gap = api::gap_event(*r.since, bounds);
  const std::string type(r.sse ? api::kEventStreamType : api::kNdjsonType);
  if (r.follow) {
    // No since: only what comes from now on.
    const int64_t after = r.since ? std::max(*r.since, gap ? gap->cursor : 0) : bounds.head;
    spdlog::debug("control: uid {} pid {} follows events after {}", peer.uid, peer.pid, after);
    ApiResponse res{.status = 200, .content_type = type, .body = {}, .stream = nullptr};
    res.stream = events_->follow(after, r.sse, std::move(gap));
    return done(std::move(res));
  }
  const int64_t after = r.since ? std::max(*r.since, gap ? gap->cursor : 0) : 0;
  std::string body;
  auto add = [&](const leases::Event& e) {
    body += r.sse ? api::event_sse(e) : api::event_line(e);
  };
  if (gap) add(*gap);
  for (const leases::Event& e : reader_->events_after(after, api::kEventsPerAnswer)) add(e);
  done(
      ApiResponse{.status = 200, .content_type = type, .body = std::move(body), .stream = nullptr});
}

void Daemon::record_expiries(const std::vector<leases::Lease>& expired) {
  if (expired.empty()) return;
  std::vector<leases::Event> events;
  const int64_t now_ms = leases::event_clock_ms();
  for (const leases::Lease& l : expired) {
    leases::Lease gone = l;
    gone.state = leases::LeaseState::expired;
    events.push_back(leases::lease_event(leases::EventKind::lease_expired, gone, now_ms));
  }
  // Committed on the writer thread with the next group; followers hear of
  // it back on the io thread.
  writer_->submit_events(std::move(events), [this](bool ok) {
    if (!ok) spdlog::error("events: the lease expiries could not be recorded");
    boost::asio::post(io_, [this] { events_->notify(); });
  });
}

}  // namespace berth::server
