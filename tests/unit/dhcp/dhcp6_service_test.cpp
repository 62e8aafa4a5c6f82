// Scripted DHCPv6 clients against Dhcp6Service, in process, with an
// injected clock.
#include "dhcp/dhcp6_service.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"

namespace berth::dhcp {
namespace {

using dhcp6::IaAddress;
using dhcp6::IaNa;
using dhcp6::Message;
using dhcp6::MessageType;
using dhcp6::StatusCode;
namespace opt = dhcp6::opt;

Ipv6Address ip6(const char* s) { return *Ipv6Address::parse(s); }

const Bytes kServerDuid =
    dhcp6::make_duid_llt(*MacAddress::parse("02:be:00:00:06:fe"), 1'000'000'000);

Dhcp6Settings settings(Dhcp6Mode mode) {
  return Dhcp6Settings{.name = "br0",
                       .mode = mode,
                       .prefix = *Ipv6Prefix::parse("fd00:b::1/64"),
                       .pool_first = ip6("fd00:b::100"),
                       .pool_last = ip6("fd00:b::1ff"),
                       .dns_servers = {ip6("fd00:b::1")},
                       .domains = {"berth.test", "example.test"},
                       .preferred_lifetime = 1000,
                       .valid_lifetime = 2000};
}

// A client on the bridge: an EUI-64 link-local address from its MAC, a
// DUID-LL unless told otherwise.
struct Client {
  MacAddress mac;
  Bytes duid;
  Ipv6Address source;
  uint32_t xid = 0x100;

  explicit Client(uint8_t n)
      : mac(MacAddress({0x02, 0x00, 0x00, 0x00, 0x06, n})),
        duid(dhcp6::make_duid_ll(mac)),
        source(link_local_from_mac(mac)) {}

  Message message(MessageType type, bool with_client_id = true) {
    Message m{.type = type, .transaction_id = ++xid, .options = {}};
    if (with_client_id) m.options.add(opt::client_id, duid);
    const std::vector<uint16_t> oro = {opt::dns_servers, opt::domain_search};
    m.options.add(opt::oro, dhcp6::encode_oro(oro));
    m.options.add(opt::elapsed_time, dhcp6::encode_elapsed_time(0));
    return m;
  }
  // An IA_NA, with the addresses the client holds (lifetimes 0 as hints).
  static Bytes ia(uint32_t iaid, std::vector<Ipv6Address> addresses = {}) {
    IaNa ia{.iaid = iaid, .t1 = 0, .t2 = 0, .options = {}};
    for (const Ipv6Address& a : addresses) {
      ia.options.add(
          opt::iaaddr,
          dhcp6::encode_ia_address(
              {.address = a, .preferred_lifetime = 0, .valid_lifetime = 0, .options = {}}));
    }
    return dhcp6::encode_ia_na(ia);
  }
  Message information_request() { return message(MessageType::information_request); }
  Message solicit(std::vector<uint32_t> iaids = {1}, bool rapid_commit = false) {
    Message m = message(MessageType::solicit);
    for (uint32_t iaid : iaids) m.options.add(opt::ia_na, ia(iaid));
    if (rapid_commit) m.options.add(opt::rapid_commit, Bytes{});
    return m;
  }
  // REQUEST, RENEW, RELEASE, DECLINE: to a server, for an IA's addresses.
  Message to_server(MessageType type, uint32_t iaid, std::vector<Ipv6Address> addresses,
                    const Bytes& server = kServerDuid) {
    Message m = message(type);
    m.options.add(opt::server_id, server);
    m.options.add(opt::ia_na, ia(iaid, std::move(addresses)));
    return m;
  }
  // CONFIRM, REBIND: to any server.
  Message to_any(MessageType type, uint32_t iaid, std::vector<Ipv6Address> addresses) {
    Message m = message(type);
    m.options.add(opt::ia_na, ia(iaid, std::move(addresses)));
    return m;
  }
};

// The IA_NAs of a reply.
std::vector<IaNa> ias(const Dhcp6Decision& d) {
  if (!d.reply) return {};
  return *dhcp6::ia_nas(d.reply->message.options);
}
// The addresses with a non-zero valid lifetime in an IA.
std::vector<Ipv6Address> live(const IaNa& ia) {
  std::vector<Ipv6Address> out;
  const auto addresses = dhcp6::ia_addresses(ia);
  for (const IaAddress& a : *addresses) {
    if (a.valid_lifetime > 0) out.push_back(a.address);
  }
  return out;
}
std::optional<uint16_t> status(const dhcp6::OptionList& options) {
  auto s = dhcp6::status_of(options);
  return s ? std::optional(s->code) : std::nullopt;
}
constexpr uint16_t code(StatusCode s) { return static_cast<uint16_t>(s); }

class Dhcp6ServiceTest : public ::testing::Test {
 protected:
  explicit Dhcp6ServiceTest(Dhcp6Mode mode = Dhcp6Mode::stateful) : mode_(mode) {}
  Dhcp6Mode mode_;
  Dhcp6Service svc{kServerDuid};
  size_t br = svc.add_bridge(settings(mode_), {});
  int64_t now = 1'800'000'000;
};

class Dhcp6StatelessTest : public Dhcp6ServiceTest {
 protected:
  Dhcp6StatelessTest() : Dhcp6ServiceTest(Dhcp6Mode::stateless) {}
};

TEST_F(Dhcp6StatelessTest, InformationRequestGetsDnsOptionsAndIds) {
  Client c(1);
  Message ir = c.information_request();
  Dhcp6Decision d = svc.handle(br, ir, c.source, now);
  ASSERT_TRUE(d.reply);
  const Message& m = d.reply->message;
  EXPECT_EQ(m.type, MessageType::reply);
  EXPECT_EQ(m.transaction_id, ir.transaction_id);
  EXPECT_EQ(*m.options.get(opt::client_id), c.duid);
  EXPECT_EQ(*m.options.get(opt::server_id), kServerDuid);
  EXPECT_EQ(*dhcp6::parse_dns_servers(*m.options.get(opt::dns_servers)),
            std::vector<Ipv6Address>{ip6("fd00:b::1")});
  EXPECT_EQ(*dhcp6::parse_domain_list(*m.options.get(opt::domain_search)),
            (std::vector<std::string>{"berth.test", "example.test"}));
  EXPECT_FALSE(m.options.has(opt::ia_na));
  EXPECT_EQ(d.reply->destination, c.source);
  EXPECT_EQ(d.reply->port, 546);
  EXPECT_TRUE(d.commit.empty());
  EXPECT_EQ(svc.counters().received[11], 1u);
  EXPECT_EQ(svc.counters().sent[7], 1u);
  // And it encodes.
  EXPECT_TRUE(dhcp6::encode_to_bytes(m));
}

TEST_F(Dhcp6StatelessTest, OnlyRequestedOptionsAreSent) {
  Client c(1);
  Message ir = c.information_request();
  const std::vector<uint16_t> only_domains = {opt::domain_search};
  ir.options.set(opt::oro, dhcp6::encode_oro(only_domains));
  Dhcp6Decision d = svc.handle(br, ir, c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_FALSE(d.reply->message.options.has(opt::dns_servers));
  EXPECT_TRUE(d.reply->message.options.has(opt::domain_search));
  // No ORO at all: everything configured.
  ir.options.erase(opt::oro);
  d = svc.handle(br, ir, c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_TRUE(d.reply->message.options.has(opt::dns_servers));
}

TEST_F(Dhcp6StatelessTest, InformationRequestWithoutClientIdIsAnswered) {
  Client c(1);
  Dhcp6Decision d =
      svc.handle(br, c.message(MessageType::information_request, false), c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_FALSE(d.reply->message.options.has(opt::client_id));
  EXPECT_TRUE(d.reply->message.options.has(opt::server_id));
}

TEST_F(Dhcp6StatelessTest, OtherServersIdIsDropped) {
  Client c(1);
  Message ir = c.information_request();
  ir.options.add(opt::server_id, dhcp6::make_duid_ll(*MacAddress::parse("02:00:00:00:00:99")));
  Dhcp6Decision d = svc.handle(br, ir, c.source, now);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "other_server");
  EXPECT_EQ(svc.counters().dropped.at("other_server"), 1u);
  // Our own id is fine.
  ir.options.set(opt::server_id, kServerDuid);
  EXPECT_TRUE(svc.handle(br, ir, c.source, now).reply);
}

TEST_F(Dhcp6StatelessTest, InformationRequestWithAnIaIsDropped) {
  // RFC 8415 §16.12.
  Client c(1);
  for (uint16_t ia : {opt::ia_na, opt::ia_ta, opt::ia_pd}) {
    Message ir = c.information_request();
    ir.options.add(ia, Bytes(12, 0));
    Dhcp6Decision d = svc.handle(br, ir, c.source, now);
    EXPECT_FALSE(d.reply) << ia;
    EXPECT_EQ(d.drop_reason, "ia_in_information_request");
  }
}

TEST_F(Dhcp6StatelessTest, AddressMessagesAreDroppedInStatelessMode) {
  Client c(1);
  Dhcp6Decision d = svc.handle(br, c.solicit(), c.source, now);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "stateless_only");
  EXPECT_TRUE(d.commit.empty());
}

TEST_F(Dhcp6StatelessTest, ServerMessagesAreDropped) {
  Client c(1);
  for (MessageType t : {MessageType::advertise, MessageType::reply, MessageType::reconfigure}) {
    Dhcp6Decision d = svc.handle(br, c.message(t), c.source, now);
    EXPECT_FALSE(d.reply);
    EXPECT_EQ(d.drop_reason, "not_for_server");
  }
}

TEST_F(Dhcp6StatelessTest, BadClientIdIsDropped) {
  Client c(1);
  c.duid = {0, 1, 0, 1};  // a DUID-LLT far too short
  Dhcp6Decision d = svc.handle(br, c.information_request(), c.source, now);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "bad_client_id");
}

TEST(Dhcp6Service, SlaacBridgeAndUnknownBridgeDropEverything) {
  Dhcp6Service svc(kServerDuid);
  size_t br = svc.add_bridge(settings(Dhcp6Mode::slaac), {});
  Client c(1);
  Dhcp6Decision d = svc.handle(br, c.information_request(), c.source, 0);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "dhcpv6_disabled");
  d = svc.handle(br + 1, c.information_request(), c.source, 0);
  EXPECT_EQ(d.drop_reason, "unknown_bridge");
  size_t other = svc.add_bridge(settings(Dhcp6Mode::stateless), {});
  EXPECT_TRUE(svc.handle(other, c.information_request(), c.source, 0).reply);
  svc.remove_bridge(other);
  EXPECT_EQ(svc.handle(other, c.information_request(), c.source, 0).drop_reason, "unknown_bridge");
}

TEST(Dhcp6Service, NoDnsConfiguredMeansNoDnsOptions) {
  Dhcp6Settings s = settings(Dhcp6Mode::stateless);
  s.dns_servers.clear();
  s.domains.clear();
  Dhcp6Service svc(kServerDuid);
  size_t br = svc.add_bridge(s, {});
  Client c(1);
  Dhcp6Decision d = svc.handle(br, c.information_request(), c.source, 0);
  ASSERT_TRUE(d.reply);
  EXPECT_FALSE(d.reply->message.options.has(opt::dns_servers));
  EXPECT_FALSE(d.reply->message.options.has(opt::domain_search));
}

// ---- stateful ----

class Dhcp6StatefulTest : public Dhcp6ServiceTest {
 protected:
  // SOLICIT, ADVERTISE, REQUEST, REPLY; returns the bound address.
  Ipv6Address bind(Client& c, uint32_t iaid = 1) {
    Dhcp6Decision adv = svc.handle(br, c.solicit({iaid}), c.source, now);
    EXPECT_TRUE(adv.reply);
    if (!adv.reply) return {};
    EXPECT_EQ(adv.reply->message.type, MessageType::advertise);
    EXPECT_TRUE(adv.commit.empty());
    auto offered = ias(adv);
    EXPECT_EQ(offered.size(), 1u);
    if (offered.empty() || live(offered[0]).empty()) return {};
    const Ipv6Address a = live(offered[0])[0];
    Dhcp6Decision rep = svc.handle(br, c.to_server(MessageType::request, iaid, {a}), c.source, now);
    EXPECT_TRUE(rep.reply);
    EXPECT_EQ(rep.reply->message.type, MessageType::reply);
    EXPECT_EQ(live(ias(rep).at(0)), std::vector<Ipv6Address>{a});
    EXPECT_FALSE(rep.commit.empty());
    return a;
  }
  bool in_pool(const Ipv6Address& a) const {
    return a >= ip6("fd00:b::100") && a <= ip6("fd00:b::1ff");
  }
};

TEST_F(Dhcp6StatefulTest, SolicitGetsAnAdvertiseWithAnAddressAndNoCommit) {
  Client c(1);
  Message sol = c.solicit({7});
  Dhcp6Decision d = svc.handle(br, sol, c.source, now);
  ASSERT_TRUE(d.reply);
  const Message& m = d.reply->message;
  EXPECT_EQ(m.type, MessageType::advertise);
  EXPECT_EQ(m.transaction_id, sol.transaction_id);
  EXPECT_EQ(*m.options.get(opt::client_id), c.duid);
  EXPECT_EQ(*m.options.get(opt::server_id), kServerDuid);
  auto got = ias(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].iaid, 7u);
  EXPECT_EQ(got[0].t1, 500u);  // 0.5 and 0.8 of the preferred lifetime
  EXPECT_EQ(got[0].t2, 800u);
  auto addresses = *dhcp6::ia_addresses(got[0]);
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_TRUE(in_pool(addresses[0].address));
  EXPECT_EQ(addresses[0].preferred_lifetime, 1000u);
  EXPECT_EQ(addresses[0].valid_lifetime, 2000u);
  EXPECT_TRUE(m.options.has(opt::dns_servers));
  EXPECT_FALSE(m.options.has(opt::rapid_commit));
  EXPECT_TRUE(d.commit.empty());
  EXPECT_EQ(svc.table(br).counts(now).offered, 1u);
  EXPECT_EQ(svc.counters().sent[2], 1u);
  EXPECT_TRUE(dhcp6::encode_to_bytes(m));
}

TEST_F(Dhcp6StatefulTest, RequestCommitsTheBindingBeforeTheReply) {
  Client c(1);
  const Ipv6Address a = bind(c);
  const leases::Lease* l = svc.table(br).find({c.duid, 1});
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->ip, IpAddress(a));
  EXPECT_EQ(l->client_id, c.duid);
  EXPECT_EQ(l->iaid, 1u);
  EXPECT_EQ(l->mac, c.mac);  // from the EUI-64 source address
  EXPECT_EQ(l->bridge, "br0");
  EXPECT_EQ(l->state, leases::LeaseState::bound);
  EXPECT_EQ(l->expires_at, now + 2000);
  EXPECT_EQ(svc.table(br).counts(now).offered, 0u);  // the offer became the binding
}

TEST_F(Dhcp6StatefulTest, TheCommitHoldsTheLeaseAndItsUndo) {
  Client c(1);
  Dhcp6Decision adv = svc.handle(br, c.solicit(), c.source, now);
  const Ipv6Address a = live(ias(adv).at(0)).at(0);
  Dhcp6Decision d = svc.handle(br, c.to_server(MessageType::request, 1, {a}), c.source, now);
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].kind, leases::LeaseChange::Kind::upsert);
  EXPECT_EQ(d.commit[0].lease.ip, IpAddress(a));
  ASSERT_EQ(d.undo.size(), 1u);
  EXPECT_FALSE(d.undo[0].second);
  // The commit failed: the table forgets the binding.
  svc.commit_failed(br, d);
  EXPECT_EQ(svc.table(br).at(a), nullptr);
  EXPECT_EQ(svc.counters().commit_failed, 1u);
}

TEST_F(Dhcp6StatefulTest, AClientGetsItsAddressBackEvenFromAnotherServerInstance) {
  Client c(1);
  const Ipv6Address a = bind(c);
  Dhcp6Decision rel = svc.handle(br, c.to_server(MessageType::release, 1, {a}), c.source, now);
  ASSERT_TRUE(rel.reply);
  EXPECT_EQ(bind(c), a);
  // A fresh table picks the same spot for the same DUID and IAID.
  Dhcp6Service other(kServerDuid);
  size_t br2 = other.add_bridge(settings(Dhcp6Mode::stateful), {});
  Dhcp6Decision adv = other.handle(br2, c.solicit(), c.source, now);
  EXPECT_EQ(live(ias(adv).at(0)).at(0), a);
}

TEST_F(Dhcp6StatefulTest, StoredBindingsAreServedAgain) {
  Client c(1);
  leases::Lease stored{.bridge = "br0",
                       .ip = ip6("fd00:b::1a0"),
                       .mac = c.mac,
                       .client_id = c.duid,
                       .expires_at = now + 100,
                       .iaid = 1};
  leases::Lease v4 = stored;
  v4.ip = *Ipv4Address::parse("198.18.0.5");
  Dhcp6Service fresh(kServerDuid);
  size_t b2 = fresh.add_bridge(settings(Dhcp6Mode::stateful), {stored, v4});
  EXPECT_EQ(fresh.table(b2).leases().size(), 1u);
  Dhcp6Decision adv = fresh.handle(b2, c.solicit(), c.source, now);
  EXPECT_EQ(live(ias(adv).at(0)).at(0), ip6("fd00:b::1a0"));
}

TEST_F(Dhcp6StatefulTest, TwoIasOfOneClientGetTwoAddresses) {
  Client c(1);
  Dhcp6Decision d = svc.handle(br, c.solicit({1, 2}), c.source, now);
  auto got = ias(d);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(live(got[0]).size(), 1u);
  ASSERT_EQ(live(got[1]).size(), 1u);
  EXPECT_NE(live(got[0])[0], live(got[1])[0]);
}

TEST_F(Dhcp6StatefulTest, ManyClientsNeverShareAnAddress) {
  std::set<Ipv6Address> seen;
  for (uint8_t n = 1; n <= 120; ++n) {
    Client c(n);
    const Ipv6Address a = bind(c);
    EXPECT_TRUE(in_pool(a)) << a.to_string();
    EXPECT_TRUE(seen.insert(a).second) << a.to_string();
  }
}

TEST(Dhcp6Service, ExhaustedPoolAnswersNoAddrsAvail) {
  Dhcp6Settings s = settings(Dhcp6Mode::stateful);
  s.pool_last = ip6("fd00:b::101");  // two addresses
  Dhcp6Service svc(kServerDuid);
  size_t br = svc.add_bridge(s, {});
  Client a(1), b(2), c(3);
  for (Client* x : {&a, &b}) {
    Dhcp6Decision d = svc.handle(br, x->solicit(), x->source, 0);
    ASSERT_EQ(live(ias(d).at(0)).size(), 1u);
  }
  Dhcp6Decision d = svc.handle(br, c.solicit(), c.source, 0);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type, MessageType::advertise);
  EXPECT_FALSE(d.reply->message.options.has(opt::ia_na));
  EXPECT_EQ(status(d.reply->message.options), code(StatusCode::no_addrs_avail));
  EXPECT_EQ(svc.counters().pool_exhausted, 1u);
  // The offers time out; then c gets one.
  svc.tick(31);
  d = svc.handle(br, c.solicit(), c.source, 31);
  EXPECT_EQ(live(ias(d).at(0)).size(), 1u);
}

TEST(Dhcp6Service, RapidCommitOnlyWhereAllowed) {
  Client c(1);
  for (bool allowed : {false, true}) {
    Dhcp6Settings s = settings(Dhcp6Mode::stateful);
    s.rapid_commit = allowed;
    Dhcp6Service svc(kServerDuid);
    size_t br = svc.add_bridge(s, {});
    Dhcp6Decision d = svc.handle(br, c.solicit({1}, /*rapid_commit=*/true), c.source, 0);
    ASSERT_TRUE(d.reply);
    EXPECT_EQ(d.reply->message.type, allowed ? MessageType::reply : MessageType::advertise);
    EXPECT_EQ(d.reply->message.options.has(opt::rapid_commit), allowed);
    EXPECT_EQ(d.commit.size(), allowed ? 1u : 0u);
    EXPECT_EQ(svc.table(br).find({c.duid, 1}) != nullptr, allowed);
  }
}

TEST_F(Dhcp6StatefulTest, RenewExtendsTheBinding) {
  Client c(1);
  const Ipv6Address a = bind(c);
  now += 500;
  Dhcp6Decision d = svc.handle(br, c.to_server(MessageType::renew, 1, {a}), c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(live(ias(d).at(0)), std::vector<Ipv6Address>{a});
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.expires_at, now + 2000);
  EXPECT_EQ(svc.table(br).find({c.duid, 1})->expires_at, now + 2000);
}

TEST_F(Dhcp6StatefulTest, RenewOfAnUnknownBindingIsNoBinding) {
  Client c(1);
  Dhcp6Decision d =
      svc.handle(br, c.to_server(MessageType::renew, 1, {ip6("fd00:b::150")}), c.source, now);
  ASSERT_TRUE(d.reply);
  auto got = ias(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(live(got[0]).empty());
  EXPECT_EQ(status(got[0].options), code(StatusCode::no_binding));
  EXPECT_TRUE(d.commit.empty());
}

TEST_F(Dhcp6StatefulTest, RebindRebuildsALostBindingOrRefusesTheAddress) {
  Client c(1);
  // A server that lost its table: the client's pool address is bound again.
  Dhcp6Decision d =
      svc.handle(br, c.to_any(MessageType::rebind, 1, {ip6("fd00:b::150")}), c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(live(ias(d).at(0)), std::vector<Ipv6Address>{ip6("fd00:b::150")});
  EXPECT_EQ(d.commit.size(), 1u);
  // An address from elsewhere comes back with lifetimes 0.
  Client other(2);
  d = svc.handle(br, other.to_any(MessageType::rebind, 1, {ip6("fd00:9::5")}), other.source, now);
  ASSERT_TRUE(d.reply);
  auto addresses = *dhcp6::ia_addresses(ias(d).at(0));
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_EQ(addresses[0].address, ip6("fd00:9::5"));
  EXPECT_EQ(addresses[0].valid_lifetime, 0u);
  EXPECT_TRUE(d.commit.empty());
  // Someone else's bound address is not taken over.
  d = svc.handle(br, other.to_any(MessageType::rebind, 1, {ip6("fd00:b::150")}), other.source, now);
  EXPECT_TRUE(live(ias(d).at(0)).empty());
  EXPECT_EQ(svc.table(br).at(ip6("fd00:b::150"))->client_id, c.duid);
}

TEST_F(Dhcp6StatefulTest, ReleaseFreesTheBindingAndReportsUnknownIas) {
  Client c(1);
  const Ipv6Address a = bind(c);
  Message rel = c.to_server(MessageType::release, 1, {a});
  rel.options.add(opt::ia_na, Client::ia(9, {ip6("fd00:b::199")}));  // not ours
  Dhcp6Decision d = svc.handle(br, rel, c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(status(d.reply->message.options), code(StatusCode::success));
  auto got = ias(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].iaid, 9u);
  EXPECT_EQ(status(got[0].options), code(StatusCode::no_binding));
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.state, leases::LeaseState::released);
  EXPECT_EQ(svc.table(br).at(a)->state, leases::LeaseState::released);
  // Another client cannot release it.
  Client other(2);
  d = svc.handle(br, other.to_server(MessageType::release, 1, {a}), other.source, now);
  EXPECT_TRUE(d.commit.empty());
}

TEST_F(Dhcp6StatefulTest, DeclineQuarantinesTheAddress) {
  Client c(1);
  const Ipv6Address a = bind(c);
  Dhcp6Decision d = svc.handle(br, c.to_server(MessageType::decline, 1, {a}), c.source, now);
  ASSERT_TRUE(d.reply);
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.state, leases::LeaseState::declined);
  EXPECT_EQ(d.commit[0].lease.expires_at, now + 600);
  // The client gets another address; nobody gets this one for 600 s.
  const Ipv6Address next = bind(c);
  EXPECT_NE(next, a);
  EXPECT_TRUE(svc.table(br).held_by_other(a, {.key = {Bytes{1}, 1}, .mac = {}}, now + 599));
  EXPECT_FALSE(svc.table(br).held_by_other(a, {.key = {Bytes{1}, 1}, .mac = {}}, now + 600));
}

TEST_F(Dhcp6StatefulTest, ConfirmChecksTheLink) {
  Client c(1);
  Dhcp6Decision d =
      svc.handle(br, c.to_any(MessageType::confirm, 1, {ip6("fd00:b::150")}), c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(status(d.reply->message.options), code(StatusCode::success));
  EXPECT_TRUE(d.commit.empty());
  d = svc.handle(br, c.to_any(MessageType::confirm, 1, {ip6("fd00:b::150"), ip6("fd00:c::1")}),
                 c.source, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(status(d.reply->message.options), code(StatusCode::not_on_link));
  // RFC 8415 §18.3.3: no addresses, no reply.
  d = svc.handle(br, c.to_any(MessageType::confirm, 1, {}), c.source, now);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "confirm_without_addresses");
}

TEST_F(Dhcp6StatefulTest, ServerIdentifierRules) {
  Client c(1);
  const Bytes other = dhcp6::make_duid_ll(*MacAddress::parse("02:00:00:00:00:99"));
  EXPECT_EQ(
      svc.handle(br, c.to_server(MessageType::request, 1, {}, other), c.source, now).drop_reason,
      "other_server");
  Message no_server = c.to_any(MessageType::renew, 1, {});
  EXPECT_EQ(svc.handle(br, no_server, c.source, now).drop_reason, "no_server_id");
  Message sol = c.solicit();
  sol.options.add(opt::server_id, kServerDuid);
  EXPECT_EQ(svc.handle(br, sol, c.source, now).drop_reason, "unexpected_server_id");
  Message anon = c.solicit();
  anon.options.erase(opt::client_id);
  EXPECT_EQ(svc.handle(br, anon, c.source, now).drop_reason, "no_client_id");
  EXPECT_EQ(svc.counters().dropped.size(), 4u);
}

TEST_F(Dhcp6StatefulTest, ReservationsByDuidAndByMac) {
  Client by_duid(1), by_mac(2);
  svc.set_reservations(br, {{.match = leases::MatchKind::client_id,
                             .duid = by_duid.duid,
                             .ip = ip6("fd00:b::53"),
                             .name = "dns"},
                            {.match = leases::MatchKind::mac,
                             .mac = by_mac.mac,
                             .ip = ip6("fd00:b::80"),
                             .name = "web"}});
  EXPECT_EQ(bind(by_duid), ip6("fd00:b::53"));  // outside the pool: reserved
  EXPECT_EQ(svc.table(br).find({by_duid.duid, 1})->hostname, "dns");
  EXPECT_EQ(bind(by_mac), ip6("fd00:b::80"));
  EXPECT_EQ(svc.table(br).find({by_mac.duid, 1})->hostname, "web");
  // A second IA of the same client gets a pool address.
  EXPECT_TRUE(in_pool(bind(by_duid, 2)));
}

TEST_F(Dhcp6StatefulTest, ARenewMovesAClientToItsNewReservation) {
  Client c(1);
  const Ipv6Address a = bind(c);
  svc.set_reservations(br, {{.match = leases::MatchKind::client_id,
                             .duid = c.duid,
                             .ip = ip6("fd00:b::53"),
                             .name = ""}});
  Dhcp6Decision d = svc.handle(br, c.to_server(MessageType::renew, 1, {a}), c.source, now);
  auto addresses = *dhcp6::ia_addresses(ias(d).at(0));
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0].address, ip6("fd00:b::53"));
  EXPECT_GT(addresses[0].valid_lifetime, 0u);
  EXPECT_EQ(addresses[1].address, a);
  EXPECT_EQ(addresses[1].valid_lifetime, 0u);
  // The old binding is erased in the same commit.
  ASSERT_EQ(d.commit.size(), 2u);
  EXPECT_EQ(d.commit[0].kind, leases::LeaseChange::Kind::erase);
  EXPECT_EQ(svc.table(br).at(a), nullptr);
}

TEST_F(Dhcp6StatefulTest, AMovedBindingReturnsItsOldAddressEvenWhenNotHinted) {
  // The client asks without naming its address; it still holds it, so the
  // REPLY that moves it says lifetime 0 for the old one.
  Client c(1);
  const Ipv6Address a = bind(c);
  svc.set_reservations(br, {{.match = leases::MatchKind::client_id,
                             .duid = c.duid,
                             .ip = ip6("fd00:b::53"),
                             .name = ""}});
  Dhcp6Decision d = svc.handle(br, c.to_server(MessageType::request, 1, {}), c.source, now);
  auto addresses = *dhcp6::ia_addresses(ias(d).at(0));
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0].address, ip6("fd00:b::53"));
  EXPECT_EQ(addresses[1].address, a);
  EXPECT_EQ(addresses[1].valid_lifetime, 0u);
  // Now another client may have it.
  svc.set_reservations(br, {});
  EXPECT_FALSE(svc.table(br).held_by_other(a, {.key = {Bytes{9}, 1}, .mac = {}}, now));
}

TEST_F(Dhcp6StatefulTest, ExpiredBindingsAreReportedOnceAndKeptForTheirClient) {
  Client c(1);
  const Ipv6Address a = bind(c);
  EXPECT_TRUE(svc.tick(now + 1999).empty());
  auto expired = svc.tick(now + 2000);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].ip, IpAddress(a));
  EXPECT_TRUE(svc.tick(now + 2001).empty());
  now += 5000;
  EXPECT_EQ(bind(c), a);
}

TEST_F(Dhcp6StatefulTest, HostnameFromTheClientFqdnAndNoPrefixes) {
  Client c(1);
  Dhcp6Decision adv = svc.handle(br, c.solicit(), c.source, now);
  const Ipv6Address a = live(ias(adv).at(0)).at(0);
  Message req = c.to_server(MessageType::request, 1, {a});
  req.options.add(opt::client_fqdn, Bytes{0x01, 3, 'w', 'e', 'b', 0});
  req.options.add(opt::ia_pd, Bytes(12, 0x11));
  Dhcp6Decision d = svc.handle(br, req, c.source, now);
  EXPECT_EQ(svc.table(br).find({c.duid, 1})->hostname, "web");
  const Bytes* pd = d.reply->message.options.get(opt::ia_pd);
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(status(dhcp6::parse_ia_na(*pd)->options), code(StatusCode::no_prefix_avail));
}

TEST(Dhcp6Service, ReservationProblems) {
  const Dhcp6Settings s = settings(Dhcp6Mode::stateful);
  leases::Reservation6 r{.match = leases::MatchKind::client_id,
                         .duid = dhcp6::make_duid_ll(*MacAddress::parse("02:00:00:00:00:01")),
                         .ip = ip6("fd00:b::53")};
  EXPECT_FALSE(reservation_problem(r, s));
  r.ip = ip6("fd00:c::53");
  EXPECT_TRUE(reservation_problem(r, s));
  r.ip = ip6("fd00:b::1");
  EXPECT_TRUE(reservation_problem(r, s));  // the bridge's own
  r.ip = ip6("fd00:b::53");
  r.duid = {0, 1};
  EXPECT_TRUE(reservation_problem(r, s));
  r.match = leases::MatchKind::hostname;
  EXPECT_TRUE(reservation_problem(r, s));
}

}  // namespace
}  // namespace berth::dhcp
