// [daemon] lease_script: committed DHCPv4 and DHCPv6 lease changes become dnsmasq
// --dhcp-script calls (leases/lease_script.hpp), queued to the runner
// (server/lease_script_runner.hpp). Runs on the io thread and only queues:
// DHCP never waits for the script.
#include <spdlog/spdlog.h>

#include "server/daemon.hpp"

namespace berth::server {

void Daemon::setup_lease_script(const std::vector<leases::Lease>& stored) {
  const config::DaemonConfig& d = config_.daemon;
  if (d.lease_script.empty()) return;
  lease_script_ = std::make_unique<LeaseScriptRunner>(LeaseScriptRunner::Options{
      .path = d.lease_script,
      .timeout = std::chrono::seconds(d.lease_script_timeout),
  });
  dhcp4_->set_decision_observer(
      [this](size_t bridge, const dhcp::Decision& decision) { script_decision(bridge, decision); });
  dhcp6_->set_decision_observer(
      [this](const dhcp::Dhcp6Decision& decision) { script_decision6(decision); });
  spdlog::info("lease_script {} (timeout {} s)", d.lease_script, d.lease_script_timeout);
  // dnsmasq(8): "At dnsmasq startup, the script will be invoked for all
  // existing leases": "old" for those still bound (expired ones reach the
  // script as "del" from the first expiry tick). No "init": dnsmasq calls
  // it only with --leasefile-ro, to read leases from the script, and berthd
  // always keeps its own database.
  for (const leases::Lease& l : stored) {
    if (!link_index(l.bridge)) continue;
    if (auto call = leases::script_startup_call(l, script_context(l.bridge))) {
      lease_script_->enqueue(std::move(*call));
    }
  }
}

leases::ScriptContext Daemon::script_context(std::string_view bridge) const {
  const config::BridgeConfig* bc = bridge_config(bridge);
  return leases::ScriptContext{.interface = std::string(bridge),
                               .domain = bc != nullptr ? bc->domain : std::string(),
                               .now = unix_now(),
                               .renewals = config_.daemon.lease_script_renewals,
                               .server_duid = dhcp6_->engine().server_duid()};
}

void Daemon::script_decision(size_t bridge, const dhcp::Decision& decision) {
  if (!lease_script_) return;
  const BridgeLink* link = link_at(bridge);
  if (link == nullptr) return;
  const leases::ScriptContext ctx = script_context(link->name);
  const leases::LeaseTable& table = dhcp4_->engine().table(bridge);
  for (size_t i = 0; i < decision.commit.size() && i < decision.undo.size(); ++i) {
    const leases::LeaseChange& change = decision.commit[i];
    std::optional<leases::Lease> after;
    if (change.kind == leases::LeaseChange::Kind::upsert) after = change.lease;
    std::optional<leases::ScriptRequest> request;
    if (decision.script_request) {
      request = *decision.script_request;
      // dnsmasq's tag "known": a host entry (here a reservation) matched.
      request->known = change.lease.ip.is_v4() && table.reserved(change.lease.ip.v4());
    }
    for (leases::ScriptCall& call :
         leases::script_calls(decision.undo[i].second, after, request ? &*request : nullptr, ctx)) {
      lease_script_->enqueue(std::move(call));
    }
  }
}

void Daemon::script_decision6(const dhcp::Dhcp6Decision& decision) {
  if (!lease_script_) return;
  for (size_t i = 0; i < decision.commit.size() && i < decision.undo.size(); ++i) {
    const leases::LeaseChange& change = decision.commit[i];
    if (!link_index(change.lease.bridge)) continue;
    std::optional<leases::Lease> after;
    if (change.kind == leases::LeaseChange::Kind::upsert) after = change.lease;
    // DHCPv6 requests carry no DHCPv4 options: no request environment.
    for (leases::ScriptCall& call : leases::script_calls(decision.undo[i].second, after, nullptr,
                                                         script_context(change.lease.bridge))) {
      lease_script_->enqueue(std::move(call));
    }
  }
}

void Daemon::script_expired(const leases::Lease& lease) {
  if (!lease_script_) return;
  leases::Lease before = lease;
  before.state = leases::LeaseState::bound;
  leases::Lease after = lease;
  after.state = leases::LeaseState::expired;
  for (leases::ScriptCall& call :
       leases::script_calls(before, after, nullptr, script_context(lease.bridge))) {
    lease_script_->enqueue(std::move(call));
  }
}

void Daemon::lease_script_metrics(std::string& out) const {
  if (!lease_script_) return;
  const LeaseScriptRunner::Stats s = lease_script_->stats();
  out +=
      "# HELP berth_lease_script_runs_total lease_script calls that ran, by outcome.\n"
      "# TYPE berth_lease_script_runs_total counter\n";
  out += fmt::format("berth_lease_script_runs_total{{result=\"ok\"}} {}\n", s.ok);
  out += fmt::format("berth_lease_script_runs_total{{result=\"failed\"}} {}\n", s.failed);
  out += fmt::format("berth_lease_script_runs_total{{result=\"timeout\"}} {}\n", s.timeout);
  out +=
      "# HELP berth_lease_script_dropped_total lease_script calls dropped: the queue was full.\n"
      "# TYPE berth_lease_script_dropped_total counter\n";
  out += fmt::format("berth_lease_script_dropped_total {}\n", s.dropped);
  out +=
      "# HELP berth_lease_script_queued lease_script calls waiting to run.\n"
      "# TYPE berth_lease_script_queued gauge\n";
  out += fmt::format("berth_lease_script_queued {}\n", s.queued);
}

}  // namespace berth::server
