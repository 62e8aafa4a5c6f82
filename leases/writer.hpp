// Group commit: lease changes from the DHCP thread are queued to one writer
// thread that commits everything queued so far in one transaction (one fsync
// under durability=fsync) and then reports each change's outcome. A DHCPACK
// is sent only from that report, so an acknowledged lease is always durable.
// WAL checkpoints run on a thread of their own, so that no commit waits for one.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "leases/lease.hpp"
#include "leases/store.hpp"

namespace berth::leases {

class LeaseWriter {
 public:
  // Called on the writer thread once the change is durable (ok) or its
  // transaction failed (!ok). Post to your own thread from here.
  using Done = std::function<void(bool ok)>;

  struct Stats {
    uint64_t transactions = 0;
    uint64_t leases_written = 0;
    uint64_t failed_transactions = 0;
    uint64_t last_commit_us = 0;
    // Commit time histogram: commits that took at most kCommitBucketsUs[i]
    // microseconds (cumulative, as Prometheus wants), and the sum.
    static constexpr std::array<uint64_t, 8> kCommitBucketsUs = {250,  500,   1000,  2500,
                                                                 5000, 10000, 50000, 250000};
    std::array<uint64_t, kCommitBucketsUs.size()> commit_le{};
    uint64_t commit_us_sum = 0;
    // WAL checkpoints run by the checkpoint thread, off the commit path.
    uint64_t checkpoints = 0;
  };
  // The WAL size (pages) at which a commit wakes the checkpoint thread, by
  // default SQLite's own for checkpoints in the commit.
  static constexpr int kCheckpointPages = 1000;

  // `min_interval`: under load, transactions start at least this far apart,
  // so changes queued meanwhile share one commit (one fsync, one write of
  // each touched page) instead of each paying for its own. A change that
  // arrives when the writer has been idle that long is committed at once.
  explicit LeaseWriter(LeaseStore& store,
                       std::chrono::microseconds min_interval = std::chrono::microseconds{0});
  // Commits what is queued, then stops the thread.
  ~LeaseWriter();
  LeaseWriter(const LeaseWriter&) = delete;
  LeaseWriter& operator=(const LeaseWriter&) = delete;

  // Queues changes that must be committed together; `done` runs once.
  void submit(std::vector<LeaseChange> changes, Done done);
  // Queues events that go with no lease change (expiries the daemon
  // noticed); committed with the next group, `done` once.
  void submit_events(std::vector<Event> events, Done done);
  // Blocks until everything submitted so far has been committed (tests, shutdown).
  void flush();
  Stats stats() const;
  // Takes effect from the next transaction (a reload).
  void set_min_interval(std::chrono::microseconds min_interval);
  // Takes effect from the next commit (tests).
  void set_checkpoint_pages(int pages) { checkpoint_pages_ = pages; }

 private:
  struct Pending {
    std::vector<LeaseChange> changes;
    Done done;
    std::vector<Event> events;
  };
  void run();
  void run_checkpoints();
  void maybe_checkpoint();

  LeaseStore& store_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  int flushing_ = 0;  // flush() calls waiting: no group-commit delay
  std::chrono::microseconds min_interval_;
  Stats stats_;
  // Checkpoints on their own connection and thread (none when that
  // connection could not be opened: SQLite's checkpoints in the commit).
  std::unique_ptr<LeaseStore> checkpoint_store_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_wake_;
  std::atomic<int> checkpoint_pages_ = kCheckpointPages;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stopping_ = false;
  std::thread checkpoint_thread_;
  std::thread thread_;
};

}  // namespace berth::leases
