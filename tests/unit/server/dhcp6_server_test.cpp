// Dhcp6Server in process: a fake socket behind server/dhcp6_io.hpp, a fake
// lease committer the test completes by hand, and a clock the test sets.
#include "server/dhcp6_server.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>

#include "protocol/dhcp6/message.hpp"
#include "protocol/dhcp6/options.hpp"

namespace berth::server {
namespace {

using dhcp6::MessageType;
namespace opt = dhcp6::opt;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

class FakeLink6 : public Dhcp6Link {
 public:
  struct Datagram {
    Ipv6Address to;
    uint16_t port;
    Bytes payload;
  };
  void start(Handler handler) override {
    handler_ = std::move(handler);
    ++starts;
  }
  void stop() override { stopped = true; }
  bool send_to(const Ipv6Address& to, uint16_t port, ByteView payload) override {
    sent.push_back(Datagram{to, port, Bytes(payload.begin(), payload.end())});
    return true;
  }
  // Sent to ff02::1:2 unless `to` says otherwise.
  void deliver(const Ipv6Address& from, ByteView payload,
               const Ipv6Address& to = dhcp6::kAllRelayAgentsAndServers) {
    ASSERT_TRUE(handler_) << "the server never started reading this link";
    ASSERT_FALSE(stopped) << "a stopped link delivers nothing";
    handler_(from, to, dhcp6::kClientPort, payload);
  }

  std::vector<Datagram> sent;
  int starts = 0;
  bool stopped = false;

 private:
  Handler handler_;
};

class FakeNetwork6 : public Dhcp6Network {
 public:
  std::unique_ptr<Dhcp6Link> open_link(int ifindex, const std::string&) override {
    auto link = std::make_unique<FakeLink6>();
    links[ifindex] = link.get();
    return link;
  }
  std::map<int, FakeLink6*> links;
};

class FakeCommitter : public LeaseCommitter {
 public:
  void submit(std::vector<leases::LeaseChange> changes, Done done) override {
    pending.push_back({std::move(changes), std::move(done)});
  }
  struct Pending {
    std::vector<leases::LeaseChange> changes;
    Done done;
  };
  std::deque<Pending> pending;
};

const Bytes kServerDuid{0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const Bytes kClientDuid{0, 3, 0, 1, 2, 0, 0, 0, 0, 7};
constexpr size_t kKey = 3;  // the daemon's index: not the engine's on purpose
constexpr int kIfindex = 9;

dhcp::Dhcp6Settings settings(dhcp::Dhcp6Mode mode) {
  dhcp::Dhcp6Settings s;
  s.name = "br6";
  s.mode = mode;
  s.prefix = *Ipv6Prefix::parse("fd00:6::1/64");
  s.pool_first = v6("fd00:6::1:0");
  s.pool_last = v6("fd00:6::1:ffff");
  s.dns_servers = {v6("fd00:6::1")};
  s.domains = {"lab"};
  return s;
}

Bytes information_request(uint32_t xid) {
  dhcp6::Message m;
  m.type = MessageType::information_request;
  m.transaction_id = xid;
  m.options.add(opt::client_id, kClientDuid);
  const uint16_t wanted[] = {opt::dns_servers, opt::domain_search};
  m.options.add(opt::oro, dhcp6::encode_oro(wanted));
  m.options.add(opt::elapsed_time, dhcp6::encode_elapsed_time(0));
  auto bytes = dhcp6::encode_to_bytes(dhcp6::Packet(m));
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes{};
}

class Dhcp6ServerTest : public ::testing::Test {
 protected:
  Dhcp6ServerTest()
      : server(
            network, commits, [this] { return now; },
            [this](size_t key, const std::vector<leases::LeaseChange>& changes) {
              observed.emplace_back(key, changes);
            },
            kServerDuid) {}

  FakeLink6& serve(dhcp::Dhcp6Mode mode) {
    server.add_bridge(kKey, settings(mode), {}, server.open_link(kIfindex, "br6"));
    server.start();
    return *network.links.at(kIfindex);
  }

  FakeNetwork6 network;
  FakeCommitter commits;
  int64_t now = 1'000'000;
  std::vector<std::pair<size_t, std::vector<leases::LeaseChange>>> observed;
  Dhcp6Server server;
};

TEST_F(Dhcp6ServerTest, AnswersAnInformationRequestOnItsLinkWithTheDnsOptions) {
  FakeLink6& link = serve(dhcp::Dhcp6Mode::stateless);
  EXPECT_EQ(link.starts, 1);
  link.deliver(v6("fe80::2"), information_request(0x123456));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].to, v6("fe80::2"));
  EXPECT_EQ(link.sent[0].port, dhcp6::kClientPort);
  auto reply = dhcp6::parse_message(link.sent[0].payload);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->type, MessageType::reply);
  EXPECT_EQ(reply->transaction_id, 0x123456u);
  ASSERT_NE(reply->options.get(opt::server_id), nullptr);
  EXPECT_EQ(*reply->options.get(opt::server_id), kServerDuid);
  ASSERT_NE(reply->options.get(opt::dns_servers), nullptr);
  const auto dns = v6("fd00:6::1").to_bytes();
  EXPECT_EQ(*reply->options.get(opt::dns_servers), Bytes(dns.begin(), dns.end()));
  EXPECT_TRUE(commits.pending.empty()) << "stateless answers commit nothing";
}

// A SOLICIT or REQUEST of IA_NA 1 from kClientDuid.
Bytes stateful(MessageType type, uint32_t xid, const Bytes* server_id) {
  dhcp6::Message m;
  m.type = type;
  m.transaction_id = xid;
  m.options.add(opt::client_id, kClientDuid);
  if (server_id) m.options.add(opt::server_id, *server_id);
  m.options.add(opt::ia_na, dhcp6::encode_ia_na(dhcp6::IaNa{.iaid = 1}));
  m.options.add(opt::elapsed_time, dhcp6::encode_elapsed_time(0));
  auto bytes = dhcp6::encode_to_bytes(dhcp6::Packet(m));
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes{};
}

std::optional<Ipv6Address> granted(const Bytes& payload) {
  auto msg = dhcp6::parse_message(payload);
  if (!msg.ok()) return std::nullopt;
  auto ias = dhcp6::ia_nas(msg->options);
  if (!ias.ok() || ias->empty()) return std::nullopt;
  auto addrs = dhcp6::ia_addresses(ias->front());
  if (!addrs.ok() || addrs->empty()) return std::nullopt;
  return addrs->front().address;
}

TEST_F(Dhcp6ServerTest, AReplyThatGrantsAnAddressLeavesOnlyOnceTheBindingIsDurable) {
  FakeLink6& link = serve(dhcp::Dhcp6Mode::stateful);
  link.deliver(v6("fe80::2"), stateful(MessageType::solicit, 1, nullptr));
  ASSERT_EQ(link.sent.size(), 1u) << "an ADVERTISE commits nothing";
  EXPECT_TRUE(commits.pending.empty());
  const auto offered = granted(link.sent[0].payload);
  ASSERT_TRUE(offered.has_value());
  EXPECT_TRUE(settings(dhcp::Dhcp6Mode::stateful).prefix.contains(*offered));

  link.deliver(v6("fe80::2"), stateful(MessageType::request, 2, &kServerDuid));
  EXPECT_EQ(link.sent.size(), 1u) << "the REPLY waits for the commit";
  ASSERT_EQ(commits.pending.size(), 1u);
  const leases::Lease& l = commits.pending.front().changes.at(0).lease;
  EXPECT_EQ(l.ip, IpAddress(*offered));
  EXPECT_EQ(l.client_id, kClientDuid);
  EXPECT_EQ(l.iaid, 1u);
  auto done = std::move(commits.pending.front().done);
  commits.pending.pop_front();
  done(true);
  ASSERT_EQ(link.sent.size(), 2u);
  EXPECT_EQ(granted(link.sent[1].payload), offered);
  ASSERT_EQ(observed.size(), 1u);
  EXPECT_EQ(observed[0].first, kKey) << "the observer hears the daemon's key";
}

TEST_F(Dhcp6ServerTest, AFailedCommitSendsNothingAndPutsTheTableBack) {
  FakeLink6& link = serve(dhcp::Dhcp6Mode::stateful);
  link.deliver(v6("fe80::2"), stateful(MessageType::request, 3, &kServerDuid));
  ASSERT_EQ(commits.pending.size(), 1u);
  const Ipv6Address ip = commits.pending.front().changes.at(0).lease.ip.v6();
  auto done = std::move(commits.pending.front().done);
  commits.pending.pop_front();
  done(false);
  EXPECT_TRUE(link.sent.empty()) << "no REPLY for a binding the database does not have";
  EXPECT_TRUE(observed.empty());
  const auto index = server.engine_index(kKey);
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(server.engine().table(*index).at(ip), nullptr);
  EXPECT_EQ(server.engine().counters().commit_failed, 1u);
}

TEST_F(Dhcp6ServerTest, UnparsableAndRelayedMessagesAreCountedAndNotAnswered) {
  FakeLink6& link = serve(dhcp::Dhcp6Mode::stateless);
  const Bytes truncated{11, 0, 0};
  link.deliver(v6("fe80::2"), truncated);
  dhcp6::RelayMessage relay;
  relay.type = MessageType::relay_forw;
  relay.link_address = v6("fd00:6::1");
  relay.peer_address = v6("fe80::2");
  relay.options.add(opt::relay_msg, information_request(1));
  auto relayed = dhcp6::encode_to_bytes(dhcp6::Packet(relay));
  ASSERT_TRUE(relayed.ok());
  link.deliver(v6("fe80::3"), *relayed);
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(server.dropped().at("relayed"), 1u);
  uint64_t parse = 0;
  for (const auto& [reason, n] : server.dropped()) {
    if (reason.rfind("parse_", 0) == 0) parse += n;
  }
  EXPECT_EQ(parse, 1u);
}

TEST_F(Dhcp6ServerTest, UnicastSolicitConfirmRebindAndInformationRequestAreDropped) {
  FakeLink6& link = serve(dhcp::Dhcp6Mode::stateful);
  const Ipv6Address own = v6("fd00:6::1");
  link.deliver(v6("fe80::2"), information_request(0x10), own);
  link.deliver(v6("fe80::2"), stateful(MessageType::solicit, 0x11, nullptr), own);
  link.deliver(v6("fe80::2"), stateful(MessageType::rebind, 0x12, nullptr), own);
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(server.dropped().at("unicast"), 3u);
  // The same messages to ff02::1:2 are answered.
  link.deliver(v6("fe80::2"), information_request(0x13));
  link.deliver(v6("fe80::2"), stateful(MessageType::solicit, 0x14, nullptr));
  EXPECT_EQ(link.sent.size(), 2u);
  EXPECT_EQ(server.dropped().at("unicast"), 3u);
}

TEST_F(Dhcp6ServerTest, ARemovedBridgeClosesItsSocketAndARebindOpensAnother) {
  FakeLink6& link = serve(dhcp::Dhcp6Mode::stateless);
  EXPECT_TRUE(server.serves(kKey));
  ASSERT_TRUE(server.engine_index(kKey).has_value());
  server.rebind(kKey, server.open_link(kIfindex + 1, "br6"));
  EXPECT_TRUE(link.stopped);
  FakeLink6& again = *network.links.at(kIfindex + 1);
  EXPECT_EQ(again.starts, 1);
  again.deliver(v6("fe80::2"), information_request(7));
  EXPECT_EQ(again.sent.size(), 1u);
  server.remove_bridge(kKey);
  EXPECT_TRUE(again.stopped);
  EXPECT_FALSE(server.serves(kKey));
  server.on_datagram(kKey, v6("fe80::2"), dhcp6::kAllRelayAgentsAndServers, dhcp6::kClientPort,
                     information_request(8));
  EXPECT_EQ(again.sent.size(), 1u) << "a removed bridge answers nothing";
}

}  // namespace
}  // namespace berth::server
