// Reload (SIGHUP, POST /v1/reload): the config file read again and applied
// without a restart where it can be, refused whole where it cannot.
#include <spdlog/spdlog.h>

#include "server/daemon.hpp"

namespace berth::server {

std::variant<api::ReloadResult, std::string> Daemon::reload() {
  if (!config_loader_ && config_.source == "<built-in defaults>") {
    return std::string("berthd runs on its built-in defaults (no config file): nothing to reload");
  }
  config::Config next;
  try {
    next = config_loader_ ? config_loader_() : config::load_config_file(config_.source);
  } catch (const config::ConfigError& e) {
    spdlog::error("reload refused, the running configuration stays: {}", e.what());
    return std::string(e.what());
  }
  auto refuse = [&](const std::string& what) -> std::string {
    std::string m = config_.source + ": " + what +
                    " cannot change without a restart of berthd (leases are kept); "
                    "nothing was changed";
    spdlog::error("reload refused: {}", m);
    return m;
  };
  const config::DaemonConfig& d0 = config_.daemon;
  const config::DaemonConfig& d1 = next.daemon;
  if (d0.database != d1.database) return refuse("[daemon] database");
  if (d0.durability != d1.durability) return refuse("[daemon] durability");
  if (d0.control_socket != d1.control_socket) return refuse("[daemon] control_socket");
  if (d0.control_group != d1.control_group) return refuse("[daemon] control_group");
  if (d0.user != d1.user) return refuse("[daemon] user");
  if (d0.resolved != d1.resolved) return refuse("[daemon] resolved");
  if (d0.lease_script != d1.lease_script || d0.lease_script_timeout != d1.lease_script_timeout ||
      d0.lease_script_renewals != d1.lease_script_renewals) {
    return refuse("[daemon] lease_script, lease_script_timeout or lease_script_renewals");
  }
  const config::DnsConfig& n0 = config_.dns;
  const config::DnsConfig& n1 = next.dns;
  if (n0.enabled != n1.enabled || n0.port != n1.port || n0.workers != n1.workers) {
    return refuse("[dns] enabled, port or workers");
  }
  if (n0.cache_size != n1.cache_size) return refuse("[dns] cache_size");
  if (config_.tftp != next.tftp) return refuse("[tftp]");
  const bool forwarding_changed = n0.upstreams != n1.upstreams ||
                                  n0.resolv_conf != n1.resolv_conf || n0.servers != n1.servers ||
                                  n0.upstream_timeout_ms != n1.upstream_timeout_ms;
  try {
    resolve_auto_addresses(next, *reader_);
  } catch (const std::exception& e) {
    std::string m = config_.source + ": " + e.what() + "; nothing was changed";
    spdlog::error("reload refused: {}", m);
    return m;
  }
  api::ReloadResult result;
  result.config = config_.source;
  result.bridges = next.bridges.size();
  auto find = [](const std::vector<config::BridgeConfig>& list, const std::string& name) {
    const config::BridgeConfig* found = nullptr;
    for (const auto& b : list) {
      if (b.name == name) found = &b;
    }
    return found;
  };
  // A bridge whose address, pool or link settings change is served anew
  // (its sockets reopened, its leases read back from the store); one whose
  // options change keeps its sockets; the others are not touched at all.
  // A bridge with IPv6 is served anew on any change: its advertiser and
  // DHCPv6 server take their settings when they start (its clients see a
  // final RA, then a new one at once).
  auto needs_new_sockets = [](const config::BridgeConfig& a, const config::BridgeConfig& b) {
    return a.address != b.address || a.pool_start != b.pool_start || a.pool_end != b.pool_end ||
           a.mtu != b.mtu || a.create != b.create || a.mac != b.mac || a.boot.tftp != b.boot.tftp ||
           a.pool_class != b.pool_class || a.more_pools != b.more_pools ||
           ((a.has_ipv6() || b.has_ipv6()) && !(a == b));
  };
  std::vector<std::string> retire;               // removed, or served anew
  std::vector<const config::BridgeConfig*> add;  // added, or served anew
  for (const auto& b : config_.bridges) {
    if (find(next.bridges, b.name) == nullptr) {
      result.bridges_removed.push_back(b.name);
      retire.push_back(b.name);
    }
  }
  for (const auto& b : next.bridges) {
    const config::BridgeConfig* old = find(config_.bridges, b.name);
    if (old != nullptr && (old->uplink != b.uplink || old->uplink_force != b.uplink_force)) {
      return refuse("bridge " + b.name + "'s uplink");
    }
    if (old == nullptr) {
      result.bridges_added.push_back(b.name);
      add.push_back(&b);
    } else if (needs_new_sockets(*old, b)) {
      result.bridges_changed.push_back(b.name);
      retire.push_back(b.name);
      add.push_back(&b);
    } else if (!(*old == b)) {
      result.bridges_changed.push_back(b.name);
    }
  }
  // Everything that can fail first (netlink, sockets): a failure here
  // leaves the running configuration whole.
  std::vector<PreparedBridge> prepared;
  for (const config::BridgeConfig* b : add) {
    try {
      prepared.push_back(prepare_bridge(*b));
    } catch (const std::exception& e) {
      std::string m =
          config_.source + ": bridge " + b->name + ": " + e.what() + "; nothing was changed";
      spdlog::error("reload refused: {}", m);
      return m;
    }
  }
  // Apply.
  for (const std::string& name : retire) {
    if (auto index = link_index(name)) retire_bridge(*index);
  }
  if (!prepared.empty()) {
    writer_->flush();  // what the retired bridges committed is read back below
    const std::vector<leases::Lease> stored = reader_->load_all();
    for (PreparedBridge& p : prepared) serve_bridge(std::move(p), stored);
  }
  for (const config::BridgeConfig& b : next.bridges) {
    // Address and pool are as they were: a bridge whose changed was served anew.
    dhcp4_->engine().update_settings(*link_index(b.name), settings_of(b));
  }
  const std::string source = config_.source;
  const std::string log_level = next.daemon.log_level;
  const std::string lease_file_before = config_.daemon.lease_file;
  config_ = std::move(next);
  config_.source = source;
  spdlog::set_level(spdlog::level::from_str(log_level));
  pruner_->set_retention(event_retention(config_.daemon));
  writer_->set_min_interval(std::chrono::microseconds(config_.daemon.commit_interval_us));
  reload_reservations();  // config reservations, and the DNS names (static records too)
  if (dns_ && forwarding_changed) dns_->reconfigure_forwarding(config_.dns);
  attach_uplinks();
  names_->set_statics(config_.dns);
  if (config_.firewall.enabled && !firewall_.enabled()) {
    start_firewall();
  } else if (!config_.firewall.enabled) {
    firewall_.disable();
  } else {
    refresh_firewall();
  }
  update_host_dbus();  // bridges added, removed, re-served, or a new domain
  lease_file_reloaded(lease_file_before);
  spdlog::info("configuration reloaded from {}: {} bridge(s), {} changed", source, result.bridges,
               result.bridges_changed.size());
  return result;
}

}  // namespace berth::server
