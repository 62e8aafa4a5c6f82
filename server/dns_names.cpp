#include "server/dns_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "protocol/bytes.hpp"

namespace berth::server {
namespace {

constexpr uint8_t kQuestionPointer[2] = {0xC0, 0x0C};
constexpr size_t kOptSize = 11;
constexpr uint16_t kServerUdpSize = 1232;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
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
void put_name(std::vector<uint8_t>& w, const dns::Name& n) {
  w.insert(w.end(), n.wire().begin(), n.wire().end());
}

// One record. `owner` null: the owner is the question name (a pointer).
void add_record(std::vector<uint8_t>& w, const dns::Name* owner, uint16_t type, uint32_t ttl,
                const std::vector<uint8_t>& rdata) {
  if (owner == nullptr) {
    w.insert(w.end(), std::begin(kQuestionPointer), std::end(kQuestionPointer));
  } else {
    put_name(w, *owner);
  }
  put16(w, type);
  put16(w, dns::klass::IN);
  put32(w, ttl);
  put16(w, static_cast<uint16_t>(rdata.size()));
  w.insert(w.end(), rdata.begin(), rdata.end());
}

std::vector<uint8_t> a_rdata(Ipv4Address ip) {
  auto b = ip.to_bytes();
  return {b.begin(), b.end()};
}
std::vector<uint8_t> name_rdata(const dns::Name& n) { return {n.wire().begin(), n.wire().end()}; }

std::optional<dns::Name> name_of(std::string_view text) {
  auto n = dns::Name::from_text(text);
  if (!n) return std::nullopt;
  return n->lowercased();
}

}  // namespace

dns::Name reverse_name(Ipv4Address ip) {
  const auto b = ip.to_bytes();
  auto n = dns::Name::from_text(fmt::format("{}.{}.{}.{}.in-addr.arpa", b[3], b[2], b[1], b[0]));
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
  // its subnet. Bridges may share a domain; they share the zone too.
  auto zone_index = [&](const dns::Name& name) {
    for (size_t i = 0; i < t.zones_.size(); ++i) {
      if (t.zones_[i].name.equals_ci(name)) return static_cast<int>(i);
    }
    Zone z;
    z.name = name;
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
    add_record(z.soa.wire, &z.name, dns::type::SOA, ttl, rdata);
    z.soa.count = 1;
    t.zones_.push_back(std::move(z));
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

  // Every name: its A addresses (in order, no duplicates) and a label for PTR.
  std::map<uint32_t, dns::Name> ptr_of;  // address -> name
  auto node_for = [&](const dns::Name& name) -> Node& { return t.nodes_[name.lowercased()]; };
  auto add_a = [&](const dns::Name& name, Ipv4Address ip, bool ptr) {
    Node& n = node_for(name);
    if (std::find(n.addresses.begin(), n.addresses.end(), ip) == n.addresses.end()) {
      n.addresses.push_back(ip);
    }
    if (ptr) ptr_of.emplace(ip.value(), name);
  };

  // 1. The bridges' own names win over everything.
  std::map<std::string, std::string> taken;  // "bridge/label" -> who has it
  for (size_t i = 0; i < spec.bridges.size(); ++i) {
    if (t.bridge_zone_[i] < 0) continue;
    const dns::Name& domain = domains[i];
    const Ipv4Address self = spec.bridges[i].address.address;
    std::vector<std::string> own = {"_gateway"};
    if (!spec.host_name.empty()) own.push_back(lower(spec.host_name));
    for (const std::string& label : own) {
      if (auto full = domain.prepend(label)) {
        add_a(*full, self, label != "_gateway" || spec.host_name.empty());
        taken[fmt::format("{}/{}", i, label)] = "the bridge " + spec.bridges[i].name;
      }
    }
    if (spec.host_name.empty()) {
      if (auto gw = domain.prepend("_gateway")) ptr_of[self.value()] = *gw;
    }
  }

  // 2. Reservations, then 3. dynamic leases: the previous holder first, then
  // by address.
  std::vector<const NamedAddress*> order;
  for (const NamedAddress& n : spec.names) {
    if (n.bridge < spec.bridges.size() && spec.bridges[n.bridge].serving && !n.label.empty()) {
      order.push_back(&n);
    }
  }
  auto key_of = [](const NamedAddress& n) {
    return fmt::format("{}/{}", n.bridge, lower(n.label));
  };
  auto rank = [&](const NamedAddress& n) {
    if (n.reserved) return 0;
    if (previous != nullptr) {
      auto it = previous->holders_.find(key_of(n));
      if (it != previous->holders_.end() && it->second == n.ip) return 1;
    }
    return 2;
  };
  std::stable_sort(order.begin(), order.end(), [&](const NamedAddress* a, const NamedAddress* b) {
    const int ra = rank(*a), rb = rank(*b);
    return ra != rb ? ra < rb : a->ip < b->ip;
  });
  std::map<std::string, Ipv4Address> holder_ip;
  for (const NamedAddress* n : order) {
    const std::string key = key_of(*n);
    const std::string label = lower(n->label);
    const std::string& bridge = spec.bridges[n->bridge].name;
    if (auto it = taken.find(key); it != taken.end()) {
      if (holder_ip.count(key) == 0 || holder_ip[key] != n->ip) {
        note(fmt::format("{}: name {} of {} ({}) is not served: {} has it", bridge, label,
                         n->ip.to_string(), n->reserved ? "reservation" : "lease", it->second));
      }
      continue;
    }
    if (t.bridge_zone_[n->bridge] < 0) continue;
    auto full = domains[n->bridge].prepend(label);
    if (!full) continue;
    taken[key] = fmt::format("{} {}", n->reserved ? "reservation" : "lease", n->ip.to_string());
    holder_ip[key] = n->ip;
    if (!n->reserved) t.holders_[key] = n->ip;
    add_a(*full, n->ip, true);
  }

  // 4. Static records.
  for (const config::HostRecord& h : spec.statics.hosts) {
    if (auto n = name_of(h.name)) add_a(*n, h.ip, true);
  }
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
    Node& node = node_for(*n);
    add_record(node.txt.wire, nullptr, dns::type::TXT, ttl, rdata);
    ++node.txt.count;
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
    Node& node = node_for(*n);
    add_record(node.srv.wire, nullptr, dns::type::SRV, ttl, rdata);
    ++node.srv.count;
  }

  // A and PTR wire forms.
  for (auto& [name, node] : t.nodes_) {
    for (Ipv4Address ip : node.addresses) {
      add_record(node.a.wire, nullptr, dns::type::A, ttl, a_rdata(ip));
      ++node.a.count;
    }
  }
  for (const auto& [ip, name] : ptr_of) {
    Node& node = t.nodes_[reverse_name(Ipv4Address(ip))];
    add_record(node.ptr.wire, nullptr, dns::type::PTR, ttl, name_rdata(name));
    node.ptr.count = 1;
  }

  // CNAMEs: an alias may not own other data (RFC 1034 3.6.2).
  for (const config::CnameRecord& c : spec.statics.cnames) {
    auto n = name_of(c.name);
    auto target = name_of(c.target);
    if (!n || !target) continue;
    if (auto it = t.nodes_.find(*n); it != t.nodes_.end()) {
      note(fmt::format("cname {} -> {} is not served: {} has other records", c.name, c.target,
                       c.name));
      continue;
    }
    Node& node = t.nodes_[*n];
    node.is_cname = true;
    add_record(node.cname.wire, nullptr, dns::type::CNAME, ttl, name_rdata(*target));
    node.cname.count = 1;
    if (auto it = t.nodes_.find(*target); it != t.nodes_.end() && !it->second.is_cname) {
      for (Ipv4Address ip : it->second.addresses) {
        add_record(node.cname.wire, &*target, dns::type::A, ttl, a_rdata(ip));
        ++node.cname.count;
      }
    }
  }

  // Zone of each name (for NODATA), zone apexes (SOA), and empty
  // non-terminals ("_tcp.web.berth" when "_http._tcp.web.berth" exists)
  // so that they answer NODATA, not NXDOMAIN.
  std::vector<std::pair<dns::Name, int>> ents;
  for (auto& [name, node] : t.nodes_) {
    for (size_t z = 0; z < t.zones_.size(); ++z) {
      if (name.is_subdomain_ci(t.zones_[z].name) &&
          (node.zone < 0 || t.zones_[z].name.label_count() >
                                t.zones_[static_cast<size_t>(node.zone)].name.label_count())) {
        node.zone = static_cast<int>(z);
      }
    }
    if (node.zone < 0) continue;
    const size_t depth = t.zones_[static_cast<size_t>(node.zone)].name.label_count();
    for (size_t strip = 1; name.label_count() - strip > depth; ++strip) {
      ents.emplace_back(name.strip_left(strip), node.zone);
    }
  }
  for (size_t z = 0; z < t.zones_.size(); ++z) {
    Node& apex = t.nodes_[t.zones_[z].name.lowercased()];
    apex.zone = static_cast<int>(z);
    apex.soa = t.zones_[z].soa;
    // The apex answers SOA with its owner as asked: rewrite it as a pointer.
    apex.soa.wire.clear();
    std::vector<uint8_t> rdata(t.zones_[z].soa.wire.begin() +
                                   static_cast<std::ptrdiff_t>(t.zones_[z].name.wire_size() + 10),
                               t.zones_[z].soa.wire.end());
    add_record(apex.soa.wire, nullptr, dns::type::SOA, ttl, rdata);
  }
  for (auto& [name, zone] : ents) {
    Node& n = t.nodes_[name];
    if (n.zone < 0) n.zone = zone;
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
  // A single label is a name on the bridge the query came in on.
  if (qname.label_count() == 1) {
    // A zone apex may be a single label ("lab"); it wins over a host "lab".
    if (auto it = nodes_.find(qname); it != nodes_.end() && !it->second.soa.empty()) {
      *zone = it->second.zone;
      return &it->second;
    }
    if (bridge >= bridge_zone_.size() || bridge_zone_[bridge] < 0) return nullptr;
    *zone = bridge_zone_[bridge];
    auto full = zones_[static_cast<size_t>(*zone)].name.prepend(qname.label(0));
    if (!full) return nullptr;
    auto it = nodes_.find(*full);
    return it == nodes_.end() ? nullptr : &it->second;
  }
  if (auto it = nodes_.find(qname); it != nodes_.end()) {
    *zone = it->second.zone;
    return &it->second;
  }
  // Not a name we hold: ours to deny when it lies in one of our zones. A
  // reverse name is ours only for addresses in a served subnet.
  if (qname.is_subdomain_ci(reverse_root_)) {
    auto ip = address_of_reverse_name(qname);
    if (!ip) return nullptr;
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
    answers = &node->cname;
  } else {
    switch (q.qtype) {
      case dns::type::A:
        answers = &node->a;
        break;
      case dns::type::TXT:
        answers = &node->txt;
        break;
      case dns::type::SRV:
        answers = &node->srv;
        break;
      case dns::type::PTR:
        answers = &node->ptr;
        break;
      case dns::type::SOA:
        answers = &node->soa;
        break;
      case dns::type::CNAME:
        answers = &node->cname;
        break;
      case dns::type::ANY:
        // RFC 8482: one RRset is a complete answer to ANY.
        for (const RrSet* s : {&node->a, &node->ptr, &node->txt, &node->srv, &node->soa}) {
          if (!s->empty()) {
            answers = s;
            break;
          }
        }
        break;
      default:
        break;
    }
  }
  if (answers != nullptr && !answers->empty()) {
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
  size_t an_size = answers ? answers->wire.size() : 0;
  size_t ns_size = authority ? authority->wire.size() : 0;
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
    std::memcpy(p + at, answers->wire.data(), an_size);
    at += an_size;
  }
  if (ns_size > 0) {
    std::memcpy(p + at, authority->wire.data(), ns_size);
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
  return node ? node->addresses : std::vector<Ipv4Address>{};
}

}  // namespace berth::server
