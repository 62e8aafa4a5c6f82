// berthd's dealings with the host's D-Bus services, on a thread of their own
// so that no D-Bus call ever holds up the io thread:
//
//   systemd-resolved  each served bridge's address becomes the DNS server of
//                     its domain and reverse zones (routing-only, not a
//                     default route), so the host resolves container names;
//                     RevertLink when the bridge goes or berthd stops.
//   firewalld         each bridge joins the runtime "trusted" zone (never
//                     the permanent config) unless it is in a zone already,
//                     so firewalld lets it forward; removed on stop.
//
// The io thread states what it wants (set_links); the worker applies the
// difference with a timeout on every call, logs failures and retries them,
// and applies everything again when either service (re)starts on the bus
// (NameOwnerChanged) or firewalld reloads. No bus, or a service that is not
// on it, is one info line and no error: it is picked up when it appears.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/host_dns.hpp"

namespace berth::bridge {

struct HostDbusOptions {
  bool resolved = true;   // register DNS with systemd-resolved
  bool firewalld = true;  // put the bridges in firewalld's trusted zone
  std::chrono::milliseconds call_timeout = std::chrono::seconds(5);
  // How long stop() may spend undoing what was done, all calls together.
  std::chrono::milliseconds stop_budget = std::chrono::seconds(5);
};

// One line of what berth did (or chose not to do) in firewalld, for
// `berthctl firewall show`.
struct FirewalldFinding {
  std::string what;    // "interface berth0 in firewalld zone trusted (runtime only)"
  std::string action;  // "added by berth; removed when berthd stops"
  bool operator==(const FirewalldFinding&) const = default;
};

class HostDbus {
 public:
  // Starts the worker; it connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS
  // or the default socket) on its own time. The default bus is left alone
  // when berthd is not in PID 1's network namespace (checked here: make it
  // before dropping root).
  explicit HostDbus(HostDbusOptions options);
  ~HostDbus();  // stop()
  HostDbus(const HostDbus&) = delete;
  HostDbus& operator=(const HostDbus&) = delete;

  // The bridges served now (replaces the previous list). Never blocks on
  // the bus: it hands the list to the worker and returns.
  void set_links(std::vector<LinkDns> links);

  // Reverts every registered link and unbinds every interface berth bound,
  // within options.stop_budget, then ends the worker. Idempotent.
  void stop();

  // What berth did in firewalld, one entry per served bridge it looked at;
  // empty when firewalld is not on the bus. Any thread.
  std::vector<FirewalldFinding> firewalld_findings() const;

  struct Worker;  // bridge/host_dbus.cpp

 private:
  void run();

  HostDbusOptions options_;
  bool bus_sees_our_links_ = true;
  mutable std::mutex mutex_;
  std::vector<LinkDns> wanted_;             // guarded by mutex_
  bool changed_ = false;                    // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<FirewalldFinding> findings_;  // guarded by mutex_
  int wake_fd_ = -1;                        // eventfd: set_links and stop wake the worker
  std::thread thread_;
};

}  // namespace berth::bridge
