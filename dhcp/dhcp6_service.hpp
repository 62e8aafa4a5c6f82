// DHCPv6 server decisions (RFC 8415 §16, §18.3): one entry point takes a
// client's parsed message, the bridge it came from, the link-local address
// it came from and `now`, and returns what to do. No sockets, no clock,
// no relay framing: the caller unwraps RELAY-FORW (protocol/dhcp6
// unwrap_relays) and wraps the reply, and passes the time.
//
// Wiring, per packet:
//   Dhcp6Decision d = service.handle(bridge, msg, source, now);
//   commit d.commit (may be empty); on failure service.commit_failed(bridge, d)
//   and send nothing; on success send d.reply (if any) to d.reply->destination.
// Once a second: service.tick(now).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "leases/lease.hpp"
#include "leases/lease_table6.hpp"
#include "protocol/address.hpp"
#include "protocol/dhcp6/message.hpp"
#include "protocol/enum_names.hpp"

namespace berth::dhcp {

// How hosts on the bridge get their addresses: the config's ipv6_mode, one
// enum for the config, the RA and the DHCPv6 engines.
using Dhcp6Mode = config::Ipv6Mode;

struct Dhcp6Settings {
  std::string name;  // the bridge, as in leases
  Dhcp6Mode mode = Dhcp6Mode::stateless;
  Ipv6Prefix prefix;       // on-link prefix: CONFIRM checks against it
  Ipv6Address pool_first;  // stateful: pool_first..pool_last inside `prefix`
  Ipv6Address pool_last;
  std::vector<Ipv6Address> dns_servers;  // option 23; none: not sent
  std::vector<std::string> domains;      // option 24; none: not sent
  uint32_t preferred_lifetime = 3600;
  uint32_t valid_lifetime = 7200;
  // T1/T2 in IA_NAs; 0 means 0.5 and 0.8 of the preferred lifetime, as
  // RFC 8415 §21.4 recommends.
  uint32_t t1 = 0;
  uint32_t t2 = 0;
  bool rapid_commit = false;  // answer a SOLICIT with option 14 by a REPLY (§18.3.1)
  int64_t offer_hold = 30;    // seconds an ADVERTISE holds its address in memory
  int64_t decline_quarantine = 600;
  std::vector<leases::Reservation6> reservations;
};

struct Dhcp6Reply {
  dhcp6::Message message;
  Ipv6Address destination;  // the client's source address
  uint16_t port = dhcp6::kClientPort;
  std::string log_line;  // logged when the reply is sent
};

struct Dhcp6Decision {
  std::optional<Dhcp6Reply> reply;
  // Lease changes that must be durable before `reply` leaves (empty: send now).
  std::vector<leases::LeaseChange> commit;
  // What the table held at each changed address before, to put back if the
  // commit fails.
  std::vector<std::pair<Ipv6Address, std::optional<leases::Lease>>> undo;
  std::string_view drop_reason;  // why nothing is sent, when nothing is
};

struct Dhcp6Counters {
  std::array<uint64_t, 14> received{};  // by message type 1..13
  std::array<uint64_t, 14> sent{};
  std::map<std::string, uint64_t, std::less<>> dropped;  // by reason
  uint64_t pool_exhausted = 0;                           // IA_NAs answered NoAddrsAvail
  uint64_t commit_failed = 0;

  void drop(std::string_view reason);
};

class Dhcp6Service {
 public:
  // `server_duid`: this server's DUID (option 2), made and kept by the
  // daemon (protocol/dhcp6 make_duid_llt). Must be a valid DUID.
  explicit Dhcp6Service(Bytes server_duid);
  const Bytes& server_duid() const { return server_duid_; }

  // Adds a bridge with the leases the store holds (IPv6 ones of this
  // bridge are taken, others ignored); returns its index.
  size_t add_bridge(Dhcp6Settings settings, const std::vector<leases::Lease>& stored);
  // Stops serving a bridge; its index is never reused.
  void remove_bridge(size_t bridge);
  bool active(size_t bridge) const;
  const Dhcp6Settings& settings(size_t bridge) const { return bridges_.at(bridge)->settings; }
  const leases::LeaseTable6& table(size_t bridge) const { return bridges_.at(bridge)->table; }
  void set_reservations(size_t bridge, std::vector<leases::Reservation6> reservations);

  // Decides the answer to a client message (never a relay message: the
  // caller unwraps those). `source` is the client's (link-local) address,
  // where the reply goes and, when EUI-64, the client's MAC.
  Dhcp6Decision handle(size_t bridge, const dhcp6::Message& msg, const Ipv6Address& source,
                       int64_t now);

  // The commit of `d` failed: put the table back as it was, count it.
  void commit_failed(size_t bridge, const Dhcp6Decision& d);

  // Drops timed-out offers; returns the bindings that expired since the
  // last call.
  std::vector<leases::Lease> tick(int64_t now);

  const Dhcp6Counters& counters() const { return counters_; }

 private:
  struct Bridge {
    Dhcp6Settings settings;
    leases::LeaseTable6 table;
    bool retired = false;
  };
  struct Context;  // one message being answered

  Dhcp6Decision dispatch(Bridge& b, Context& c);
  Dhcp6Decision information_request(Bridge& b, Context& c);
  Dhcp6Decision solicit(Bridge& b, Context& c);
  Dhcp6Decision request(Bridge& b, Context& c);
  Dhcp6Decision renew(Bridge& b, Context& c);  // RENEW and REBIND
  Dhcp6Decision release(Bridge& b, Context& c);
  Dhcp6Decision decline(Bridge& b, Context& c);
  Dhcp6Decision confirm(Bridge& b, Context& c);

  void apply(Bridge& b, Dhcp6Decision& d, leases::LeaseChange change);
  // Binds `ip` to the client's IA `iaid`, replacing the IA's previous
  // address; returns that address when it differs.
  std::optional<Ipv6Address> bind(Bridge& b, Dhcp6Decision& d, const Context& c, uint32_t iaid,
                                  const Ipv6Address& ip);
  dhcp6::Message reply_to(const Context& c, dhcp6::MessageType type) const;
  // Adds the bridge's DNS options when asked for, and makes the reply.
  void finish(const Bridge& b, const Context& c, dhcp6::Message reply, Dhcp6Decision& d,
              bool with_configuration, std::string_view what) const;

  Bytes server_duid_;
  std::vector<std::unique_ptr<Bridge>> bridges_;
  Dhcp6Counters counters_;
};

// Why a reservation cannot be served on a bridge (an address outside its
// prefix, the unspecified or a multicast address, a DUID-less client_id
// match, a hostname match), or nullopt.
std::optional<std::string> reservation_problem(const leases::Reservation6& r,
                                               const Dhcp6Settings& bridge);

}  // namespace berth::dhcp
