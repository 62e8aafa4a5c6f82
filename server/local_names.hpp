// The feed of berthd's DNS snapshot: which names the bridges' clients hold
// (bound leases with a hostname, reservations with a name), the bridges
// themselves and the static records, built into a dns::NameTable and
// published to the DNS server. Many changes in a burst (a group commit, a
// reservation reload) make one snapshot: builds are spaced so they take at
// most a fifth of the thread, while a single change shows at once.
//
// Runs on the daemon's io_context thread. Without a DNS server it still
// tracks the names, so port forwards to a name can follow its lease.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "dns/name_table.hpp"
#include "leases/lease.hpp"
#include "leases/reservation.hpp"

namespace berth::server {

class DnsServer;

class LocalNames {
 public:
  // `dns` may be null (DNS off). `published` runs after each new snapshot.
  LocalNames(boost::asio::io_context& io, DnsServer* dns, std::function<void()> published);

  void set_host_name(std::string label) { host_name_ = std::move(label); }
  // Static records and local_ttl of [dns] (other fields are not read).
  void set_statics(const config::DnsConfig& dns);

  // Serves (or re-addresses) bridge `index`; unserved indexes in between
  // stay empty. Forgetting a bridge drops its names too.
  void set_bridge(size_t index, dns::DnsBridge bridge);
  void remove_bridge(size_t index);
  // The named reservations of a bridge, replacing those it had.
  void set_reservations(size_t index, const std::vector<leases::Reservation>& reservations);
  // A lease as it is now: named while bound with a hostname, else not.
  void note_lease(size_t index, const leases::Lease& lease, int64_t now);

  // Builds now when anything changed (the daemon calls it at start, so
  // the first answers have names).
  void build_now();
  // Asks for a new snapshot, spaced as above.
  void changed();

  // The address `label` has on bridge `index` now: a reservation's, else
  // the current holder of a dynamic name (the snapshot settles clashes).
  std::optional<Ipv4Address> address_of(std::string_view label, size_t index) const;
  size_t name_count() const;

 private:
  struct Bridge {
    dns::DnsBridge dns{.serving = false};
    std::vector<dns::NamedAddress> reserved;
  };
  void build();

  boost::asio::io_context& io_;
  DnsServer* dns_;
  std::function<void()> published_;
  std::vector<Bridge> bridges_;
  // Leases with a hostname, by (bridge, address).
  std::map<std::pair<size_t, uint32_t>, std::string> leased_;
  std::string host_name_;
  config::DnsConfig statics_;
  std::vector<std::string> clashes_;
  uint32_t serial_ = 0;
  bool pending_ = false;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point built_at_{};
  std::chrono::steady_clock::duration build_time_{};
};

}  // namespace berth::server
