// libFuzzer target: the local DNS name table (dns::NameTable). The input
// makes a NameTableSpec (bridges with overlapping subnets and IPv6 prefixes
// and nested domains, names of both families from leases and reservations
// whose labels clash with each other and with the bridge's own names,
// static hosts, CNAMEs, SRVs and TXTs), builds it, builds it again from a
// changed spec with the first as `previous`, and asks both tables queries
// made from the input (and the input's own bytes as a query). Every reply
// must parse, carry the query's ID and question bytes, fit the limit, and
// its A and AAAA answers must be what addresses() and addresses6() say; the
// table's clash notes must name real clashes; the previous holder of a
// dynamic name keeps it in each family; sources are served as the prefixes
// say.
//
// Input: a header (bridge count, then per bridge its subnet, domain and
// serving flag, and its IPv6 prefix; the host name; the TTL), names (count,
// then three bytes each), static records (count, then three bytes each),
// changes for the second build, then queries (five bytes each, or a length
// and raw bytes). Missing bytes read as 0.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dns/name_table.hpp"
#include "fuzz/fuzz_input.hpp"
#include "protocol/dns/message.hpp"

namespace {

using namespace berth;

using fuzz::addr;
using fuzz::check;
using fuzz::Reader;

// Subnets that overlap (a /16 over two /24s, a /25 inside a /24) and one
// that is not octet-aligned.
const Ipv4Prefix kSubnets[] = {
    {addr(198, 18, 0, 1), 24}, {addr(198, 18, 1, 1), 24},   {addr(198, 18, 0, 1), 16},
    {addr(198, 18, 2, 1), 28}, {addr(198, 18, 0, 129), 25}, {addr(198, 19, 0, 1), 15},
};
// Domains shared by bridges, nested in each other, differing only in case,
// and a single label that is also a host label.
const char* const kDomains[] = {"lab", "LAB",   "a.lab",        "berth",
                                "web", "x.y.z", "in-addr.arpa", "18.198.in-addr.arpa"};
// Labels that clash with each other (case), with the bridge's own names,
// with domains, and labels that look like reverse-name octets.
const char* const kLabels[] = {"web", "WEB", "db",    "host",  "_gateway", "lab",
                               "a",   "5",   "xn--d", "berth", "z",        "in-addr"};
const char* const kHostNames[] = {"", "host", "web", "HOST"};
// IPv6 prefixes: a /64, the /60 around it, a /65 inside it (not on a
// nibble), a neighbour /62, a /48 over all of them, a single address.
const char* const kPrefixes6[] = {"fd42:1:2:3::1/64", "fd42:1:2:3::1/60", "fd42:1:2:3:8000::1/65",
                                  "fd42:1:2:4::1/62", "fd42:1::1/48",     "fd42:1:2:3::5/128"};

Ipv6Prefix prefix6(size_t i) { return *Ipv6Prefix::parse(kPrefixes6[i % std::size(kPrefixes6)]); }

// An address of `p` whose last 16 bits are `host` where the prefix leaves
// them free.
Ipv6Address in_prefix(const Ipv6Prefix& p, uint16_t host) {
  std::array<uint8_t, 16> b = p.network().to_bytes();
  for (size_t bit = 112; bit < 128; ++bit) {
    if (bit < p.length) continue;
    if (((host >> (127 - bit)) & 1) != 0) b[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  }
  return Ipv6Address(b);
}

bool same_label(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char p, char q) {
           return dns::ascii_lower(static_cast<uint8_t>(p)) ==
                  dns::ascii_lower(static_cast<uint8_t>(q));
         });
}
// Static record names: absolute, reverse, below a lease name, an apex, and
// names outside any zone.
const char* const kStaticNames[] = {"web.lab",
                                    "static.lab",
                                    "Alias.lab",
                                    "alias2.lab",
                                    "5.0.18.198.in-addr.arpa",
                                    "1.0.18.198.in-addr.arpa",
                                    "_http._tcp.web.lab",
                                    "lab",
                                    "outside.example",
                                    "a.lab",
                                    "deep.er.web.lab",
                                    "0.18.198.in-addr.arpa"};

struct Built {
  dns::NameTableSpec spec;
  std::shared_ptr<const dns::NameTable> table;
};

void read_spec(Reader& in, dns::NameTableSpec& spec) {
  const size_t bridges = 1 + in.byte() % 3;
  for (size_t i = 0; i < bridges; ++i) {
    const uint8_t b = in.byte();
    const uint8_t v6 = in.byte();
    spec.bridges.push_back(dns::DnsBridge{
        .name = "br" + std::to_string(i),
        .address = kSubnets[b % std::size(kSubnets)],
        .domain = kDomains[(b >> 3) % std::size(kDomains)],
        .serving = (b & 0x80) == 0,
        .ipv6 = (v6 & 0x80) != 0 ? std::nullopt : std::optional(prefix6(v6)),
    });
  }
  spec.host_name = kHostNames[in.byte() % std::size(kHostNames)];
  spec.local_ttl = in.byte();
  spec.serial = 7;
  // Names: bridge and reserved flag; label; the address's last octets.
  const size_t names = in.byte() % 33;
  for (size_t i = 0; i < names; ++i) {
    const uint8_t a = in.byte(), b = in.byte(), c = in.byte();
    const size_t bridge = a % (bridges + 1);  // one past the end: no such bridge
    const dns::DnsBridge& on = spec.bridges[bridge % bridges];
    const uint16_t bits = static_cast<uint16_t>((b & 0xf0) << 4 | c);
    IpAddress ip;
    if ((a & 0x20) != 0) {
      // IPv6, in the bridge's prefix (another when it has none).
      ip = in_prefix(on.ipv6 ? *on.ipv6 : prefix6(c), bits);
    } else {
      ip = Ipv4Address(on.address.network().value() | (bits & ~on.address.mask().value()));
    }
    spec.names.push_back(dns::NamedAddress{
        .bridge = bridge,
        .label = kLabels[b % std::size(kLabels)],
        .ip = ip,
        .reserved = (a & 0x80) != 0,
    });
    if ((a & 0x40) != 0) spec.names.back().label.clear();  // a client that sent no name
  }
  const size_t statics = in.byte() % 17;
  for (size_t i = 0; i < statics; ++i) {
    const uint8_t kind = in.byte(), x = in.byte(), y = in.byte();
    const std::string name = kStaticNames[x % std::size(kStaticNames)];
    const std::string other = kStaticNames[y % std::size(kStaticNames)];
    switch (kind % 4) {
      case 0:
        spec.statics.hosts.push_back({name, addr(198, 18, 0, y)});
        break;
      case 1:
        spec.statics.cnames.push_back({name, other});
        break;
      case 2:
        spec.statics.srvs.push_back({name, other, static_cast<uint16_t>(x * 257), y, kind});
        break;
      default:
        // Long strings are split into 255-byte pieces.
        spec.statics.txts.push_back({name, {std::string(size_t{y} * 3, 't'), ""}});
        break;
    }
  }
}

// The second build: some names dropped, some moved to another address, the
// order changed (the previous holder of a name must keep it).
dns::NameTableSpec changed(const dns::NameTableSpec& spec, Reader& in) {
  dns::NameTableSpec next = spec;
  const uint8_t how = in.byte();
  if ((how & 1) != 0) std::reverse(next.names.begin(), next.names.end());
  if ((how & 2) != 0 && !next.names.empty()) next.names.erase(next.names.begin());
  for (dns::NamedAddress& n : next.names) {
    if ((in.byte() & 3) != 0) continue;
    if (n.ip.is_v4()) {
      n.ip = Ipv4Address(n.ip.v4().value() ^ 1);
    } else {
      std::array<uint8_t, 16> b = n.ip.v6().to_bytes();
      b[15] ^= 1;
      n.ip = Ipv6Address(b);
    }
  }
  if ((how & 4) != 0 && !next.bridges.empty()) next.bridges.back().serving = false;
  next.serial = spec.serial + 1;
  return next;
}

// A name's addresses of the family of `like`.
std::vector<IpAddress> addresses_like(const dns::NameTable& t, const std::string& name,
                                      size_t bridge, const IpAddress& like) {
  std::vector<IpAddress> out;
  if (like.is_v4()) {
    for (Ipv4Address a : t.addresses(name, bridge)) out.emplace_back(a);
  } else {
    for (const Ipv6Address& a : t.addresses6(name, bridge)) out.emplace_back(a);
  }
  return out;
}

// The names the clashes of dynamic clients are settled for: between two
// leases for one name on one bridge, the one that held it before keeps it,
// in each family apart.
void check_previous_holder_kept(const Built& first, const Built& second) {
  for (const dns::NamedAddress& n : second.spec.names) {
    if (n.reserved || n.label.empty() || n.bridge >= second.spec.bridges.size()) continue;
    if (!second.spec.bridges[n.bridge].serving) continue;
    const std::string name = n.label;
    const auto before = addresses_like(*first.table, name, n.bridge, n.ip);
    if (before.size() != 1 || before[0] != n.ip) continue;
    // n held the name in the first table (as its only address of its
    // family). It keeps it unless a reservation of that family, the
    // bridge's own name or a static record has it.
    const bool outranked = std::any_of(
        second.spec.names.begin(), second.spec.names.end(), [&](const dns::NamedAddress& o) {
          return o.reserved && o.bridge == n.bridge && o.ip.family() == n.ip.family() &&
                 o.ip != n.ip && dns::Name::from_text(o.label) && same_label(o.label, n.label);
        });
    if (outranked) continue;
    const auto after = addresses_like(*second.table, name, n.bridge, n.ip);
    if (after.empty()) continue;  // the bridge's own name or a CNAME took it
    check(std::find(after.begin(), after.end(), n.ip) != after.end());
  }
}

// serves(): a served bridge's own addresses and sources in its subnet or
// prefix are served; link-local sources and addresses of bridges not served
// (and in no served one's range) are not.
void check_serves(const dns::NameTable& t, const dns::NameTableSpec& spec) {
  check(!t.serves(*Ipv6Address::parse("fe80::1")));
  check(!t.serves(Ipv6Address::loopback()));
  for (const dns::DnsBridge& b : spec.bridges) {
    if (!b.serving) continue;
    check(t.serves(b.address.address));
    if (b.ipv6) check(t.serves(b.ipv6->address) && t.serves(in_prefix(*b.ipv6, 0xffff)));
  }
  const Ipv6Address far = *Ipv6Address::parse("fd99::1");
  check(!t.serves(far));
}

std::array<uint8_t, 65535> out;

void check_reply(const dns::NameTable& t, const dns::Query& q, ByteView packet, size_t bridge,
                 size_t limit) {
  auto n = t.answer(q, packet, bridge, out, limit);
  // addresses() takes a name as text: only for names whose text reads back
  // as the same name (no label holding a '.').
  const std::string text = q.qname.to_text();
  auto again = dns::Name::from_text(text);
  const bool as_text = again && again->equals_ci(q.qname);
  if (!n) {
    // Not ours (forwarded), or no room for even the header, question and
    // OPT (the server's limit is never below 512 bytes, which always fit):
    // addresses() knows nothing of a name that is not ours either.
    const bool room = q.question_end + (q.edns ? 11 : 0) <= limit;
    if (room && q.qclass == dns::klass::IN && as_text) {
      check(t.addresses(text, bridge).empty() && t.addresses6(text, bridge).empty());
    }
    return;
  }
  check(*n <= limit && *n >= q.question_end);
  const ByteView reply(out.data(), *n);
  auto m = dns::parse_message(reply);
  check(m.ok());
  check(m->header.id == q.header.id && m->header.qr && m->header.aa);
  check(m->header.rd == q.header.rd && m->header.opcode == q.header.opcode);
  check(m->header.rcode == dns::rcode::NOERROR || m->header.rcode == dns::rcode::NXDOMAIN);
  check(m->questions.size() == 1);
  check(std::memcmp(reply.data() + dns::kHeaderSize, packet.data() + dns::kHeaderSize,
                    q.question_end - dns::kHeaderSize) == 0);
  check(m->edns.has_value() == q.edns.has_value());
  if (m->header.tc) check(m->answers.empty());
  for (const dns::Record& r : m->answers) check(r.klass == dns::klass::IN);
  if (m->header.rcode == dns::rcode::NXDOMAIN) check(m->answers.empty());

  // An answer holds records of the type asked, or a CNAME and then the
  // target's records of that type; never the other address family.
  for (const dns::Record& r : m->answers) {
    if (q.qtype == dns::type::A) check(r.type != dns::type::AAAA);
    if (q.qtype == dns::type::AAAA) check(r.type != dns::type::A);
  }

  // addresses() and addresses6() say what an A or AAAA query gets, for a
  // name written as text.
  const bool a = q.qtype == dns::type::A;
  if ((!a && q.qtype != dns::type::AAAA) || q.qclass != dns::klass::IN || m->header.tc ||
      !as_text) {
    return;
  }
  std::vector<IpAddress> answered;
  bool cname = false;
  for (const dns::Record& r : m->answers) {
    if (r.type == dns::type::CNAME) cname = true;
    if (r.type != q.qtype || cname) continue;
    check(r.name.equals_ci(q.qname));
    const auto& raw = std::get<dns::RawRdata>(r.rdata);
    check(raw.size() == (a ? 4u : 16u));
    if (a) {
      answered.emplace_back(Ipv4Address::from_bytes(raw));
    } else {
      answered.emplace_back(Ipv6Address::from_bytes(raw));
    }
  }
  const auto listed =
      addresses_like(t, text, bridge, a ? IpAddress(Ipv4Address()) : IpAddress(Ipv6Address()));
  if (cname) {
    check(listed.empty());
  } else {
    check(listed == answered);
  }
}

const uint16_t kTypes[] = {dns::type::A,
                           dns::type::AAAA,
                           dns::type::PTR,
                           dns::type::TXT,
                           dns::type::SRV,
                           dns::type::SOA,
                           dns::type::CNAME,
                           dns::type::ANY,
                           dns::type::MX,
                           dns::type::NS,
                           0,
                           65535};
const uint16_t kClasses[] = {dns::klass::IN, dns::klass::IN, dns::klass::ANY, dns::klass::CH};
const size_t kLimits[] = {12, 40, 100, dns::kPlainUdpLimit, 1232, 65535};

// A query name: a lease label alone or under a domain, a static name, a
// reverse name for an address of the bridges (IPv4, IPv6, or an IPv6 one cut
// short), or a name made of label bytes.
Result<dns::Name> query_name(const dns::NameTableSpec& spec, uint8_t sel, uint8_t x) {
  switch (sel % 7) {
    case 0:
      return dns::Name::from_text(kLabels[x % std::size(kLabels)]);
    case 1: {
      std::string text = std::string(kLabels[x % std::size(kLabels)]) + "." +
                         kDomains[(x >> 4) % std::size(kDomains)];
      return dns::Name::from_text(text);
    }
    case 2:
      return dns::Name::from_text(kStaticNames[x % std::size(kStaticNames)]);
    case 3: {
      const Ipv4Prefix net = spec.bridges[x % spec.bridges.size()].address;
      return dns::reverse_name(Ipv4Address(net.network().value() + (sel >> 3)));
    }
    case 4:
    case 5: {
      const dns::DnsBridge& b = spec.bridges[x % spec.bridges.size()];
      const Ipv6Prefix p = b.ipv6 ? *b.ipv6 : prefix6(x >> 4);
      const dns::Name full = dns::reverse_name(in_prefix(p, static_cast<uint16_t>(sel >> 3)));
      if (sel % 7 == 4) return full;
      return full.strip_left(x % 34);  // 32 nibbles, then "ip6", then "arpa"
    }
    default:
      return dns::Name::from_text(kDomains[x % std::size(kDomains)]);
  }
}

void ask(const dns::NameTable& t, const dns::NameTableSpec& spec, Reader& in) {
  const uint8_t sel = in.byte(), x = in.byte(), y = in.byte(), z = in.byte(), w = in.byte();
  if (sel == 0xff) {
    // The input's own bytes as a query.
    const ByteView raw = in.take(size_t{x} << 1);
    auto parsed = dns::parse_query(raw);
    // The server answers other opcodes NOTIMP itself, before the table.
    if (auto* q = std::get_if<dns::Query>(&parsed); q && q->header.opcode == dns::opcode::QUERY) {
      for (size_t limit : kLimits) check_reply(t, *q, raw, y % (spec.bridges.size() + 1), limit);
    }
    return;
  }
  auto name = query_name(spec, sel, x);
  if (!name) return;
  dns::Message m;
  m.header.id = static_cast<uint16_t>(y << 8 | z);
  m.header.rd = (w & 1) != 0;
  m.header.cd = (w & 2) != 0;
  m.questions.push_back({*name, kTypes[y % std::size(kTypes)], kClasses[(w >> 2) % 4]});
  if ((w & 0x10) != 0) m.edns = dns::Edns{.udp_size = 1232, .dnssec_ok = (w & 0x20) != 0};
  auto packet = dns::encode_message(m);
  check(packet.ok());
  auto parsed = dns::parse_query(*packet);
  auto* q = std::get_if<dns::Query>(&parsed);
  check(q != nullptr);
  const size_t bridge = (w >> 6) % (spec.bridges.size() + 1);  // may be past the end
  check_reply(t, *q, *packet, bridge, kLimits[z % std::size(kLimits)]);
  check_reply(t, *q, *packet, bridge, 65535);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  Built first;
  read_spec(in, first.spec);
  std::vector<std::string> clashes;
  first.table = dns::NameTable::build(first.spec, nullptr, &clashes);
  check(first.table != nullptr);
  for (const std::string& c : clashes) check(c.find("is not served") != std::string::npos);

  Built second;
  second.spec = changed(first.spec, in);
  clashes.clear();
  second.table = dns::NameTable::build(second.spec, first.table.get(), &clashes);
  check(second.table != nullptr);
  check_previous_holder_kept(first, second);
  check_serves(*first.table, first.spec);
  check_serves(*second.table, second.spec);

  for (int i = 0; i < 64 && !in.empty(); ++i) {
    const bool which = (in.byte() & 1) != 0;
    const Built& b = which ? second : first;
    ask(*b.table, b.spec, in);
  }
  return 0;
}
