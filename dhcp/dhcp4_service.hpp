// DHCPv4 server decisions (RFC 2131 §4.3): one entry point takes a parsed
// message and the bridge it came from and returns what to do. No sockets,
// no clock: the caller passes `now`, so a whole DORA runs in a unit test.
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
#include "leases/lease_script.hpp"
#include "leases/lease_table.hpp"
#include "protocol/address.hpp"
#include "protocol/dhcp4/message.hpp"
#include "protocol/dhcp4/option_values.hpp"

namespace berth::dhcp {

struct BridgeSettings {
  std::string name;
  Ipv4Prefix address;  // the bridge's own address: server id, router, DNS server
  Ipv4Address pool_first;
  Ipv4Address pool_last;
  uint32_t lease_time = 3600;
  std::string domain;
  std::optional<uint16_t> mtu;
  int64_t offer_hold = 30;  // seconds an OFFER reserves its address in memory
  int64_t decline_quarantine = 600;
  // NAK requests for addresses that are not ours (moved clients recover at
  // once); when false, stay silent about clients we have no record of.
  bool authoritative = true;
  // Identify clients by MAC only: cloned VMs often share a client identifier.
  bool ignore_client_id = false;
  // Answer a DISCOVER carrying option 80 with an ACK at once (RFC 4039).
  bool rapid_commit = false;
  config::BootConfig boot;  // network boot fields of OFFER and ACK (dhcp/boot.hpp)
  // Routes, search list, NTP servers, options by code and client classes
  // (dhcp/dhcp4_options.hpp).
  dhcp4::BridgeOptions options;
  // Several pools: the class the first is restricted to, and the others.
  std::string pool_class;
  std::vector<leases::PoolRange> more_pools;
};

// Where a reply goes (RFC 2131 §4.1).
enum class Delivery {
  relay,           // to giaddr, server port, over UDP
  unicast_ciaddr,  // to the client's own address (RENEWING, INFORM)
  broadcast,       // 255.255.255.255 / ff:ff:ff:ff:ff:ff
  unicast_chaddr,  // to yiaddr at chaddr, without ARP: the client has no address yet
};

struct Reply {
  dhcp4::Message message;
  Delivery delivery = Delivery::broadcast;
  Ipv4Address dst_ip;
  MacAddress dst_mac;
  uint16_t dst_port = dhcp4::kClientPort;
  size_t max_size = dhcp4::kDefaultMaxMessageSize;
  std::string log_line;  // logged when the reply is sent
};

struct Decision {
  std::optional<Reply> reply;
  // Lease changes that must be durable before `reply` leaves (empty: send now).
  std::vector<leases::LeaseChange> commit;
  // What the table held at each changed address before, to put back if the
  // commit fails.
  std::vector<std::pair<Ipv4Address, std::optional<leases::Lease>>> undo;
  std::string_view drop_reason;  // why nothing is sent, when nothing is
  // What the request said, for [daemon] lease_script; set by the server
  // only when a script is configured.
  std::shared_ptr<const leases::ScriptRequest> script_request;
};

struct DhcpCounters {
  std::array<uint64_t, 9> received{};  // by message type 1..8
  std::array<uint64_t, 9> sent{};
  std::map<std::string, uint64_t, std::less<>> dropped;  // by reason
  uint64_t pool_exhausted = 0;
  uint64_t commit_failed = 0;

  void drop(std::string_view reason);
};

class Dhcp4Service {
 public:
  // Adds a bridge with the leases the store holds for it; returns its index.
  size_t add_bridge(BridgeSettings settings, const std::vector<leases::Lease>& stored);
  size_t bridge_count() const { return bridges_.size(); }
  // Stops serving a bridge (removed by a reload): its packets are dropped,
  // its table is emptied (the store keeps its leases) and its index is never
  // reused, so decisions still in flight for it cannot reach another bridge.
  void remove_bridge(size_t bridge);
  bool active(size_t bridge) const {
    return bridge < bridges_.size() && !bridges_[bridge]->retired;
  }
  const BridgeSettings& settings(size_t bridge) const { return bridges_[bridge]->settings; }
  const leases::LeaseTable& table(size_t bridge) const { return bridges_[bridge]->table; }

  // The bridge whose subnet holds a relay agent's giaddr.
  std::optional<size_t> bridge_for_relay(Ipv4Address giaddr) const;

  Decision handle(size_t bridge, const dhcp4::Message& msg, int64_t now);

  // The commit of `d` failed: put the table back as it was, count it.
  void commit_failed(size_t bridge, const Decision& d);

  // Replaces a bridge's reservations (validated by the caller). They take
  // effect for the next packet.
  void set_reservations(size_t bridge, std::vector<leases::Reservation> reservations);
  // Adds one, already checked against the bridge's reservations.
  void add_reservation(size_t bridge, leases::Reservation r);

  // Drops timed-out offers and returns the leases that expired since the
  // last call; call about once a second.
  std::vector<leases::Lease> tick(int64_t now);

  // Forgets the record at `ip` (any state) and any offer of it: the address
  // is free and its client unknown. The decision carries the erase to commit
  // (and its undo); no reply. Empty commit when there was nothing.
  Decision forget(size_t bridge, Ipv4Address ip);

  // Changes settings that need no new pool (lease time, domain, flags).
  // The pool and the address must stay as they are.
  void update_settings(size_t bridge, const BridgeSettings& settings);

  DhcpCounters& counters() { return counters_; }
  const DhcpCounters& counters() const { return counters_; }

 private:
  struct Bridge {
    BridgeSettings settings;
    leases::LeaseTable table;
    int64_t last_exhausted_warning = -3600;
    bool retired = false;
  };

  leases::ClientKey client_of(const Bridge& b, const dhcp4::Message& msg) const;
  Decision discover(Bridge& b, const dhcp4::Message& msg, int64_t now);
  Decision request(Bridge& b, const dhcp4::Message& msg, int64_t now);
  Decision release(Bridge& b, const dhcp4::Message& msg, int64_t now);
  Decision decline(Bridge& b, const dhcp4::Message& msg, int64_t now);
  Decision inform(Bridge& b, const dhcp4::Message& msg);

  Decision ack(Bridge& b, const dhcp4::Message& msg, Ipv4Address ip, int64_t now);
  Decision nak(Bridge& b, const dhcp4::Message& msg, std::string_view why);
  Reply make_reply(const Bridge& b, const dhcp4::Message& msg, dhcp4::MessageType type,
                   Ipv4Address yiaddr) const;
  void apply(Bridge& b, Decision& d, leases::LeaseChange change);

  std::vector<std::unique_ptr<Bridge>> bridges_;
  DhcpCounters counters_;
};

// Why a reservation cannot be served on a bridge (an address outside its
// subnet, the bridge's own, the network or broadcast address), or nullopt.
std::optional<std::string> reservation_problem(const leases::Reservation& r,
                                               const BridgeSettings& bridge);

// A client's hostname (option 12, or the first label of option 81) made into
// a valid DNS label: letters, digits and '-', no leading or trailing '-', at
// most 63 bytes. Empty when nothing usable is left.
std::string sanitize_hostname(std::string_view raw);

}  // namespace berth::dhcp
