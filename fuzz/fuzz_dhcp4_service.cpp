// libFuzzer target: the DHCPv4 engine (dhcp::Dhcp4Service), driven as the
// daemon drives it. The input is a script of steps on two small bridges (a
// /28 and a /29, with reservations): DHCP messages built from a few bytes
// (so a DORA, a renewal or a release is reachable) or parsed from raw
// bytes, a clock the input advances, commits the input lets succeed or fail
// (commit_failed, as the daemon does), tick(), forget(), and reservation and
// settings changes. After each step the invariants a client relies on are
// checked against a model of what the clients were told; a violation aborts.
//
// Input: three header bytes (settings of br0 and br1, stored-lease count)
// with four bytes per stored lease, then steps. A step is an op byte (low
// nibble: kind; bit 4: bridge) and its argument bytes; a step whose decision
// has a commit is followed by one outcome byte (bit 0 set: the commit fails).
// Missing bytes read as 0. See build_message() for a message's five bytes.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "dhcp/dhcp4_service.hpp"
#include "dhcp/reservations.hpp"
#include "fuzz/fuzz_input.hpp"
#include "protocol/dhcp4/message.hpp"

namespace {

using namespace berth;
using dhcp::BridgeSettings;
using dhcp::Decision;
using dhcp4::Message;
using dhcp4::MessageType;
using leases::ClientKey;
using leases::Lease;
using leases::LeaseState;
namespace opt = dhcp4::opt;

using fuzz::addr;
using fuzz::check;
using fuzz::Reader;

struct FuzzClient {
  MacAddress mac;
  Bytes client_id;
};

// Two clients share a client identifier with different MACs (cloned VMs),
// two share a MAC with different identifiers, one MAC is seen with and
// without an identifier.
const std::vector<FuzzClient>& clients() {
  static const std::vector<FuzzClient> all = {
      {MacAddress({2, 0, 0, 0, 0, 1}), {}},          {MacAddress({2, 0, 0, 0, 0, 2}), {}},
      {MacAddress({2, 0, 0, 0, 0, 3}), {1, 'a'}},    {MacAddress({2, 0, 0, 0, 0, 4}), {1, 'a'}},
      {MacAddress({2, 0, 0, 0, 0, 5}), {0xff, 'b'}}, {MacAddress({2, 0, 0, 0, 0, 5}), {0xff, 'c'}},
      {MacAddress({2, 0, 0, 0, 0, 6}), {}},          {MacAddress({2, 0, 0, 0, 0, 2}), {'d'}},
  };
  return all;
}

const char* const kHostnames[] = {"", "web", "WEB", "db"};

// What the clients were told, per bridge: who believes it holds each
// address (ACKed, until its lease ends), which addresses are quarantined
// (declined), and the last address offered or ACKed to each scripted client.
struct Believer {
  ClientKey key;
  int64_t until;
};
struct BridgeModel {
  std::map<Ipv4Address, std::vector<Believer>> believers;
  std::map<Ipv4Address, int64_t> quarantine;
  std::map<size_t, Ipv4Address> last_given;
};

// One client per RFC 2131 §4.2: by client identifier when both have one,
// else by MAC (what ClientKey::matches does with a lease).
bool same_client(const ClientKey& a, const ClientKey& b) {
  if (!a.client_id.empty() && !b.client_id.empty()) return a.client_id == b.client_id;
  return a.mac == b.mac;
}

struct Fuzz {
  dhcp::Dhcp4Service svc;
  std::vector<BridgeSettings> settings;
  std::vector<BridgeModel> model;
  int64_t now = 1'800'000'000;

  explicit Fuzz(Reader& in);
  void step(Reader& in);

 private:
  ClientKey key_of(size_t b, const Message& m) const;
  Ipv4Address universe(size_t b, uint8_t i) const;
  std::optional<Ipv4Address> pick(size_t b, size_t who, const ClientKey& key, uint8_t sel) const;
  Message build_message(Reader& in, size_t b, size_t& who);
  void handle(Reader& in, size_t b, const Message& m, std::optional<size_t> who);
  void decide(Reader& in, size_t b, Decision& d, std::optional<size_t> who, const ClientKey* key,
              std::vector<Lease> before);
  void told(size_t b, const Decision& d, std::optional<size_t> who, const ClientKey* key);
  std::vector<leases::Reservation> candidates(size_t b) const;
  void set_reservations(size_t b, uint8_t mask);
  void add_reservation(size_t b, uint8_t which);
  void check_reply(size_t b, const Decision& d, const ClientKey& key, bool reserved_was_free);
  void check_table(size_t b, bool offers_swept) const;
};

BridgeSettings bridge_settings(size_t b, uint8_t flags) {
  BridgeSettings s;
  s.name = b == 0 ? "br0" : "br1";
  s.address = b == 0 ? Ipv4Prefix{addr(198, 18, 0, 1), 28} : Ipv4Prefix{addr(198, 18, 0, 17), 29};
  s.pool_first = b == 0 ? addr(198, 18, 0, 4) : addr(198, 18, 0, 18);
  s.pool_last = b == 0 ? addr(198, 18, 0, 13) : addr(198, 18, 0, 21);
  s.lease_time = 300;
  s.domain = "lab";
  s.offer_hold = 30;
  s.decline_quarantine = 200;
  s.authoritative = (flags & 1) == 0;
  s.ignore_client_id = (flags & 2) != 0;
  s.rapid_commit = (flags & 4) != 0;
  return s;
}

Fuzz::Fuzz(Reader& in) {
  const uint8_t flags[2] = {in.byte(), in.byte()};
  // Leases of an earlier run, one per client and address at most, as the
  // store would hold them.
  std::vector<Lease> stored;
  const size_t count = in.byte() % 4;
  for (size_t i = 0; i < count; ++i) {
    const size_t who = in.byte() % clients().size();
    const uint8_t where = in.byte();
    const uint8_t state = in.byte();
    const int64_t offset = static_cast<int64_t>(in.byte()) * 4 - 512;
    const size_t b = where >> 7;
    const Ipv4Address ip = universe(b, where & 0x7f);
    const FuzzClient& c = clients()[who];
    const bool taken = std::any_of(stored.begin(), stored.end(), [&](const Lease& l) {
      return l.ip == ip ||
             same_client(ClientKey{l.mac, l.client_id, {}}, ClientKey{c.mac, c.client_id, {}});
    });
    if (taken) continue;
    stored.push_back(Lease{.bridge = b == 0 ? "br0" : "br1",
                           .ip = ip,
                           .mac = c.mac,
                           .client_id = c.client_id,
                           .hostname = {},
                           .state = static_cast<LeaseState>(state % 4),
                           .expires_at = now + offset,
                           .updated_at = now - 600});
  }
  model.resize(2);
  for (size_t b = 0; b < 2; ++b) {
    settings.push_back(bridge_settings(b, flags[b]));
    check(svc.add_bridge(settings[b], stored) == b);
    for (const Lease& l : svc.table(b).leases()) {
      if (l.state == LeaseState::bound && l.expires_at > now) {
        model[b].believers[l.ip.v4()].push_back({ClientKey{l.mac, l.client_id, {}}, l.expires_at});
      } else if (l.state == LeaseState::declined) {
        model[b].quarantine[l.ip.v4()] = l.expires_at;
      }
    }
    check_table(b, false);
  }
}

ClientKey Fuzz::key_of(size_t b, const Message& m) const {
  // What the engine calls the client (Dhcp4Service::client_of).
  ClientKey key{.mac = m.mac(), .client_id = {}, .hostname = {}};
  if (!settings[b].ignore_client_id) {
    if (const Bytes* id = m.options.get(opt::client_identifier)) key.client_id = *id;
  }
  if (auto h = m.options.get_text(opt::hostname)) key.hostname = *h;
  return key;
}

// Every address of the bridge's subnet, one outside any subnet and the
// other bridge's own address.
Ipv4Address Fuzz::universe(size_t b, uint8_t i) const {
  const Ipv4Address base = b == 0 ? addr(198, 18, 0, 0) : addr(198, 18, 0, 16);
  const uint32_t size = b == 0 ? 16 : 8;
  switch (i % 18) {
    case 16:
      return addr(198, 18, 5, 5);
    case 17:
      return b == 0 ? addr(198, 18, 0, 17) : addr(198, 18, 0, 1);
    default:
      return Ipv4Address(base.value() + (i % 18) % size);
  }
}

// 0: none; 1: the last address given to this client; 2: its reserved
// address; else an address of universe().
std::optional<Ipv4Address> Fuzz::pick(size_t b, size_t who, const ClientKey& key,
                                      uint8_t sel) const {
  if (sel == 0) return std::nullopt;
  if (sel == 1) {
    auto it = model[b].last_given.find(who);
    if (it != model[b].last_given.end()) return it->second;
    return std::nullopt;
  }
  if (sel == 2) {
    if (const auto r = svc.table(b).reservation_for(key)) return r->ip;
    return std::nullopt;
  }
  return universe(b, static_cast<uint8_t>(sel - 3));
}

// Five bytes: type; who (bits 0-2 client, 3-4 hostname, 5 rapid commit,
// 6 broadcast flag, 7 leave out the client identifier); requested address
// and ciaddr (see pick()); server identifier (1: this bridge's, 2: the
// other bridge's, else none).
Message Fuzz::build_message(Reader& in, size_t b, size_t& who) {
  static constexpr int kTypes[10] = {1, 3, 7, 4, 8, 2, 0, 1, 3, 3};  // 0: no option 53
  const int type = kTypes[in.byte() % 10];
  const uint8_t w = in.byte();
  const uint8_t req = in.byte();
  const uint8_t ci = in.byte();
  const uint8_t sid = in.byte();
  who = w & 7;
  const FuzzClient& c = clients()[who];
  Message m;
  m.xid = 0x1000 + w;
  m.set_mac(c.mac);
  if (type != 0) m.set_type(static_cast<MessageType>(type));
  if (!c.client_id.empty() && (w & 0x80) == 0) m.options.set(opt::client_identifier, c.client_id);
  const char* hostname = kHostnames[(w >> 3) & 3];
  if (*hostname != 0) m.options.set_text(opt::hostname, hostname);
  if ((w & 0x20) != 0) m.options.set(opt::rapid_commit, Bytes{});
  if ((w & 0x40) != 0) m.flags = dhcp4::kFlagBroadcast;
  const ClientKey key = key_of(b, m);
  if (auto r = pick(b, who, key, req)) m.options.set_ipv4(opt::requested_address, *r);
  if (auto a = pick(b, who, key, ci)) m.ciaddr = *a;
  if (sid % 4 == 1) m.options.set_ipv4(opt::server_identifier, settings[b].address.address);
  if (sid % 4 == 2) m.options.set_ipv4(opt::server_identifier, settings[1 - b].address.address);
  return m;
}

void Fuzz::step(Reader& in) {
  const uint8_t op = in.byte();
  const size_t b = (op >> 4) & 1;
  switch (op & 15) {
    case 1: {
      const size_t len = (size_t{in.byte()} << 8 | in.byte()) % 700;
      auto parsed = dhcp4::parse_message(in.take(len));
      if (parsed) handle(in, b, *parsed, std::nullopt);
      break;
    }
    case 2:
      now += in.byte();
      break;
    case 3:
      now += int64_t{in.byte()} * 16;
      break;
    case 4:
      for (const Lease& l : svc.tick(now)) {
        check(l.state == LeaseState::bound && l.expires_at <= now);
      }
      for (size_t i = 0; i < 2; ++i) check_table(i, true);
      return;
    case 5: {
      std::vector<Lease> before = svc.table(b).leases();
      Decision d = svc.forget(b, universe(b, in.byte()));
      check(d.commit.size() <= 1 && !d.reply);
      decide(in, b, d, std::nullopt, nullptr, std::move(before));
      break;
    }
    case 6:
      set_reservations(b, in.byte());
      break;
    case 7:
      add_reservation(b, in.byte());
      break;
    case 8:
      settings[b] = bridge_settings(b, in.byte());
      svc.update_settings(b, settings[b]);
      break;
    default: {
      size_t who = 0;
      Message m = build_message(in, b, who);
      handle(in, b, m, who);
      break;
    }
  }
  check_table(b, false);
}

void Fuzz::handle(Reader& in, size_t b, const Message& m, std::optional<size_t> who) {
  const ClientKey key = key_of(b, m);
  const leases::LeaseTable& table = svc.table(b);
  const std::optional<leases::Reservation> r = table.reservation_for(key);
  const bool reserved_was_free = r && !table.held_by_other(r->ip, key, now);
  std::vector<Lease> before = table.leases();
  Decision d = svc.handle(b, m, now);
  if (std::getenv("BERTH_FUZZ_TRACE") != nullptr) {
    // What each step did, to check that a hand-written seed does what it says.
    std::fprintf(stderr, "t=%lld br%zu %s %s: %s %s%s, %zu change(s)\n",
                 static_cast<long long>(now), b, m.mac().to_string().c_str(),
                 m.type() ? std::string(to_string(*m.type())).c_str() : "BOOTP",
                 d.reply ? std::string(to_string(*d.reply->message.type())).c_str() : "-",
                 d.reply ? d.reply->message.yiaddr.to_string().c_str() : "",
                 std::string(d.drop_reason).c_str(), d.commit.size());
  }
  check(d.reply.has_value() || !d.drop_reason.empty() || !d.commit.empty());
  if (d.reply) check_reply(b, d, key, reserved_was_free);
  decide(in, b, d, who, &key, std::move(before));
}

// The daemon stores the commit, then sends the reply; a failed commit puts
// the table back and sends nothing.
void Fuzz::decide(Reader& in, size_t b, Decision& d, std::optional<size_t> who,
                  const ClientKey* key, std::vector<Lease> before) {
  if (d.commit.empty()) {
    check(d.undo.empty() && svc.table(b).leases().size() == before.size());
    told(b, d, who, key);
    return;
  }
  check(d.undo.size() == d.commit.size());
  if ((in.byte() & 1) == 0) {
    told(b, d, who, key);
    return;
  }
  svc.commit_failed(b, d);
  std::vector<Lease> after = svc.table(b).leases();
  auto by_ip = [](const Lease& x, const Lease& y) { return x.ip < y.ip; };
  std::sort(before.begin(), before.end(), by_ip);
  std::sort(after.begin(), after.end(), by_ip);
  check(before == after);
}

// The reply reached the client (and the commit, if any, is durable): update
// what the clients believe.
void Fuzz::told(size_t b, const Decision& d, std::optional<size_t> who, const ClientKey* key) {
  BridgeModel& bm = model[b];
  for (const leases::LeaseChange& c : d.commit) {
    const Lease& l = c.lease;
    if (key == nullptr) {
      // Forgotten by the administrator: nobody's, and no longer quarantined.
      bm.believers.erase(l.ip.v4());
      bm.quarantine.erase(l.ip.v4());
    } else if (l.state == LeaseState::declined && c.kind == leases::LeaseChange::Kind::upsert) {
      bm.believers.erase(l.ip.v4());  // in use by someone on the link, not by a client of ours
      bm.quarantine[l.ip.v4()] = l.expires_at;
    } else if (c.kind == leases::LeaseChange::Kind::erase || l.state == LeaseState::released) {
      // Given back, or left for another address: not this client's any more.
      std::erase_if(bm.believers[l.ip.v4()],
                    [&](const Believer& x) { return same_client(x.key, *key); });
    }
  }
  if (!d.reply || key == nullptr) return;
  const Message& m = d.reply->message;
  const auto type = m.type();
  if (type == MessageType::nak) {
    // The client gives up its address and starts over (RFC 2131 §4.4.1).
    for (auto& [ip, list] : bm.believers) {
      std::erase_if(list, [&](const Believer& x) { return same_client(x.key, *key); });
    }
    return;
  }
  if (m.yiaddr.is_unspecified()) return;  // DHCPINFORM's ACK
  if (who) bm.last_given[*who] = m.yiaddr;
  if (type != MessageType::ack) return;
  // No other client may believe it holds an address we ACK.
  std::vector<Believer>& list = bm.believers[m.yiaddr];
  for (const Believer& x : list) {
    check(x.until <= now || same_client(x.key, *key));
  }
  std::erase_if(list,
                [&](const Believer& x) { return x.until <= now || same_client(x.key, *key); });
  list.push_back({*key, now + settings[b].lease_time});
}

void Fuzz::check_reply(size_t b, const Decision& d, const ClientKey& key, bool reserved_was_free) {
  const Message& m = d.reply->message;
  const BridgeSettings& s = settings[b];
  check(m.op == dhcp4::Op::reply);
  const auto type = m.type();
  check(type == MessageType::offer || type == MessageType::ack || type == MessageType::nak);
  check(m.options.get_ipv4(opt::server_identifier) == s.address.address);
  if (type == MessageType::nak) {
    check(m.yiaddr.is_unspecified() && d.commit.empty());
    return;
  }
  const Ipv4Address y = m.yiaddr;
  if (y.is_unspecified()) {  // DHCPINFORM: options only
    check(type == MessageType::ack && d.commit.empty());
    return;
  }
  // Inside the subnet, never its network, broadcast or own address, and in
  // the pool or reserved for this client.
  check(s.address.contains(y) && y != s.address.network() && y != s.address.broadcast() &&
        y != s.address.address);
  const leases::LeaseTable& table = svc.table(b);
  const std::optional<leases::Reservation> at = table.reservation_at(y);
  const bool in_pool = y >= s.pool_first && y <= s.pool_last;
  check(at ? key.matches(*at) : in_pool);
  // Never a quarantined address.
  if (auto q = model[b].quarantine.find(y); q != model[b].quarantine.end()) check(q->second <= now);
  if (type == MessageType::offer) {
    check(d.commit.empty());
    for (const Believer& x : model[b].believers[y])
      check(x.until <= now || same_client(x.key, key));
    return;
  }
  // An ACK commits the lease it promises before it is sent.
  const bool committed = std::any_of(d.commit.begin(), d.commit.end(), [&](const auto& c) {
    return c.kind == leases::LeaseChange::Kind::upsert && c.lease.ip == y &&
           c.lease.state == LeaseState::bound && c.lease.expires_at == now + s.lease_time &&
           key.matches(c.lease);
  });
  check(committed);
  check(m.options.get_u32(opt::lease_time) == s.lease_time);
  // A client whose reserved address is free for it gets that address.
  const std::optional<leases::Reservation> r = table.reservation_for(key);
  if (r && reserved_was_free) check(y == r->ip);
}

// The reservation candidates of a bridge: some inside the pool, some
// outside, one clash (same address) and one the bridge cannot serve (its
// broadcast address).
std::vector<leases::Reservation> Fuzz::candidates(size_t b) const {
  const Ipv4Address base = settings[b].address.network();
  const uint32_t size = b == 0 ? 16 : 8;
  struct Spec {
    leases::MatchKind match;
    size_t client;  // for mac and client_id
    const char* hostname;
    uint32_t offset;
  };
  static constexpr Spec kSpecs[8] = {
      {leases::MatchKind::mac, 0, "", 5},       {leases::MatchKind::mac, 1, "", 2},
      {leases::MatchKind::client_id, 2, "", 3}, {leases::MatchKind::hostname, 0, "web", 14},
      {leases::MatchKind::mac, 2, "", 12},      {leases::MatchKind::mac, 3, "", 5},
      {leases::MatchKind::mac, 4, "", 15},      {leases::MatchKind::hostname, 0, "db", 6},
  };
  std::vector<leases::Reservation> out;
  for (size_t i = 0; i < 8; ++i) {
    const Spec& spec = kSpecs[i];
    leases::Reservation r;
    r.id = static_cast<int64_t>(i + 1);
    r.bridge = settings[b].name;
    r.match = spec.match;
    if (spec.match == leases::MatchKind::mac) r.mac = clients()[spec.client].mac;
    if (spec.match == leases::MatchKind::client_id) r.client_id = clients()[spec.client].client_id;
    r.hostname_match = spec.hostname;
    r.ip = Ipv4Address(base.value() + spec.offset % size);
    out.push_back(std::move(r));
  }
  return out;
}

// As the daemon does: merged (clashes left out), and only those the bridge
// can serve.
void Fuzz::set_reservations(size_t b, uint8_t mask) {
  std::vector<leases::Reservation> chosen;
  for (const leases::Reservation& r : candidates(b)) {
    if ((mask >> (r.id - 1) & 1) != 0) chosen.push_back(r);
  }
  auto merged = dhcp::merge_reservations({}, chosen);
  std::erase_if(merged.kept, [&](const leases::Reservation& r) {
    return dhcp::reservation_problem(r, settings[b]).has_value();
  });
  svc.set_reservations(b, std::move(merged.kept));
}

void Fuzz::add_reservation(size_t b, uint8_t which) {
  const leases::Reservation r = candidates(b)[which % 8];
  if (dhcp::reservation_problem(r, settings[b])) return;
  for (const leases::Reservation& x : svc.table(b).reservations()) {
    if (x.ip == r.ip || dhcp::same_client(x, r)) return;
  }
  svc.add_reservation(b, r);
}

void Fuzz::check_table(size_t b, bool offers_swept) const {
  const leases::LeaseTable& t = svc.table(b);
  const BridgeSettings& s = settings[b];
  const std::vector<Lease> all = t.leases();
  const auto counts = t.counts(now);
  check(counts.bound + counts.released + counts.expired + counts.declined == all.size());
  for (const Lease& l : all) {
    check(l.ip.is_v4());
    const std::optional<Lease> at = t.at(l.ip.v4());
    check(at && *at == l && l.bridge == s.name && s.address.contains(l.ip.v4()));
  }
  // One bound lease per client: by identifier when it has one, else by MAC.
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].state_at(now) != LeaseState::bound) continue;
    for (size_t j = i + 1; j < all.size(); ++j) {
      if (all[j].state_at(now) != LeaseState::bound) continue;
      const bool same = all[i].client_id == all[j].client_id &&
                        (!all[i].client_id.empty() || all[i].mac == all[j].mac);
      check(!same);
    }
  }
  // A client's lease, as find() gives it, is its own and in the table.
  for (const FuzzClient& c : clients()) {
    const ClientKey key{c.mac, s.ignore_client_id ? Bytes{} : c.client_id, {}};
    if (const std::optional<Lease> l = t.find(key)) check(t.at(l->ip.v4()) == l && key.matches(*l));
  }
  // Offers: counted right, and only where the address is not bound to another.
  size_t offers = 0;
  for (uint32_t v = s.address.network().value(); v <= s.address.broadcast().value(); ++v) {
    const Ipv4Address ip(v);
    const leases::Offer* o = t.offer_at(ip, now);
    if (o == nullptr) continue;
    ++offers;
    check(t.offered_to(o->client, now) == ip);
    const std::optional<Lease> l = t.at(ip);
    check(!l || l->state_at(now) != LeaseState::bound || o->client.matches(*l));
  }
  check(offers == counts.offered);
  // The pool's bitmap: a clear bit is an address nobody holds in any way;
  // with stale offers swept, the set bits are exactly the held addresses.
  size_t held = 0;
  for (uint32_t v = s.pool_first.value(); v <= s.pool_last.value(); ++v) {
    const Ipv4Address ip(v);
    const bool has = t.at(ip) || t.reservation_at(ip) || t.offer_at(ip, now);
    if (!t.pool().test(ip)) check(!has);
    held += has ? 1 : 0;
  }
  if (offers_swept) check(t.pool().count_set() == held);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the engine logs each decision
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  Fuzz fuzz(in);
  for (int steps = 0; steps < 512 && !in.empty(); ++steps) fuzz.step(in);
  return 0;
}
