// Keeps the events table bounded ([daemon] events_max_age and
// events_max_count) from a thread of its own with its own connection, so
// the DHCP thread and the lease writer never do the deleting. It deletes in
// small chunks, each its own short transaction, so a lease commit waits for
// at most one chunk.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "leases/store.hpp"

namespace berth::leases {

struct EventRetention {
  int64_t max_age_s = 24 * 3600;  // events older than this go; <= 0: no age limit
  int64_t max_count = 100000;     // at most this many are kept; <= 0: no count limit

  bool operator==(const EventRetention&) const = default;
};

class EventPruner {
 public:
  // Rows deleted per transaction.
  static constexpr size_t kChunk = 256;

  // Opens `path` (already migrated by the daemon's store) and prunes once
  // every `every`, the first time after `every`.
  EventPruner(const std::string& path, Durability durability, EventRetention retention,
              std::chrono::milliseconds every);
  // Stops the thread (a pass in progress ends after its chunk).
  ~EventPruner();
  EventPruner(const EventPruner&) = delete;
  EventPruner& operator=(const EventPruner&) = delete;

  void set_retention(EventRetention retention);
  // Deletes what the retention allows, as of `now_ms`, in chunks; returns
  // how many events went. Also what the thread calls.
  size_t prune(int64_t now_ms);

 private:
  void run();

  LeaseStore store_;
  std::chrono::milliseconds every_;
  std::mutex mu_;        // guards retention_ and stopping_
  std::mutex store_mu_;  // one prune() at a time on store_
  std::condition_variable wake_;
  EventRetention retention_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::leases
