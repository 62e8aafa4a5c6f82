// The feed of berthd's DNS snapshot: which names the bridges' clients hold
// (bound leases with a hostname, reservations with a name), the bridges
// themselves and the static records, built into a dns::NameTable and
// published to the DNS server. Leases and reservations of either family
// give names: an IPv4 address an A record, an IPv6 one an AAAA record. A
// client's DHCPv4 and DHCPv6 leases under one hostname give the name both;
// clashes are settled in each family apart (NameTable::build). Many changes in a burst (a group
// commit, a reservation reload) make one snapshot: builds are spaced so they take at most a fifth
// of the thread, while a single change shows at once.
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
#include "leases/lease_table.hpp"
#include "leases/reservation.hpp"
#include "protocol/flat_index.hpp"
#include "protocol/packed_bytes.hpp"

namespace berth::server {

class DnsServer;

class LocalNames {
 public:
  // `dns` may be null (DNS off). `published` runs after each new snapshot.
  LocalNames(boost::asio::io_context& io, DnsServer* dns, std::function<void()> published);

  void set_host_name(std::string label) { host_name_ = std::move(label); }
  // Static records and local_ttl of [dns] (other fields are not read).
  void set_statics(const config::DnsConfig& dns);
  // The control API's DNS records (/v1/records), replacing those it had.
  void set_records(std::vector<dns::UserRecord> records);

  // Serves (or re-addresses) bridge `index`; unserved indexes in between
  // stay empty. Forgetting a bridge drops its names too. With `bridge.ipv6`
  // set, the bridge's own names get its IPv6 address (AAAA) and the
  // snapshot has the reverse zone of its prefix; give DnsServer::add_bridge
  // the same DnsBridge so that it listens there.
  void set_bridge(size_t index, dns::DnsBridge bridge);
  void remove_bridge(size_t index);
  // The named reservations of a bridge (read from its DHCP table, without a
  // copy of them), replacing those it had.
  void set_reservations(size_t index, const leases::LeaseTable& table);
  // A lease as it is now, DHCPv4 or DHCPv6 (the family of lease.ip): named
  // while bound with a hostname, else not. A DHCPv6 lease's hostname is
  // made a label first (dhcp::sanitize_hostname: the first label of an
  // FQDN); a DHCPv4 one is taken as Dhcp4Service stored it.
  void note_lease(size_t index, const leases::Lease& lease, int64_t now);

  // Builds now when anything changed (the daemon calls it at start, so
  // the first answers have names).
  void build_now();
  // Asks for a new snapshot, spaced as above.
  void changed();

  // The IPv4 address `label` has on bridge `index` now (port forwards are
  // IPv4): a reservation's, else the current holder of a dynamic name (the
  // snapshot settles clashes). The name's IPv6 addresses play no part.
  std::optional<Ipv4Address> address_of(std::string_view label, size_t index) const;
  // The same for IPv6: the reservation's address, else the name's address
  // in the bridge's prefix as DNS answers it. None without IPv6 on the bridge.
  std::optional<Ipv6Address> address6_of(std::string_view label, size_t index) const;
  size_t name_count() const;

 private:
  // A name and its address, in 40 bytes (a NamedAddress takes 64, and
  // there is one per reservation and per named lease).
  struct Named {
    IpAddress ip;
    uint32_t bridge = 0;
    PackedBytes label;
  };
  struct Bridge {
    dns::DnsBridge dns{.serving = false};
    std::vector<Named> reserved;
  };
  void build();
  void add_reserved(size_t index, std::string_view name, Ipv4Address ip,
                    const std::optional<Ipv6Address>& ipv6);
  uint32_t leased_slot(size_t index, const IpAddress& ip) const;
  void erase_leased(uint32_t slot);

  boost::asio::io_context& io_;
  DnsServer* dns_;
  std::function<void()> published_;
  std::vector<Bridge> bridges_;
  // Leases with a hostname, by (bridge, address), either family: records
  // (a free one has an empty label) and their index.
  std::vector<Named> leased_;
  std::vector<uint32_t> leased_free_;
  FlatIndex leased_index_;
  std::string host_name_;
  config::DnsConfig statics_;
  std::vector<dns::UserRecord> records_;
  std::vector<std::string> clashes_;
  uint32_t serial_ = 0;
  bool pending_ = false;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point built_at_{};
  std::chrono::steady_clock::duration build_time_{};
};

}  // namespace berth::server
