#include "dns/name_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <iterator>
#include <unordered_set>

#include "protocol/bytes.hpp"

namespace berth::dns {
namespace {

constexpr uint8_t kQuestionPointer[2] = {0xC0, 0x0C};
constexpr size_t kOptSize = 11;
constexpr uint16_t kServerUdpSize = 1232;
// An A record whose owner is a pointer: owner, type, class, TTL, length, address.
constexpr size_t kARecordSize = 2 + 10 + 4;
constexpr size_t kRecordFixed = 10;  // type, class, TTL, rdata length
// "in-addr.arpa." in wire form.
constexpr std::string_view kReverseRoot("\7in-addr\4arpa\0", 14);

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(c)));
  return out;
}

void put16(std::vector<uint8_t>& w, uint16_t v) {
  w.push_back(static_cast<uint8_t>(v >> 8));
  w.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& w, uint32_t v) {
  put16(w, static_cast<uint16_t>(v >> 16));
  put16(w, static_cast<uint16_t>(v));
}

// One record. An empty `owner`: the owner is the question name (a pointer).
void add_record(std::vector<uint8_t>& w, ByteView owner, uint16_t type, uint32_t ttl,
                ByteView rdata) {
  if (owner.empty()) {
    w.insert(w.end(), std::begin(kQuestionPointer), std::end(kQuestionPointer));
  } else {
    w.insert(w.end(), owner.begin(), owner.end());
  }
  put16(w, type);
  put16(w, dns::klass::IN);
  put32(w, ttl);
  put16(w, static_cast<uint16_t>(rdata.size()));
  w.insert(w.end(), rdata.begin(), rdata.end());
}

std::vector<uint8_t> name_rdata(const dns::Name& n) { return {n.wire().begin(), n.wire().end()}; }

std::optional<dns::Name> name_of(std::string_view text) {
  auto n = dns::Name::from_text(text);
  if (!n) return std::nullopt;
  return n->lowercased();
}

// Table keys: a name's wire form, lowercased (length bytes are at most 63,
// below 'A', so lowering them is harmless).
using KeyBuffer = std::array<char, dns::kMaxNameWire>;

std::string_view key_of(ByteView wire, KeyBuffer& buf) {
  for (size_t i = 0; i < wire.size(); ++i) buf[i] = static_cast<char>(dns::ascii_lower(wire[i]));
  return {buf.data(), wire.size()};
}

ByteView bytes_of(std::string_view key) {
  return {reinterpret_cast<const uint8_t*>(key.data()), key.size()};
}

size_t label_count(std::string_view key) {
  size_t n = 0;
  for (size_t pos = 0; pos < key.size() && key[pos] != 0;
       pos += 1 + static_cast<uint8_t>(key[pos])) {
    ++n;
  }
  return n;
}

// Whether `name` is `zone` or lies below it.
bool is_under(std::string_view name, std::string_view zone) {
  if (zone.size() > name.size()) return false;
  const size_t start = name.size() - zone.size();
  size_t pos = 0;
  while (pos < start) pos += 1 + static_cast<uint8_t>(name[pos]);
  return pos == start && name.substr(start) == zone;  // else the suffix would cut a label
}

// `name` without its first `n` labels.
std::string_view strip_left(std::string_view name, size_t n) {
  size_t pos = 0;
  for (; n > 0 && name[pos] != 0; --n) pos += 1 + static_cast<uint8_t>(name[pos]);
  return name.substr(pos);
}

// The key of "5.3.0.10.in-addr.arpa" for 10.0.3.5.
std::string_view reverse_key(Ipv4Address ip, KeyBuffer& buf) {
  const auto b = ip.to_bytes();
  char* at = buf.data();
  for (size_t i = 4; i-- > 0;) {
    char* end = std::to_chars(at + 1, at + 4, b[i]).ptr;
    *at = static_cast<char>(end - at - 1);
    at = end;
  }
  at = std::copy(kReverseRoot.begin(), kReverseRoot.end(), at);
  return {buf.data(), static_cast<size_t>(at - buf.data())};
}

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

size_t NameTable::KeyHash::operator()(std::string_view key) const noexcept {
  return std::hash<std::string_view>{}(key);
}

std::shared_ptr<const NameTable> NameTable::build(const NameTableSpec& spec,
                                                  const NameTable* previous,
                                                  std::vector<std::string>* clashes) {
  auto table = std::make_shared<NameTable>();
  NameTable& t = *table;
  const uint32_t ttl = spec.local_ttl;
  auto note = [&](std::string s) {
    if (clashes != nullptr) clashes->push_back(std::move(s));
  };
  t.reverse_root_ = *name_of("in-addr.arpa");

  // Zones: each bridge's domain, and the octet-aligned reverse zone holding
  // its subnet. Bridges may share a domain; they share the zone too. Each
  // zone's SOA goes first in wire_, with its owner in full.
  std::vector<std::vector<uint8_t>> soa_rdata;  // of each zone
  auto zone_index = [&](const dns::Name& name) {
    for (size_t i = 0; i < t.zones_.size(); ++i) {
      if (t.zones_[i].name.equals_ci(name)) return static_cast<int>(i);
    }
    dns::Name mname = name;
    if (!spec.host_name.empty()) {
      if (auto m = name.prepend(spec.host_name)) mname = *m;
    }
    dns::Name rname = name;
    if (auto r = name.prepend("hostmaster")) rname = *r;
    std::vector<uint8_t> rdata = name_rdata(mname);
    const std::vector<uint8_t> r2 = name_rdata(rname);
    rdata.insert(rdata.end(), r2.begin(), r2.end());
    for (uint32_t v : {spec.serial, 1200u, 180u, 1209600u, ttl}) put32(rdata, v);
    RrSet soa{.offset = static_cast<uint32_t>(t.wire_.size()), .type = dns::type::SOA, .count = 1};
    add_record(t.wire_, name.wire(), dns::type::SOA, ttl, rdata);
    soa.size = static_cast<uint32_t>(t.wire_.size() - soa.offset);
    t.zones_.push_back(Zone{name, soa});
    soa_rdata.push_back(std::move(rdata));
    return static_cast<int>(t.zones_.size() - 1);
  };

  std::vector<dns::Name> domains;
  for (const DnsBridge& b : spec.bridges) {
    if (!b.serving) {
      domains.emplace_back();
      t.bridge_zone_.push_back(-1);
      t.bridge_reverse_zone_.push_back(-1);
      t.subnets_.emplace_back();
      t.serving_.push_back(false);
      continue;
    }
    t.serving_.push_back(true);
    auto domain = name_of(b.domain);
    domains.push_back(domain ? *domain : dns::Name());
    t.bridge_zone_.push_back(domain ? zone_index(*domain) : -1);
    const Ipv4Address net = b.address.network();
    const auto o = net.to_bytes();
    std::string rz = "in-addr.arpa";
    for (size_t i = 0; i < b.address.length / 8; ++i) rz = fmt::format("{}.{}", o[i], rz);
    t.bridge_reverse_zone_.push_back(zone_index(*name_of(rz)));
    t.subnets_.push_back(Ipv4Prefix{net, b.address.length});
  }

  // Records are gathered per kind with the node they belong to (a node does
  // not move once made), then written out node by node at the end.
  t.nodes_.reserve(spec.names.size() + spec.statics.hosts.size() + 4 * spec.bridges.size());
  auto node_of = [&](const dns::Name& name) -> Nodes::value_type& {
    KeyBuffer buf;
    return *t.nodes_.try_emplace(std::string(key_of(name.wire(), buf))).first;
  };
  // Every name: its A addresses (in order, no duplicates) and a claim on the
  // PTR of each. Per address the first claim wins unless a later one replaces it.
  struct PtrClaim {
    uint32_t ip;
    const std::string* target;  // a node's key: already the lowercased wire form
    bool replace;
  };
  std::vector<std::pair<Node*, Ipv4Address>> a_recs;
  std::vector<PtrClaim> ptr_claims;
  a_recs.reserve(spec.names.size() + spec.statics.hosts.size() + 2 * spec.bridges.size());
  ptr_claims.reserve(a_recs.capacity() + spec.bridges.size());
  auto add_a = [&](const dns::Name& name, Ipv4Address ip, bool ptr) {
    auto& [key, node] = node_of(name);
    a_recs.emplace_back(&node, ip);
    if (ptr) ptr_claims.push_back({ip.value(), &key, false});
  };

  // 1. The bridges' own names win over everything.
  std::unordered_set<std::string> bridge_names;  // "bridge/label"
  for (size_t i = 0; i < spec.bridges.size(); ++i) {
    if (t.bridge_zone_[i] < 0) continue;
    const dns::Name& domain = domains[i];
    const Ipv4Address self = spec.bridges[i].address.address;
    std::vector<std::string> own = {"_gateway"};
    if (!spec.host_name.empty()) own.push_back(lower(spec.host_name));
    for (const std::string& label : own) {
      if (auto full = domain.prepend(label)) {
        add_a(*full, self, label != "_gateway" || spec.host_name.empty());
        bridge_names.insert(fmt::format("{}/{}", i, label));
      }
    }
    if (spec.host_name.empty()) {
      if (auto gw = domain.prepend("_gateway")) {
        ptr_claims.push_back({self.value(), &node_of(*gw).first, true});
      }
    }
  }

  // 2. Reservations, then 3. dynamic leases: the previous holder first, then
  // by address. Of the clients that want one name on one bridge, the first
  // in that order holds it.
  struct Candidate {
    const NamedAddress* name;
    std::string key;  // "bridge/label"
    int rank;
  };
  std::vector<Candidate> order;
  order.reserve(spec.names.size());
  for (const NamedAddress& n : spec.names) {
    if (n.bridge >= spec.bridges.size() || !spec.bridges[n.bridge].serving || n.label.empty()) {
      continue;
    }
    Candidate c{&n, fmt::format("{}/{}", n.bridge, lower(n.label)), 2};
    if (n.reserved) {
      c.rank = 0;
    } else if (previous != nullptr) {
      auto it = previous->holders_.find(c.key);
      if (it != previous->holders_.end() && it->second == n.ip) c.rank = 1;
    }
    order.push_back(std::move(c));
  }
  std::stable_sort(order.begin(), order.end(), [](const Candidate& a, const Candidate& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.name->ip < b.name->ip;
  });
  // first_of[i]: the first candidate in `order` with the key of order[i].
  std::vector<uint32_t> first_of(order.size());
  {
    std::vector<uint32_t> by_key(order.size());
    for (uint32_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
    std::stable_sort(by_key.begin(), by_key.end(),
                     [&](uint32_t a, uint32_t b) { return order[a].key < order[b].key; });
    for (size_t i = 0, first = 0; i < by_key.size(); ++i) {
      if (order[by_key[i]].key != order[by_key[first]].key) first = i;
      first_of[by_key[i]] = by_key[first];
    }
  }
  // Whether order[i] took its name. Whether a name can be served depends
  // only on its key, so when the first candidate for a key could not take
  // it, no later one can either.
  std::vector<bool> took(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const NamedAddress& n = *order[i].name;
    const std::string label = lower(n.label);
    const std::string& bridge = spec.bridges[n.bridge].name;
    const bool by_bridge = bridge_names.count(order[i].key) != 0;
    const NamedAddress& holder = *order[first_of[i]].name;
    if (by_bridge || took[first_of[i]]) {
      if (by_bridge || holder.ip != n.ip) {
        const std::string who =
            by_bridge ? "the bridge " + bridge
                      : fmt::format("{} {}", holder.reserved ? "reservation" : "lease",
                                    holder.ip.to_string());
        note(fmt::format("{}: name {} of {} ({}) is not served: {} has it", bridge, label,
                         n.ip.to_string(), n.reserved ? "reservation" : "lease", who));
      }
      continue;
    }
    if (t.bridge_zone_[n.bridge] < 0) continue;
    auto full = domains[n.bridge].prepend(label);
    if (!full) continue;
    took[i] = true;
    if (!n.reserved) t.holders_.emplace(std::move(order[i].key), n.ip);
    add_a(*full, n.ip, true);
  }

  // 4. Static records.
  for (const config::HostRecord& h : spec.statics.hosts) {
    if (auto n = name_of(h.name)) add_a(*n, h.ip, true);
  }
  struct Extra {  // a TXT or SRV record
    Node* node;
    uint16_t type;
    std::vector<uint8_t> rdata;
  };
  std::vector<Extra> extras;
  for (const config::TxtRecord& r : spec.statics.txts) {
    auto n = name_of(r.name);
    if (!n) continue;
    std::vector<uint8_t> rdata;
    for (const std::string& s : r.text) {
      size_t pos = 0;
      do {
        const size_t len = std::min<size_t>(255, s.size() - pos);
        rdata.push_back(static_cast<uint8_t>(len));
        rdata.insert(rdata.end(), s.begin() + static_cast<std::ptrdiff_t>(pos),
                     s.begin() + static_cast<std::ptrdiff_t>(pos + len));
        pos += len;
      } while (pos < s.size());
    }
    if (rdata.size() > 65535) continue;
    extras.push_back({&node_of(*n).second, dns::type::TXT, std::move(rdata)});
  }
  for (const config::SrvRecord& r : spec.statics.srvs) {
    auto n = name_of(r.name);
    auto target = name_of(r.target);
    if (!n || !target) continue;
    std::vector<uint8_t> rdata;
    put16(rdata, r.priority);
    put16(rdata, r.weight);
    put16(rdata, r.port);
    const auto tw = name_rdata(*target);
    rdata.insert(rdata.end(), tw.begin(), tw.end());
    extras.push_back({&node_of(*n).second, dns::type::SRV, std::move(rdata)});
  }

  // Each node's addresses side by side, in the order added, without repeats.
  auto by_node = [](const auto& x, const auto& y) {
    return std::less<const Node*>{}(x.first, y.first);
  };
  std::stable_sort(a_recs.begin(), a_recs.end(), by_node);
  size_t kept = 0;
  for (size_t i = 0, group = 0; i < a_recs.size(); ++i) {
    if (kept == 0 || a_recs[kept - 1].first != a_recs[i].first) group = kept;
    const auto first = a_recs.begin() + static_cast<std::ptrdiff_t>(group);
    const auto last = a_recs.begin() + static_cast<std::ptrdiff_t>(kept);
    if (std::find_if(first, last, [&](const auto& r) { return r.second == a_recs[i].second; }) ==
        last) {
      a_recs[kept++] = a_recs[i];
    }
  }
  a_recs.resize(kept);
  auto addresses_of = [&](Node* node) {
    return std::equal_range(a_recs.begin(), a_recs.end(), std::pair(node, Ipv4Address()), by_node);
  };

  // The PTR of each address. Most reverse names hold nothing else; those
  // are kept apart from nodes_, in ptrs_ by address.
  std::stable_sort(ptr_claims.begin(), ptr_claims.end(),
                   [](const PtrClaim& a, const PtrClaim& b) { return a.ip < b.ip; });
  struct PtrRec {
    uint32_t ip;
    const std::string* target;
    int zone = -1;
  };
  std::vector<PtrRec> ptr_recs;
  ptr_recs.reserve(ptr_claims.size());
  for (size_t i = 0; i < ptr_claims.size();) {
    const PtrClaim* winner = &ptr_claims[i];
    size_t j = i + 1;
    for (; j < ptr_claims.size() && ptr_claims[j].ip == ptr_claims[i].ip; ++j) {
      if (ptr_claims[j].replace) winner = &ptr_claims[j];
    }
    ptr_recs.push_back({winner->ip, winner->target});
    i = j;
  }
  auto has_ptr = [&](const dns::Name& name) {
    const auto ip = address_of_reverse_name(name);
    return ip && std::binary_search(ptr_recs.begin(), ptr_recs.end(), PtrRec{ip->value(), nullptr},
                                    [](const PtrRec& a, const PtrRec& b) { return a.ip < b.ip; });
  };

  // CNAMEs: an alias may not own other data (RFC 1034 3.6.2).
  struct Alias {
    Node* node;
    dns::Name target;
    Node* target_node;  // whose A records follow the CNAME; null: none
  };
  std::vector<Alias> aliases;
  for (const config::CnameRecord& c : spec.statics.cnames) {
    auto n = name_of(c.name);
    auto target = name_of(c.target);
    if (!n || !target) continue;
    KeyBuffer buf;
    const std::string_view key = key_of(n->wire(), buf);
    if (t.nodes_.find(key) != t.nodes_.end() || has_ptr(*n)) {
      note(fmt::format("cname {} -> {} is not served: {} has other records", c.name, c.target,
                       c.name));
      continue;
    }
    Node& node = t.nodes_.emplace(std::string(key), Node{}).first->second;
    node.is_cname = true;
    Node* to = nullptr;
    if (auto it = t.nodes_.find(key_of(target->wire(), buf));
        it != t.nodes_.end() && !it->second.is_cname) {
      to = &it->second;
    }
    aliases.push_back({&node, *target, to});
  }

  // Zone of each name (for NODATA), zone apexes (SOA), and empty
  // non-terminals ("_tcp.web.berth" when "_http._tcp.web.berth" exists)
  // so that they answer NODATA, not NXDOMAIN.
  std::vector<std::string> zone_keys;
  std::vector<size_t> zone_depth;
  for (const Zone& z : t.zones_) {
    KeyBuffer buf;
    zone_keys.emplace_back(key_of(z.name.wire(), buf));
    zone_depth.push_back(z.name.label_count());
  }
  auto zone_of = [&](std::string_view key) {
    int zone = -1;
    for (size_t z = 0; z < zone_keys.size(); ++z) {
      if (is_under(key, zone_keys[z]) &&
          (zone < 0 || zone_depth[z] > zone_depth[static_cast<size_t>(zone)])) {
        zone = static_cast<int>(z);
      }
    }
    return zone;
  };
  std::unordered_map<std::string, int, KeyHash, std::equal_to<>> ents;
  auto add_ents = [&](std::string_view key, int zone) {
    if (zone < 0) return;
    const size_t depth = zone_depth[static_cast<size_t>(zone)];
    const size_t labels = label_count(key);
    for (size_t strip = 1; labels - strip > depth; ++strip) {
      const std::string_view ent = strip_left(key, strip);
      if (ents.find(ent) == ents.end()) ents.emplace(std::string(ent), zone);
    }
  };
  // Nodes named for an address: a PTR there joins the node's other records.
  std::vector<std::pair<uint32_t, Node*>> reverse_nodes;
  auto note_reverse = [&](std::string_view key, Node& node) {
    if (!is_under(key, kReverseRoot)) return;
    const auto name = dns::Name::from_wire(bytes_of(key));
    if (!name) return;
    if (const auto ip = address_of_reverse_name(*name)) {
      reverse_nodes.emplace_back(ip->value(), &node);
    }
  };
  for (auto& [key, node] : t.nodes_) {
    node.zone = zone_of(key);
    add_ents(key, node.zone);
    note_reverse(key, node);
  }
  for (PtrRec& p : ptr_recs) {
    KeyBuffer buf;
    const std::string_view key = reverse_key(Ipv4Address(p.ip), buf);
    p.zone = zone_of(key);
    add_ents(key, p.zone);
  }
  std::vector<std::pair<Node*, size_t>> apexes;
  for (size_t z = 0; z < t.zones_.size(); ++z) {
    const auto [it, made] = t.nodes_.try_emplace(zone_keys[z]);
    if (made) note_reverse(it->first, it->second);
    Node& apex = it->second;
    apex.zone = static_cast<int>(z);
    apexes.emplace_back(&apex, z);
  }
  for (const auto& [key, zone] : ents) {
    const auto [it, made] = t.nodes_.try_emplace(key);
    if (made) note_reverse(it->first, it->second);
    if (it->second.zone < 0) it->second.zone = zone;
  }

  // Write out every RRset, in the table's one buffer.
  std::stable_sort(extras.begin(), extras.end(), [](const Extra& a, const Extra& b) {
    return std::less<const Node*>{}(a.node, b.node);
  });
  std::sort(aliases.begin(), aliases.end(), [](const Alias& a, const Alias& b) {
    return std::less<const Node*>{}(a.node, b.node);
  });
  std::sort(apexes.begin(), apexes.end(), by_node);
  size_t bytes = t.wire_.size() + a_recs.size() * kARecordSize;
  for (const PtrRec& p : ptr_recs) bytes += 2 + kRecordFixed + p.target->size();
  for (const Extra& e : extras) bytes += 2 + kRecordFixed + e.rdata.size();
  for (const Alias& a : aliases) {
    bytes += 2 + kRecordFixed + a.target.wire_size();
    if (a.target_node != nullptr) {
      const auto [lo, hi] = addresses_of(a.target_node);
      bytes += static_cast<size_t>(hi - lo) * (a.target.wire_size() + kRecordFixed + 4);
    }
  }
  for (const auto& [node, z] : apexes) bytes += 2 + kRecordFixed + soa_rdata[z].size();
  t.wire_.reserve(bytes);  // exactly what is written below
  // At most an A or a CNAME set per node, a PTR per address, a TXT or SRV
  // set per static record and an SOA per apex.
  t.sets_.reserve(t.nodes_.size() + ptr_recs.size() + extras.size() + apexes.size());
  RrSet set;  // the one being written
  auto open = [&](uint16_t type) {
    set = RrSet{.offset = static_cast<uint32_t>(t.wire_.size()), .type = type};
  };
  auto close = [&] {
    set.size = static_cast<uint32_t>(t.wire_.size() - set.offset);
    if (set.count > 0) t.sets_.push_back(set);
  };
  auto add_ptr = [&](const std::string& target) {
    open(dns::type::PTR);
    add_record(t.wire_, {}, dns::type::PTR, ttl, bytes_of(target));
    set.count = 1;
    close();
  };
  // A reverse name that is a node too (an apex, an empty non-terminal, the
  // owner of a static record) holds its PTR there.
  std::sort(reverse_nodes.begin(), reverse_nodes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<Node*, const std::string*>> node_ptrs;
  t.ptrs_.reserve(ptr_recs.size());
  for (size_t at = 0; const PtrRec& p : ptr_recs) {
    while (at < reverse_nodes.size() && reverse_nodes[at].first < p.ip) ++at;
    if (at < reverse_nodes.size() && reverse_nodes[at].first == p.ip) {
      node_ptrs.emplace_back(reverse_nodes[at].second, p.target);
      continue;
    }
    t.ptrs_.push_back(
        {p.ip,
         Node{.first = static_cast<uint32_t>(t.sets_.size()), .zone = p.zone, .set_count = 1}});
    add_ptr(*p.target);
  }
  std::sort(node_ptrs.begin(), node_ptrs.end(), by_node);

  // Nodes in the order of the lists above, so that each is walked once.
  std::vector<Node*> all;
  all.reserve(t.nodes_.size());
  for (auto& [key, node] : t.nodes_) all.push_back(&node);
  std::sort(all.begin(), all.end(), std::less<const Node*>{});
  // The next entries of `v`, from `at` on, that belong to `node`.
  auto next_of = [](const auto& v, size_t& at, const Node* node, auto node_of_entry) {
    const size_t first = at;
    while (at < v.size() && node_of_entry(v[at]) == node) ++at;
    return std::pair(v.begin() + static_cast<std::ptrdiff_t>(first),
                     v.begin() + static_cast<std::ptrdiff_t>(at));
  };
  const auto pair_node = [](const auto& e) -> const Node* { return e.first; };
  const auto extra_node = [](const Extra& e) -> const Node* { return e.node; };
  const auto alias_node = [](const Alias& e) -> const Node* { return e.node; };
  size_t a_at = 0, ptr_at = 0, extra_at = 0, alias_at = 0, apex_at = 0;
  for (Node* n : all) {
    Node& node = *n;
    node.first = static_cast<uint32_t>(t.sets_.size());
    const auto [a_lo, a_hi] = next_of(a_recs, a_at, &node, pair_node);
    open(dns::type::A);
    for (auto it = a_lo; it != a_hi; ++it, ++set.count) {
      add_record(t.wire_, {}, dns::type::A, ttl, it->second.to_bytes());
    }
    close();
    if (const auto [lo, hi] = next_of(node_ptrs, ptr_at, &node, pair_node); lo != hi) {
      add_ptr(*lo->second);
    }
    const auto [extra_lo, extra_hi] = next_of(extras, extra_at, &node, extra_node);
    for (uint16_t type : {dns::type::TXT, dns::type::SRV}) {
      open(type);
      for (auto it = extra_lo; it != extra_hi; ++it) {
        if (it->type != type) continue;
        add_record(t.wire_, {}, type, ttl, it->rdata);
        ++set.count;
      }
      close();
    }
    if (const auto [lo, hi] = next_of(aliases, alias_at, &node, alias_node); lo != hi) {
      const Alias* a = &*lo;
      open(dns::type::CNAME);
      add_record(t.wire_, {}, dns::type::CNAME, ttl, a->target.wire());
      set.count = 1;
      if (a->target_node != nullptr) {
        const auto [first, last] = addresses_of(a->target_node);
        for (auto it = first; it != last; ++it, ++set.count) {
          add_record(t.wire_, a->target.wire(), dns::type::A, ttl, it->second.to_bytes());
        }
      }
      close();
    }
    if (const auto [lo, hi] = next_of(apexes, apex_at, &node, pair_node); lo != hi) {
      // The apex answers SOA with its owner as asked: a pointer.
      open(dns::type::SOA);
      add_record(t.wire_, {}, dns::type::SOA, ttl, soa_rdata[lo->second]);
      set.count = 1;
      close();
    }
    node.set_count = static_cast<uint8_t>(t.sets_.size() - node.first);
  }
  return table;
}

bool NameTable::serves(Ipv4Address source) const {
  for (size_t i = 0; i < subnets_.size(); ++i) {
    if (serving_[i] && subnets_[i].contains(source)) return true;
  }
  return false;
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
  size_t best = 0;
  for (size_t z = 0; z < zones_.size(); ++z) {
    if (qname.is_subdomain_ci(zones_[z].name) && zones_[z].name.label_count() > best) {
      best = zones_[z].name.label_count();
      *zone = static_cast<int>(z);
    }
  }
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
    answers = rrset(*node, dns::type::CNAME);
  } else {
    switch (q.qtype) {
      case dns::type::A:
      case dns::type::TXT:
      case dns::type::SRV:
      case dns::type::PTR:
      case dns::type::SOA:
      case dns::type::CNAME:
        answers = rrset(*node, q.qtype);
        break;
      case dns::type::ANY:
        // RFC 8482: one RRset is a complete answer to ANY.
        for (uint16_t type :
             {dns::type::A, dns::type::PTR, dns::type::TXT, dns::type::SRV, dns::type::SOA}) {
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

std::vector<Ipv4Address> NameTable::addresses(std::string_view name, size_t bridge) const {
  auto n = name_of(name);
  if (!n) return {};
  int zone = -1;
  const Node* node = find(*n, bridge, &zone);
  const RrSet* a = node ? rrset(*node, dns::type::A) : nullptr;
  if (a == nullptr) return {};
  std::vector<Ipv4Address> out;
  out.reserve(a->count);
  for (size_t at = a->offset + kARecordSize - 4; at < a->offset + a->size; at += kARecordSize) {
    out.push_back(Ipv4Address::from_bytes(ByteView(wire_.data() + at, 4)));
  }
  return out;
}

}  // namespace berth::dns
