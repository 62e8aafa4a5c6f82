// libFuzzer target: the DHCPv6 engine (dhcp::Dhcp6Service), driven as the
// daemon drives it. The input is a script of steps on one stateful bridge
// with a small pool and two reservations: client messages built from a few
// bytes (so a SOLICIT/REQUEST/RENEW/RELEASE run is reachable) or parsed
// from raw bytes, a clock the input advances, commits the input lets
// succeed or fail (commit_failed, as the daemon does), tick() and
// reservation changes. After each step the promises made to clients are
// checked against a model of what they were told; a violation aborts:
//   - no address is held by two bindings at once (a REPLY never gives an
//     address another binding was given and still holds);
//   - every address given is in the pool or the client's reservation;
//   - a declined address is given to nobody during its quarantine;
//   - a failed commit leaves the table as it was;
//   - every reply answers the transaction, names us and the client, and
//     encodes and parses back to itself.
//
// Input: one header byte (bit 0: rapid commit; bit 1: a pool of 4, else
// 16; bits 2-3: which reservations), then steps. A step is an op byte and
// its argument bytes (see step(); low nibble: kind, high: a flag); a step whose decision has a
// commit is followed by one outcome byte (bit 0 set: the commit fails). Missing bytes read as 0.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "dhcp/dhcp6_service.hpp"
#include "fuzz/fuzz_input.hpp"
#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"

namespace {

using namespace berth;
using dhcp::Dhcp6Decision;
using dhcp6::IaAddress;
using dhcp6::IaNa;
using dhcp6::Message;
using dhcp6::MessageType;
using fuzz::check;
using fuzz::Reader;
using leases::BindingKey;
using leases::Lease;
namespace opt = dhcp6::opt;

Ipv6Address v6(uint16_t low) {
  return Ipv6Address({0xfd, 0, 0, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                      static_cast<uint8_t>(low >> 8), static_cast<uint8_t>(low)});
}

const Bytes kServerDuid = dhcp6::make_duid_ll(MacAddress({2, 0, 0, 0, 0, 0xfe}));
const Bytes kOtherServer = dhcp6::make_duid_ll(MacAddress({2, 0, 0, 0, 0, 0xfd}));

struct FuzzClient {
  Bytes duid;
  Ipv6Address source;
};

// Two DUIDs behind one MAC (a re-created VM), a DUID-EN, and a client
// whose source address is not EUI-64 (its MAC comes from its DUID-LLT).
const std::vector<FuzzClient>& clients() {
  static const std::vector<FuzzClient> all = [] {
    const MacAddress m1({2, 0, 0, 0, 0, 1}), m2({2, 0, 0, 0, 0, 2}), m3({2, 0, 0, 0, 0, 3});
    return std::vector<FuzzClient>{
        {dhcp6::make_duid_ll(m1), link_local_from_mac(m1)},
        {dhcp6::make_duid_llt(m1, 1'000'000'000), link_local_from_mac(m1)},
        {dhcp6::make_duid_ll(m2), link_local_from_mac(m2)},
        {Bytes{0, 2, 0, 0, 0xab, 0x11, 1, 2, 3},
         link_local_from_mac(MacAddress({2, 0, 0, 0, 0, 4}))},
        {dhcp6::make_duid_llt(m3, 1'000'000'000),
         Ipv6Address({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})},
    };
  }();
  return all;
}

std::vector<leases::Reservation6> reservations(uint8_t which) {
  std::vector<leases::Reservation6> out;
  // Client 0 by DUID, outside the pool; client 4 by MAC (from its DUID),
  // inside it.
  if (which & 1) {
    out.push_back(
        {.match = leases::MatchKind::client_id, .duid = clients()[0].duid, .ip = v6(0x53)});
  }
  if (which & 2) {
    out.push_back(
        {.match = leases::MatchKind::mac, .mac = MacAddress({2, 0, 0, 0, 0, 3}), .ip = v6(0x102)});
  }
  return out;
}

// Who was told what: each address's current holders and until when, the
// quarantines, and the last address each binding saw.
struct Model {
  std::map<Ipv6Address, std::map<std::pair<size_t, uint32_t>, int64_t>> holders;
  std::map<Ipv6Address, int64_t> quarantine;
  std::map<std::pair<size_t, uint32_t>, Ipv6Address> last;
};

struct Fuzz {
  dhcp::Dhcp6Service svc{kServerDuid};
  dhcp::Dhcp6Settings settings;
  size_t br = 0;
  Model model;
  int64_t now = 1'800'000'000;
  uint32_t xid = 1;

  explicit Fuzz(uint8_t header);
  void step(Reader& in);

 private:
  Message build(Reader& in, size_t who, MessageType type);
  void run(Reader& in, const Message& m, std::optional<size_t> who);
  void told(const Dhcp6Decision& d, const Message& m, size_t who);
  bool mine(size_t who, const Ipv6Address& ip) const;
};

Fuzz::Fuzz(uint8_t header) {
  settings = dhcp::Dhcp6Settings{.name = "br0",
                                 .mode = dhcp::Dhcp6Mode::stateful,
                                 .prefix = Ipv6Prefix{v6(1), 64},
                                 .pool_first = v6(0x100),
                                 .pool_last = v6((header & 2) ? 0x103 : 0x10f),
                                 .dns_servers = {v6(1)},
                                 .domains = {"lab"},
                                 .preferred_lifetime = 100,
                                 .valid_lifetime = 200,
                                 .rapid_commit = (header & 1) != 0,
                                 .offer_hold = 30,
                                 .decline_quarantine = 150,
                                 .reservations = reservations((header >> 2) & 3)};
  br = svc.add_bridge(settings, {});
}

// The address a hint byte names: none, the binding's last, or one of the
// pool, the reservations, or one off the link.
std::optional<Ipv6Address> hint(uint8_t sel, const Model& model, size_t who, uint32_t iaid) {
  if (sel == 0) return std::nullopt;
  if (sel == 1) {
    auto it = model.last.find({who, iaid});
    return it == model.last.end() ? std::nullopt : std::optional(it->second);
  }
  switch (sel % 4) {
    case 0:
      return v6(0x53);
    case 1:
      return Ipv6Address({0xfd, 0, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9});
    default:
      return v6(static_cast<uint16_t>(0x100 + sel % 17));
  }
}

// Argument bytes: who, IAIDs (bit 0: a second IA), hint, flags (bit 0:
// rapid commit, bit 1: drop the client id, bits 2-3: server id none,
// ours, another's).
Message Fuzz::build(Reader& in, size_t who, MessageType type) {
  const uint8_t ia_byte = in.byte();
  const uint8_t sel = in.byte();
  const uint8_t flags = in.byte();
  Message m{.type = type, .transaction_id = xid++ & 0xffffff, .options = {}};
  if ((flags & 2) == 0) m.options.add(opt::client_id, clients()[who].duid);
  const uint8_t server = (flags >> 2) & 3;
  if (server == 1) m.options.add(opt::server_id, kServerDuid);
  if (server == 2) m.options.add(opt::server_id, kOtherServer);
  if (type != MessageType::information_request) {
    for (uint32_t iaid = 1; iaid <= ((ia_byte & 1) ? 2u : 1u); ++iaid) {
      IaNa ia{.iaid = iaid, .t1 = 0, .t2 = 0, .options = {}};
      if (auto a = hint(iaid == 1 ? sel : sel >> 4, model, who, iaid)) {
        ia.options.add(opt::iaaddr, dhcp6::encode_ia_address({.address = *a, .options = {}}));
      }
      m.options.add(opt::ia_na, dhcp6::encode_ia_na(ia));
    }
  }
  if (flags & 1) m.options.add(opt::rapid_commit, Bytes{});
  return m;
}

bool Fuzz::mine(size_t who, const Ipv6Address& ip) const {
  if (ip >= settings.pool_first && ip <= settings.pool_last) return true;
  const FuzzClient& c = clients()[who];
  auto mac = mac_from_link_local(c.source);
  if (!mac) mac = dhcp6::duid_mac(c.duid);
  for (const auto& r : svc.table(br).reservations()) {
    if (r.ip != ip) continue;
    if (r.match == leases::MatchKind::client_id && r.duid == c.duid) return true;
    if (r.match == leases::MatchKind::mac && mac && *mac == r.mac) return true;
  }
  return false;
}

// A REPLY reached the client: record what it now holds and check it may.
void Fuzz::told(const Dhcp6Decision& d, const Message& m, size_t who) {
  const Message& reply = d.reply->message;
  if (reply.type != MessageType::reply) return;  // an ADVERTISE promises nothing
  auto ias = dhcp6::ia_nas(reply.options);
  check(ias.ok());
  for (const IaNa& ia : *ias) {
    const std::pair<size_t, uint32_t> binding{who, ia.iaid};
    auto addresses = dhcp6::ia_addresses(ia);
    check(addresses.ok());
    for (const IaAddress& a : *addresses) {
      if (a.valid_lifetime == 0) {
        model.holders[a.address].erase(binding);
        continue;
      }
      check(mine(who, a.address));
      check(a.preferred_lifetime <= a.valid_lifetime);
      for (const auto& [other, until] : model.holders[a.address]) {
        check(other == binding || until <= now);
      }
      if (auto q = model.quarantine.find(a.address); q != model.quarantine.end()) {
        check(q->second <= now);
      }
      model.holders[a.address][binding] = now + a.valid_lifetime;
      model.last[binding] = a.address;
    }
  }
  // What a RELEASE or DECLINE gave back is no longer held.
  if (m.type == MessageType::release || m.type == MessageType::decline) {
    for (const leases::LeaseChange& change : d.commit) {
      const Lease& l = change.lease;
      for (auto& [binding, until] : model.holders[l.ip.v6()]) {
        if (clients()[binding.first].duid == l.client_id && binding.second == l.iaid) until = now;
      }
      if (l.state == leases::LeaseState::declined) model.quarantine[l.ip.v6()] = l.expires_at;
    }
  }
}

void Fuzz::run(Reader& in, const Message& m, std::optional<size_t> who) {
  const std::vector<Lease> before = svc.table(br).leases();
  Dhcp6Decision d = svc.handle(br, m, who ? clients()[*who].source : v6(0x999), now);
  if (d.reply) {
    const Message& r = d.reply->message;
    check(r.transaction_id == m.transaction_id);
    check(r.options.get(opt::server_id) != nullptr &&
          *r.options.get(opt::server_id) == kServerDuid);
    const Bytes* id = m.options.get(opt::client_id);
    check(id == nullptr ||
          (r.options.get(opt::client_id) && *r.options.get(opt::client_id) == *id));
    auto bytes = dhcp6::encode_to_bytes(r);
    check(bytes.ok());
    auto again = dhcp6::parse_message(*bytes);
    check(again.ok() && *again == r);
  } else {
    check(!d.drop_reason.empty() && d.commit.empty());
  }
  for (const leases::LeaseChange& c : d.commit)
    check(c.lease.ip.is_v6() && c.lease.bridge == "br0");
  if (!d.commit.empty() && (in.byte() & 1)) {
    svc.commit_failed(br, d);
    check(svc.table(br).leases() == before);
    return;
  }
  if (d.reply && who) told(d, m, *who);
}

void Fuzz::step(Reader& in) {
  const uint8_t op = in.byte();
  const size_t who = in.byte() % clients().size();
  switch ((op & 0x0f) % 12) {
    case 0:
      run(in, build(in, who, MessageType::solicit), who);
      break;
    case 1:
    case 2:
      run(in, build(in, who, MessageType::request), who);
      break;
    case 3:
      run(in, build(in, who, MessageType::renew), who);
      break;
    case 4:
      run(in, build(in, who, MessageType::rebind), who);
      break;
    case 5:
      run(in, build(in, who, MessageType::release), who);
      break;
    case 6:
      run(in, build(in, who, MessageType::decline), who);
      break;
    case 7:
      run(in,
          build(in, who,
                static_cast<uint8_t>(op >> 4) & 1 ? MessageType::confirm
                                                  : MessageType::information_request),
          who);
      break;
    case 8:
      now += in.byte() * 4;
      break;
    case 9:
      for (const Lease& l : svc.tick(now)) check(l.expires_at <= now);
      break;
    case 10:
      svc.set_reservations(br, reservations(op >> 4));
      break;
    case 11: {
      // Raw bytes, parsed as the server would: the engine must cope with
      // anything the codec accepts (no model: whose is it?).
      auto m = dhcp6::parse_message(in.take(in.byte()));
      if (!m) break;
      const Bytes* id = m->options.get(opt::client_id);
      const bool modelled = id && std::any_of(clients().begin(), clients().end(),
                                              [&](const FuzzClient& c) { return c.duid == *id; });
      if (!modelled) run(in, *m, std::nullopt);
      break;
    }
  }
  // The table's own view: bound bindings are findable and unique per address.
  for (const Lease& l : svc.table(br).leases()) {
    if (l.state == leases::LeaseState::declined) continue;
    const Lease* found = svc.table(br).find(BindingKey::of(l));
    check(found == nullptr || found->client_id == l.client_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  Fuzz f(in.byte());
  for (int steps = 0; !in.empty() && steps < 200; ++steps) f.step(in);
  return 0;
}
