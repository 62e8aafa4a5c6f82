#include "protocol/address.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

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

}  // namespace
}  // namespace berth
