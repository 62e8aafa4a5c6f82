#include "dns/name_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <iterator>
#include <unordered_set>

#include "dns/name_table_wire.hpp"
#include "protocol/bytes.hpp"

namespace berth::dns {
using namespace table_wire;
namespace {

constexpr size_t kOptSize = 11;
constexpr uint16_t kServerUdpSize = 1232;

}  // namespace

dns::Name reverse_name(Ipv4Address ip) {
  KeyBuffer buf;
  auto n = dns::Name::from_wire(bytes_of(reverse_key(ip, buf)));
  return n ? *n : dns::Name();
}

std::optional<Ipv4Address> address_of_reverse_name(const dns::Name& name) {
  if (name.label_count() != 6) return std::nullopt;
  auto root = dns::Name::from_text("in-addr.arpa");
  if (!root || !name.is_subdomain_ci(*root)) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    std::string_view label = name.label(3 - i);
    if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) {
      return std::nullopt;
    }
    uint32_t octet = 0;
    for (char c : label) {
      if (c < '0' || c > '9') return std::nullopt;
      octet = octet * 10 + static_cast<uint32_t>(c - '0');
    }
    if (octet > 255) return std::nullopt;
    v = v << 8 | octet;
  }
  return Ipv4Address(v);
}

dns::Name reverse_name(const Ipv6Address& ip) {
  KeyBuffer buf;
  auto n = dns::Name::from_wire(bytes_of(reverse6_key(ip, buf)));
  return n ? *n : dns::Name();
}

std::optional<Ipv6Address> address_of_reverse_name6(const dns::Name& name) {
  if (name.label_count() != kNibbles + 2) return std::nullopt;
  auto root = dns::Name::from_text("ip6.arpa");
  if (!root || !name.is_subdomain_ci(*root)) return std::nullopt;
  auto n = nibbles_of(name, kNibbles);
  if (!n) return std::nullopt;
  return n->high;
}

size_t NameTable::KeyHash::operator()(std::string_view key) const noexcept {
  return std::hash<std::string_view>{}(key);
}

bool NameTable::serves(const IpAddress& source) const {
  if (source.is_v4()) {
    for (size_t i = 0; i < subnets_.size(); ++i) {
      if (serving_[i] && subnets_[i].contains(source.v4())) return true;
    }
    return false;
  }
  // An IPv4-mapped source (::ffff:a.b.c.d) never reaches us: the IPv6
  // sockets are IPV6_V6ONLY. Link-local sources are refused (see the header).
  if (source.v6().is_link_local()) return false;
  for (size_t i = 0; i < prefixes6_.size(); ++i) {
    if (serving_[i] && prefixes6_[i] && prefixes6_[i]->contains(source.v6())) return true;
  }
  return false;
}

// The deepest of our zones that holds `qname`, or -1.
int NameTable::zone_of(const dns::Name& qname) const {
  int zone = -1;
  size_t best = 0;
  for (size_t z = 0; z < zones_.size(); ++z) {
    if (qname.is_subdomain_ci(zones_[z].name) && zones_[z].name.label_count() > best) {
      best = zones_[z].name.label_count();
      zone = static_cast<int>(z);
    }
  }
  return zone;
}

// A name under ip6.arpa that is not a node. A whole address's name is ours
// for an address in a served prefix, as under in-addr.arpa. A shorter name
// in one of our zones is an empty non-terminal when some PTR lies below it
// (kept implicit: a /64 would need 15 of them per address), else NXDOMAIN.
const NameTable::Node* NameTable::find_reverse6(const dns::Name& qname, int* zone) const {
  static const Node kEmptyNonTerminal{};
  const auto nibbles = nibbles_of(qname, qname.label_count() - 2);
  if (nibbles && nibbles->count == kNibbles) {
    const Ipv6Address& ip = nibbles->high;
    auto it = std::partition_point(ptrs6_.begin(), ptrs6_.end(),
                                   [&](const Ptr6& p) { return p.ip < ip; });
    if (it != ptrs6_.end() && it->ip == ip) {
      *zone = it->node.zone;
      return &it->node;
    }
    for (size_t i = 0; i < prefixes6_.size(); ++i) {
      if (serving_[i] && prefixes6_[i] && prefixes6_[i]->contains(ip)) {
        *zone = bridge_reverse6_zone_[i];
        return nullptr;
      }
    }
    return nullptr;
  }
  *zone = zone_of(qname);
  if (*zone < 0 || !nibbles) return nullptr;
  auto it = std::partition_point(ptrs6_.begin(), ptrs6_.end(),
                                 [&](const Ptr6& p) { return p.ip < nibbles->high; });
  const auto past = past_nibbles(*nibbles);
  if (it != ptrs6_.end() && (!past || it->ip < *past)) return &kEmptyNonTerminal;
  return nullptr;
}

const NameTable::Node* NameTable::find(const dns::Name& qname, size_t bridge, int* zone) const {
  *zone = -1;
  KeyBuffer buf;
  // A single label is a name on the bridge the query came in on.
  if (qname.label_count() == 1) {
    // A zone apex may be a single label ("lab"); it wins over a host "lab".
    if (auto it = nodes_.find(key_of(qname.wire(), buf));
        it != nodes_.end() && rrset(it->second, dns::type::SOA) != nullptr) {
      *zone = it->second.zone;
      return &it->second;
    }
    if (bridge >= bridge_zone_.size() || bridge_zone_[bridge] < 0) return nullptr;
    *zone = bridge_zone_[bridge];
    auto full = zones_[static_cast<size_t>(*zone)].name.prepend(qname.label(0));
    if (!full) return nullptr;
    auto it = nodes_.find(key_of(full->wire(), buf));
    return it == nodes_.end() ? nullptr : &it->second;
  }
  if (auto it = nodes_.find(key_of(qname.wire(), buf)); it != nodes_.end()) {
    *zone = it->second.zone;
    return &it->second;
  }
  // Not a name we hold: ours to deny when it lies in one of our zones. A
  // reverse name is ours only for addresses in a served subnet.
  if (qname.is_subdomain_ci(reverse_root_)) {
    auto ip = address_of_reverse_name(qname);
    if (!ip) return nullptr;
    auto it = std::partition_point(ptrs_.begin(), ptrs_.end(),
                                   [&](const Ptr& p) { return p.ip < ip->value(); });
    if (it != ptrs_.end() && it->ip == ip->value()) {
      *zone = it->node.zone;
      return &it->node;
    }
    for (size_t i = 0; i < subnets_.size(); ++i) {
      if (serving_[i] && subnets_[i].contains(*ip)) {
        *zone = bridge_reverse_zone_[i];
        return nullptr;
      }
    }
    return nullptr;
  }
  if (qname.is_subdomain_ci(reverse6_root_)) return find_reverse6(qname, zone);
  *zone = zone_of(qname);
  return nullptr;
}

const NameTable::RrSet* NameTable::rrset(const Node& node, uint16_t type) const {
  for (size_t i = node.first; i < node.first + node.set_count; ++i) {
    if (sets_[i].type == type) return &sets_[i];
  }
  return nullptr;
}

std::optional<size_t> NameTable::answer(const dns::Query& q, ByteView packet, size_t bridge,
                                        MutableByteView out, size_t limit) const {
  if (q.qclass != dns::klass::IN && q.qclass != dns::klass::ANY) return std::nullopt;
  int zone = -1;
  const Node* node = find(q.qname, bridge, &zone);
  const RrSet* soa = zone >= 0 ? &zones_[static_cast<size_t>(zone)].soa : nullptr;
  if (node == nullptr) {
    if (zone < 0 && q.qname.label_count() != 1) return std::nullopt;  // not ours: forward
    return write(q, packet, dns::rcode::NXDOMAIN, nullptr, soa, out, limit);
  }
  const RrSet* answers = nullptr;
  if (node->is_cname && q.qtype != dns::type::CNAME) {
    // The CNAME, followed by the target's records of the type asked for.
    if (q.qtype == dns::type::A || q.qtype == dns::type::AAAA) answers = rrset(*node, q.qtype);
    if (answers == nullptr) answers = rrset(*node, dns::type::CNAME);
  } else {
    switch (q.qtype) {
      case dns::type::A:
      case dns::type::AAAA:
      case dns::type::TXT:
      case dns::type::SRV:
      case dns::type::PTR:
      case dns::type::SOA:
      case dns::type::CNAME:
        answers = rrset(*node, q.qtype);
        break;
      case dns::type::ANY:
        // RFC 8482: one RRset is a complete answer to ANY.
        for (uint16_t type : {dns::type::A, dns::type::AAAA, dns::type::PTR, dns::type::TXT,
                              dns::type::SRV, dns::type::SOA}) {
          if ((answers = rrset(*node, type)) != nullptr) break;
        }
        break;
      default:
        break;
    }
  }
  if (answers != nullptr) {
    return write(q, packet, dns::rcode::NOERROR, answers, nullptr, out, limit);
  }
  return write(q, packet, dns::rcode::NOERROR, nullptr, soa, out, limit);  // NODATA
}

std::optional<size_t> NameTable::write(const dns::Query& q, ByteView packet, uint8_t rcode,
                                       const RrSet* answers, const RrSet* authority,
                                       MutableByteView out, size_t limit) const {
  limit = std::min(limit, out.size());
  const size_t question = q.question_end - dns::kHeaderSize;
  const size_t opt = q.edns ? kOptSize : 0;
  const size_t base = dns::kHeaderSize + question + opt;
  if (base > limit) return std::nullopt;
  size_t an_size = answers ? answers->size : 0;
  size_t ns_size = authority ? authority->size : 0;
  uint16_t ancount = answers ? answers->count : 0;
  uint16_t nscount = authority ? authority->count : 0;
  bool tc = false;
  if (base + an_size + ns_size > limit) {
    // Cut the authority first (it is only a hint for negative caching), then
    // the answer as a whole: the client retries over TCP.
    ns_size = 0;
    nscount = 0;
    if (base + an_size > limit) {
      an_size = 0;
      ancount = 0;
      tc = true;
    }
  }
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(q.header.id >> 8);
  p[1] = static_cast<uint8_t>(q.header.id);
  p[2] = static_cast<uint8_t>(0x80 | (q.header.opcode & 0xF) << 3 | 0x04 | (tc ? 0x02 : 0) |
                              (q.header.rd ? 0x01 : 0));
  p[3] = static_cast<uint8_t>(0x80 | (q.header.cd ? 0x10 : 0) | (rcode & 0xF));
  auto put = [&](size_t at, uint16_t v) {
    p[at] = static_cast<uint8_t>(v >> 8);
    p[at + 1] = static_cast<uint8_t>(v);
  };
  put(4, 1);
  put(6, ancount);
  put(8, nscount);
  put(10, q.edns ? 1 : 0);
  std::memcpy(p + dns::kHeaderSize, packet.data() + dns::kHeaderSize, question);
  size_t at = dns::kHeaderSize + question;
  if (an_size > 0) {
    std::memcpy(p + at, wire_.data() + answers->offset, an_size);
    at += an_size;
  }
  if (ns_size > 0) {
    std::memcpy(p + at, wire_.data() + authority->offset, ns_size);
    at += ns_size;
  }
  if (q.edns) {
    p[at] = 0;  // root owner
    put(at + 1, dns::type::OPT);
    put(at + 3, kServerUdpSize);
    p[at + 5] = 0;  // extended rcode
    p[at + 6] = 0;  // version
    put(at + 7, q.edns->dnssec_ok ? 0x8000 : 0);
    put(at + 9, 0);
    at += kOptSize;
  }
  return at;
}

const NameTable::RrSet* NameTable::address_set(std::string_view name, size_t bridge,
                                               uint16_t type) const {
  auto n = name_of(name);
  if (!n) return nullptr;
  int zone = -1;
  const Node* node = find(*n, bridge, &zone);
  // An alias's A and AAAA sets start with its CNAME: not addresses of its own.
  if (node == nullptr || node->is_cname) return nullptr;
  return rrset(*node, type);
}

std::vector<Ipv4Address> NameTable::addresses(std::string_view name, size_t bridge) const {
  const RrSet* a = address_set(name, bridge, dns::type::A);
  if (a == nullptr) return {};
  std::vector<Ipv4Address> out;
  out.reserve(a->count);
  for (size_t at = a->offset + kARecordSize - 4; at < a->offset + a->size; at += kARecordSize) {
    out.push_back(Ipv4Address::from_bytes(ByteView(wire_.data() + at, 4)));
  }
  return out;
}

std::vector<Ipv6Address> NameTable::addresses6(std::string_view name, size_t bridge) const {
  const RrSet* a = address_set(name, bridge, dns::type::AAAA);
  if (a == nullptr) return {};
  std::vector<Ipv6Address> out;
  out.reserve(a->count);
  for (size_t at = a->offset + kAaaaRecordSize - 16; at < a->offset + a->size;
       at += kAaaaRecordSize) {
    out.push_back(Ipv6Address::from_bytes(ByteView(wire_.data() + at, 16)));
  }
  return out;
}

}  // namespace berth::dns
