// protocol/ndp: real RS and RA messages (tests/data/ndp/README.md says how
// they were captured), round trips, and every rule a received message can
// break.
#include "protocol/ndp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/unit/test_util.hpp"

namespace berth::ndp {
namespace {

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }
MacAddress mac(const char* s) { return *MacAddress::parse(s); }

const Ipv6Address kAllNodes = v6("ff02::1");
const Ipv6Address kAllRouters = v6("ff02::2");
const Ipv6Address kHostLinkLocal = v6("fe80::be:ff:fe00:102");
const Ipv6Address kRadvdLinkLocal = v6("fe80::be:ff:fe00:101");
const Ipv6Address kDnsmasqLinkLocal = v6("fe80::be:ff:fe00:201");

Bytes capture(const std::string& name) { return read_hex_file("ndp/" + name + ".hex"); }

// Encodes, then fills in the checksum as the kernel would.
Bytes encode_ra(const RouterAdvertisement& ra, const Ipv6Address& src, const Ipv6Address& dst) {
  Bytes out(1500);
  auto n = encode_router_advertisement(ra, out);
  EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().what);
  out.resize(n.ok() ? *n : 0);
  if (out.size() >= 4) {
    const uint16_t sum = icmpv6_checksum(src, dst, out);
    out[2] = static_cast<uint8_t>(sum >> 8);
    out[3] = static_cast<uint8_t>(sum);
  }
  return out;
}

Bytes encode_rs(const RouterSolicitation& rs, const Ipv6Address& src, const Ipv6Address& dst) {
  Bytes out(1500);
  auto n = encode_router_solicitation(rs, out);
  EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().what);
  out.resize(n.ok() ? *n : 0);
  if (out.size() >= 4) {
    const uint16_t sum = icmpv6_checksum(src, dst, out);
    out[2] = static_cast<uint8_t>(sum >> 8);
    out[3] = static_cast<uint8_t>(sum);
  }
  return out;
}

template <class T>
std::optional<Invalid> reason(const Result<T>& r) {
  if (r.ok()) return std::nullopt;
  return invalid_reason(r.error());
}

TEST(NdpCaptureTest, KernelRouterSolicitation) {
  const Bytes bytes = capture("kernel_rs");
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_TRUE(checksum_ok(kHostLinkLocal, kAllRouters, bytes));
  EXPECT_FALSE(checksum_ok(kHostLinkLocal, kAllNodes, bytes));
  auto rs = validate_router_solicitation(bytes, 255, kHostLinkLocal);
  ASSERT_TRUE(rs.ok()) << rs.error().what;
  ASSERT_TRUE(rs->source_link_layer);
  EXPECT_EQ(rs->source_link_layer->mac(), mac("02:be:00:00:01:02"));
  EXPECT_TRUE(rs->other_options.empty());
  // Written back, with the checksum the kernel would put in: the same bytes.
  EXPECT_EQ(encode_rs(*rs, kHostLinkLocal, kAllRouters), bytes);
}

TEST(NdpCaptureTest, Rdisc6RouterSolicitationHasNoOptions) {
  const Bytes bytes = capture("rdisc6_rs");
  EXPECT_TRUE(checksum_ok(kHostLinkLocal, kAllRouters, bytes));
  auto rs = parse_router_solicitation(bytes);
  ASSERT_TRUE(rs.ok()) << rs.error().what;
  EXPECT_FALSE(rs->source_link_layer);
  EXPECT_EQ(encode_rs(*rs, kHostLinkLocal, kAllRouters), bytes);
}

TEST(NdpCaptureTest, RadvdRouterAdvertisement) {
  const Bytes bytes = capture("radvd_ra");
  EXPECT_TRUE(checksum_ok(kRadvdLinkLocal, kAllNodes, bytes));
  auto ra = validate_router_advertisement(bytes, 255, kRadvdLinkLocal);
  ASSERT_TRUE(ra.ok()) << ra.error().what;
  EXPECT_EQ(ra->cur_hop_limit, 64);
  EXPECT_FALSE(ra->managed);
  EXPECT_TRUE(ra->other);              // AdvOtherConfigFlag on
  EXPECT_EQ(ra->router_lifetime, 30);  // 3 * MaxRtrAdvInterval 10
  EXPECT_EQ(ra->reachable_time, 0u);
  EXPECT_EQ(ra->retrans_timer, 0u);
  ASSERT_TRUE(ra->source_link_layer);
  EXPECT_EQ(ra->source_link_layer->mac(), mac("02:be:00:00:01:01"));
  EXPECT_EQ(ra->mtu, 1480u);
  ASSERT_EQ(ra->prefixes.size(), 1u);
  EXPECT_EQ(ra->prefixes[0].prefix, *Ipv6Prefix::parse("fd00:be:1::/64"));
  EXPECT_TRUE(ra->prefixes[0].on_link);
  EXPECT_TRUE(ra->prefixes[0].autonomous);
  EXPECT_EQ(ra->prefixes[0].valid_lifetime, 86400u);
  EXPECT_EQ(ra->prefixes[0].preferred_lifetime, 14400u);
  ASSERT_EQ(ra->rdnss.size(), 1u);
  EXPECT_EQ(ra->rdnss[0].lifetime, 10u);
  EXPECT_EQ(ra->rdnss[0].servers, std::vector<Ipv6Address>{v6("fd00:be:1::1")});
  ASSERT_EQ(ra->dnssl.size(), 1u);
  EXPECT_EQ(ra->dnssl[0].lifetime, 10u);
  EXPECT_EQ(ra->dnssl[0].domains, (std::vector<std::string>{"berth.test", "example.org"}));
  EXPECT_TRUE(ra->other_options.empty());

  // radvd orders its options differently, so compare what they say.
  const Bytes again = encode_ra(*ra, kRadvdLinkLocal, kAllNodes);
  EXPECT_EQ(again.size(), bytes.size());
  auto reparsed = parse_router_advertisement(again);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, *ra);
}

TEST(NdpCaptureTest, RadvdSolicitedAnswerIsUnicastToTheSolicitor) {
  const Bytes bytes = capture("radvd_ra_solicited");
  EXPECT_TRUE(checksum_ok(kRadvdLinkLocal, kHostLinkLocal, bytes));
  EXPECT_FALSE(checksum_ok(kRadvdLinkLocal, kAllNodes, bytes));
  auto ra = parse_router_advertisement(bytes);
  ASSERT_TRUE(ra.ok());
  auto unsolicited = parse_router_advertisement(capture("radvd_ra"));
  ASSERT_TRUE(unsolicited.ok());
  EXPECT_EQ(*ra, *unsolicited);
}

TEST(NdpCaptureTest, RadvdFinalAdvertisementKeepsPrefixLifetimes) {
  auto ra = parse_router_advertisement(capture("radvd_ra_final"));
  ASSERT_TRUE(ra.ok()) << ra.error().what;
  EXPECT_EQ(ra->router_lifetime, 0);
  ASSERT_EQ(ra->prefixes.size(), 1u);
  EXPECT_EQ(ra->prefixes[0].valid_lifetime, 86400u);
  ASSERT_EQ(ra->rdnss.size(), 1u);
  EXPECT_EQ(ra->rdnss[0].lifetime, 0u);
  ASSERT_EQ(ra->dnssl.size(), 1u);
  EXPECT_EQ(ra->dnssl[0].lifetime, 0u);
}

TEST(NdpCaptureTest, DnsmasqRouterAdvertisement) {
  const Bytes bytes = capture("dnsmasq_ra");
  EXPECT_TRUE(checksum_ok(kDnsmasqLinkLocal, kAllNodes, bytes));
  auto ra = validate_router_advertisement(bytes, 255, kDnsmasqLinkLocal);
  ASSERT_TRUE(ra.ok()) << ra.error().what;
  EXPECT_EQ(ra->cur_hop_limit, 64);
  EXPECT_EQ(ra->router_lifetime, 1800);
  EXPECT_EQ(ra->mtu, 1500u);
  EXPECT_EQ(ra->source_link_layer->mac(), mac("02:be:00:00:02:01"));
  ASSERT_EQ(ra->prefixes.size(), 1u);
  EXPECT_EQ(ra->prefixes[0].prefix, *Ipv6Prefix::parse("fd00:be:2::/64"));
  EXPECT_EQ(ra->prefixes[0].valid_lifetime, 0xffffffffu);  // ra-only: infinite
  EXPECT_EQ(ra->prefixes[0].preferred_lifetime, 0xffffffffu);
  EXPECT_TRUE(ra->rdnss.empty());  // --port=0: no DNS to announce
  EXPECT_TRUE(ra->dnssl.empty());
}

TEST(NdpEncodeTest, AdvertisementBytesExactly) {
  RouterAdvertisement ra{.cur_hop_limit = 64,
                         .managed = true,
                         .other = true,
                         .router_lifetime = 1800,
                         .reachable_time = 0x01020304,
                         .retrans_timer = 7,
                         .source_link_layer = LinkLayerAddress::from_mac(mac("02:be:00:00:00:01")),
                         .mtu = 1500};
  ra.prefixes.push_back({.prefix = *Ipv6Prefix::parse("fd42::/64"),
                         .on_link = true,
                         .autonomous = false,
                         .valid_lifetime = 86400,
                         .preferred_lifetime = 14400});
  ra.rdnss.push_back({.lifetime = 1800, .servers = {v6("fd42::1"), v6("fd42::2")}});
  ra.dnssl.push_back({.lifetime = 1800, .domains = {"berth.test"}});
  Bytes out(200);
  auto n = encode_router_advertisement(ra, out);
  ASSERT_TRUE(n.ok()) << n.error().what;
  out.resize(*n);
  const Bytes expected = {
      0x86, 0x00, 0x00, 0x00, 0x40, 0xc0, 0x07, 0x08, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 7,
      // SLLA
      0x01, 0x01, 0x02, 0xbe, 0, 0, 0, 0x01,
      // MTU
      0x05, 0x01, 0, 0, 0, 0, 0x05, 0xdc,
      // prefix information: /64, L only
      0x03, 0x04, 64, 0x80, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40, 0, 0, 0, 0,  //
      0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // RDNSS: 1 + 2 * 2 units
      0x19, 0x05, 0, 0, 0x00, 0x00, 0x07, 0x08,              //
      0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  //
      0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
      // DNSSL: 8 + 12 name octets + 4 of padding = 3 units
      0x1f, 0x03, 0, 0, 0x00, 0x00, 0x07, 0x08,  //
      5, 'b', 'e', 'r', 't', 'h', 4, 't', 'e', 's', 't', 0, 0, 0, 0, 0};
  EXPECT_EQ(out, expected);
  auto back = parse_router_advertisement(out);
  ASSERT_TRUE(back.ok()) << back.error().what;
  EXPECT_EQ(*back, ra);
}

TEST(NdpEncodeTest, DnsslNamesFillingWholeUnitsGetNoPadding) {
  // 8 octets of header + "abcdef.gh" (1+6+1+2+1 = 11) + "a" (3) = 22: pad 2.
  RouterAdvertisement ra;
  ra.dnssl.push_back({.lifetime = 5, .domains = {"abcdef.gh", "a"}});
  Bytes out(100);
  auto n = encode_router_advertisement(ra, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kRaHeaderSize + 24);
  // 8 + "abcdefghijklmn" (1+14+1 = 16) = 24: no padding.
  RouterAdvertisement exact;
  exact.dnssl.push_back({.lifetime = 5, .domains = {"abcdefghijklmn"}});
  n = encode_router_advertisement(exact, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kRaHeaderSize + 24);
  EXPECT_EQ(out[kRaHeaderSize + 1], 3);
}

TEST(NdpEncodeTest, RefusesWhatCannotBeWritten) {
  Bytes out(300);
  auto code = [&](const RouterAdvertisement& ra) {
    auto n = encode_router_advertisement(ra, out);
    return n.ok() ? std::optional<Errc>() : std::optional<Errc>(n.error().code);
  };
  RouterAdvertisement ra;
  ra.rdnss.push_back({.lifetime = 1});
  EXPECT_EQ(code(ra), Errc::malformed);
  ra = {};
  ra.dnssl.push_back({.lifetime = 1});
  EXPECT_EQ(code(ra), Errc::malformed);
  ra.dnssl[0].domains = {"bad name"};
  EXPECT_EQ(code(ra), Errc::malformed);
  ra = {};
  ra.prefixes.push_back({.prefix = Ipv6Prefix{v6("fd00::"), 129}});
  EXPECT_EQ(code(ra), Errc::malformed);
  ra = {};
  ra.source_link_layer = LinkLayerAddress{Bytes(5, 1)};  // 7 octets: not a whole unit
  EXPECT_EQ(code(ra), Errc::malformed);
  ra = {};
  ra.other_options.push_back({.type = 200, .body = Bytes(255 * 8, 0)});  // 256 units
  EXPECT_EQ(code(ra), Errc::malformed);

  ra = {};
  ra.mtu = 1500;
  Bytes small(kRaHeaderSize + 7);
  auto n = encode_router_advertisement(ra, small);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::no_space);
  Bytes tiny(kRsHeaderSize - 1);
  auto m = encode_router_solicitation(RouterSolicitation{}, tiny);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, Errc::no_space);
}

TEST(NdpParseTest, UnknownOptionsAreKeptAndWrittenBack) {
  // An RS with a nonce option (type 14, RFC 3971) after the link-layer
  // address: the codec does not decode it but must not drop it.
  const Bytes rs_bytes = {0x85, 0, 0, 0, 0, 0, 0, 0, 1,    1, 2, 0xbe, 0, 0, 0, 9,
                          14,   1, 1, 2, 3, 4, 5, 6, 0x99, 1, 0, 0,    0, 0, 0, 0};
  auto rs = parse_router_solicitation(rs_bytes);
  ASSERT_TRUE(rs.ok()) << rs.error().what;
  ASSERT_EQ(rs->other_options.size(), 2u);
  EXPECT_EQ(rs->other_options[0].type, 14);
  EXPECT_EQ(rs->other_options[0].body, (Bytes{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(rs->other_options[1].type, 0x99);
  Bytes out(64);
  auto n = encode_router_solicitation(*rs, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)), rs_bytes);
}

TEST(NdpParseTest, RepeatedSingleOptionsKeepTheFirst) {
  const Bytes ra_bytes = {0x86, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                          5,    1, 0, 0, 0,  0, 5, 0,                          // MTU 1280
                          5,    1, 0, 0, 0,  0, 6, 0,                          // MTU 1536
                          1,    1, 2, 0, 0,  0, 0, 1,                          // SLLA
                          1,    1, 2, 0, 0,  0, 0, 2};
  auto ra = parse_router_advertisement(ra_bytes);
  ASSERT_TRUE(ra.ok()) << ra.error().what;
  EXPECT_EQ(ra->mtu, 1280u);
  EXPECT_EQ(ra->source_link_layer->mac(), mac("02:00:00:00:00:01"));
  EXPECT_TRUE(ra->other_options.empty());
}

TEST(NdpParseTest, FlagBitsBeyondManagedAndOtherAreNotKept) {
  // 0x18: router preference "high" (RFC 4191), 0x40: O.
  const Bytes ra_bytes = {0x86, 0, 0, 0, 0, 0x58, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto ra = parse_router_advertisement(ra_bytes);
  ASSERT_TRUE(ra.ok());
  EXPECT_FALSE(ra->managed);
  EXPECT_TRUE(ra->other);
}

struct BadMessage {
  const char* name;
  Bytes bytes;
  Invalid reason;
};

TEST(NdpParseTest, SolicitationRules) {
  const std::vector<BadMessage> bad = {
      {"empty", {}, Invalid::truncated},
      {"advertisement", {0x86, 0, 0, 0, 0, 0, 0, 0}, Invalid::wrong_type},
      {"seven octets", {0x85, 0, 0, 0, 0, 0, 0}, Invalid::truncated},
      {"code 1", {0x85, 1, 0, 0, 0, 0, 0, 0}, Invalid::code},
      {"option length 0",
       {0x85, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
       Invalid::option_length_zero},
      {"option past end",
       {0x85, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0},
       Invalid::option_past_end},
      {"one stray octet", {0x85, 0, 0, 0, 0, 0, 0, 0, 1}, Invalid::option_past_end},
  };
  for (const BadMessage& m : bad) {
    auto rs = parse_router_solicitation(m.bytes);
    ASSERT_FALSE(rs.ok()) << m.name;
    EXPECT_EQ(invalid_reason(rs.error()), m.reason) << m.name << ": " << rs.error().what;
  }
}

TEST(NdpParseTest, AdvertisementRules) {
  const Bytes head = {0x86, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto with = [&](Bytes options) {
    Bytes b = head;
    b.insert(b.end(), options.begin(), options.end());
    return b;
  };
  Bytes prefix(32, 0);
  prefix[0] = 3;
  prefix[1] = 4;
  prefix[2] = 129;
  Bytes short_prefix = prefix;
  short_prefix[1] = 3;
  short_prefix.resize(24);
  const Bytes rdnss_even = {25, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  const Bytes dnssl_short = {31, 1, 0, 0, 0, 0, 0, 1};
  const Bytes dnssl_junk = {31, 2, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 0, 0, 7, 0, 0};
  const Bytes dnssl_pointer = {31, 2, 0, 0, 0, 0, 0, 1, 1, 'a', 0xc0, 8, 0, 0, 0, 0};
  const Bytes dnssl_only_padding = {31, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  const Bytes dnssl_name_past_end = {31, 2, 0, 0, 0, 0, 0, 1, 7, 'a', 'b', 'c', 'd', 'e', 'f', 'g'};
  const Bytes mtu_long = {5, 2, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<BadMessage> bad = {
      {"solicitation", {0x85, 0, 0, 0, 0, 0, 0, 0}, Invalid::wrong_type},
      {"fifteen octets", Bytes(head.begin(), head.end() - 1), Invalid::truncated},
      {"code 3", {0x86, 3, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Invalid::code},
      {"prefix /129", with(prefix), Invalid::option_value},
      {"prefix of 3 units", with(short_prefix), Invalid::option_length},
      {"RDNSS of 2 units", with(rdnss_even), Invalid::option_length},
      {"DNSSL of 1 unit", with(dnssl_short), Invalid::option_length},
      {"DNSSL junk in padding", with(dnssl_junk), Invalid::option_value},
      {"DNSSL pointer", with(dnssl_pointer), Invalid::option_value},
      {"DNSSL without a name", with(dnssl_only_padding), Invalid::option_value},
      {"DNSSL name past option", with(dnssl_name_past_end), Invalid::option_value},
      {"MTU of 2 units", with(mtu_long), Invalid::option_length},
      {"option length 0", with({200, 0, 0, 0, 0, 0, 0, 0}), Invalid::option_length_zero},
      {"option past end", with({200, 3, 0, 0, 0, 0, 0, 0}), Invalid::option_past_end},
  };
  for (const BadMessage& m : bad) {
    auto ra = parse_router_advertisement(m.bytes);
    ASSERT_FALSE(ra.ok()) << m.name;
    EXPECT_EQ(invalid_reason(ra.error()), m.reason) << m.name << ": " << ra.error().what;
  }
  // The good RDNSS lengths: 3 and 5 units.
  Bytes rdnss3(24, 0);
  rdnss3[0] = 25;
  rdnss3[1] = 3;
  auto ok = parse_router_advertisement(with(rdnss3));
  ASSERT_TRUE(ok.ok()) << ok.error().what;
  EXPECT_EQ(ok->rdnss[0].servers.size(), 1u);
}

TEST(NdpValidateTest, SolicitationNeedsHopLimit255AndNoAddressFromUnspecified) {
  const Bytes kernel = capture("kernel_rs");
  EXPECT_EQ(reason(validate_router_solicitation(kernel, 254, kHostLinkLocal)), Invalid::hop_limit);
  EXPECT_EQ(reason(validate_router_solicitation(kernel, 64, kHostLinkLocal)), Invalid::hop_limit);
  EXPECT_EQ(reason(validate_router_solicitation(kernel, 255, Ipv6Address::any())),
            Invalid::slla_from_unspecified);
  // Without the option, :: is a fine source (a host before DAD).
  EXPECT_TRUE(validate_router_solicitation(capture("rdisc6_rs"), 255, Ipv6Address::any()).ok());
  // A malformed message is reported as such.
  const Bytes code1 = {0x85, 1, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(reason(validate_router_solicitation(code1, 255, kHostLinkLocal)), Invalid::code);
}

TEST(NdpValidateTest, AdvertisementNeedsALinkLocalSource) {
  const Bytes radvd = capture("radvd_ra");
  EXPECT_TRUE(validate_router_advertisement(radvd, 255, kRadvdLinkLocal).ok());
  EXPECT_EQ(reason(validate_router_advertisement(radvd, 255, v6("fd00:be:1::1"))),
            Invalid::source_not_link_local);
  EXPECT_EQ(reason(validate_router_advertisement(radvd, 1, kRadvdLinkLocal)), Invalid::hop_limit);
}

TEST(NdpValidateTest, ReasonOnlyForThisCodecsErrors) {
  EXPECT_EQ(invalid_reason(make_error(Errc::malformed, "option length 0")),
            Invalid::option_length_zero);
  EXPECT_EQ(invalid_reason(make_error(Errc::malformed, "something else")), std::nullopt);
  for (const auto& [r, name] : kInvalidNames.entries) EXPECT_FALSE(name.empty());
}

TEST(NdpChecksumTest, ShortMessagesAndOddLengths) {
  // An odd-length message pads its last octet with zero (RFC 1071).
  const Bytes odd = {0x85, 0, 0, 0, 0xab};
  const Bytes even = {0x85, 0, 0, 0, 0xab, 0};
  EXPECT_EQ(icmpv6_checksum(kHostLinkLocal, kAllRouters, odd),
            static_cast<uint16_t>(icmpv6_checksum(kHostLinkLocal, kAllRouters, even) + 1));
  EXPECT_FALSE(checksum_ok(kHostLinkLocal, kAllRouters, Bytes{0x85, 0, 0}));
  // The stored checksum does not feed into its own computation.
  Bytes kernel = capture("kernel_rs");
  const uint16_t sum = icmpv6_checksum(kHostLinkLocal, kAllRouters, kernel);
  kernel[2] = 0x12;
  kernel[3] = 0x34;
  EXPECT_EQ(icmpv6_checksum(kHostLinkLocal, kAllRouters, kernel), sum);
}

}  // namespace
}  // namespace berth::ndp
