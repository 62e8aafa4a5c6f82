#include "server/firewall_keeper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace berth::server {

FirewallKeeper::FirewallKeeper(boost::asio::io_context& io, StateFn state,
                               std::chrono::milliseconds check_every)
    : state_(std::move(state)), check_every_(check_every), timer_(io) {}

void FirewallKeeper::enable(std::unique_ptr<bridge::Firewall> firewall) {
  firewall_ = std::move(firewall);
  applied_.reset();
  apply(false);
  arm_check();
}

void FirewallKeeper::disable() {
  if (!firewall_) return;
  timer_.cancel();
  remove_foreign();
  try {
    firewall_->remove();
  } catch (const std::exception& e) {
    spdlog::error("firewall: cannot remove table inet berth: {}", e.what());
  }
  firewall_.reset();
  applied_.reset();
}

void FirewallKeeper::apply(bool force) {
  if (!firewall_) return;
  bridge::FirewallState want = state_();
  const std::optional<bridge::ForeignPlan> plan = inspect_foreign(want);
  // Unreadable other tables: keep marking as before rather than strand
  // rules put there earlier.
  want.reply_mark = plan ? plan->reply_mark : applied_ && applied_->reply_mark;
  if (force || !applied_ || !(*applied_ == want)) {
    if (!apply_table(std::move(want))) return;
  }
  // After the table: the mark the rules match is set by then.
  if (!plan || plan->commands.empty()) return;
  try {
    firewall_->execute(plan->commands);
  } catch (const std::exception& e) {
    error_ = e.what();
    spdlog::error("firewall: cannot change berth's rules in other tables: {}", e.what());
    return;
  }
  foreign_tables_ = plan->tables;
  spdlog::info("firewall: berth's rules in other tables updated ({} change(s))",
               std::count(plan->commands.begin(), plan->commands.end(), '\n'));
  for (const bridge::ForeignFinding& f : plan->findings) {
    if (f.action.starts_with("none")) continue;
    spdlog::info("firewall: {} chain {} has {}: {}", f.table, f.chain, f.finding, f.action);
  }
}

std::optional<bridge::ForeignPlan> FirewallKeeper::inspect_foreign(
    const bridge::FirewallState& state) {
  std::vector<bridge::ForeignBridge> bridges;
  for (const bridge::FirewallBridge& b : state.bridges) {
    bridges.push_back(bridge::ForeignBridge{.name = b.name, .ipv6 = b.ipv6.has_value()});
  }
  try {
    bridge::ForeignPlan plan =
        bridge::inspect_foreign(*firewall_, bridges, foreign_, foreign_tables_, !inspected_);
    inspected_ = true;
    if (plan.findings != findings_) {
      for (const bridge::ForeignFinding& f : plan.findings) {
        if (f.action.starts_with("none")) {
          spdlog::warn(
              "firewall: {} chain {} has {}, so it drops what berth's bridges forward; "
              "berth does nothing about it: {}",
              f.table, f.chain, f.finding, f.action);
        }
      }
      findings_ = plan.findings;
    }
    return plan;
  } catch (const std::exception& e) {
    spdlog::warn("firewall: cannot read other tables' forward chains: {}", e.what());
    return std::nullopt;
  }
}

void FirewallKeeper::remove_foreign() {
  try {
    const std::string commands =
        bridge::removal_commands(bridge::parse_nft_json(firewall_->list_json("ruleset")));
    if (!commands.empty()) {
      firewall_->execute(commands);
      spdlog::info("firewall: berth's rules in other tables removed");
    }
  } catch (const std::exception& e) {
    spdlog::error("firewall: cannot remove berth's rules in other tables: {}", e.what());
  }
  foreign_tables_.clear();
  findings_.clear();
  inspected_ = false;
}

std::vector<bridge::ForeignFinding> FirewallKeeper::findings() const {
  std::vector<bridge::ForeignFinding> all = findings_;
  for (const FindingSource& source : finding_sources_) {
    for (bridge::ForeignFinding& f : source()) all.push_back(std::move(f));
  }
  return all;
}

bool FirewallKeeper::apply_table(bridge::FirewallState want) {
  try {
    firewall_->apply(want);
  } catch (const std::exception& e) {
    error_ = e.what();
    spdlog::error("firewall: table inet berth not applied: {}", e.what());
    return false;
  }
  error_.clear();
  const bool changed_forwards = !applied_ || applied_->forwards != want.forwards;
  applied_ = std::move(want);
  spdlog::info("firewall: table inet berth applied ({} bridge(s), {} forward(s))",
               applied_->bridges.size(), applied_->forwards.size());
  if (changed_forwards) {
    for (const bridge::PortForward& f : applied_->forwards) {
      spdlog::debug("firewall: forward {} {}:{} -> {}{}{}:{} on {}",
                    f.proto == bridge::Proto::tcp ? "tcp" : "udp",
                    f.host_address ? f.host_address->to_string() : "*", f.host_port,
                    f.target ? f.target->to_string() : "", f.target && f.target6 ? " " : "",
                    f.target6 ? "[" + f.target6->to_string() + "]" : "", f.target_port, f.bridge);
    }
  }
  const bool nat = std::any_of(applied_->bridges.begin(), applied_->bridges.end(),
                               [](const bridge::FirewallBridge& b) { return b.nat; });
  const bool forwards4 = std::any_of(applied_->forwards.begin(), applied_->forwards.end(),
                                     [](const bridge::PortForward& f) { return f.target; });
  if (nat || forwards4) {
    try {
      if (firewall_->enable_ipv4_forwarding()) {
        spdlog::info("firewall: IPv4 forwarding enabled (net.ipv4.ip_forward = 1) for NAT");
      }
    } catch (const std::exception& e) {
      spdlog::error("firewall: cannot enable IPv4 forwarding: {}", e.what());
    }
  }
  const bool nat66 = std::any_of(applied_->bridges.begin(), applied_->bridges.end(),
                                 [](const bridge::FirewallBridge& b) { return b.ipv6_nat; });
  const bool forwards6 = std::any_of(applied_->forwards.begin(), applied_->forwards.end(),
                                     [](const bridge::PortForward& f) { return f.target6; });
  if (nat66 || forwards6) {
    try {
      if (firewall_->enable_ipv6_forwarding()) {
        spdlog::info(
            "firewall: IPv6 forwarding enabled (net.ipv6.conf.all.forwarding = 1) for NAT66 or "
            "port forwards; "
            "interfaces with accept_ra = 1 now have 2, to keep their router advertisements");
      }
    } catch (const std::exception& e) {
      spdlog::error("firewall: cannot enable IPv6 forwarding: {}", e.what());
    }
  }
  return true;
}

// Another program may flush the ruleset or delete the table: put it back.
void FirewallKeeper::arm_check() {
  timer_.expires_after(check_every_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !firewall_) return;
    bool ok = true;
    try {
      ok = firewall_->in_sync();
    } catch (const std::exception& e) {
      spdlog::warn("firewall: cannot list table inet berth: {}", e.what());
    }
    if (!ok) {
      spdlog::warn(
          "firewall: table inet berth was changed or removed by another program; "
          "restoring it");
    }
    // Also notices other tables' chains (Docker started after berthd).
    apply(!ok);
    arm_check();
  });
}

void FirewallKeeper::stop(bool keep_rules) {
  if (!firewall_) return;
  timer_.cancel();
  if (keep_rules) {
    spdlog::info("firewall: table inet berth kept (keep_rules = true)");
    return;
  }
  remove_foreign();
  try {
    firewall_->remove();
    spdlog::info("firewall: table inet berth removed");
  } catch (const std::exception& e) {
    spdlog::error("firewall: cannot remove table inet berth: {}", e.what());
  }
}

FirewallKeeper::Info FirewallKeeper::info() {
  Info i;
  if (!firewall_) return i;
  bridge::FirewallState now = state_();
  now.reply_mark = applied_ && applied_->reply_mark;
  i.wanted = bridge::render_table(now);
  i.kernel = firewall_->kernel_table();
  i.in_sync = firewall_->in_sync() && applied_ && *applied_ == now;
  return i;
}

}  // namespace berth::server
