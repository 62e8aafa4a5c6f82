#include "protocol/address.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <unordered_set>
#include <vector>

namespace berth {
namespace {

TEST(Ipv4Address, ParsesDottedQuad) {
  auto a = Ipv4Address::parse("10.0.3.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value(), 0x0a000301u);
  EXPECT_EQ(a->to_string(), "10.0.3.1");
  EXPECT_EQ(Ipv4Address::parse("0.0.0.0"), Ipv4Address::any());
  EXPECT_EQ(Ipv4Address::parse("255.255.255.255"), Ipv4Address::broadcast());
  EXPECT_EQ(Ipv4Address::broadcast().to_string(), "255.255.255.255");
  EXPECT_EQ(Ipv4Address::any().to_string(), "0.0.0.0");
}

TEST(Ipv4Address, RejectsEverythingButStrictDottedQuad) {
  for (const char* bad :
       {"",           "1",        "1.2.3",      "1.2.3.4.5", "256.0.0.1", "1.2.3.256",
        "01.2.3.4",   "1.2.3.04", "1.2.3.00",   "1..3.4",    ".1.2.3",    "1.2.3.4.",
        " 1.2.3.4",   "1.2.3.4 ", "1.2.3.-4",   "1.2.3.+4",  "0x1.2.3.4", "1.2.3.4/24",
        "1234.1.1.1", "a.b.c.d",  "4294967295", "1.2.3.4\n"}) {
    EXPECT_FALSE(Ipv4Address::parse(bad)) << bad;
  }
}

TEST(Ipv4Address, BytesRoundTripAndOrder) {
  const Ipv4Address a(0xc6120001u);
  auto b = a.to_bytes();
  EXPECT_EQ(b, (std::array<uint8_t, 4>{198, 18, 0, 1}));
  EXPECT_EQ(Ipv4Address::from_bytes(b), a);
  EXPECT_LT(Ipv4Address(1), Ipv4Address(2));
  EXPECT_TRUE(Ipv4Address().is_unspecified());
  std::unordered_set<Ipv4Address> set{a, a, Ipv4Address(1)};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Ipv4Prefix, ParsesAndComputes) {
  auto p = Ipv4Prefix::parse("10.0.3.1/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->address.to_string(), "10.0.3.1");
  EXPECT_EQ(p->length, 24);
  EXPECT_EQ(p->mask().to_string(), "255.255.255.0");
  EXPECT_EQ(p->network().to_string(), "10.0.3.0");
  EXPECT_EQ(p->broadcast().to_string(), "10.0.3.255");
  EXPECT_TRUE(p->contains(*Ipv4Address::parse("10.0.3.254")));
  EXPECT_FALSE(p->contains(*Ipv4Address::parse("10.0.4.1")));
  EXPECT_EQ(p->to_string(), "10.0.3.1/24");

  auto all = Ipv4Prefix::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->mask().value(), 0u);
  EXPECT_TRUE(all->contains(Ipv4Address::broadcast()));
  auto host = Ipv4Prefix::parse("198.18.0.7/32");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->network(), host->address);
  EXPECT_EQ(host->broadcast(), host->address);
}

TEST(Ipv4Prefix, RejectsBadForms) {
  for (const char* bad : {"10.0.3.1", "10.0.3.1/", "10.0.3.1/33", "10.0.3.1/024", "10.0.3.1/-1",
                          "/24", "10.0.3/24", "10.0.3.1/24/1", "10.0.3.1/2a", "10.0.3.1/ 24"}) {
    EXPECT_FALSE(Ipv4Prefix::parse(bad)) << bad;
  }
}

TEST(MacAddress, ParsesBothSeparatorsAnyCase) {
  const MacAddress want({0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc});
  EXPECT_EQ(MacAddress::parse("00:16:3e:aa:bb:cc"), want);
  EXPECT_EQ(MacAddress::parse("00-16-3E-AA-BB-CC"), want);
  EXPECT_EQ(MacAddress::parse("00:16:3E:aA:Bb:cc"), want);
  EXPECT_EQ(want.to_string(), "00:16:3e:aa:bb:cc");
  EXPECT_EQ(MacAddress::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
  EXPECT_TRUE(MacAddress().is_zero());
  EXPECT_FALSE(want.is_zero());
  EXPECT_EQ(MacAddress::from_bytes(want.view()), want);
}

TEST(MacAddress, RejectsBadForms) {
  for (const char* bad : {"", "00:16:3e:aa:bb", "00:16:3e:aa:bb:cc:dd", "00:16-3e:aa:bb:cc",
                          "0:16:3e:aa:bb:cc", "00:16:3e:aa:bb:cg", "0016.3eaa.bbcc", "00163eaabbcc",
                          "00:16:3e:aa:bb:cc ", "00 16 3e aa bb cc"}) {
    EXPECT_FALSE(MacAddress::parse(bad)) << bad;
  }
}

TEST(HexColon, RoundTrips) {
  const Bytes b{0x01, 0x00, 0x16, 0x3e, 0xff};
  EXPECT_EQ(to_hex_colon(b), "01:00:16:3e:ff");
  EXPECT_EQ(parse_hex_colon("01:00:16:3e:ff"), b);
  EXPECT_EQ(parse_hex_colon("1:0:16:3E:FF"), b);
  EXPECT_EQ(to_hex_colon({}), "");
  EXPECT_EQ(parse_hex_colon(""), Bytes{});
  for (const char* bad : {":", "01:", ":01", "01::02", "123", "0g", "01 02", "01-02"}) {
    EXPECT_FALSE(parse_hex_colon(bad)) << bad;
  }
}

// ---- either family ----

Ipv4Address ip4(std::string_view t) { return Ipv4Address::parse(t).value(); }
Ipv6Address ip6(std::string_view t) { return Ipv6Address::parse(t).value(); }

struct Holder {
  IpAddress ip;
};

TEST(IpAddress, HoldsEitherFamily) {
  // Implicit from either family, as a designated initializer would use it.
  const Holder h4{.ip = ip4("198.18.0.1")};
  const Holder h6{.ip = ip6("fd42::1")};
  EXPECT_TRUE(h4.ip.is_v4());
  EXPECT_FALSE(h4.ip.is_v6());
  EXPECT_EQ(h4.ip.family(), IpFamily::v4);
  EXPECT_EQ(h4.ip.v4(), ip4("198.18.0.1"));
  EXPECT_TRUE(h6.ip.is_v6());
  EXPECT_EQ(h6.ip.family(), IpFamily::v6);
  EXPECT_EQ(h6.ip.v6(), ip6("fd42::1"));
  EXPECT_EQ(to_string(IpFamily::v4), "ipv4");
  EXPECT_EQ(kIpFamilyNames.value("ipv6"), IpFamily::v6);

  EXPECT_EQ(IpAddress().family(), IpFamily::v4);
  EXPECT_TRUE(IpAddress().is_unspecified());
  EXPECT_TRUE(IpAddress(Ipv6Address()).is_unspecified());
  EXPECT_FALSE(h6.ip.is_unspecified());
  EXPECT_EQ(h4.ip, ip4("198.18.0.1"));  // compares with a plain address too
  EXPECT_NE(h4.ip, IpAddress(ip4("198.18.0.2")));
}

TEST(IpAddress, ParsesAndPrintsEitherForm) {
  struct Case {
    const char* in;
    IpFamily family;
    const char* out;
  };
  for (const Case& c : {
           Case{"198.18.0.1", IpFamily::v4, "198.18.0.1"},
           Case{"0.0.0.0", IpFamily::v4, "0.0.0.0"},
           Case{"FD42:0::1", IpFamily::v6, "fd42::1"},
           Case{"::", IpFamily::v6, "::"},
           Case{"::ffff:198.18.0.1", IpFamily::v6, "::ffff:198.18.0.1"},
       }) {
    auto a = IpAddress::parse(c.in);
    ASSERT_TRUE(a) << c.in;
    EXPECT_EQ(a->family(), c.family) << c.in;
    EXPECT_EQ(a->to_string(), c.out);
    EXPECT_EQ(IpAddress::parse(a->to_string()), a);
  }
  // The IPv4-mapped IPv6 address is not the IPv4 address.
  EXPECT_NE(IpAddress::parse("::ffff:198.18.0.1"), IpAddress::parse("198.18.0.1"));
  for (const char* bad : {"", "198.18.0", "198.18.0.1/32", "fe80::1%eth0", "::1::", "localhost",
                          " 198.18.0.1", "[::1]"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
}

TEST(IpAddress, OrdersV4BeforeV6ThenByValueAndHashes) {
  const std::vector<IpAddress> sorted{ip4("0.0.0.0"), ip4("198.18.0.1"), ip4("255.255.255.255"),
                                      ip6("::"),      ip6("::1"),        ip6("::ffff:0.0.0.0"),
                                      ip6("fd42::1"), ip6("ff02::1")};
  for (size_t i = 0; i < sorted.size(); ++i) {
    for (size_t j = 0; j < sorted.size(); ++j) {
      EXPECT_EQ(sorted[i] < sorted[j], i < j)
          << sorted[i].to_string() << " " << sorted[j].to_string();
      EXPECT_EQ(sorted[i] == sorted[j], i == j);
    }
  }
  std::vector<IpAddress> shuffled{sorted.rbegin(), sorted.rend()};
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, sorted);

  std::unordered_set<IpAddress> set(sorted.begin(), sorted.end());
  set.insert(ip6("fd42:0:0::1"));
  set.insert(ip4("198.18.0.1"));
  EXPECT_EQ(set.size(), sorted.size());
  // 0.0.0.1 and ::1 are different keys.
  EXPECT_EQ(set.count(ip4("0.0.0.1")), 0u);
  EXPECT_EQ(set.count(ip6("::1")), 1u);
  EXPECT_NE(std::hash<IpAddress>{}(ip4("0.0.0.1")), std::hash<IpAddress>{}(ip6("::1")));
  EXPECT_NE(std::hash<IpAddress>{}(ip4("198.18.0.1")), std::hash<IpAddress>{}(ip6("::198.18.0.1")));
}

TEST(IpPrefix, EitherFamily) {
  auto p4 = IpPrefix::parse("198.18.0.1/15");
  ASSERT_TRUE(p4);
  EXPECT_TRUE(p4->is_v4());
  EXPECT_EQ(p4->family(), IpFamily::v4);
  EXPECT_EQ(p4->address(), IpAddress(ip4("198.18.0.1")));
  EXPECT_EQ(p4->length(), 15);
  EXPECT_EQ(p4->network(), IpAddress(ip4("198.18.0.0")));
  EXPECT_EQ(p4->v4(), Ipv4Prefix::parse("198.18.0.1/15"));
  EXPECT_TRUE(p4->contains(ip4("198.19.255.254")));
  EXPECT_FALSE(p4->contains(ip4("198.20.0.1")));
  EXPECT_EQ(p4->to_string(), "198.18.0.1/15");

  auto p6 = IpPrefix::parse("FD42::1/64");
  ASSERT_TRUE(p6);
  EXPECT_TRUE(p6->is_v6());
  EXPECT_EQ(p6->family(), IpFamily::v6);
  EXPECT_EQ(p6->address(), IpAddress(ip6("fd42::1")));
  EXPECT_EQ(p6->length(), 64);
  EXPECT_EQ(p6->network(), IpAddress(ip6("fd42::")));
  EXPECT_EQ(p6->v6(), Ipv6Prefix::parse("fd42::1/64"));
  EXPECT_TRUE(p6->contains(ip6("fd42::abcd")));
  EXPECT_FALSE(p6->contains(ip6("fd42:1::1")));
  EXPECT_EQ(p6->to_string(), "fd42::1/64");

  // Never across families, not even for the catch-all prefixes or a mapped address.
  EXPECT_FALSE(IpPrefix::parse("0.0.0.0/0")->contains(ip6("::")));
  EXPECT_FALSE(IpPrefix::parse("::/0")->contains(ip4("0.0.0.0")));
  EXPECT_FALSE(IpPrefix::parse("198.18.0.0/15")->contains(ip6("::ffff:198.18.0.1")));
  EXPECT_TRUE(IpPrefix::parse("::/0")->contains(ip6("::ffff:198.18.0.1")));

  EXPECT_EQ(IpPrefix(*Ipv4Prefix::parse("198.18.0.1/15")), p4);
  EXPECT_NE(p4, IpPrefix::parse("198.18.0.1/16"));
  EXPECT_NE(p6, IpPrefix::parse("fd42::1/65"));
  EXPECT_NE(IpPrefix::parse("::/0"), IpPrefix::parse("0.0.0.0/0"));
  EXPECT_EQ(IpPrefix(), IpPrefix::parse("0.0.0.0/0"));
  for (const char* bad : {"", "198.18.0.1", "fd42::1", "198.18.0.1/33", "fd42::1/129", "/0",
                          "fd42::1%eth0/64", "198.18.0.1/15 "}) {
    EXPECT_FALSE(IpPrefix::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace berth
