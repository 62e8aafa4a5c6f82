// Runs [daemon] lease_script: one call at a time, in the order queued, on a
// thread of its own, so a slow or hung script never holds up DHCP. Each call
// is posix_spawn'ed in a process group of its own with stdin on /dev/null,
// stdout and stderr into berthd's log, every other descriptor closed and
// berthd's environment plus the call's DNSMASQ_* variables; past the timeout
// its whole process group is killed. The queue is bounded: calls beyond it
// are dropped, counted and warned about (dnsmasq instead folds queued
// changes of one lease into its latest state; berthd keeps every change
// but a bounded number of them).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "leases/lease_script.hpp"

namespace berth::server {

class LeaseScriptRunner {
 public:
  struct Options {
    std::string path;
    std::chrono::milliseconds timeout{10000};
    size_t queue_limit = 1024;
  };
  struct Stats {
    uint64_t ok = 0;       // exited with status 0
    uint64_t failed = 0;   // could not be started, or exited non-zero or by a signal
    uint64_t timeout = 0;  // killed at the timeout
    uint64_t dropped = 0;  // not run: the queue was full
    uint64_t queued = 0;   // waiting now
  };

  explicit LeaseScriptRunner(Options options);
  // Lets the running call finish (or time out); queued calls are dropped.
  ~LeaseScriptRunner();
  LeaseScriptRunner(const LeaseScriptRunner&) = delete;
  LeaseScriptRunner& operator=(const LeaseScriptRunner&) = delete;

  // Starts the thread. berthd calls it after dropping privileges, so the
  // script runs as [daemon] user. Calls queued before wait for it.
  void start();
  // Queues a call; never waits for the script. False when the queue is full
  // (the call is dropped and counted).
  bool enqueue(leases::ScriptCall call);
  // Blocks until the queue is empty and no call runs (tests).
  void wait_idle();
  Stats stats() const;

 private:
  void run();
  void run_one(const leases::ScriptCall& call);
  void log_output(std::string& pending, bool flush);

  Options options_;
  std::vector<std::string> base_env_;  // berthd's environment without DNSMASQ_*
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<leases::ScriptCall> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool overflowing_ = false;  // warned about drops; cleared when the queue empties
  Stats stats_;
  std::thread thread_;
};

}  // namespace berth::server
