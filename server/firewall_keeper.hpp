// Keeps the nftables table `inet berth` what the daemon's state says: applies
// it when the state changes, checks every 2 s that another program did not
// flush or change it (and puts it back), and removes it on stop unless
// told to keep it. The state itself (bridges, NAT, resolved port forwards)
// comes from the daemon through a function, read at each apply.
//
// It also looks at other tables' forward chains (bridge/foreign_firewall):
// a chain with policy drop gets berth's accept rules (unless [firewall]
// foreign = false), at each apply and each check, so a Docker started after
// berthd is noticed within one check; they are removed with the table.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/firewall.hpp"
#include "bridge/foreign_firewall.hpp"

namespace berth::server {

class FirewallKeeper {
 public:
  using StateFn = std::function<bridge::FirewallState()>;

  // `check_every`: how often the kernel's table is compared with ours.
  FirewallKeeper(boost::asio::io_context& io, StateFn state,
                 std::chrono::milliseconds check_every = std::chrono::seconds(2));

  // Takes `firewall` (the real one: berthd's [firewall] is on), applies the
  // state and starts the periodic check. Without a call, or after
  // disable(), every call below is a no-op.
  void enable(std::unique_ptr<bridge::Firewall> firewall);
  // Removes the table and stops checking.
  void disable();
  bool enabled() const { return firewall_ != nullptr; }

  // Applies the state when it differs from the last one applied (or
  // always, with force). A failure is logged and kept for info().
  void apply(bool force = false);
  // On shutdown: removes the table and berth's rules in other tables unless
  // keep_rules.
  void stop(bool keep_rules);

  // [firewall] foreign: whether berth's accept rules go into other tables'
  // dropping forward chains (true) or the chains are only reported.
  // Takes effect at the next apply.
  void set_foreign(bool act) { foreign_ = act; }

  // What the last inspection of other tables found, then what each source
  // added with add_finding_source (another detector, e.g. firewalld's).
  std::vector<bridge::ForeignFinding> findings() const;
  using FindingSource = std::function<std::vector<bridge::ForeignFinding>()>;
  void add_finding_source(FindingSource source) { finding_sources_.push_back(std::move(source)); }

  struct Info {
    std::string wanted;                 // rendered from the state now
    std::optional<std::string> kernel;  // as the kernel lists it
    bool in_sync = false;
  };
  // Throws bridge::FirewallError when the state cannot be rendered or the
  // kernel cannot be read.
  Info info();
  const std::string& last_error() const { return error_; }

 private:
  void arm_check();
  // Inspects other tables; nullopt when they cannot be read (logged).
  std::optional<bridge::ForeignPlan> inspect_foreign(const bridge::FirewallState& state);
  void remove_foreign();
  // Replaces table inet berth; false when that failed (logged, kept).
  bool apply_table(bridge::FirewallState want);

  StateFn state_;
  std::chrono::milliseconds check_every_;
  std::unique_ptr<bridge::Firewall> firewall_;
  std::optional<bridge::FirewallState> applied_;
  std::string error_;
  bool foreign_ = true;
  bool inspected_ = false;                   // other tables were listed whole once
  std::vector<std::string> foreign_tables_;  // tables holding berth's rules
  std::vector<bridge::ForeignFinding> findings_;
  std::vector<FindingSource> finding_sources_;
  boost::asio::steady_timer timer_;
};

}  // namespace berth::server
