// Scripted clients against Dhcp4Service, in process, with an injected clock.
#include "dhcp/dhcp4_service.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/dhcp4_client.hpp"

namespace berth::dhcp {
namespace {

using dhcp4::Message;
using dhcp4::MessageType;
namespace opt = dhcp4::opt;

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

BridgeSettings settings() {
  return BridgeSettings{.name = "br0",
                        .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                        .pool_first = ip("198.18.0.10"),
                        .pool_last = ip("198.18.0.200"),
                        .lease_time = 600,
                        .domain = "lab",
                        .mtu = std::nullopt};
}

using Client = test::Dhcp4Client;
Client client(uint8_t n) { return test::dhcp4_client(n); }

class Dhcp4ServiceTest : public ::testing::Test {
 protected:
  Dhcp4Service svc;
  size_t br = svc.add_bridge(settings(), {});
  int64_t now = 1'800'000'000;
  const Ipv4Address server = ip("198.18.0.1");

  // A whole DORA; returns the bound address.
  Ipv4Address dora(Client& c) {
    Decision offer = svc.handle(br, c.discover(), now);
    EXPECT_TRUE(offer.reply.has_value());
    EXPECT_TRUE(offer.commit.empty());
    Ipv4Address a = offer.reply->message.yiaddr;
    Decision ack = svc.handle(br, c.select(a, server), now);
    EXPECT_TRUE(ack.reply.has_value());
    EXPECT_EQ(ack.reply->message.type(), MessageType::ack);
    return a;
  }
};

TEST_F(Dhcp4ServiceTest, DiscoverGetsAnOfferWithTheAskedOptionsAndNoCommit) {
  Client c = client(1);
  Decision d = svc.handle(br, c.discover(), now);
  ASSERT_TRUE(d.reply);
  const Message& m = d.reply->message;
  EXPECT_EQ(m.op, dhcp4::Op::reply);
  EXPECT_EQ(m.type(), MessageType::offer);
  EXPECT_TRUE(settings().address.contains(m.yiaddr));
  EXPECT_GE(m.yiaddr, ip("198.18.0.10"));
  EXPECT_EQ(m.options.get_ipv4(opt::server_identifier), server);
  EXPECT_EQ(m.options.get_ipv4(opt::subnet_mask), ip("255.255.255.0"));
  EXPECT_EQ(m.options.get_ipv4(opt::router), server);
  EXPECT_EQ(m.options.get_ipv4(opt::dns_servers), server);
  EXPECT_EQ(m.options.get_text(opt::domain_name), "lab");
  EXPECT_EQ(m.options.get_ipv4(opt::broadcast_address), ip("198.18.0.255"));
  EXPECT_EQ(m.options.get_u32(opt::lease_time), 600u);
  EXPECT_EQ(m.options.get_u32(opt::renewal_time), 300u);
  EXPECT_EQ(m.options.get_u32(opt::rebinding_time), 525u);
  EXPECT_FALSE(m.options.has(opt::interface_mtu));  // not configured
  EXPECT_EQ(m.xid, c.xid);
  EXPECT_EQ(d.reply->delivery, Delivery::unicast_chaddr);
  EXPECT_EQ(d.reply->dst_mac, c.mac);
  EXPECT_EQ(d.reply->dst_ip, m.yiaddr);
  EXPECT_TRUE(d.commit.empty());
  EXPECT_EQ(svc.table(br).counts(now).offered, 1u);
}

TEST_F(Dhcp4ServiceTest, OnlyRequestedOptionsAreSent) {
  Client c = client(1);
  Message m = c.discover();
  m.options.set(opt::parameter_request_list, Bytes{opt::subnet_mask});
  Decision d = svc.handle(br, m, now);
  ASSERT_TRUE(d.reply);
  EXPECT_TRUE(d.reply->message.options.has(opt::subnet_mask));
  EXPECT_FALSE(d.reply->message.options.has(opt::router));
  EXPECT_FALSE(d.reply->message.options.has(opt::domain_name));
  EXPECT_TRUE(d.reply->message.options.has(opt::lease_time));  // required
  EXPECT_TRUE(d.reply->message.options.has(opt::server_identifier));
}

TEST_F(Dhcp4ServiceTest, RequestIsCommittedBeforeTheAck) {
  Client c = client(1);
  Decision offer = svc.handle(br, c.discover(), now);
  Ipv4Address a = offer.reply->message.yiaddr;
  Decision ack = svc.handle(br, c.select(a, server), now);
  ASSERT_TRUE(ack.reply);
  EXPECT_EQ(ack.reply->message.type(), MessageType::ack);
  EXPECT_EQ(ack.reply->message.yiaddr, a);
  ASSERT_EQ(ack.commit.size(), 1u);
  EXPECT_EQ(ack.commit[0].kind, leases::LeaseChange::Kind::upsert);
  EXPECT_EQ(ack.commit[0].lease.ip, a);
  EXPECT_EQ(ack.commit[0].lease.mac, c.mac);
  EXPECT_EQ(ack.commit[0].lease.state, leases::LeaseState::bound);
  EXPECT_EQ(ack.commit[0].lease.expires_at, now + 600);
  EXPECT_EQ(svc.table(br).counts(now).bound, 1u);
  EXPECT_EQ(svc.table(br).counts(now).offered, 0u);
}

TEST_F(Dhcp4ServiceTest, FailedCommitPutsTheTableBack) {
  Client c = client(1);
  Decision offer = svc.handle(br, c.discover(), now);
  Decision ack = svc.handle(br, c.select(offer.reply->message.yiaddr, server), now);
  svc.commit_failed(br, ack);
  EXPECT_EQ(svc.table(br).counts(now).bound, 0u);
  EXPECT_EQ(svc.counters().commit_failed, 1u);
}

TEST_F(Dhcp4ServiceTest, RequestForAnotherServerDropsOurOffer) {
  Client c = client(1);
  svc.handle(br, c.discover(), now);
  Decision d = svc.handle(br, c.select(ip("198.18.0.50"), ip("198.18.0.2")), now);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "other_server");
  EXPECT_EQ(svc.table(br).counts(now).offered, 0u);
}

TEST_F(Dhcp4ServiceTest, RenewKeepsTheAddressAndAnswersUnicast) {
  Client c = client(1);
  Ipv4Address a = dora(c);
  now += 300;
  Decision d = svc.handle(br, c.renew(a), now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type(), MessageType::ack);
  EXPECT_EQ(d.reply->message.yiaddr, a);
  EXPECT_EQ(d.reply->message.ciaddr, a);
  EXPECT_EQ(d.reply->delivery, Delivery::unicast_ciaddr);
  EXPECT_EQ(d.reply->dst_ip, a);
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.expires_at, now + 600);
}

TEST_F(Dhcp4ServiceTest, InitRebootOnAWrongNetworkIsNakedByBroadcast) {
  Client c = client(1);
  Decision d = svc.handle(br, c.init_reboot(ip("198.19.5.5")), now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type(), MessageType::nak);
  EXPECT_EQ(d.reply->delivery, Delivery::broadcast);
  EXPECT_EQ(d.reply->dst_mac, MacAddress::broadcast());
  EXPECT_TRUE(d.reply->message.yiaddr.is_unspecified());
  EXPECT_FALSE(d.reply->message.options.has(opt::lease_time));
  EXPECT_TRUE(d.commit.empty());
}

TEST_F(Dhcp4ServiceTest, InitRebootForAnAddressAnotherClientHoldsIsNaked) {
  Client a = client(1), b = client(2);
  Ipv4Address held = dora(a);
  Decision d = svc.handle(br, b.init_reboot(held), now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type(), MessageType::nak);
}

TEST_F(Dhcp4ServiceTest, InitRebootAfterRestartKeepsTheStoredLease) {
  Client c = client(1);
  Ipv4Address a = dora(c);
  auto stored = svc.table(br).leases();
  Dhcp4Service restarted;
  size_t b2 = restarted.add_bridge(settings(), stored);
  Decision d = restarted.handle(b2, c.init_reboot(a), now + 10);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type(), MessageType::ack);
  EXPECT_EQ(d.reply->message.yiaddr, a);
  // And a DISCOVER after restart offers the same address.
  Decision o = restarted.handle(b2, c.discover(), now + 20);
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.yiaddr, a);
}

TEST_F(Dhcp4ServiceTest, ReleaseFreesTheAddressButKeepsAffinity) {
  Client c = client(1);
  Ipv4Address a = dora(c);
  Decision d = svc.handle(br, c.release(a, server), now);
  EXPECT_FALSE(d.reply);
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.state, leases::LeaseState::released);
  EXPECT_EQ(svc.table(br).counts(now).bound, 0u);
  Decision again = svc.handle(br, c.discover(), now + 5);
  EXPECT_EQ(again.reply->message.yiaddr, a);
}

TEST_F(Dhcp4ServiceTest, ReleaseFromAnotherClientIsIgnored) {
  Client a = client(1), b = client(2);
  Ipv4Address held = dora(a);
  Decision d = svc.handle(br, b.release(held, server), now);
  EXPECT_TRUE(d.commit.empty());
  EXPECT_EQ(svc.table(br).counts(now).bound, 1u);
}

TEST_F(Dhcp4ServiceTest, DeclinedAddressIsNotOfferedDuringQuarantine) {
  Client c = client(1);
  Ipv4Address a = dora(c);
  Decision d = svc.handle(br, c.decline(a, server), now);
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.state, leases::LeaseState::declined);
  Decision o = svc.handle(br, c.discover(), now + 1);
  ASSERT_TRUE(o.reply);
  EXPECT_NE(o.reply->message.yiaddr, a);
  Client other = client(2);
  Message m = other.discover();
  m.options.set_ipv4(opt::requested_address, a);
  Decision o2 = svc.handle(br, m, now + 2);
  EXPECT_NE(o2.reply->message.yiaddr, a);
}

TEST_F(Dhcp4ServiceTest, SmallPoolServesOnlyAsManyClientsAsAddresses) {
  Dhcp4Service small;
  BridgeSettings s = settings();
  s.pool_first = ip("198.18.0.10");
  s.pool_last = ip("198.18.0.13");
  size_t b = small.add_bridge(s, {});
  std::set<Ipv4Address> bound;
  int exhausted = 0;
  for (uint8_t n = 1; n <= 6; ++n) {
    Client c = client(n);
    Decision o = small.handle(b, c.discover(), now);
    if (!o.reply) {
      EXPECT_EQ(o.drop_reason, "pool_exhausted");
      ++exhausted;
      continue;
    }
    Decision a = small.handle(b, c.select(o.reply->message.yiaddr, server), now);
    ASSERT_TRUE(a.reply);
    ASSERT_EQ(a.reply->message.type(), MessageType::ack);
    EXPECT_TRUE(bound.insert(a.reply->message.yiaddr).second);
  }
  EXPECT_EQ(bound.size(), 4u);
  EXPECT_EQ(exhausted, 2);
  EXPECT_EQ(small.counters().pool_exhausted, 2u);
}

TEST_F(Dhcp4ServiceTest, BroadcastFlagAndRelayChooseTheDelivery) {
  Client c = client(1);
  Message m = c.discover();
  m.flags = dhcp4::kFlagBroadcast;
  Decision d = svc.handle(br, m, now);
  EXPECT_EQ(d.reply->delivery, Delivery::broadcast);
  EXPECT_EQ(d.reply->dst_ip, Ipv4Address::broadcast());

  Client r = client(2);
  Message relayed = r.discover();
  relayed.giaddr = ip("198.18.0.254");
  relayed.options.set(opt::relay_agent_information, Bytes{1, 3, 'a', 'b', 'c'});
  auto bridge = svc.bridge_for_relay(relayed.giaddr);
  ASSERT_EQ(bridge, br);
  Decision rd = svc.handle(*bridge, relayed, now);
  EXPECT_EQ(rd.reply->delivery, Delivery::relay);
  EXPECT_EQ(rd.reply->dst_ip, relayed.giaddr);
  EXPECT_EQ(rd.reply->dst_port, dhcp4::kServerPort);
  EXPECT_EQ(rd.reply->message.giaddr, relayed.giaddr);
  // Relay agent information is echoed, and last.
  ASSERT_FALSE(rd.reply->message.options.entries().empty());
  EXPECT_EQ(rd.reply->message.options.entries().back().first, opt::relay_agent_information);
  EXPECT_FALSE(svc.bridge_for_relay(ip("198.19.0.1")).has_value());
}

TEST_F(Dhcp4ServiceTest, ClientIdentifierIsEchoedAndIdentifiesTheClient) {
  Client c = client(1);
  c.client_id = {0xff, 1, 2, 3, 4};
  Ipv4Address a = dora(c);
  Decision d = svc.handle(br, c.renew(a), now);
  EXPECT_EQ(*d.reply->message.options.get(opt::client_identifier), c.client_id);
  // The same identifier from another NIC is the same client.
  Client moved = c;
  moved.mac = MacAddress({0x02, 9, 9, 9, 9, 9});
  Decision o = svc.handle(br, moved.discover(), now);
  EXPECT_EQ(o.reply->message.yiaddr, a);
}

TEST_F(Dhcp4ServiceTest, MaxMessageSizeIsHonoured) {
  Client c = client(1);
  Message m = c.discover();
  m.options.set_u16(opt::max_message_size, 1500);
  EXPECT_EQ(svc.handle(br, m, now).reply->max_size, 1472u);
  m.options.set_u16(opt::max_message_size, 300);  // below the minimum: 548 still
  EXPECT_EQ(svc.handle(br, m, now).reply->max_size, 548u);
}

TEST_F(Dhcp4ServiceTest, InformGetsOptionsWithoutALease) {
  Client c = client(1);
  Message m = c.base(MessageType::inform);
  m.ciaddr = ip("198.18.0.77");
  Decision d = svc.handle(br, m, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type(), MessageType::ack);
  EXPECT_TRUE(d.reply->message.yiaddr.is_unspecified());
  EXPECT_FALSE(d.reply->message.options.has(opt::lease_time));
  EXPECT_TRUE(d.reply->message.options.has(opt::subnet_mask));
  EXPECT_EQ(d.reply->delivery, Delivery::unicast_ciaddr);
  EXPECT_TRUE(d.commit.empty());
}

TEST_F(Dhcp4ServiceTest, BootpAndRepliesAreDroppedAndCounted) {
  Message bootp;
  bootp.set_mac(MacAddress({2, 0, 0, 0, 0, 1}));
  EXPECT_FALSE(svc.handle(br, bootp, now).reply);
  Message reply = client(2).discover();
  reply.op = dhcp4::Op::reply;
  EXPECT_FALSE(svc.handle(br, reply, now).reply);
  EXPECT_EQ(svc.counters().dropped.at("bootp"), 1u);
  EXPECT_EQ(svc.counters().dropped.at("not_bootrequest"), 1u);
}

TEST_F(Dhcp4ServiceTest, HostnameIsSanitisedIntoTheLease) {
  EXPECT_EQ(sanitize_hostname("web-1.example.com"), "web-1");
  EXPECT_EQ(sanitize_hostname("--my_host--"), "my-host");
  EXPECT_EQ(sanitize_hostname("!!!"), "");
  EXPECT_EQ(sanitize_hostname(std::string(100, 'a')).size(), 63u);
  Client c = client(1);
  Message d = c.discover();
  Decision o = svc.handle(br, d, now);
  Message r = c.select(o.reply->message.yiaddr, server);
  r.options.set_text(opt::hostname, "web_1");
  Decision a = svc.handle(br, r, now);
  EXPECT_EQ(a.commit.at(0).lease.hostname, "web-1");
}

}  // namespace
}  // namespace berth::dhcp

namespace berth::dhcp {
namespace {

leases::Reservation reservation(const Client& c, const char* addr) {
  leases::Reservation r;
  r.bridge = "br0";
  r.match = leases::MatchKind::mac;
  r.mac = c.mac;
  r.ip = ip(addr);
  r.name = "web";
  return r;
}

TEST_F(Dhcp4ServiceTest, ClientWithANewReservationIsNakedThenMoved) {
  Client c = client(1);
  Ipv4Address dynamic = dora(c);
  ASSERT_NE(dynamic, ip("198.18.0.5"));
  svc.set_reservations(br, {reservation(c, "198.18.0.5")});
  // Its next renewal is refused, so it starts over...
  Decision renew = svc.handle(br, c.renew(dynamic), now + 10);
  ASSERT_TRUE(renew.reply);
  EXPECT_EQ(renew.reply->message.type(), MessageType::nak);
  // ...and is offered, then given, the reserved address (outside the pool).
  Decision offer = svc.handle(br, c.discover(), now + 11);
  ASSERT_TRUE(offer.reply);
  EXPECT_EQ(offer.reply->message.yiaddr, ip("198.18.0.5"));
  Decision ack = svc.handle(br, c.select(ip("198.18.0.5"), server), now + 11);
  ASSERT_TRUE(ack.reply);
  EXPECT_EQ(ack.reply->message.type(), MessageType::ack);
  // The dynamic lease it had is forgotten in the same commit.
  ASSERT_EQ(ack.commit.size(), 2u);
  EXPECT_EQ(ack.commit[0].kind, leases::LeaseChange::Kind::erase);
  EXPECT_EQ(ack.commit[0].lease.ip, dynamic);
  EXPECT_EQ(ack.commit[1].lease.ip, ip("198.18.0.5"));
}

TEST_F(Dhcp4ServiceTest, ReservedAddressIsNeverGivenToAnotherClient) {
  Client owner = client(1), other = client(2);
  svc.set_reservations(br, {reservation(owner, "198.18.0.20")});
  Message d = other.discover();
  d.options.set_ipv4(opt::requested_address, ip("198.18.0.20"));
  Decision o = svc.handle(br, d, now);
  ASSERT_TRUE(o.reply);
  EXPECT_NE(o.reply->message.yiaddr, ip("198.18.0.20"));
  Decision r = svc.handle(br, other.init_reboot(ip("198.18.0.20")), now);
  EXPECT_EQ(r.reply->message.type(), MessageType::nak);
}

// Found by fuzz_dhcp4_service: a hostname reservation matches only the
// messages that carry the hostname, so an offer must not outlive a REQUEST
// that no longer (or only now) matches it.
TEST_F(Dhcp4ServiceTest, OfferIsNotAckedToAClientThatNoLongerMatchesItsReservation) {
  Client c = client(3);
  leases::Reservation r;
  r.bridge = "br0";
  r.match = leases::MatchKind::hostname;
  r.hostname_match = "db";
  r.ip = ip("198.18.0.6");
  svc.set_reservations(br, {r});
  Message d = c.discover();
  d.options.set_text(opt::hostname, "db");
  Decision offer = svc.handle(br, d, now);
  ASSERT_TRUE(offer.reply);
  ASSERT_EQ(offer.reply->message.yiaddr, r.ip);
  // The REQUEST leaves the hostname out: the reserved address is not its.
  Decision ack = svc.handle(br, c.select(r.ip, server), now);
  ASSERT_TRUE(ack.reply);
  EXPECT_EQ(ack.reply->message.type(), MessageType::nak);
  EXPECT_TRUE(ack.commit.empty());
}

TEST_F(Dhcp4ServiceTest, OfferIsNotAckedToAClientThatNowMatchesAReservationElsewhere) {
  Client c = client(4);
  leases::Reservation r;
  r.bridge = "br0";
  r.match = leases::MatchKind::hostname;
  r.hostname_match = "db";
  r.ip = ip("198.18.0.6");
  svc.set_reservations(br, {r});
  Decision offer = svc.handle(br, c.discover(), now);  // no hostname: a pool address
  ASSERT_TRUE(offer.reply);
  const Ipv4Address dynamic = offer.reply->message.yiaddr;
  ASSERT_NE(dynamic, r.ip);
  Message req = c.select(dynamic, server);
  req.options.set_text(opt::hostname, "db");
  Decision nak = svc.handle(br, req, now);
  ASSERT_TRUE(nak.reply);
  EXPECT_EQ(nak.reply->message.type(), MessageType::nak);
  // Back through DISCOVER with its hostname, it gets the reserved address.
  Message d = c.discover();
  d.options.set_text(opt::hostname, "db");
  Decision again = svc.handle(br, d, now);
  ASSERT_TRUE(again.reply);
  EXPECT_EQ(again.reply->message.yiaddr, r.ip);
}

TEST_F(Dhcp4ServiceTest, NonAuthoritativeServerIsSilentAboutStrangers) {
  Dhcp4Service quiet;
  BridgeSettings s = settings();
  s.authoritative = false;
  size_t b = quiet.add_bridge(s, {});
  Client c = client(1);
  Decision d = quiet.handle(b, c.init_reboot(ip("198.19.0.9")), now);
  EXPECT_FALSE(d.reply);
  EXPECT_EQ(d.drop_reason, "not_authoritative");
  // The default (authoritative) NAKs the same request at once.
  Decision loud = svc.handle(br, c.init_reboot(ip("198.19.0.9")), now);
  EXPECT_EQ(loud.reply->message.type(), MessageType::nak);
}

TEST_F(Dhcp4ServiceTest, IgnoreClientIdIdentifiesClonesByMac) {
  Dhcp4Service svc2;
  BridgeSettings s = settings();
  s.ignore_client_id = true;
  size_t b = svc2.add_bridge(s, {});
  Client a = client(1), clone = client(2);
  a.client_id = clone.client_id = {1, 0xaa, 0xbb};
  Decision oa = svc2.handle(b, a.discover(), now);
  Decision ob = svc2.handle(b, clone.discover(), now);
  // Same client id, different MACs: two clients, two addresses.
  EXPECT_NE(oa.reply->message.yiaddr, ob.reply->message.yiaddr);
  // Without the setting, the shared id makes them one client.
  Decision sa = svc.handle(br, a.discover(), now);
  Decision sb = svc.handle(br, clone.discover(), now);
  EXPECT_EQ(sa.reply->message.yiaddr, sb.reply->message.yiaddr);
}

TEST_F(Dhcp4ServiceTest, RapidCommitAcksADiscoverWhenTheBridgeAllowsIt) {
  Client c = client(1);
  Message m = c.discover();
  m.options.set(opt::rapid_commit, Bytes{});
  Decision plain = svc.handle(br, m, now);  // not enabled: a normal OFFER
  EXPECT_EQ(plain.reply->message.type(), MessageType::offer);

  Dhcp4Service fast;
  BridgeSettings s = settings();
  s.rapid_commit = true;
  size_t b = fast.add_bridge(s, {});
  Decision d = fast.handle(b, m, now);
  ASSERT_TRUE(d.reply);
  EXPECT_EQ(d.reply->message.type(), MessageType::ack);
  EXPECT_TRUE(d.reply->message.options.has(opt::rapid_commit));
  ASSERT_EQ(d.commit.size(), 1u);
  EXPECT_EQ(d.commit[0].lease.state, leases::LeaseState::bound);
}

TEST_F(Dhcp4ServiceTest, TickReportsExpiredLeasesOnce) {
  Client c = client(1);
  Ipv4Address a = dora(c);
  EXPECT_TRUE(svc.tick(now + 599).empty());
  auto expired = svc.tick(now + 600);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].ip, a);
  EXPECT_TRUE(svc.tick(now + 601).empty());
}

}  // namespace
}  // namespace berth::dhcp
