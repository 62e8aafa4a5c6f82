// RaService: what an RA says per mode, when RAs go out (initial fast RAs,
// periodic, answers to RSs with their rate limit), the final RA, and the
// drops. Time is passed in and the random delays are seeded, so every run
// is the same; tests that depend on the draw run over many seeds.
#include "dhcp/ra_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace berth::dhcp {
namespace {

using std::chrono::seconds;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

const Ipv6Address kHost = v6("fe80::be:ff:fe00:102");
const MacAddress kBridgeMac({0x02, 0xbe, 0x00, 0x00, 0x00, 0x01});
const MacAddress kHostMac({0x02, 0xbe, 0x00, 0x00, 0x01, 0x02});

RaSettings settings(RaMode mode = RaMode::slaac) {
  return RaSettings{.prefix = *Ipv6Prefix::parse("fd42:be::1/64"),
                    .mode = mode,
                    .mtu = 1500,
                    .domain = "berth",
                    .mac = kBridgeMac};
}

Bytes rs_bytes(std::optional<MacAddress> slla = kHostMac, uint8_t code = 0) {
  ndp::RouterSolicitation rs;
  if (slla) rs.source_link_layer = ndp::LinkLayerAddress::from_mac(*slla);
  Bytes out(64);
  auto n = ndp::encode_router_solicitation(rs, out);
  out.resize(n.ok() ? *n : 0);
  out[1] = code;
  return out;
}

RaTime ms(int64_t v) { return RaTime(v); }

TEST(RaServiceTest, FlagsPerMode) {
  struct Case {
    RaMode mode;
    bool a, m, o;
  };
  for (const Case c :
       {Case{RaMode::slaac, true, false, false}, Case{RaMode::stateless, true, false, true},
        Case{RaMode::stateful, false, true, true}}) {
    RaService ra(settings(c.mode), 1);
    const ndp::RouterAdvertisement msg = ra.advertisement();
    ASSERT_EQ(msg.prefixes.size(), 1u) << to_string(c.mode);
    EXPECT_EQ(msg.prefixes[0].autonomous, c.a) << to_string(c.mode);
    EXPECT_TRUE(msg.prefixes[0].on_link) << to_string(c.mode);
    EXPECT_EQ(msg.managed, c.m) << to_string(c.mode);
    EXPECT_EQ(msg.other, c.o) << to_string(c.mode);
  }
}

TEST(RaServiceTest, AdvertisementCarriesTheBridge) {
  RaService ra(settings(), 1);
  const ndp::RouterAdvertisement msg = ra.advertisement();
  EXPECT_EQ(msg.cur_hop_limit, 64);
  EXPECT_EQ(msg.router_lifetime, 1800);
  // The network of the bridge's address, not the address.
  EXPECT_EQ(msg.prefixes[0].prefix, *Ipv6Prefix::parse("fd42:be::/64"));
  EXPECT_EQ(msg.prefixes[0].valid_lifetime, 2592000u);
  EXPECT_EQ(msg.prefixes[0].preferred_lifetime, 604800u);
  ASSERT_EQ(msg.rdnss.size(), 1u);
  EXPECT_EQ(msg.rdnss[0].servers, std::vector<Ipv6Address>{v6("fd42:be::1")});
  EXPECT_EQ(msg.rdnss[0].lifetime, 1800u);  // 3 * MaxRtrAdvInterval
  ASSERT_EQ(msg.dnssl.size(), 1u);
  EXPECT_EQ(msg.dnssl[0].domains, std::vector<std::string>{"berth"});
  EXPECT_EQ(msg.mtu, 1500u);
  ASSERT_TRUE(msg.source_link_layer);
  EXPECT_EQ(msg.source_link_layer->mac(), kBridgeMac);

  RaSettings bare = settings();
  bare.mtu.reset();
  bare.dns = false;
  bare.domain.clear();
  const ndp::RouterAdvertisement plain = RaService(bare, 1).advertisement();
  EXPECT_FALSE(plain.mtu);
  EXPECT_TRUE(plain.rdnss.empty());
  EXPECT_TRUE(plain.dnssl.empty());
  // What the service says must be writable.
  Bytes out(1500);
  EXPECT_TRUE(ndp::encode_router_advertisement(msg, out).ok());
}

TEST(RaServiceTest, NothingBeforeStart) {
  RaService ra(settings(), 1);
  EXPECT_FALSE(ra.next_wakeup());
  EXPECT_FALSE(ra.poll(ms(0)));
  const SolicitationOutcome o = ra.on_solicitation(rs_bytes(), 255, kHost, ms(0));
  EXPECT_FALSE(o.answer_at);
  EXPECT_EQ(ra.counters().solicitations, 0u);
}

TEST(RaServiceTest, FirstThreeAdvertisementsAtMostSixteenSecondsApart) {
  // MinRtrAdvInterval is 198 s with the default 600 s, so the cap decides.
  RaService ra(settings(), 7);
  const RaTime t0 = ms(1'000'000);
  ra.start(t0);
  EXPECT_EQ(ra.next_wakeup(), t0);
  auto first = ra.poll(t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind, RaKind::unsolicited);
  EXPECT_EQ(ra.next_wakeup(), t0 + seconds(16));
  EXPECT_FALSE(ra.poll(t0 + seconds(16) - ms(1)));
  ASSERT_TRUE(ra.poll(t0 + seconds(16)));
  EXPECT_EQ(ra.next_wakeup(), t0 + seconds(32));
  ASSERT_TRUE(ra.poll(t0 + seconds(32)));
  // From the fourth on: MinRtrAdvInterval..MaxRtrAdvInterval.
  const RaTime next = *ra.next_wakeup();
  EXPECT_GE(next, t0 + seconds(32) + ms(198'000));
  EXPECT_LE(next, t0 + seconds(32) + seconds(600));
}

TEST(RaServiceTest, PeriodicIntervalsStayWithinMinAndMax) {
  RaSettings s = settings();
  s.max_interval = seconds(4);
  s.router_lifetime = 12;
  EXPECT_EQ(min_interval(s), seconds(3));
  std::set<int64_t> seen;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RaService ra(s, seed);
    RaTime now = ms(0);
    ra.start(now);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(ra.poll(now));
      const RaTime next = *ra.next_wakeup();
      EXPECT_GE(next - now, seconds(3));
      EXPECT_LE(next - now, seconds(4));
      seen.insert((next - now).count());
      now = next;
    }
  }
  EXPECT_GT(seen.size(), 10u) << "intervals are not random";
}

TEST(RaServiceTest, MinIntervalIsAThirdOfMaxButAtLeastThreeSeconds) {
  RaSettings s = settings();
  EXPECT_EQ(min_interval(s), seconds(198));
  s.max_interval = seconds(9);
  EXPECT_EQ(min_interval(s), seconds(3));  // 2.97 s would be under the floor
  s.max_interval = seconds(1800);
  EXPECT_EQ(min_interval(s), seconds(594));
}

TEST(RaServiceTest, SolicitationAnsweredWithinHalfASecond) {
  std::set<int64_t> delays;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    RaService ra(settings(), seed);
    ra.start(ms(0));
    ASSERT_TRUE(ra.poll(ms(0)));
    const RaTime now = seconds(10);
    const SolicitationOutcome o = ra.on_solicitation(rs_bytes(), 255, kHost, now);
    ASSERT_FALSE(o.invalid);
    ASSERT_TRUE(o.answer_at);
    const RaTime delay = *o.answer_at - now;
    EXPECT_GE(delay, ms(0));
    EXPECT_LE(delay, ms(500));
    delays.insert(delay.count());
    EXPECT_EQ(ra.next_wakeup(), o.answer_at);
    if (delay > ms(0)) {
      EXPECT_FALSE(ra.poll(*o.answer_at - ms(1)));
    }
    auto answer = ra.poll(*o.answer_at);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->kind, RaKind::solicited);
    // Sent, the answer resets the timer: the next RA is an unsolicited one
    // at most 16 s later (the second of the initial RAs).
    EXPECT_LE(*ra.next_wakeup(), *o.answer_at + seconds(16));
    EXPECT_EQ(ra.counters().solicitations, 1u);
  }
  EXPECT_GT(delays.size(), 20u) << "the delay is not random";
}

TEST(RaServiceTest, TwoSolicitationsWithinThreeSecondsGetOneAdvertisement) {
  RaService ra(settings(), 3);
  ra.start(ms(0));
  ASSERT_TRUE(ra.poll(ms(0)));
  // Two hosts, 100 ms apart: one pending answer covers both.
  const SolicitationOutcome a = ra.on_solicitation(rs_bytes(), 255, kHost, seconds(10));
  const SolicitationOutcome b =
      ra.on_solicitation(rs_bytes(), 255, v6("fe80::2"), seconds(10) + ms(100));
  ASSERT_TRUE(a.answer_at && b.answer_at);
  EXPECT_EQ(*a.answer_at, *b.answer_at);
  EXPECT_EQ(ra.counters().solicitations_coalesced, 1u);
  const RaTime sent = std::max(*a.answer_at, seconds(10) + ms(100));
  ASSERT_TRUE(ra.poll(sent));
  // A third RS just after: the answer waits until 3 s after the last RA.
  const SolicitationOutcome c = ra.on_solicitation(rs_bytes(), 255, kHost, sent + ms(200));
  ASSERT_TRUE(c.answer_at);
  EXPECT_GE(*c.answer_at, sent + seconds(3));
  EXPECT_LE(*c.answer_at, sent + seconds(3) + ms(500));
  for (RaTime t = sent + ms(1); t < sent + seconds(3); t += ms(50)) {
    EXPECT_FALSE(ra.poll(t)) << "RA at " << (t - sent).count() << " ms after the last";
  }
  auto late = ra.poll(*c.answer_at);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->kind, RaKind::solicited);
}

TEST(RaServiceTest, SolicitationFloodNeverMakesRasCloserThanThreeSeconds) {
  RaSettings s = settings();
  s.max_interval = seconds(4);  // unsolicited RAs every 3-4 s as well
  s.router_lifetime = 12;
  RaService ra(s, 11);
  ra.start(ms(0));
  std::vector<RaTime> sent;
  std::vector<RaTime> asked;
  for (RaTime t = ms(0); t < seconds(60); t += ms(10)) {
    if (t.count() % 250 == 0) {
      ASSERT_TRUE(ra.on_solicitation(rs_bytes(), 255, kHost, t).answer_at);
      asked.push_back(t);
    }
    if (ra.poll(t)) sent.push_back(t);
  }
  ASSERT_GT(sent.size(), 10u);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_GE(sent[i] - sent[i - 1], seconds(3));
  // And every RS sees an RA within 3.5 s (plus the 10 ms of this loop's
  // steps).
  for (RaTime t : asked) {
    if (t > seconds(56)) break;
    auto after = std::upper_bound(sent.begin(), sent.end(), t);
    ASSERT_NE(after, sent.end());
    EXPECT_LE(*after - t, ms(3510)) << "RS at " << t.count() << " ms";
  }
}

TEST(RaServiceTest, SolicitationJustBeforeAnUnsolicitedRaIsAnsweredByIt) {
  RaService ra(settings(), 5);
  ra.start(ms(0));
  ASSERT_TRUE(ra.poll(ms(0)));
  const RaTime due = *ra.next_wakeup();  // 16 s
  const SolicitationOutcome o = ra.on_solicitation(rs_bytes(), 255, kHost, due - ms(10));
  EXPECT_EQ(o.answer_at, due);
  EXPECT_EQ(ra.counters().solicitations_coalesced, 1u);
  auto a = ra.poll(due);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, RaKind::unsolicited);
}

TEST(RaServiceTest, InvalidSolicitationsAreCountedByReason) {
  RaService ra(settings(), 1);
  ra.start(ms(0));
  ASSERT_TRUE(ra.poll(ms(0)));
  const RaTime now = seconds(10);
  const SolicitationOutcome off_link = ra.on_solicitation(rs_bytes(), 64, kHost, now);
  EXPECT_EQ(off_link.invalid, ndp::Invalid::hop_limit);
  EXPECT_FALSE(off_link.answer_at);
  EXPECT_EQ(ra.on_solicitation(rs_bytes(), 255, Ipv6Address::any(), now).invalid,
            ndp::Invalid::slla_from_unspecified);
  EXPECT_EQ(ra.on_solicitation(rs_bytes(kHostMac, 1), 255, kHost, now).invalid, ndp::Invalid::code);
  const Bytes short_rs = {133, 0, 0, 0};
  EXPECT_EQ(ra.on_solicitation(short_rs, 255, kHost, now).invalid, ndp::Invalid::truncated);
  EXPECT_EQ(ra.on_solicitation(rs_bytes(kHostMac, 1), 254, kHost, now).invalid,
            ndp::Invalid::hop_limit);
  const auto& dropped = ra.counters().dropped;
  EXPECT_EQ(dropped.at("hop_limit"), 2u);
  EXPECT_EQ(dropped.at("slla_from_unspecified"), 1u);
  EXPECT_EQ(dropped.at("code"), 1u);
  EXPECT_EQ(dropped.at("truncated"), 1u);
  EXPECT_EQ(ra.counters().solicitations, 0u);
  EXPECT_NE(ra.next_wakeup(), now) << "a dropped RS scheduled an answer";
  EXPECT_GT(*ra.next_wakeup(), now + ms(500));
  // From :: without the option is fine.
  EXPECT_FALSE(ra.on_solicitation(rs_bytes(std::nullopt), 255, Ipv6Address::any(), now).invalid);
  EXPECT_EQ(ra.counters().solicitations, 1u);
}

TEST(RaServiceTest, FinalAdvertisementEndsTheRouterButNotTheAddresses) {
  RaService ra(settings(RaMode::stateless), 1);
  ra.start(ms(0));
  ASSERT_TRUE(ra.poll(ms(0)));
  const Advertisement last = ra.stop();
  EXPECT_EQ(last.kind, RaKind::final);
  EXPECT_EQ(last.message.router_lifetime, 0);
  EXPECT_TRUE(last.message.other);
  ASSERT_EQ(last.message.prefixes.size(), 1u);
  EXPECT_EQ(last.message.prefixes[0].valid_lifetime, 2592000u);
  EXPECT_EQ(last.message.prefixes[0].preferred_lifetime, 604800u);
  ASSERT_EQ(last.message.rdnss.size(), 1u);
  EXPECT_EQ(last.message.rdnss[0].lifetime, 0u);
  EXPECT_EQ(last.message.dnssl[0].lifetime, 0u);
  EXPECT_FALSE(ra.next_wakeup());
  EXPECT_FALSE(ra.poll(seconds(1000)));
  EXPECT_FALSE(ra.on_solicitation(rs_bytes(), 255, kHost, seconds(1000)).answer_at);
  // The service's own RA is unchanged: only the final one says 0.
  EXPECT_EQ(ra.advertisement().router_lifetime, 1800);
}

TEST(RaServiceTest, UpdateThatChangesTheRaRestartsFastAdvertisements) {
  RaService ra(settings(), 9);
  ra.start(ms(0));
  RaTime now = ms(0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ra.poll(now));
    now = *ra.next_wakeup();
  }
  const RaTime before = *ra.next_wakeup();
  EXPECT_GE(before - ms(32'000), seconds(198));
  // The same settings: nothing moves.
  ra.update(settings(), ms(40'000));
  EXPECT_EQ(ra.next_wakeup(), before);
  // Stateful from now on: an RA at once, with the new flags.
  ra.update(settings(RaMode::stateful), ms(40'000));
  EXPECT_EQ(ra.next_wakeup(), ms(40'000));
  auto a = ra.poll(ms(40'000));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->message.managed);
  EXPECT_FALSE(a->message.prefixes[0].autonomous);
  EXPECT_EQ(ra.next_wakeup(), ms(56'000));  // fast again
  // Right after an RA, a change waits for the 3 s rate limit.
  ra.update(settings(RaMode::slaac), ms(41'000));
  EXPECT_EQ(ra.next_wakeup(), ms(43'000));
}

TEST(RaServiceTest, RenumberingWithdrawsTheOldPrefixForThreeAdvertisements) {
  RaService ra(settings(), 2);
  ra.start(ms(0));
  ASSERT_TRUE(ra.poll(ms(0)));
  RaSettings moved = settings();
  moved.prefix = *Ipv6Prefix::parse("fd43::1/64");
  ra.update(moved, seconds(5));
  RaTime now = *ra.next_wakeup();
  EXPECT_EQ(now, seconds(5));
  for (int i = 0; i < 3; ++i) {
    auto a = ra.poll(now);
    ASSERT_TRUE(a) << i;
    ASSERT_EQ(a->message.prefixes.size(), 2u) << i;
    EXPECT_EQ(a->message.prefixes[0].prefix, *Ipv6Prefix::parse("fd43::/64"));
    EXPECT_EQ(a->message.prefixes[1].prefix, *Ipv6Prefix::parse("fd42:be::/64"));
    EXPECT_EQ(a->message.prefixes[1].valid_lifetime, 0u);
    EXPECT_EQ(a->message.prefixes[1].preferred_lifetime, 0u);
    EXPECT_EQ(a->message.rdnss[0].servers[0], v6("fd43::1"));
    now = *ra.next_wakeup();
  }
  auto fourth = ra.poll(now);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->message.prefixes.size(), 1u);
  // Moving back at once: the prefix that is ours again is not withdrawn.
  RaService flip(settings(), 2);
  flip.update(moved, ms(0));
  flip.update(settings(), ms(0));
  const ndp::RouterAdvertisement back = flip.advertisement();
  ASSERT_EQ(back.prefixes.size(), 2u);
  EXPECT_EQ(back.prefixes[0].prefix, *Ipv6Prefix::parse("fd42:be::/64"));
  EXPECT_EQ(back.prefixes[1].prefix, *Ipv6Prefix::parse("fd43::/64"));
  EXPECT_EQ(back.prefixes[1].valid_lifetime, 0u);
}

TEST(RaServiceTest, SameSeedSameSchedule) {
  RaService a(settings(), 42);
  RaService b(settings(), 42);
  a.start(ms(0));
  b.start(ms(0));
  RaTime now = ms(0);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(a.poll(now));
    ASSERT_TRUE(b.poll(now));
    EXPECT_EQ(a.next_wakeup(), b.next_wakeup());
    now = *a.next_wakeup();
  }
}

TEST(RaServiceTest, CheckSettings) {
  EXPECT_EQ(check_settings(settings()), std::nullopt);
  RaSettings s = settings();
  s.prefix = *Ipv6Prefix::parse("fd42::1/80");
  EXPECT_NE(check_settings(s), std::nullopt);  // no SLAAC outside a /64
  s.mode = RaMode::stateful;
  EXPECT_EQ(check_settings(s), std::nullopt);
  s = settings();
  s.max_interval = seconds(3);
  EXPECT_NE(check_settings(s), std::nullopt);
  s = settings();
  s.router_lifetime = 100;  // under MaxRtrAdvInterval
  EXPECT_NE(check_settings(s), std::nullopt);
  s.router_lifetime = 0;  // not a default router: allowed
  EXPECT_EQ(check_settings(s), std::nullopt);
  s = settings();
  s.mtu = 1000;
  EXPECT_NE(check_settings(s), std::nullopt);
  s = settings();
  s.prefix = *Ipv6Prefix::parse("fe80::1/64");
  EXPECT_NE(check_settings(s), std::nullopt);
  s = settings();
  s.prefix = *Ipv6Prefix::parse("fd42::/64");  // the network address as DNS server
  EXPECT_NE(check_settings(s), std::nullopt);
  s = settings();
  s.preferred_lifetime = s.valid_lifetime + 1;
  EXPECT_NE(check_settings(s), std::nullopt);
  s = settings();
  s.domain = "bad domain";
  EXPECT_NE(check_settings(s), std::nullopt);
}

}  // namespace
}  // namespace berth::dhcp
