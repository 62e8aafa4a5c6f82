// The host's view of berthd's bridges over D-Bus (bridge/host_dbus):
// systemd-resolved sends each bridge's domain and reverse zones to berthd's
// DNS there, and firewalld lets the bridges forward. The worker thread does
// the calls; here the daemon only says which bridges it serves.
#include <spdlog/spdlog.h>

#include "server/daemon.hpp"

namespace berth::server {

void Daemon::update_host_dbus() {
  if (!host_dbus_) {
    // firewalld is looked for even with [daemon] resolved = false.
    host_dbus_ = std::make_unique<bridge::HostDbus>(
        bridge::HostDbusOptions{.resolved = config_.daemon.resolved, .firewalld = true});
    // `berthctl firewall show` lists what was done in firewalld beside what
    // was found in other nftables tables.
    firewall_.add_finding_source([this] {
      std::vector<bridge::ForeignFinding> out;
      for (bridge::FirewalldFinding& f : host_dbus_->firewalld_findings()) {
        out.push_back({.table = "firewalld",
                       .chain = "",
                       .finding = std::move(f.what),
                       .action = std::move(f.action)});
      }
      return out;
    });
  }
  std::vector<bridge::LinkDns> links;
  for (const BridgeLink& link : bridges_) {
    if (link.ifindex == 0) continue;  // gone (create = false): nothing to register
    const config::BridgeConfig* bc = bridge_config(link.name);
    if (bc == nullptr) continue;
    links.push_back(bridge::LinkDns{
        .ifindex = link.ifindex,
        .name = link.name,
        .address = link.address,
        // DnsServer listens on the bridge's IPv6 address too (dns::DnsBridge::ipv6).
        .ipv6 = dns_ ? bc->ipv6 : std::nullopt,
        .domain = bc->domain,
        .dns_port = config_.dns.port,
        .dns = dns_ != nullptr,
    });
  }
  host_dbus_->set_links(std::move(links));
}

}  // namespace berth::server
