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

}  // namespace
}  // namespace berth::dhcp
