// The local names berthd answers for, as one immutable snapshot (STYLE:
// readers take it without locks; a lease or reservation change builds a new
// one). Names come from bound leases (the client's hostname), reservations
// (their name, with or without a lease), the bridge itself (`_gateway` and
// the host's name) and static records from the config.
//
// IPv6: a bridge with `ipv6` set answers AAAA for `_gateway` and the host's
// name with its IPv6 address, and PTR under ip6.arpa (RFC 3596 nibble form)
// in the reverse zone of its prefix. A name may hold addresses of both
// families (a client's DHCPv4 and DHCPv6 leases); an A or AAAA query for a
// name that has only the other family is NODATA.
//
// Answers are precomputed as wire bytes whose owner is a pointer to the
// question (offset 12), so a reply is the query's header and question plus
// a memcpy: no parsing of our own data and no allocation per query.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "protocol/address.hpp"
#include "protocol/dns/message.hpp"
#include "protocol/dns/record.hpp"
#include "protocol/stable_string_map.hpp"

namespace berth::dns {

struct DnsBridge {
  std::string name;
  Ipv4Prefix address;  // the bridge's own address and subnet
  std::string domain;
  // false: a bridge no longer served (removed by a reload). It keeps its
  // index so the others keep theirs, but holds no zone, names or subnet.
  bool serving = true;
  // The bridge's own IPv6 address and its prefix (a /64, "fd42:1:2:3::1/64");
  // unset: the bridge has no IPv6. When set, `_gateway` and the host's name
  // have this AAAA, sources in the prefix are served, the reverse zone is
  // the prefix's under ip6.arpa (cut at the nibble boundary at or above the
  // prefix length: a /64 gives 16 nibble labels), and DnsServer also listens
  // on this address. Link-local sources (fe80::/10) are not served: see
  // NameTable::serves.
  std::optional<Ipv6Prefix> ipv6 = std::nullopt;
};

// A name a client holds on a bridge: from a reservation or a bound lease.
// The family of `ip` says whether it is an A or an AAAA record; a client
// with a DHCPv4 and a DHCPv6 lease under one label is two NamedAddresses,
// and the name then has both. Clashes are settled per family.
struct NamedAddress {
  size_t bridge = 0;  // index into NameTableSpec::bridges
  std::string label;  // one DNS label (already sanitised)
  IpAddress ip;
  bool reserved = false;
};

struct NameTableSpec {
  std::vector<DnsBridge> bridges;
  std::string host_name;  // the host's own name (one label); empty: none
  std::vector<NamedAddress> names;
  config::DnsConfig statics;  // hosts, cnames, srvs, txts (other fields unused)
  // Records of the control API (/v1/records), answered like the statics; a
  // record of a bridge not in `bridges` (or not serving) is left out.
  std::vector<UserRecord> records;
  uint32_t local_ttl = 0;
  uint32_t serial = 1;  // SOA serial
};

class NameTable {
 public:
  // Builds a snapshot. Clashes are settled as the DNS issue asks, for each
  // family on its own (an A and an AAAA under one name never clash): a
  // reservation's name wins over a dynamic client's; between dynamic clients
  // the one that held the name in `previous` keeps it (else the lowest
  // address); the bridge's own names win over everything, in both families.
  // Each loser is described in `clashes`.
  static std::shared_ptr<const NameTable> build(const NameTableSpec& spec,
                                                const NameTable* previous,
                                                std::vector<std::string>* clashes);

  // Writes the reply to `q` (whose wire form is `packet`, received on
  // `bridge`) when the name is ours: an answer, NXDOMAIN or NODATA with the
  // zone's SOA, AA set. At most `limit` bytes; an answer that does not fit
  // is sent empty with TC=1. nullopt: not a local name, forward it.
  std::optional<size_t> answer(const dns::Query& q, ByteView packet, size_t bridge,
                               MutableByteView out, size_t limit) const;

  // What `answer` would say, for tests and `berthctl`: the A records of a
  // name (empty for an alias, a name without A records, or a name not ours).
  std::vector<Ipv4Address> addresses(std::string_view name, size_t bridge) const;
  // Likewise its AAAA records.
  std::vector<Ipv6Address> addresses6(std::string_view name, size_t bridge) const;
  size_t name_count() const { return nodes_.size() + ptrs_.size() + ptrs6_.size(); }
  // Whether `source` lies in the IPv4 subnet or the IPv6 prefix of a served
  // bridge (else REFUSED). IPv6 link-local sources are refused: the sockets
  // are not bound to a device, so a fe80:: source may have come in on any
  // link of the host (the uplink's too), and a client with an address from
  // the bridge's prefix uses it to reach the bridge's (RFC 6724 rule 2).
  bool serves(const IpAddress& source) const;

 private:
  // One RRset: `count` whole records, `size` bytes at `offset` in wire_. The
  // owner is a pointer to the question, except in a zone's own SOA.
  struct RrSet {
    uint32_t offset = 0;
    uint32_t size = 0;
    // What it answers. An alias has a CNAME set (the CNAME alone) and, when
    // the target is ours, an A and an AAAA set: the CNAME followed by the
    // target's records of that type.
    uint16_t type = 0;
    uint16_t count = 0;
  };
  // A name: the RRsets it holds, sets_[first, first + set_count).
  struct Node {
    uint32_t first = 0;
    int32_t zone = -1;  // zone for negative answers, -1 when none
    uint8_t set_count = 0;
    bool is_cname = false;
  };
  // A reverse name that holds only its PTR record.
  struct Ptr {
    uint32_t ip;
    Node node;
  };
  struct Ptr6 {
    Ipv6Address ip;
    Node node;
  };
  struct Zone {
    dns::Name name;
    RrSet soa;
  };
  class Builder;  // name_table_builder.cpp
  friend class Builder;

  // Keys are names in lowercased wire form; a query's name is looked up
  // through a lowercased copy on the stack, without allocating.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept;
  };
  using Nodes = StableStringMap<Node>;

  const Node* find(const dns::Name& qname, size_t bridge, int* zone) const;
  const Node* find_reverse6(const dns::Name& qname, int* zone) const;
  int zone_of(const dns::Name& qname) const;
  const RrSet* address_set(std::string_view name, size_t bridge, uint16_t type) const;
  const RrSet* rrset(const Node& node, uint16_t type) const;
  std::optional<size_t> write(const dns::Query& q, ByteView packet, uint8_t rcode,
                              const RrSet* answers, const RrSet* authority, MutableByteView out,
                              size_t limit) const;

  Nodes nodes_;
  std::vector<Ptr> ptrs_;    // by address
  std::vector<Ptr6> ptrs6_;  // by address
  std::vector<RrSet> sets_;
  std::vector<uint8_t> wire_;  // every record of the table
  std::vector<Zone> zones_;
  std::vector<int> bridge_zone_;           // forward zone of each bridge
  std::vector<int> bridge_reverse_zone_;   // reverse zone of each bridge
  std::vector<int> bridge_reverse6_zone_;  // ip6.arpa zone of each bridge, -1: none
  std::vector<Ipv4Prefix> subnets_;
  std::vector<std::optional<Ipv6Prefix>> prefixes6_;
  std::vector<bool> serving_;
  dns::Name reverse_root_;   // in-addr.arpa
  dns::Name reverse6_root_;  // ip6.arpa
  // Who holds each dynamic name, "bridge/label/family" -> address, for the
  // next build.
  StableStringMap<IpAddress> holders_;
};

// "10.0.3.5" -> "5.3.0.10.in-addr.arpa"
dns::Name reverse_name(Ipv4Address ip);
// The inverse, for names of exactly four octet labels under in-addr.arpa.
std::optional<Ipv4Address> address_of_reverse_name(const dns::Name& name);
// "fd42::5" -> "5.0.0.0. ... .2.4.d.f.ip6.arpa" (RFC 3596 §2.5: 32 nibbles,
// lowest first, lower-case hex).
dns::Name reverse_name(const Ipv6Address& ip);
// The inverse, for names of exactly 32 one-hex-digit labels (either case)
// under ip6.arpa.
std::optional<Ipv6Address> address_of_reverse_name6(const dns::Name& name);

}  // namespace berth::dns
