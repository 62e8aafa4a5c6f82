// Dhcp4Server in process, as Kea's PktFilter tests do: fake sockets behind
// server/dhcp4_io.hpp, a fake lease committer the test completes (or fails)
// by hand, and a clock the test sets. Whole exchanges run from frames in to
// frames out, with no root and no network.
#include "server/dhcp4_server.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>

#include "protocol/dhcp4/message.hpp"
#include "protocol/frame.hpp"
#include "tests/unit/dhcp4_client.hpp"

namespace berth::server {
namespace {

using dhcp4::Message;
using dhcp4::MessageType;
namespace opt = dhcp4::opt;

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

class FakeLink : public FrameLink {
 public:
  void start(Handler handler) override {
    handler_ = std::move(handler);
    ++starts;
  }
  void stop() override { stopped = true; }
  bool send(ByteView frame) override {
    sent.emplace_back(frame.begin(), frame.end());
    return true;
  }
  // A frame arrives, as the kernel would hand it over.
  void deliver(ByteView frame) {
    ASSERT_TRUE(handler_) << "the server never started reading this link";
    ASSERT_FALSE(stopped) << "a stopped link delivers nothing";
    handler_(frame, /* checksum_not_ready= */ false);
  }

  std::vector<Bytes> sent;
  int starts = 0;
  bool stopped = false;

 private:
  Handler handler_;
};

class FakeRelaySocket : public RelaySocket {
 public:
  struct Datagram {
    Ipv4Address to;
    uint16_t port;
    Bytes payload;
  };
  void start(Handler handler) override { handler_ = std::move(handler); }
  void stop() override { stopped = true; }
  bool send_to(Ipv4Address to, uint16_t port, ByteView payload) override {
    sent.push_back(Datagram{to, port, Bytes(payload.begin(), payload.end())});
    return true;
  }
  void deliver(Ipv4Address from, uint16_t port, ByteView payload) {
    ASSERT_TRUE(handler_);
    handler_(from, port, payload);
  }

  std::vector<Datagram> sent;
  bool stopped = false;

 private:
  Handler handler_;
};

class FakeNetwork : public Dhcp4Network {
 public:
  std::unique_ptr<FrameLink> open_link(int ifindex, const std::string& ifname) override {
    if (refuse) throw std::runtime_error("cannot open packet socket for " + ifname);
    auto link = std::make_unique<FakeLink>();
    links[ifindex] = link.get();
    return link;
  }
  std::unique_ptr<RelaySocket> open_relay_socket() override {
    auto s = std::make_unique<FakeRelaySocket>();
    relay = s.get();
    return s;
  }

  std::map<int, FakeLink*> links;  // by ifindex; the server owns them
  FakeRelaySocket* relay = nullptr;
  bool refuse = false;
};

// Holds every commit until the test completes it.
class FakeCommitter : public LeaseCommitter {
 public:
  void submit(std::vector<leases::LeaseChange> changes, Done done) override {
    pending.push_back(Pending{std::move(changes), std::move(done)});
  }
  // Completes the oldest commit: durable (ok) or failed.
  void complete(bool ok) {
    ASSERT_FALSE(pending.empty()) << "no commit is waiting";
    Pending p = std::move(pending.front());
    pending.pop_front();
    p.done(ok);
  }

  struct Pending {
    std::vector<leases::LeaseChange> changes;
    Done done;
  };
  std::deque<Pending> pending;
};

const MacAddress kBridgeMac({0x02, 0xbe, 0x00, 0x00, 0x00, 0x01});
constexpr int kIfindex = 7;

dhcp::BridgeSettings bridge_settings(const char* name, const char* address, const char* first,
                                     const char* last) {
  return dhcp::BridgeSettings{.name = name,
                              .address = *Ipv4Prefix::parse(address),
                              .pool_first = ip(first),
                              .pool_last = ip(last),
                              .lease_time = 600,
                              .domain = "lab",
                              .mtu = std::nullopt};
}

using Client = test::Dhcp4Client;
Client client(uint8_t n) { return test::dhcp4_client(n); }

Bytes encode(const Message& m) {
  Bytes buf(1500);
  auto n = dhcp4::encode_message(m, buf, dhcp4::kDefaultMaxMessageSize);
  EXPECT_TRUE(n.ok());
  buf.resize(n.ok() ? *n : 0);
  return buf;
}

// The frame a client without an address broadcasts (or unicasts to the
// server once it has one).
Bytes frame_from(const Client& c, const Message& m, Ipv4Address src = Ipv4Address(),
                 Ipv4Address dst = Ipv4Address::broadcast()) {
  const Bytes payload = encode(m);
  Bytes out(1600);
  auto n = build_udp_frame(UdpFrameSpec{.src_mac = c.mac,
                                        .dst_mac = MacAddress::broadcast(),
                                        .src_ip = src,
                                        .dst_ip = dst,
                                        .src_port = dhcp4::kClientPort,
                                        .dst_port = dhcp4::kServerPort},
                           payload, out);
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

struct Sent {
  UdpFrame frame;
  Message message;
};

// A frame the server sent, parsed back.
Sent parse_sent(const Bytes& bytes) {
  auto frame = parse_udp_frame(bytes, false);
  EXPECT_TRUE(frame.ok());
  auto msg = dhcp4::parse_message(frame->payload);
  EXPECT_TRUE(msg.ok());
  return Sent{*frame, *msg};
}

class Dhcp4ServerTest : public ::testing::Test {
 protected:
  Dhcp4ServerTest()
      : server(
            network, commits, [this] { return now; },
            [this](size_t bridge, const std::vector<leases::LeaseChange>& changes) {
              for (const auto& c : changes) committed.emplace_back(bridge, c);
            }) {}

  void SetUp() override {
    br0 = server.add_bridge(bridge_settings("br0", "198.18.0.1/24", "198.18.0.10", "198.18.0.20"),
                            {}, kIfindex, kBridgeMac, server.open_link(kIfindex, "br0"));
    ASSERT_TRUE(server.open_relay_socket());
    server.start();
    link = network.links.at(kIfindex);
  }

  // Runs DISCOVER and REQUEST; returns the address offered, with the REQUEST
  // handed to the engine and its commit waiting.
  Ipv4Address discover_and_request(Client& c) {
    link->deliver(frame_from(c, c.discover()));
    EXPECT_EQ(link->sent.size(), 1u);
    Sent offer = parse_sent(link->sent.back());
    EXPECT_EQ(offer.message.type(), MessageType::offer);
    link->sent.clear();
    link->deliver(frame_from(c, c.select(offer.message.yiaddr, ip("198.18.0.1"))));
    return offer.message.yiaddr;
  }

  FakeNetwork network;
  FakeCommitter commits;
  int64_t now = 1'800'000'000;
  std::vector<std::pair<size_t, leases::LeaseChange>> committed;
  Dhcp4Server server;
  size_t br0 = 0;
  FakeLink* link = nullptr;
};

TEST_F(Dhcp4ServerTest, WholeDoraAckLeavesOnlyOnceTheLeaseIsDurable) {
  Client c = client(1);
  link->deliver(frame_from(c, c.discover()));
  // An OFFER commits nothing and leaves at once, unicast to chaddr.
  ASSERT_EQ(link->sent.size(), 1u);
  EXPECT_TRUE(commits.pending.empty());
  Sent offer = parse_sent(link->sent[0]);
  EXPECT_EQ(offer.message.type(), MessageType::offer);
  EXPECT_EQ(offer.frame.dst_mac, c.mac);
  EXPECT_EQ(offer.frame.src_mac, kBridgeMac);
  EXPECT_EQ(offer.frame.src_ip, ip("198.18.0.1"));
  EXPECT_EQ(offer.frame.dst_ip, offer.message.yiaddr);
  EXPECT_EQ(offer.frame.dst_port, dhcp4::kClientPort);
  const Ipv4Address yiaddr = offer.message.yiaddr;

  link->deliver(frame_from(c, c.select(yiaddr, ip("198.18.0.1"))));
  // RFC 2131 with durability: nothing leaves before the commit completes.
  EXPECT_EQ(link->sent.size(), 1u);
  ASSERT_EQ(commits.pending.size(), 1u);
  ASSERT_EQ(commits.pending[0].changes.size(), 1u);
  EXPECT_EQ(commits.pending[0].changes[0].lease.ip, yiaddr);
  EXPECT_EQ(commits.pending[0].changes[0].lease.mac, c.mac);
  EXPECT_EQ(commits.pending[0].changes[0].lease.expires_at, now + 600);
  EXPECT_TRUE(committed.empty());

  commits.complete(true);
  ASSERT_EQ(link->sent.size(), 2u);
  Sent ack = parse_sent(link->sent[1]);
  EXPECT_EQ(ack.message.type(), MessageType::ack);
  EXPECT_EQ(ack.message.yiaddr, yiaddr);
  EXPECT_EQ(ack.message.xid, c.xid);
  EXPECT_EQ(ack.message.options.get_ipv4(opt::server_identifier), ip("198.18.0.1"));
  EXPECT_EQ(ack.message.options.get_u32(opt::lease_time), 600u);
  EXPECT_EQ(ack.frame.dst_mac, c.mac);
  // The daemon hears of the lease after the ACK.
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].first, br0);
  EXPECT_EQ(committed[0].second.lease.ip, yiaddr);
  ASSERT_TRUE(server.engine().table(br0).at(yiaddr).has_value());
}

TEST_F(Dhcp4ServerTest, FailedCommitSendsNoAckAndForgetsTheLease) {
  Client c = client(2);
  const Ipv4Address yiaddr = discover_and_request(c);
  ASSERT_EQ(commits.pending.size(), 1u);
  commits.complete(false);
  EXPECT_TRUE(link->sent.empty()) << "an ACK for a lease that is not stored";
  EXPECT_TRUE(committed.empty());
  EXPECT_FALSE(server.engine().table(br0).at(yiaddr).has_value());
  EXPECT_EQ(server.engine().counters().commit_failed, 1u);

  // The client tries again and this time the disk is fine.
  link->deliver(frame_from(c, c.select(yiaddr, ip("198.18.0.1"))));
  commits.complete(true);
  ASSERT_EQ(link->sent.size(), 1u);
  EXPECT_EQ(parse_sent(link->sent[0]).message.type(), MessageType::ack);
}

TEST_F(Dhcp4ServerTest, AcksLeaveInTheOrderTheirCommitsComplete) {
  Client a = client(3), b = client(4);
  const Ipv4Address ip_a = discover_and_request(a);
  const Ipv4Address ip_b = discover_and_request(b);
  link->sent.clear();
  ASSERT_EQ(commits.pending.size(), 2u);
  commits.complete(true);
  ASSERT_EQ(link->sent.size(), 1u);
  EXPECT_EQ(parse_sent(link->sent[0]).message.yiaddr, ip_a);
  commits.complete(true);
  ASSERT_EQ(link->sent.size(), 2u);
  EXPECT_EQ(parse_sent(link->sent[1]).message.yiaddr, ip_b);
}

TEST_F(Dhcp4ServerTest, ClientWithANewReservationIsNakedThenMovedToIt) {
  Client c = client(5);
  const Ipv4Address first = discover_and_request(c);
  commits.complete(true);
  link->sent.clear();

  leases::Reservation r;
  r.bridge = "br0";
  r.match = leases::MatchKind::mac;
  r.mac = c.mac;
  r.ip = ip("198.18.0.50");
  ASSERT_NE(first, r.ip);
  server.engine().set_reservations(br0, {r});

  // RENEWING: unicast from its address. NAK, broadcast, nothing committed.
  now += 300;
  link->deliver(frame_from(c, c.renew(first), first, ip("198.18.0.1")));
  ASSERT_EQ(link->sent.size(), 1u);
  Sent nak = parse_sent(link->sent[0]);
  EXPECT_EQ(nak.message.type(), MessageType::nak);
  EXPECT_EQ(nak.frame.dst_mac, MacAddress::broadcast());
  EXPECT_EQ(nak.frame.dst_ip, Ipv4Address::broadcast());
  EXPECT_TRUE(commits.pending.empty());
  link->sent.clear();

  // Back through DISCOVER: offered and acknowledged its reserved address.
  const Ipv4Address moved = discover_and_request(c);
  EXPECT_EQ(moved, r.ip);
  ASSERT_EQ(commits.pending.size(), 1u);
  // One commit: the old lease erased and the new one stored, together.
  ASSERT_EQ(commits.pending[0].changes.size(), 2u);
  EXPECT_EQ(commits.pending[0].changes[0].kind, leases::LeaseChange::Kind::erase);
  EXPECT_EQ(commits.pending[0].changes[0].lease.ip, first);
  commits.complete(true);
  ASSERT_EQ(link->sent.size(), 1u);
  EXPECT_EQ(parse_sent(link->sent[0]).message.yiaddr, r.ip);
  EXPECT_FALSE(server.engine().table(br0).at(first).has_value());
}

TEST_F(Dhcp4ServerTest, RelayedExchangeIsAnsweredThroughTheRelay) {
  // A second bridge whose subnet the relay agent's giaddr is in.
  const size_t br1 =
      server.add_bridge(bridge_settings("br1", "198.19.0.1/24", "198.19.0.100", "198.19.0.110"), {},
                        kIfindex + 1, kBridgeMac, server.open_link(kIfindex + 1, "br1"));
  Client c = client(6);
  const Ipv4Address giaddr = ip("198.19.0.254");
  const Ipv4Address agent = ip("198.18.0.254");
  Message discover = c.discover();
  discover.giaddr = giaddr;
  discover.hops = 1;
  network.relay->deliver(agent, dhcp4::kServerPort, encode(discover));

  ASSERT_EQ(network.relay->sent.size(), 1u);
  EXPECT_TRUE(link->sent.empty());
  const auto& offer_dgram = network.relay->sent[0];
  EXPECT_EQ(offer_dgram.to, giaddr);  // RFC 2131 §4.1: to the agent's giaddr, port 67
  EXPECT_EQ(offer_dgram.port, dhcp4::kServerPort);
  auto offer = dhcp4::parse_message(offer_dgram.payload);
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->type(), MessageType::offer);
  EXPECT_EQ(offer->giaddr, giaddr);
  EXPECT_GE(offer->yiaddr, ip("198.19.0.100"));
  EXPECT_LE(offer->yiaddr, ip("198.19.0.110"));

  Message request = c.select(offer->yiaddr, ip("198.19.0.1"));
  request.giaddr = giaddr;
  network.relay->deliver(agent, dhcp4::kServerPort, encode(request));
  EXPECT_EQ(network.relay->sent.size(), 1u);
  ASSERT_EQ(commits.pending.size(), 1u);
  EXPECT_EQ(commits.pending[0].changes[0].lease.bridge, "br1");
  commits.complete(true);
  ASSERT_EQ(network.relay->sent.size(), 2u);
  auto ack = dhcp4::parse_message(network.relay->sent[1].payload);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->type(), MessageType::ack);
  EXPECT_EQ(ack->yiaddr, offer->yiaddr);
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].first, br1);
}

TEST_F(Dhcp4ServerTest, RelayForAnUnknownSubnetIsDroppedAndCounted) {
  Client c = client(7);
  Message discover = c.discover();
  discover.giaddr = ip("198.19.77.1");
  network.relay->deliver(ip("198.18.0.254"), dhcp4::kServerPort, encode(discover));
  EXPECT_TRUE(network.relay->sent.empty());
  EXPECT_EQ(server.engine().counters().dropped.at("relay_unknown_subnet"), 1u);
}

TEST_F(Dhcp4ServerTest, FramesThatAreNotOursAreIgnored) {
  Client c = client(8);
  // To another host's address on the bridge: not for us.
  link->deliver(frame_from(c, c.discover(), Ipv4Address(), ip("198.18.0.99")));
  // Relayed (giaddr set) on the link: the UDP socket serves those.
  Message relayed = c.discover();
  relayed.giaddr = ip("198.18.0.254");
  link->deliver(frame_from(c, relayed));
  // A local client heard on UDP port 67 too: the packet socket serves it.
  network.relay->deliver(Ipv4Address(), dhcp4::kClientPort, encode(c.discover()));
  EXPECT_TRUE(link->sent.empty());
  EXPECT_TRUE(network.relay->sent.empty());
  EXPECT_EQ(server.engine().counters().received[1], 0u);
}

TEST_F(Dhcp4ServerTest, MalformedFramesAreCountedAndDropped) {
  Client c = client(9);
  Bytes frame = frame_from(c, c.discover());
  frame.resize(frame.size() - 100);  // cut inside the DHCP message
  link->deliver(frame);
  Bytes garbage(30, 0x45);
  link->deliver(garbage);
  EXPECT_TRUE(link->sent.empty());
  uint64_t drops = 0;
  for (const auto& [reason, n] : server.engine().counters().dropped) {
    if (reason.starts_with("frame_") || reason.starts_with("dhcp_")) drops += n;
  }
  EXPECT_EQ(drops, 2u);
}

TEST_F(Dhcp4ServerTest, AckOfABridgeRemovedMeanwhileIsNotSent) {
  Client c = client(10);
  discover_and_request(c);
  ASSERT_EQ(commits.pending.size(), 1u);
  server.remove_bridge(br0);
  EXPECT_TRUE(link->stopped);
  commits.complete(true);  // completes after the bridge went: nothing to send on
  EXPECT_TRUE(link->sent.empty());
}

TEST_F(Dhcp4ServerTest, RebindServesTheNewLinkAndClosesTheOld) {
  FakeLink* old = link;
  server.rebind(br0, kIfindex + 10, kBridgeMac);
  EXPECT_TRUE(old->stopped);
  FakeLink* fresh = network.links.at(kIfindex + 10);
  EXPECT_EQ(fresh->starts, 1);
  Client c = client(11);
  fresh->deliver(frame_from(c, c.discover()));
  ASSERT_EQ(fresh->sent.size(), 1u);
  EXPECT_EQ(parse_sent(fresh->sent[0]).message.type(), MessageType::offer);

  // A socket that cannot be opened changes nothing.
  network.refuse = true;
  EXPECT_THROW(server.rebind(br0, kIfindex + 11, kBridgeMac), std::runtime_error);
  EXPECT_FALSE(fresh->stopped);
}

TEST_F(Dhcp4ServerTest, CommitOfAForgottenLeaseReportsItsOutcome) {
  Client c = client(12);
  const Ipv4Address yiaddr = discover_and_request(c);
  commits.complete(true);
  committed.clear();

  std::optional<bool> outcome;
  server.commit(br0, server.engine().forget(br0, yiaddr), [&](bool ok) { outcome = ok; });
  EXPECT_FALSE(outcome.has_value());  // not before the commit completes
  commits.complete(false);
  EXPECT_EQ(outcome, false);
  EXPECT_TRUE(server.engine().table(br0).at(yiaddr).has_value())
      << "a failed forget keeps the lease";

  server.commit(br0, server.engine().forget(br0, yiaddr), [&](bool ok) { outcome = ok; });
  commits.complete(true);
  EXPECT_EQ(outcome, true);
  EXPECT_FALSE(server.engine().table(br0).at(yiaddr).has_value());
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].second.kind, leases::LeaseChange::Kind::erase);
}

TEST_F(Dhcp4ServerTest, ExpiredLeasesAreReportedByTick) {
  Client c = client(13);
  const Ipv4Address yiaddr = discover_and_request(c);
  commits.complete(true);
  EXPECT_TRUE(server.tick().empty());
  now += 601;
  auto expired = server.tick();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].ip, yiaddr);
  EXPECT_TRUE(server.tick().empty());
}

}  // namespace
}  // namespace berth::server
