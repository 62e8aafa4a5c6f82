// The local names berthd answers for, as one immutable snapshot (STYLE:
// readers take it without locks; a lease or reservation change builds a new
// one). Names come from bound leases (the client's hostname), reservations
// (their name, with or without a lease), the bridge itself (`_gateway` and
// the host's name) and static records from the config.
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

namespace berth::dns {

struct DnsBridge {
  std::string name;
  Ipv4Prefix address;  // the bridge's own address and subnet
  std::string domain;
  // false: a bridge no longer served (removed by a reload). It keeps its
  // index so the others keep theirs, but holds no zone, names or subnet.
  bool serving = true;
};

// A name a client holds on a bridge: from a reservation or a bound lease.
struct NamedAddress {
  size_t bridge = 0;  // index into NameTableSpec::bridges
  std::string label;  // one DNS label (already sanitised)
  Ipv4Address ip;
  bool reserved = false;
};

struct NameTableSpec {
  std::vector<DnsBridge> bridges;
  std::string host_name;  // the host's own name (one label); empty: none
  std::vector<NamedAddress> names;
  config::DnsConfig statics;  // hosts, cnames, srvs, txts (other fields unused)
  uint32_t local_ttl = 0;
  uint32_t serial = 1;  // SOA serial
};

class NameTable {
 public:
  // Builds a snapshot. Clashes are settled as the DNS issue asks: a
  // reservation's name wins over a dynamic client's; between dynamic clients
  // the one that held the name in `previous` keeps it (else the lowest
  // address); the bridge's own names win over everything. Each loser is
  // described in `clashes`.
  static std::shared_ptr<const NameTable> build(const NameTableSpec& spec,
                                                const NameTable* previous,
                                                std::vector<std::string>* clashes);

  // Writes the reply to `q` (whose wire form is `packet`, received on
  // `bridge`) when the name is ours: an answer, NXDOMAIN or NODATA with the
  // zone's SOA, AA set. At most `limit` bytes; an answer that does not fit
  // is sent empty with TC=1. nullopt: not a local name, forward it.
  std::optional<size_t> answer(const dns::Query& q, ByteView packet, size_t bridge,
                               MutableByteView out, size_t limit) const;

  // What `answer` would say, for tests and `berthctl`: the A records of a name.
  std::vector<Ipv4Address> addresses(std::string_view name, size_t bridge) const;
  size_t name_count() const { return nodes_.size() + ptrs_.size(); }
  // Whether `source` lies in the subnet of a served bridge (else REFUSED).
  bool serves(Ipv4Address source) const;

 private:
  // One RRset: `count` whole records, `size` bytes at `offset` in wire_. The
  // owner is a pointer to the question, except in a zone's own SOA.
  struct RrSet {
    uint32_t offset = 0;
    uint32_t size = 0;
    uint16_t type = 0;  // what it answers; a CNAME set also holds the target's A records
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
  using Nodes = std::unordered_map<std::string, Node, KeyHash, std::equal_to<>>;

  const Node* find(const dns::Name& qname, size_t bridge, int* zone) const;
  const RrSet* rrset(const Node& node, uint16_t type) const;
  std::optional<size_t> write(const dns::Query& q, ByteView packet, uint8_t rcode,
                              const RrSet* answers, const RrSet* authority, MutableByteView out,
                              size_t limit) const;

  Nodes nodes_;
  std::vector<Ptr> ptrs_;  // by address
  std::vector<RrSet> sets_;
  std::vector<uint8_t> wire_;  // every record of the table
  std::vector<Zone> zones_;
  std::vector<int> bridge_zone_;          // forward zone of each bridge
  std::vector<int> bridge_reverse_zone_;  // reverse zone of each bridge
  std::vector<Ipv4Prefix> subnets_;
  std::vector<bool> serving_;
  dns::Name reverse_root_;  // in-addr.arpa
  // Who holds each dynamic name, "bridge/label" -> address, for the next build.
  std::unordered_map<std::string, Ipv4Address> holders_;
};

// "10.0.3.5" -> "5.3.0.10.in-addr.arpa"
dns::Name reverse_name(Ipv4Address ip);
// The inverse, for names of exactly four octet labels under in-addr.arpa.
std::optional<Ipv4Address> address_of_reverse_name(const dns::Name& name);

}  // namespace berth::dns
