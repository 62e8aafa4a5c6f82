// GET /metrics: every counter and gauge in Prometheus' text format.
#include <spdlog/spdlog.h>

#include "server/daemon.hpp"

namespace berth::server {

std::string Daemon::metrics_text() const {
  std::string out;
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const dhcp::DhcpCounters& c = dhcp4_->engine().counters();
  using T = dhcp4::MessageType;
  family("berth_dhcp_received_total", "counter", "DHCP messages received, by type.");
  for (T t : {T::discover, T::request, T::decline, T::release, T::inform}) {
    out += fmt::format("berth_dhcp_received_total{{type=\"{}\"}} {}\n", to_string(t),
                       c.received[static_cast<size_t>(t)]);
  }
  family("berth_dhcp_sent_total", "counter", "DHCP messages sent, by type.");
  for (T t : {T::offer, T::ack, T::nak}) {
    out += fmt::format("berth_dhcp_sent_total{{type=\"{}\"}} {}\n", to_string(t),
                       c.sent[static_cast<size_t>(t)]);
  }
  family("berth_dhcp_dropped_total", "counter", "DHCP messages dropped, by reason.");
  for (const auto& [reason, n] : c.dropped) {
    out += fmt::format("berth_dhcp_dropped_total{{reason=\"{}\"}} {}\n", reason, n);
  }
  family("berth_dhcp_socket_received_total", "counter",
         "DHCPv4 messages read, by socket: the bridges' packet sockets (local clients) and the "
         "UDP socket (relayed), before any check.");
  const auto& sockets = dhcp4_->socket_counts();
  out += fmt::format("berth_dhcp_socket_received_total{{socket=\"packet\"}} {}\n", sockets.frames);
  out += fmt::format("berth_dhcp_socket_received_total{{socket=\"udp\"}} {}\n", sockets.datagrams);
  family("berth_dhcp_pool_exhausted_total", "counter", "DISCOVERs left unanswered, pool full.");
  out += fmt::format("berth_dhcp_pool_exhausted_total {}\n", c.pool_exhausted);
  family("berth_lease_commit_failed_total", "counter", "Lease commits that failed (no ACK).");
  out += fmt::format("berth_lease_commit_failed_total {}\n", c.commit_failed);
  const auto w = writer_->stats();
  family("berth_lease_transactions_total", "counter", "Group-commit transactions.");
  out += fmt::format("berth_lease_transactions_total {}\n", w.transactions);
  family("berth_lease_writes_total", "counter", "Lease changes written.");
  out += fmt::format("berth_lease_writes_total {}\n", w.leases_written);
  family("berth_lease_checkpoints_total", "counter",
         "WAL checkpoints, run on their own thread so that no commit waits for one.");
  out += fmt::format("berth_lease_checkpoints_total {}\n", w.checkpoints);
  family("berth_lease_commit_seconds", "histogram",
         "Time of each group commit (one SQLite transaction, fsync included).");
  for (size_t i = 0; i < w.commit_le.size(); ++i) {
    out += fmt::format("berth_lease_commit_seconds_bucket{{le=\"{}\"}} {}\n",
                       static_cast<double>(leases::LeaseWriter::Stats::kCommitBucketsUs[i]) / 1e6,
                       w.commit_le[i]);
  }
  out += fmt::format("berth_lease_commit_seconds_bucket{{le=\"+Inf\"}} {}\n", w.transactions);
  out += fmt::format("berth_lease_commit_seconds_sum {}\n",
                     static_cast<double>(w.commit_us_sum) / 1e6);
  out += fmt::format("berth_lease_commit_seconds_count {}\n", w.transactions);
  lease_script_metrics(out);
  lease_file_metrics(out);
  family("berth_leases", "gauge", "Leases by bridge and state.");
  const int64_t now = unix_now();
  for (const BridgeLink& l : bridges_) {
    const auto n = dhcp4_->engine().table(l.index).counts(now);
    for (auto [state, v] : {std::pair{"bound", n.bound}, std::pair{"offered", n.offered},
                            std::pair{"released", n.released}, std::pair{"expired", n.expired},
                            std::pair{"declined", n.declined}}) {
      out += fmt::format("berth_leases{{bridge=\"{}\",state=\"{}\"}} {}\n", l.name, state, v);
    }
  }
  family("berth_pool_size", "gauge", "Addresses in the dynamic pool.");
  for (const BridgeLink& l : bridges_) {
    out += fmt::format("berth_pool_size{{bridge=\"{}\"}} {}\n", l.name,
                       dhcp4_->engine().table(l.index).pool().size());
  }
  family("berth_pool_used_ratio", "gauge", "Share of the pool that is bound.");
  for (const BridgeLink& l : bridges_) {
    const double size = dhcp4_->engine().table(l.index).pool().size();
    out += fmt::format(
        "berth_pool_used_ratio{{bridge=\"{}\"}} {:.4f}\n", l.name,
        size > 0 ? static_cast<double>(dhcp4_->engine().table(l.index).counts(now).bound) / size
                 : 0.0);
  }
  ipv6_metrics(out);
  tftp_metrics(out);
  if (dns_) {
    const auto d = dns_->counters();
    family("berth_dns_queries_total", "counter", "DNS queries by result.");
    for (size_t i = 0; i < d.size(); ++i) {
      out += fmt::format("berth_dns_queries_total{{result=\"{}\"}} {}\n",
                         to_string(static_cast<DnsCounters::Kind>(i)), d[i]);
    }
    family("berth_dns_cache_hits_total", "counter", "DNS answers served from the cache.");
    out += fmt::format("berth_dns_cache_hits_total {}\n", dns_->cache_hits());
    family("berth_dns_names", "gauge", "Local names in the current DNS snapshot.");
    out += fmt::format("berth_dns_names {}\n", names_->name_count());
  }
  return out;
}

}  // namespace berth::server
