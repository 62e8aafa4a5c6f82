// The followers of GET /v1/events?follow=1: each reads the events table
// after its own cursor and writes what it finds to its connection, woken by
// notify() whenever a commit may have added events (a lease commit, an API
// change, the daemon's tick for changes made by other processes). Reads are
// in batches on the io thread; a follower whose client lags stops reading
// until its connection's queue drains, so it never holds more than a batch
// beyond the connection's limit.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>

#include "leases/events.hpp"
#include "leases/store.hpp"
#include "server/control_backend.hpp"

namespace berth::server {

class EventFeed {
 public:
  // Events read per batch; a follower yields to the io_context between batches.
  static constexpr size_t kBatch = 256;
  // A follower reads no more while its connection has this much unsent.
  static constexpr size_t kHighWater = 256 * 1024;

  EventFeed(boost::asio::io_context& io, leases::LeaseStore& reader);
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // A stream of the events after `after` (first `first`, a gap event, when
  // given), as JSON lines or SSE frames, and every one committed later.
  std::shared_ptr<StreamSource> follow(int64_t after, bool sse, std::optional<leases::Event> first);
  // Events may have been committed: followers look (once, after the
  // current handler: never inside a DHCP reply path).
  void notify();
  size_t followers() const { return followers_.size(); }

  class Follower;

 private:
  void forget(Follower* f);
  void wake_all();

  boost::asio::io_context& io_;
  leases::LeaseStore& reader_;
  std::list<std::shared_ptr<Follower>> followers_;
  bool posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::server
