#include "leases/writer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace berth::leases {

LeaseWriter::LeaseWriter(LeaseStore& store, std::chrono::microseconds min_interval)
    : store_(store), min_interval_(min_interval) {
  try {
    checkpoint_store_ = store_.checkpoint_connection();
    store_.defer_checkpoints();
    checkpoint_thread_ = std::thread([this] { run_checkpoints(); });
  } catch (const StoreError& e) {
    checkpoint_store_.reset();
    spdlog::warn("WAL checkpoints stay in the commits: {}", e.what());
  }
  thread_ = std::thread([this] { run(); });
}

LeaseWriter::~LeaseWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (checkpoint_thread_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stopping_ = true;
    }
    checkpoint_wake_.notify_all();
    checkpoint_thread_.join();
  }
}

void LeaseWriter::run_checkpoints() {
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_wake_.wait(lock, [this] { return checkpoint_wanted_ || checkpoint_stopping_; });
      if (checkpoint_stopping_) return;
      checkpoint_wanted_ = false;
    }
    if (checkpoint_store_->checkpoint()) {
      std::lock_guard lock(mu_);
      ++stats_.checkpoints;
    }
  }
}

// On the writer thread, after a commit.
void LeaseWriter::maybe_checkpoint() {
  if (!checkpoint_store_) return;
  if (store_.wal_pages() < checkpoint_pages_) return;
  {
    std::lock_guard lock(checkpoint_mu_);
    if (checkpoint_wanted_) return;
    checkpoint_wanted_ = true;
  }
  checkpoint_wake_.notify_one();
}

void LeaseWriter::submit(std::vector<LeaseChange> changes, Done done) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    wake = queue_.empty() && !busy_;  // a busy writer looks at the queue when it is done
    queue_.push_back(Pending{std::move(changes), std::move(done), {}});
  }
  if (wake) wake_.notify_one();
}

void LeaseWriter::submit_events(std::vector<Event> events, Done done) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    wake = queue_.empty() && !busy_;
    queue_.push_back(Pending{{}, std::move(done), std::move(events)});
  }
  if (wake) wake_.notify_one();
}

void LeaseWriter::flush() {
  std::unique_lock lock(mu_);
  ++flushing_;
  wake_.notify_all();
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
  --flushing_;
}

void LeaseWriter::set_min_interval(std::chrono::microseconds min_interval) {
  std::lock_guard lock(mu_);
  min_interval_ = min_interval;
}

LeaseWriter::Stats LeaseWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void LeaseWriter::run() {
  std::vector<LeaseChange> batch;
  std::vector<Event> events;
  std::deque<Pending> taken;
  // When the last transaction started; none yet: long ago.
  auto last_start = std::chrono::steady_clock::time_point{};
  for (;;) {
    {
      std::unique_lock lock(mu_);
      busy_ = false;
      idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Group commit under load: wait out the rest of the interval so what
      // arrives meanwhile joins this transaction. busy_ stays false so a
      // submit() does not need to wake us; stop and flush cut the wait short.
      const auto not_before = last_start + min_interval_;
      if (min_interval_.count() > 0 && std::chrono::steady_clock::now() < not_before) {
        wake_.wait_until(lock, not_before, [this] { return stopping_ || flushing_ > 0; });
      }
      taken.swap(queue_);
      busy_ = true;
    }
    batch.clear();
    events.clear();
    for (const Pending& p : taken) {
      batch.insert(batch.end(), p.changes.begin(), p.changes.end());
      events.insert(events.end(), p.events.begin(), p.events.end());
    }

    bool ok = true;
    auto start = std::chrono::steady_clock::now();
    last_start = start;
    try {
      store_.write(batch, events);
    } catch (const StoreError& e) {
      ok = false;
      spdlog::error("lease commit of {} change(s) failed, no DHCPACK sent for them: {}",
                    batch.size(), e.what());
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    {
      std::lock_guard lock(mu_);
      ++stats_.transactions;
      stats_.last_commit_us = static_cast<uint64_t>(us);
      stats_.commit_us_sum += static_cast<uint64_t>(us);
      for (size_t i = 0; i < Stats::kCommitBucketsUs.size(); ++i) {
        if (static_cast<uint64_t>(us) <= Stats::kCommitBucketsUs[i]) ++stats_.commit_le[i];
      }
      if (ok) {
        stats_.leases_written += batch.size();
      } else {
        ++stats_.failed_transactions;
      }
    }
    for (Pending& p : taken) {
      if (p.done) p.done(ok);
    }
    taken.clear();
    if (ok) maybe_checkpoint();
  }
}

}  // namespace berth::leases
