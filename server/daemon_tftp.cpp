// TFTP for network boot: the server is made when the first bridge with
// boot.tftp = true is served, and listens on each such bridge's address.
#include <spdlog/spdlog.h>

#include "server/daemon.hpp"

namespace berth::server {

void Daemon::serve_tftp(size_t index, const config::BridgeConfig& bc) {
  if (!bc.boot.tftp) return;
  try {
    if (!tftp_) tftp_ = std::make_unique<TftpServer>(io_, config_.tftp);
    tftp_->add_bridge(index, bc.name, bc.address.address);
  } catch (const std::exception& e) {
    if (started_at_ == 0) throw;  // at start-up: a clear exit
    spdlog::error("{}: no TFTP: {}", bc.name, e.what());
  }
}

void Daemon::tftp_metrics(std::string& out) const {
  if (!tftp_) return;
  const TftpCounters& c = tftp_->counters();
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, value);
  };
  counter("berth_tftp_requests_total", "TFTP read requests admitted.", c.requests);
  counter("berth_tftp_refused_total",
          "TFTP requests answered with an error (writes, bad names, missing files, busy).",
          c.refused);
  counter("berth_tftp_completed_total", "TFTP transfers completed.", c.completed);
  counter("berth_tftp_failed_total", "TFTP transfers abandoned.", c.failed);
  counter("berth_tftp_dropped_total", "Malformed or stray TFTP datagrams.", c.dropped);
  counter("berth_tftp_sent_bytes_total", "File bytes sent by completed TFTP transfers.", c.bytes);
  out += fmt::format(
      "# HELP berth_tftp_transfers Running TFTP transfers.\n"
      "# TYPE berth_tftp_transfers gauge\nberth_tftp_transfers {}\n",
      tftp_->active());
}

}  // namespace berth::server
