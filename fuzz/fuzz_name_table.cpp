// libFuzzer target: the local DNS name table (dns::NameTable). The input
// makes a NameTableSpec (bridges with overlapping subnets and nested
// domains, names from leases and reservations whose labels clash with each
// other and with the bridge's own names, static hosts, CNAMEs, SRVs and
// TXTs), builds it, builds it again from a changed spec with the first as
// `previous`, and asks both tables queries made from the input (and the
// input's own bytes as a query). Every reply must parse, carry the query's
// ID and question bytes, fit the limit, and its A answers must be what
// addresses() says; the table's clash notes must name real clashes.
//
// Input: a header (bridge count, then per bridge its subnet, domain and
// serving flag; the host name; the TTL), names (count, then three bytes
// each), static records (count, then three bytes each), changes for the
// second build, then queries (five bytes each, or a length and raw bytes).
// Missing bytes read as 0.
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
    spec.bridges.push_back(dns::DnsBridge{
        .name = "br" + std::to_string(i),
        .address = kSubnets[b % std::size(kSubnets)],
        .domain = kDomains[(b >> 3) % std::size(kDomains)],
        .serving = (b & 0x80) == 0,
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
    const Ipv4Prefix net = spec.bridges[bridge % bridges].address;
    const uint32_t host = (static_cast<uint32_t>(b & 0xf0) << 4 | c) & ~net.mask().value();
    spec.names.push_back(dns::NamedAddress{
        .bridge = bridge,
        .label = kLabels[b % std::size(kLabels)],
        .ip = Ipv4Address(net.network().value() | host),
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
    if ((in.byte() & 3) == 0) n.ip = Ipv4Address(n.ip.value() ^ 1);
  }
  if ((how & 4) != 0 && !next.bridges.empty()) next.bridges.back().serving = false;
  next.serial = spec.serial + 1;
  return next;
}

// The names the clashes of dynamic clients are settled for: between two
// leases for one name on one bridge, the one that held it before keeps it.
void check_previous_holder_kept(const Built& first, const Built& second) {
  for (const dns::NamedAddress& n : second.spec.names) {
    if (n.reserved || n.label.empty() || n.bridge >= second.spec.bridges.size()) continue;
    if (!second.spec.bridges[n.bridge].serving) continue;
    const std::string name = n.label;
    const auto before = first.table->addresses(name, n.bridge);
    if (before.size() != 1 || before[0] != n.ip) continue;
    // n held the name in the first table (as its only address). It keeps it
    // unless a reservation, the bridge's own name or a static record has it.
    const bool outranked = std::any_of(
        second.spec.names.begin(), second.spec.names.end(), [&](const dns::NamedAddress& o) {
          return o.reserved && o.bridge == n.bridge && o.ip != n.ip &&
                 dns::Name::from_text(o.label) && o.label.size() == n.label.size() &&
                 std::equal(o.label.begin(), o.label.end(), n.label.begin(), [](char p, char q) {
                   return dns::ascii_lower(static_cast<uint8_t>(p)) ==
                          dns::ascii_lower(static_cast<uint8_t>(q));
                 });
        });
    if (outranked) continue;
    const auto after = second.table->addresses(name, n.bridge);
    if (after.empty()) continue;  // the bridge's own name or a CNAME took it
    check(std::find(after.begin(), after.end(), n.ip) != after.end());
  }
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
    if (room && q.qclass == dns::klass::IN && as_text) check(t.addresses(text, bridge).empty());
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

  // addresses() says what an A query gets, for a name written as text.
  if (q.qtype != dns::type::A || q.qclass != dns::klass::IN || m->header.tc || !as_text) return;
  std::vector<Ipv4Address> answered;
  bool cname = false;
  for (const dns::Record& r : m->answers) {
    if (r.type == dns::type::CNAME) cname = true;
    if (r.type != dns::type::A || cname) continue;
    check(r.name.equals_ci(q.qname));
    const auto& raw = std::get<dns::RawRdata>(r.rdata);
    check(raw.size() == 4);
    answered.push_back(Ipv4Address::from_bytes(raw));
  }
  const auto listed = t.addresses(text, bridge);
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
// reverse name for an address of the bridges, or a name made of label bytes.
Result<dns::Name> query_name(const dns::NameTableSpec& spec, uint8_t sel, uint8_t x) {
  switch (sel % 5) {
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

  for (int i = 0; i < 64 && !in.empty(); ++i) {
    const bool which = (in.byte() & 1) != 0;
    const Built& b = which ? second : first;
    ask(*b.table, b.spec, in);
  }
  return 0;
}
