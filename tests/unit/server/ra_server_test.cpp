// RaServer in process: a fake ICMPv6 socket and a clock the test moves by
// hand (server/ra_io.hpp), so RS in / RA out, the rate limit and the final
// RA run without root, network or sleeps.
#include "server/ra_server.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include "protocol/ndp.hpp"
#include "tests/unit/test_util.hpp"

namespace berth::server {
namespace {

using dhcp::RaTime;
using std::chrono::milliseconds;
using std::chrono::seconds;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

const Ipv6Address kHost = v6("fe80::be:ff:fe00:102");
const MacAddress kBridgeMac({0x02, 0xbe, 0x00, 0x00, 0x00, 0x01});
constexpr int kIfindex = 7;

// The time, and the one wait the server's timer has armed.
struct FakeClock {
  RaTime now{5'000'000};
  struct Wait {
    RaTime at;
    std::function<void()> fire;
  };
  std::optional<Wait> wait;

  // Moves to `to`, firing the timer at each time it was set for on the way.
  void advance_to(RaTime to) {
    while (wait && wait->at <= to) {
      now = std::max(now, wait->at);
      std::function<void()> fire = std::move(wait->fire);
      wait.reset();
      fire();
    }
    now = std::max(now, to);
  }
  void advance(RaTime by) { advance_to(now + by); }
};

class FakeTimer : public RaTimer {
 public:
  explicit FakeTimer(FakeClock& clock) : clock_(clock) {}
  RaTime now() const override { return clock_.now; }
  void wait_until(RaTime at, std::function<void()> fire) override {
    clock_.wait = FakeClock::Wait{at, std::move(fire)};
  }
  void cancel() override { clock_.wait.reset(); }

 private:
  FakeClock& clock_;
};

struct SentRa {
  RaTime at;
  ndp::RouterAdvertisement ra;
};

// What the sockets did, kept by the network: the server frees a socket
// when it stops.
struct SocketLog {
  std::vector<SentRa> sent;
  int stops = 0;
  int alive = 0;
};

class FakeSocket : public RaSocket {
 public:
  FakeSocket(FakeClock& clock, SocketLog& log, FakeSocket*& self)
      : clock_(clock), log_(log), self_(self) {
    ++log_.alive;
    self_ = this;
  }
  ~FakeSocket() override {
    --log_.alive;
    self_ = nullptr;
  }
  void start(Handler handler) override { handler_ = std::move(handler); }
  void stop() override {
    stopped = true;
    ++log_.stops;
  }
  bool send_all_nodes(ByteView message) override {
    if (refuse_sends) return false;
    auto ra = ndp::parse_router_advertisement(message);
    EXPECT_TRUE(ra.ok()) << "the server sent a malformed RA";
    if (ra.ok()) log_.sent.push_back(SentRa{clock_.now, *ra});
    return true;
  }
  void deliver(ByteView message, const Ipv6Address& source, uint8_t hop_limit) {
    ASSERT_TRUE(handler_) << "the server never started reading";
    ASSERT_FALSE(stopped);
    handler_(message, source, hop_limit);
  }

  bool stopped = false;
  bool refuse_sends = false;

 private:
  FakeClock& clock_;
  SocketLog& log_;
  FakeSocket*& self_;
  Handler handler_;
};

class FakeNetwork : public RaNetwork {
 public:
  std::unique_ptr<RaSocket> open(int ifindex, const std::string& ifname) override {
    if (refuse) throw std::runtime_error("cannot open ICMPv6 socket for " + ifname);
    opened_ifindex = ifindex;
    return std::make_unique<FakeSocket>(clock, log, socket);
  }
  std::unique_ptr<RaTimer> timer() override { return std::make_unique<FakeTimer>(clock); }

  FakeClock clock;
  SocketLog log;
  std::vector<SentRa>& sent = log.sent;
  FakeSocket* socket = nullptr;  // the open one, owned by the server
  int opened_ifindex = 0;
  bool refuse = false;
};

dhcp::RaSettings settings(dhcp::RaMode mode = dhcp::RaMode::slaac) {
  return dhcp::RaSettings{.prefix = *Ipv6Prefix::parse("fd42:be::1/64"),
                          .mode = mode,
                          .domain = "berth",
                          .mac = kBridgeMac};
}

class RaServerTest : public ::testing::Test {
 protected:
  void start() {
    server.start();
    ASSERT_EQ(net.sent.size(), 1u) << "no RA at start";
    t0 = net.clock.now;
  }
  const Bytes rs = read_hex_file("ndp/kernel_rs.hex");
  FakeNetwork net;
  RaServer server{net, "berth0", kIfindex, settings(), /*seed=*/17};
  RaTime t0{0};
};

TEST_F(RaServerTest, StartAdvertisesAtOnce) {
  start();
  EXPECT_EQ(net.opened_ifindex, kIfindex);
  EXPECT_TRUE(server.running());
  const ndp::RouterAdvertisement& ra = net.sent[0].ra;
  EXPECT_EQ(ra.router_lifetime, 1800);
  ASSERT_EQ(ra.prefixes.size(), 1u);
  EXPECT_EQ(ra.prefixes[0].prefix, *Ipv6Prefix::parse("fd42:be::/64"));
  EXPECT_TRUE(ra.prefixes[0].autonomous);
  EXPECT_EQ(ra.source_link_layer->mac(), kBridgeMac);
  EXPECT_EQ(server.counters().sent[static_cast<size_t>(dhcp::RaKind::unsolicited)], 1u);
  // The next initial RA 16 s later, not before.
  net.clock.advance(seconds(16) - milliseconds(1));
  EXPECT_EQ(net.sent.size(), 1u);
  net.clock.advance(milliseconds(1));
  EXPECT_EQ(net.sent.size(), 2u);
}

TEST_F(RaServerTest, SolicitationAnsweredByOneRaWithinHalfASecond) {
  start();
  net.clock.advance(seconds(10));
  const RaTime asked = net.clock.now;
  net.socket->deliver(rs, kHost, 255);
  // Step through the next 600 ms: exactly one RA, at most 500 ms after.
  for (int i = 0; i < 600; ++i) net.clock.advance(milliseconds(1));
  ASSERT_EQ(net.sent.size(), 2u);
  EXPECT_LE(net.sent[1].at - asked, milliseconds(500));
  EXPECT_EQ(net.sent[1].ra, net.sent[0].ra);
  EXPECT_EQ(server.counters().solicitations, 1u);
  EXPECT_EQ(server.counters().sent[static_cast<size_t>(dhcp::RaKind::solicited)], 1u);
}

TEST_F(RaServerTest, SolicitationsWithinThreeSecondsGetOneRa) {
  start();
  net.clock.advance(seconds(10));
  const RaTime first = net.clock.now;
  // Two hosts at once: one RA answers both.
  net.socket->deliver(rs, kHost, 255);
  net.socket->deliver(rs, v6("fe80::99"), 255);
  net.clock.advance(seconds(1));
  ASSERT_EQ(net.sent.size(), 2u);
  EXPECT_LE(net.sent[1].at - first, milliseconds(500));
  // A third after that RA went out, a fourth while its answer waits: one
  // more RA, no sooner than 3 s after the last.
  net.socket->deliver(rs, kHost, 255);
  net.clock.advance(seconds(1));
  net.socket->deliver(rs, v6("fe80::98"), 255);
  net.clock.advance_to(net.sent[1].at + seconds(3) - milliseconds(1));
  EXPECT_EQ(net.sent.size(), 2u) << "two RAs within 3 s";
  net.clock.advance(milliseconds(501));
  ASSERT_EQ(net.sent.size(), 3u);
  EXPECT_GE(net.sent[2].at - net.sent[1].at, seconds(3));
  EXPECT_EQ(server.counters().solicitations, 4u);
  EXPECT_EQ(server.counters().solicitations_coalesced, 2u);
}

TEST_F(RaServerTest, MalformedSolicitationsAreCountedAndNotAnswered) {
  start();
  net.clock.advance(seconds(5));
  net.socket->deliver(rs, kHost, 64);  // routed: not from the link
  net.socket->deliver(ByteView(rs).first(6), kHost, 255);
  net.socket->deliver(rs, Ipv6Address::any(), 255);  // SLLA from ::
  Bytes bad_option = rs;
  bad_option[9] = 0;  // the link-layer address option's length
  net.socket->deliver(bad_option, kHost, 255);
  net.clock.advance(seconds(5));
  EXPECT_EQ(net.sent.size(), 1u);
  const auto& dropped = server.counters().dropped;
  EXPECT_EQ(dropped.at("hop_limit"), 1u);
  EXPECT_EQ(dropped.at("truncated"), 1u);
  EXPECT_EQ(dropped.at("slla_from_unspecified"), 1u);
  EXPECT_EQ(dropped.at("option_length_zero"), 1u);
  EXPECT_EQ(server.counters().solicitations, 0u);
}

TEST_F(RaServerTest, StopSendsTheFinalRaAndNothingAfter) {
  start();
  net.clock.advance(seconds(20));
  const size_t before = net.sent.size();
  server.stop();
  ASSERT_EQ(net.sent.size(), before + 1);
  const ndp::RouterAdvertisement& last = net.sent.back().ra;
  EXPECT_EQ(last.router_lifetime, 0);
  EXPECT_EQ(last.prefixes[0].valid_lifetime, settings().valid_lifetime);
  EXPECT_EQ(last.rdnss[0].lifetime, 0u);
  EXPECT_FALSE(server.running());
  EXPECT_EQ(net.log.stops, 1);
  EXPECT_EQ(net.log.alive, 0) << "the socket was not freed";
  EXPECT_FALSE(net.clock.wait) << "the timer is still armed";
  EXPECT_EQ(server.counters().sent[static_cast<size_t>(dhcp::RaKind::final)], 1u);
  server.stop();  // again: nothing more
  EXPECT_EQ(net.sent.size(), before + 1);
}

TEST(RaServerLifetimeTest, DestroyingARunningServerSendsTheFinalRa) {
  FakeNetwork net;
  {
    RaServer server(net, "berth0", kIfindex, settings(), 1);
    server.start();
  }
  ASSERT_EQ(net.sent.size(), 2u);
  EXPECT_EQ(net.sent[1].ra.router_lifetime, 0);
  // A server never started sends nothing.
  FakeNetwork idle;
  { RaServer server(idle, "berth0", kIfindex, settings(), 1); }
  EXPECT_TRUE(idle.sent.empty());
}

TEST_F(RaServerTest, UpdateAdvertisesTheChangeSoon) {
  start();
  net.clock.advance(seconds(1));
  server.update(settings(dhcp::RaMode::stateful));
  // Within the 3 s rate limit of the RA at start.
  net.clock.advance_to(t0 + seconds(3) - milliseconds(1));
  EXPECT_EQ(net.sent.size(), 1u);
  net.clock.advance(milliseconds(1));
  ASSERT_EQ(net.sent.size(), 2u);
  EXPECT_TRUE(net.sent[1].ra.managed);
  EXPECT_FALSE(net.sent[1].ra.prefixes[0].autonomous);
}

TEST_F(RaServerTest, SendFailuresAreCounted) {
  start();
  net.socket->refuse_sends = true;
  net.clock.advance(seconds(16));
  EXPECT_EQ(server.counters().send_failed, 1u);
  EXPECT_EQ(server.counters().sent[static_cast<size_t>(dhcp::RaKind::unsolicited)], 1u);
  // And the schedule goes on.
  net.socket->refuse_sends = false;
  net.clock.advance(seconds(16));
  EXPECT_EQ(net.sent.size(), 2u);
}

TEST(RaServerOpenTest, FailureToOpenLeavesItStopped) {
  FakeNetwork net;
  net.refuse = true;
  RaServer server(net, "berth0", kIfindex, settings(), 1);
  EXPECT_THROW(server.start(), std::runtime_error);
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(net.clock.wait);
  net.refuse = false;
  server.start();
  EXPECT_TRUE(server.running());
  EXPECT_EQ(net.sent.size(), 1u);
}

}  // namespace
}  // namespace berth::server
