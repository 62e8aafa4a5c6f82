// NameTable::build: from the names the bridges' clients hold, the bridges and
// the static records to one snapshot, in steps:
//   1. zones: each bridge's domain and the reverse zones of its subnet and
//      of its IPv6 prefix (SOA);
//   2. names: the bridges' own first, then reservations, then leases (the
//      previous holder of a name keeps it; each family settled on its own),
//      then static A records, then the API's A and AAAA records;
//   3. addresses (A and AAAA) merged per name, one PTR per address;
//   4. static and API TXT, SRV and CNAME records (an alias owns nothing else);
//   5. each name placed in its zone, with the empty non-terminals;
//   6. every RRset written into the table's one buffer.
#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <unordered_set>

#include "dns/name_table.hpp"
#include "dns/name_table_wire.hpp"

namespace berth::dns {
using namespace table_wire;

class NameTable::Builder {
 public:
  Builder(const NameTableSpec& spec, const NameTable* previous, std::vector<std::string>* clashes)
      : spec_(spec),
        previous_(previous),
        clashes_(clashes),
        table_(std::make_shared<NameTable>()),
        t_(*table_),
        ttl_(spec.local_ttl) {}

  std::shared_ptr<const NameTable> run() {
    t_.reverse_root_ = *name_of("in-addr.arpa");
    t_.reverse6_root_ = *name_of("ip6.arpa");
    make_zones();
    const size_t expected = spec_.names.size() + spec_.statics.hosts.size();
    t_.nodes_.reserve(expected + 4 * spec_.bridges.size());
    a_recs_.reserve(expected + 2 * spec_.bridges.size());
    ptr_claims_.reserve(a_recs_.capacity() + spec_.bridges.size());
    add_bridge_names();
    add_client_names();
    add_static_records();
    add_api_records();
    merge_addresses();
    settle_ptrs();
    add_cnames();
    place_in_zones();
    write_all();
    return table_;
  }

 private:
  // A claim on the PTR of an address. Per address the first claim wins
  // unless a later one replaces it.
  struct PtrClaim {
    IpAddress ip;
    const PackedBytes* target;  // a node's key: already the lowercased wire form
    bool replace;
  };
  struct PtrRec {
    IpAddress ip;
    const PackedBytes* target;
    int zone = -1;
  };
  struct Extra {  // a TXT or SRV record
    Node* node;
    uint16_t type;
    std::vector<uint8_t> rdata;
  };
  struct Alias {
    Node* node;
    dns::Name target;
    Node* target_node;  // whose A and AAAA records follow the CNAME; null: none
  };
  // A client that wants a name on a bridge.
  struct Candidate {
    const NamedAddress* name;
    std::string key;   // "bridge/label/family": each family's clashes are apart
    size_t label_end;  // key.substr(0, label_end) is "bridge/label"
    int rank;          // 0 reservation, 1 previous holder, 2 other lease
  };
  using AddressRec = std::pair<Node*, IpAddress>;

  static bool by_node(const AddressRec& x, const AddressRec& y) {
    return std::less<const Node*>{}(x.first, y.first);
  }

  void note(std::string s) {
    if (clashes_ != nullptr) clashes_->push_back(std::move(s));
  }

  Nodes::value_type& node_of(const dns::Name& name) {
    KeyBuffer buf;
    return *t_.nodes_.try_emplace(key_of(name.wire(), buf)).first;
  }

  // Every name: its A and AAAA addresses (in order, no duplicates) and a
  // claim on the PTR of each.
  void add_a(const dns::Name& name, const IpAddress& ip, bool ptr) {
    auto& [key, node] = node_of(name);
    a_recs_.emplace_back(&node, ip);
    if (ptr) ptr_claims_.push_back({ip, &key, false});
  }

  // The zone called `name`, made with its SOA (first in wire_, with its
  // owner in full) when it is new. Bridges may share a domain; they share
  // the zone too.
  int zone_index(const dns::Name& name) {
    for (size_t i = 0; i < t_.zones_.size(); ++i) {
      if (t_.zones_[i].name.equals_ci(name)) return static_cast<int>(i);
    }
    dns::Name mname = name;
    if (!spec_.host_name.empty()) {
      if (auto m = name.prepend(spec_.host_name)) mname = *m;
    }
    dns::Name rname = name;
    if (auto r = name.prepend("hostmaster")) rname = *r;
    std::vector<uint8_t> rdata = name_rdata(mname);
    const std::vector<uint8_t> r2 = name_rdata(rname);
    rdata.insert(rdata.end(), r2.begin(), r2.end());
    for (uint32_t v : {spec_.serial, 1200u, 180u, 1209600u, ttl_}) put32(rdata, v);
    RrSet soa{.offset = static_cast<uint32_t>(t_.wire_.size()), .type = dns::type::SOA, .count = 1};
    add_record(t_.wire_, name.wire(), dns::type::SOA, ttl_, rdata);
    soa.size = static_cast<uint32_t>(t_.wire_.size() - soa.offset);
    t_.zones_.push_back(Zone{name, soa});
    soa_rdata_.push_back(std::move(rdata));
    return static_cast<int>(t_.zones_.size() - 1);
  }

  // 1. Each bridge's domain, the octet-aligned reverse zone holding its
  // subnet and the nibble-aligned one holding its IPv6 prefix.
  void make_zones() {
    for (const DnsBridge& b : spec_.bridges) {
      t_.prefixes6_.push_back(b.serving ? b.ipv6 : std::nullopt);
      if (!b.serving) {
        domains_.emplace_back();
        t_.bridge_zone_.push_back(-1);
        t_.bridge_reverse_zone_.push_back(-1);
        t_.bridge_reverse6_zone_.push_back(-1);
        t_.subnets_.emplace_back();
        t_.serving_.push_back(false);
        continue;
      }
      t_.serving_.push_back(true);
      auto domain = name_of(b.domain);
      domains_.push_back(domain ? *domain : dns::Name());
      t_.bridge_zone_.push_back(domain ? zone_index(*domain) : -1);
      const Ipv4Address net = b.address.network();
      const auto o = net.to_bytes();
      std::string rz = "in-addr.arpa";
      for (size_t i = 0; i < b.address.length / 8; ++i) rz = fmt::format("{}.{}", o[i], rz);
      t_.bridge_reverse_zone_.push_back(zone_index(*name_of(rz)));
      t_.subnets_.push_back(Ipv4Prefix{net, b.address.length});
      int zone6 = -1;
      if (b.ipv6) {
        KeyBuffer buf;
        const auto z = dns::Name::from_wire(bytes_of(
            reverse6_key(b.ipv6->network(), buf, std::min<size_t>(b.ipv6->length / 4, kNibbles))));
        if (z) zone6 = zone_index(*z);
      }
      t_.bridge_reverse6_zone_.push_back(zone6);
    }
  }

  // 2a. The bridges' own names (_gateway, the host's name) win over
  // everything, in both families: A, and AAAA when the bridge has IPv6.
  void add_bridge_names() {
    for (size_t i = 0; i < spec_.bridges.size(); ++i) {
      if (t_.bridge_zone_[i] < 0) continue;
      const dns::Name& domain = domains_[i];
      std::vector<IpAddress> selves = {spec_.bridges[i].address.address};
      if (const auto& v6 = spec_.bridges[i].ipv6) selves.emplace_back(v6->address);
      std::vector<std::string> own = {"_gateway"};
      if (!spec_.host_name.empty()) own.push_back(lower(spec_.host_name));
      for (const std::string& label : own) {
        if (auto full = domain.prepend(label)) {
          for (const IpAddress& self : selves) {
            add_a(*full, self, label != "_gateway" || spec_.host_name.empty());
          }
          bridge_names_.insert(fmt::format("{}/{}", i, label));
        }
      }
      if (spec_.host_name.empty()) {
        if (auto gw = domain.prepend("_gateway")) {
          for (const IpAddress& self : selves) {
            ptr_claims_.push_back({self, &node_of(*gw).first, true});
          }
        }
      }
    }
  }

  // The candidates for names in the order they get them: reservations,
  // then the previous holder of a dynamic name, then by address.
  std::vector<Candidate> candidates() const {
    std::vector<Candidate> order;
    order.reserve(spec_.names.size());
    for (const NamedAddress& n : spec_.names) {
      if (n.bridge >= spec_.bridges.size() || !spec_.bridges[n.bridge].serving || n.label.empty()) {
        continue;
      }
      Candidate c{&n, fmt::format("{}/{}", n.bridge, lower(n.label)), 0, 2};
      c.label_end = c.key.size();
      c.key += n.ip.is_v4() ? "/4" : "/6";
      if (n.reserved) {
        c.rank = 0;
      } else if (previous_ != nullptr) {
        auto it = previous_->holders_.find(c.key);
        if (it != previous_->holders_.end() && it->second == n.ip) c.rank = 1;
      }
      order.push_back(std::move(c));
    }
    std::stable_sort(order.begin(), order.end(), [](const Candidate& a, const Candidate& b) {
      return a.rank != b.rank ? a.rank < b.rank : a.name->ip < b.name->ip;
    });
    return order;
  }

  // first_of[i]: the first candidate in `order` with the key of order[i].
  static std::vector<uint32_t> first_with_key(const std::vector<Candidate>& order) {
    std::vector<uint32_t> first_of(order.size());
    std::vector<uint32_t> by_key(order.size());
    for (uint32_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
    std::stable_sort(by_key.begin(), by_key.end(),
                     [&](uint32_t a, uint32_t b) { return order[a].key < order[b].key; });
    for (size_t i = 0, first = 0; i < by_key.size(); ++i) {
      if (order[by_key[i]].key != order[by_key[first]].key) first = i;
      first_of[by_key[i]] = by_key[first];
    }
    return first_of;
  }

  // 2b. Reservations, then dynamic leases: of the clients that want one
  // name on one bridge, the first in candidates() order holds it.
  void add_client_names() {
    std::vector<Candidate> order = candidates();
    const std::vector<uint32_t> first_of = first_with_key(order);
    // Whether order[i] took its name. Whether a name can be served depends
    // only on its key, so when the first candidate for a key could not take
    // it, no later one can either.
    std::vector<bool> took(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const NamedAddress& n = *order[i].name;
      const std::string label = lower(n.label);
      const std::string& bridge = spec_.bridges[n.bridge].name;
      const bool by_bridge =
          bridge_names_.count(std::string_view(order[i].key).substr(0, order[i].label_end)) != 0;
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
      if (t_.bridge_zone_[n.bridge] < 0) continue;
      auto full = domains_[n.bridge].prepend(label);
      if (!full) continue;
      took[i] = true;
      if (!n.reserved) t_.holders_.emplace(std::move(order[i].key), n.ip);
      add_a(*full, n.ip, true);
    }
  }

  // 2c and 4. Static A, TXT and SRV records.
  void add_static_records() {
    for (const config::HostRecord& h : spec_.statics.hosts) {
      if (auto n = name_of(h.name)) add_a(*n, h.ip, true);
    }
    for (const config::TxtRecord& r : spec_.statics.txts) {
      auto n = name_of(r.name);
      if (!n) continue;
      std::vector<uint8_t> rdata;
      for (const std::string& s : r.text) {
        size_t pos = 0;
        do {  // strings over 255 bytes are split (RFC 1035 3.3.14)
          const size_t len = std::min<size_t>(255, s.size() - pos);
          rdata.push_back(static_cast<uint8_t>(len));
          rdata.insert(rdata.end(), s.begin() + static_cast<std::ptrdiff_t>(pos),
                       s.begin() + static_cast<std::ptrdiff_t>(pos + len));
          pos += len;
        } while (pos < s.size());
      }
      if (rdata.size() > 65535) continue;
      extras_.push_back({&node_of(*n).second, dns::type::TXT, std::move(rdata)});
    }
    for (const config::SrvRecord& r : spec_.statics.srvs) {
      auto n = name_of(r.name);
      auto target = name_of(r.target);
      if (!n || !target) continue;
      std::vector<uint8_t> rdata;
      put16(rdata, r.priority);
      put16(rdata, r.weight);
      put16(rdata, r.port);
      const auto tw = name_rdata(*target);
      rdata.insert(rdata.end(), tw.begin(), tw.end());
      extras_.push_back({&node_of(*n).second, dns::type::SRV, std::move(rdata)});
    }
  }

  // The domain of the bridge a record belongs to ("" without a bridge);
  // nullopt when that bridge is not served.
  std::optional<std::string_view> record_domain(const UserRecord& r) const {
    if (r.bridge.empty()) return std::string_view();
    for (const DnsBridge& b : spec_.bridges) {
      if (b.serving && b.name == r.bridge) return std::string_view(b.domain);
    }
    return std::nullopt;
  }

  // 2d and 4. The API's A, AAAA, TXT and SRV records (CNAMEs in add_cnames).
  void add_api_records() {
    for (const UserRecord& r : spec_.records) {
      const auto domain = record_domain(r);
      if (!domain) continue;
      const auto n = record_owner(r, *domain);
      if (!n) continue;
      switch (r.type) {
        case RecordType::a:
        case RecordType::aaaa:
          if (r.address) add_a(*n, *r.address, true);
          break;
        case RecordType::txt:
          extras_.push_back({&node_of(*n).second, dns::type::TXT, txt_rdata(r.text)});
          break;
        case RecordType::srv:
          if (auto target = record_target(r, *domain)) {
            extras_.push_back({&node_of(*n).second, dns::type::SRV,
                               srv_rdata(r.priority, r.weight, r.port, *target)});
          }
          break;
        case RecordType::cname:
          break;
      }
    }
  }

  // 3a. Each node's addresses side by side, in the order added, without repeats.
  void merge_addresses() {
    std::stable_sort(a_recs_.begin(), a_recs_.end(), by_node);
    size_t kept = 0;
    for (size_t i = 0, group = 0; i < a_recs_.size(); ++i) {
      if (kept == 0 || a_recs_[kept - 1].first != a_recs_[i].first) group = kept;
      const auto first = a_recs_.begin() + static_cast<std::ptrdiff_t>(group);
      const auto last = a_recs_.begin() + static_cast<std::ptrdiff_t>(kept);
      if (std::find_if(first, last, [&](const auto& r) { return r.second == a_recs_[i].second; }) ==
          last) {
        a_recs_[kept++] = a_recs_[i];
      }
    }
    a_recs_.resize(kept);
  }

  auto addresses_of(Node* node) const {
    return std::equal_range(a_recs_.begin(), a_recs_.end(), AddressRec(node, IpAddress()), by_node);
  }

  // 3b. The PTR of each address.
  void settle_ptrs() {
    std::stable_sort(ptr_claims_.begin(), ptr_claims_.end(),
                     [](const PtrClaim& a, const PtrClaim& b) { return a.ip < b.ip; });
    ptr_recs_.reserve(ptr_claims_.size());
    for (size_t i = 0; i < ptr_claims_.size();) {
      const PtrClaim* winner = &ptr_claims_[i];
      size_t j = i + 1;
      for (; j < ptr_claims_.size() && ptr_claims_[j].ip == ptr_claims_[i].ip; ++j) {
        if (ptr_claims_[j].replace) winner = &ptr_claims_[j];
      }
      ptr_recs_.push_back({winner->ip, winner->target});
      i = j;
    }
  }

  // The address a reverse name (in-addr.arpa or ip6.arpa) stands for.
  static std::optional<IpAddress> address_of_reverse(const dns::Name& name) {
    if (const auto v4 = address_of_reverse_name(name)) return IpAddress(*v4);
    if (const auto v6 = address_of_reverse_name6(name)) return IpAddress(*v6);
    return std::nullopt;
  }

  bool has_ptr(const dns::Name& name) const {
    const auto ip = address_of_reverse(name);
    return ip && std::binary_search(ptr_recs_.begin(), ptr_recs_.end(), PtrRec{*ip, nullptr},
                                    [](const PtrRec& a, const PtrRec& b) { return a.ip < b.ip; });
  }

  // 4. CNAMEs: an alias may not own other data (RFC 1034 3.6.2).
  void add_cnames() {
    for (const config::CnameRecord& c : spec_.statics.cnames) {
      auto n = name_of(c.name);
      auto target = name_of(c.target);
      if (!n || !target) continue;
      add_cname(*n, *target);
    }
    for (const UserRecord& r : spec_.records) {
      if (r.type != RecordType::cname) continue;
      const auto domain = record_domain(r);
      if (!domain) continue;
      auto n = record_owner(r, *domain);
      auto target = record_target(r, *domain);
      if (n && target) add_cname(*n, *target);
    }
  }

  void add_cname(const dns::Name& n, const dns::Name& target) {
    KeyBuffer buf;
    const std::string_view key = key_of(n.wire(), buf);
    if (t_.nodes_.find(key) != t_.nodes_.end() || has_ptr(n)) {
      note(fmt::format("cname {} -> {} is not served: {} has other records", n.to_text(),
                       target.to_text(), n.to_text()));
      return;
    }
    Node& node = t_.nodes_.emplace(key, Node{}).first->second;
    node.is_cname = true;
    Node* to = nullptr;
    if (auto it = t_.nodes_.find(key_of(target.wire(), buf));
        it != t_.nodes_.end() && !it->second.is_cname) {
      to = &it->second;
    }
    aliases_.push_back({&node, target, to});
  }

  // The deepest zone that holds `key`, or -1.
  int zone_of(std::string_view key) const {
    int zone = -1;
    for (size_t z = 0; z < zone_keys_.size(); ++z) {
      if (is_under(key, zone_keys_[z]) &&
          (zone < 0 || zone_depth_[z] > zone_depth_[static_cast<size_t>(zone)])) {
        zone = static_cast<int>(z);
      }
    }
    return zone;
  }

  // The empty non-terminals between `key` and its zone's apex.
  void add_ents(std::string_view key, int zone) {
    if (zone < 0) return;
    const size_t depth = zone_depth_[static_cast<size_t>(zone)];
    const size_t labels = label_count(key);
    for (size_t strip = 1; labels - strip > depth; ++strip) {
      const std::string_view ent = strip_left(key, strip);
      if (ents_.find(ent) == ents_.end()) ents_.emplace(std::string(ent), zone);
    }
  }

  // Nodes named for an address: a PTR there joins the node's other records.
  void note_reverse(std::string_view key, Node& node) {
    if (!is_under(key, kReverseRoot) && !is_under(key, kReverse6Root)) return;
    const auto name = dns::Name::from_wire(bytes_of(key));
    if (!name) return;
    if (const auto ip = address_of_reverse(*name)) reverse_nodes_.emplace_back(*ip, &node);
  }

  // 5. Zone of each name (for NODATA), zone apexes (SOA), and empty
  // non-terminals ("_tcp.web.berth" when "_http._tcp.web.berth" exists) so
  // that they answer NODATA, not NXDOMAIN. Those above an IPv6 address's
  // PTR are not made: NameTable::find_reverse6 finds them in ptrs6_.
  void place_in_zones() {
    for (const Zone& z : t_.zones_) {
      KeyBuffer buf;
      zone_keys_.emplace_back(key_of(z.name.wire(), buf));
      zone_depth_.push_back(z.name.label_count());
    }
    for (auto& [key, node] : t_.nodes_) {
      node.zone = zone_of(key);
      add_ents(key, node.zone);
      note_reverse(key, node);
    }
    for (PtrRec& p : ptr_recs_) {
      KeyBuffer buf;
      if (p.ip.is_v4()) {
        const std::string_view key = reverse_key(p.ip.v4(), buf);
        p.zone = zone_of(key);
        add_ents(key, p.zone);
      } else {
        p.zone = zone_of(reverse6_key(p.ip.v6(), buf));
      }
    }
    for (size_t z = 0; z < t_.zones_.size(); ++z) {
      const auto [it, made] = t_.nodes_.try_emplace(zone_keys_[z]);
      if (made) note_reverse(it->first, it->second);
      Node& apex = it->second;
      apex.zone = static_cast<int>(z);
      apexes_.emplace_back(&apex, z);
    }
    for (const auto& [key, zone] : ents_) {
      const auto [it, made] = t_.nodes_.try_emplace(key);
      if (made) note_reverse(it->first, it->second);
      if (it->second.zone < 0) it->second.zone = zone;
    }
  }

  // 6. Every RRset, in the table's one buffer.
  void write_all() {
    std::stable_sort(extras_.begin(), extras_.end(), [](const Extra& a, const Extra& b) {
      return std::less<const Node*>{}(a.node, b.node);
    });
    std::sort(aliases_.begin(), aliases_.end(), [](const Alias& a, const Alias& b) {
      return std::less<const Node*>{}(a.node, b.node);
    });
    std::sort(apexes_.begin(), apexes_.end(), [](const auto& a, const auto& b) {
      return std::less<const Node*>{}(a.first, b.first);
    });
    const size_t expected = wire_size();
    t_.wire_.reserve(expected);  // exactly what is written below
    // At most an A set per node, an AAAA set per IPv6 address, a CNAME and
    // two address sets per alias, a PTR per address, a TXT or SRV set per
    // static record and an SOA per apex.
    const auto v6 = std::count_if(a_recs_.begin(), a_recs_.end(),
                                  [](const AddressRec& r) { return r.second.is_v6(); });
    t_.sets_.reserve(t_.nodes_.size() + static_cast<size_t>(v6) + 2 * aliases_.size() +
                     ptr_recs_.size() + extras_.size() + apexes_.size());
    write_ptrs();
    write_nodes();
    assert(t_.wire_.size() == expected);  // else a reallocation per build went unnoticed
    (void)expected;
  }

  static size_t record_size(const IpAddress& ip) {
    return ip.is_v4() ? kARecordSize : kAaaaRecordSize;
  }
  static size_t rdata_size(const IpAddress& ip) { return ip.is_v4() ? 4 : 16; }

  size_t wire_size() const {
    size_t bytes = t_.wire_.size();
    for (const AddressRec& r : a_recs_) bytes += record_size(r.second);
    for (const PtrRec& p : ptr_recs_) bytes += 2 + kRecordFixed + p.target->size();
    for (const Extra& e : extras_) bytes += 2 + kRecordFixed + e.rdata.size();
    for (const Alias& a : aliases_) {
      const size_t cname = 2 + kRecordFixed + a.target.wire_size();
      bytes += cname;
      if (a.target_node != nullptr) {
        const auto [lo, hi] = addresses_of(a.target_node);
        bool v4 = false, v6 = false;
        for (auto it = lo; it != hi; ++it) {
          (it->second.is_v4() ? v4 : v6) = true;
          bytes += a.target.wire_size() + kRecordFixed + rdata_size(it->second);
        }
        bytes += (v4 ? cname : 0) + (v6 ? cname : 0);  // the CNAME heads each address set
      }
    }
    for (const auto& [node, z] : apexes_) bytes += 2 + kRecordFixed + soa_rdata_[z].size();
    return bytes;
  }

  void open(uint16_t type) {
    set_ = RrSet{.offset = static_cast<uint32_t>(t_.wire_.size()), .type = type};
  }
  void close() {
    set_.size = static_cast<uint32_t>(t_.wire_.size() - set_.offset);
    if (set_.count > 0) t_.sets_.push_back(set_);
  }
  void add_ptr(std::string_view target) {
    open(dns::type::PTR);
    add_record(t_.wire_, {}, dns::type::PTR, ttl_, bytes_of(target));
    set_.count = 1;
    close();
  }

  // Most reverse names hold nothing but their PTR: those are kept apart from
  // nodes_, in ptrs_ by address. A reverse name that is a node too (an apex,
  // an empty non-terminal, the owner of a static record) holds its PTR there.
  void write_ptrs() {
    std::sort(reverse_nodes_.begin(), reverse_nodes_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const size_t v6_from =
        static_cast<size_t>(std::partition_point(ptr_recs_.begin(), ptr_recs_.end(),
                                                 [](const PtrRec& p) { return p.ip.is_v4(); }) -
                            ptr_recs_.begin());
    t_.ptrs_.reserve(v6_from);
    t_.ptrs6_.reserve(ptr_recs_.size() - v6_from);
    for (size_t at = 0; const PtrRec& p : ptr_recs_) {
      while (at < reverse_nodes_.size() && reverse_nodes_[at].first < p.ip) ++at;
      if (at < reverse_nodes_.size() && reverse_nodes_[at].first == p.ip) {
        node_ptrs_.emplace_back(reverse_nodes_[at].second, p.target);
        continue;
      }
      const Node node{
          .first = static_cast<uint32_t>(t_.sets_.size()), .zone = p.zone, .set_count = 1};
      if (p.ip.is_v4()) {
        t_.ptrs_.push_back({p.ip.v4().value(), node});
      } else {
        t_.ptrs6_.push_back({p.ip.v6(), node});
      }
      add_ptr(*p.target);
    }
    std::sort(node_ptrs_.begin(), node_ptrs_.end(), [](const auto& a, const auto& b) {
      return std::less<const Node*>{}(a.first, b.first);
    });
  }

  // The next entries of `v`, from `at` on, that belong to `node`.
  template <class V, class NodeOf>
  static auto next_of(const V& v, size_t& at, const Node* node, NodeOf node_of_entry) {
    const size_t first = at;
    while (at < v.size() && node_of_entry(v[at]) == node) ++at;
    return std::pair(v.begin() + static_cast<std::ptrdiff_t>(first),
                     v.begin() + static_cast<std::ptrdiff_t>(at));
  }

  // Nodes in address order, as the lists above are sorted, so that each
  // list is walked once.
  void write_nodes() {
    std::vector<Node*> all;
    all.reserve(t_.nodes_.size());
    for (auto& [key, node] : t_.nodes_) all.push_back(&node);
    std::sort(all.begin(), all.end(), std::less<const Node*>{});
    const auto pair_node = [](const auto& e) -> const Node* { return e.first; };
    const auto extra_node = [](const Extra& e) -> const Node* { return e.node; };
    const auto alias_node = [](const Alias& e) -> const Node* { return e.node; };
    size_t a_at = 0, ptr_at = 0, extra_at = 0, alias_at = 0, apex_at = 0;
    for (Node* n : all) {
      Node& node = *n;
      node.first = static_cast<uint32_t>(t_.sets_.size());
      const auto [a_lo, a_hi] = next_of(a_recs_, a_at, &node, pair_node);
      write_addresses(a_lo, a_hi, {});
      if (const auto [lo, hi] = next_of(node_ptrs_, ptr_at, &node, pair_node); lo != hi) {
        add_ptr(*lo->second);
      }
      const auto [extra_lo, extra_hi] = next_of(extras_, extra_at, &node, extra_node);
      for (uint16_t type : {dns::type::TXT, dns::type::SRV}) {
        open(type);
        for (auto it = extra_lo; it != extra_hi; ++it) {
          if (it->type != type) continue;
          add_record(t_.wire_, {}, type, ttl_, it->rdata);
          ++set_.count;
        }
        close();
      }
      if (const auto [lo, hi] = next_of(aliases_, alias_at, &node, alias_node); lo != hi) {
        write_cname(*lo);
      }
      if (const auto [lo, hi] = next_of(apexes_, apex_at, &node, pair_node); lo != hi) {
        // The apex answers SOA with its owner as asked: a pointer.
        open(dns::type::SOA);
        add_record(t_.wire_, {}, dns::type::SOA, ttl_, soa_rdata_[lo->second]);
        set_.count = 1;
        close();
      }
      node.set_count = static_cast<uint8_t>(t_.sets_.size() - node.first);
    }
  }

  // A name's A set, then its AAAA set (each only when not empty), from
  // its addresses [lo, hi). `alias`: the CNAME rdata that heads each set of
  // an alias, whose records are then owned by the target; empty: a name's own.
  template <class It>
  void write_addresses(It lo, It hi, ByteView alias, ByteView owner = {}) {
    for (uint16_t type : {dns::type::A, dns::type::AAAA}) {
      open(type);
      for (auto it = lo; it != hi; ++it) {
        const IpAddress& ip = it->second;
        if (ip.is_v4() != (type == dns::type::A)) continue;
        if (set_.count == 0 && !alias.empty()) {
          add_record(t_.wire_, {}, dns::type::CNAME, ttl_, alias);
          ++set_.count;
        }
        if (ip.is_v4()) {
          add_record(t_.wire_, owner, type, ttl_, ip.v4().to_bytes());
        } else {
          add_record(t_.wire_, owner, type, ttl_, ip.v6().to_bytes());
        }
        ++set_.count;
      }
      close();
    }
  }

  // The CNAME alone, then the CNAME followed by the target's A records and
  // by its AAAA records, when we hold them.
  void write_cname(const Alias& a) {
    open(dns::type::CNAME);
    add_record(t_.wire_, {}, dns::type::CNAME, ttl_, a.target.wire());
    set_.count = 1;
    close();
    if (a.target_node != nullptr) {
      const auto [first, last] = addresses_of(a.target_node);
      write_addresses(first, last, a.target.wire(), a.target.wire());
    }
  }

  const NameTableSpec& spec_;
  const NameTable* previous_;
  std::vector<std::string>* clashes_;
  std::shared_ptr<NameTable> table_;
  NameTable& t_;
  const uint32_t ttl_;

  std::vector<std::vector<uint8_t>> soa_rdata_;                             // of each zone
  std::vector<dns::Name> domains_;                                          // of each bridge
  std::unordered_set<std::string, KeyHash, std::equal_to<>> bridge_names_;  // "bridge/label"
  std::vector<AddressRec> a_recs_;
  std::vector<PtrClaim> ptr_claims_;
  std::vector<PtrRec> ptr_recs_;
  std::vector<Extra> extras_;
  std::vector<Alias> aliases_;
  std::vector<std::string> zone_keys_;
  std::vector<size_t> zone_depth_;
  std::unordered_map<std::string, int, KeyHash, std::equal_to<>> ents_;
  std::vector<std::pair<IpAddress, Node*>> reverse_nodes_;
  std::vector<std::pair<Node*, size_t>> apexes_;
  std::vector<std::pair<Node*, const PackedBytes*>> node_ptrs_;
  RrSet set_;  // the one being written
};

std::shared_ptr<const NameTable> NameTable::build(const NameTableSpec& spec,
                                                  const NameTable* previous,
                                                  std::vector<std::string>* clashes) {
  return Builder(spec, previous, clashes).run();
}

}  // namespace berth::dns
