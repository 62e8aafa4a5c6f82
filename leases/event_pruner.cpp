#include "leases/event_pruner.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include "leases/events.hpp"

namespace berth::leases {

EventPruner::EventPruner(const std::string& path, Durability durability, EventRetention retention,
                         std::chrono::milliseconds every)
    : store_(path, durability), every_(every), retention_(retention), thread_([this] { run(); }) {}

EventPruner::~EventPruner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void EventPruner::set_retention(EventRetention retention) {
  std::lock_guard lock(mu_);
  retention_ = retention;
}

size_t EventPruner::prune(int64_t now_ms) {
  EventRetention r;
  {
    std::lock_guard lock(mu_);
    r = retention_;
  }
  constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();
  const int64_t cutoff = r.max_age_s > 0 && r.max_age_s < kNoLimit / 1000
                             ? now_ms - r.max_age_s * 1000
                             : std::numeric_limits<int64_t>::min();
  const int64_t keep = r.max_count > 0 ? r.max_count : kNoLimit;
  std::lock_guard lock(store_mu_);
  size_t total = 0;
  for (;;) {
    const size_t n = store_.prune_events(cutoff, keep, kChunk);
    total += n;
    if (n < kChunk) break;
    {
      std::unique_lock stop(mu_);
      // Let the lease writer in between chunks.
      if (wake_.wait_for(stop, std::chrono::milliseconds(5), [this] { return stopping_; })) break;
    }
  }
  return total;
}

void EventPruner::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, every_, [this] { return stopping_; })) return;
    }
    try {
      if (size_t n = prune(event_clock_ms()); n > 0) spdlog::debug("events: pruned {}", n);
    } catch (const StoreError& e) {
      spdlog::error("events: pruning failed, trying again later: {}", e.what());
    }
  }
}

}  // namespace berth::leases
