#include "protocol/dhcp4/options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace berth::dhcp4 {
namespace {

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(OptionList, SetGetAppendEraseKeepOrder) {
  OptionList l;
  EXPECT_TRUE(l.empty());
  l.set(12, bytes_of("web"));
  l.set_u8(53, 1);
  l.set(12, bytes_of("db"));  // replaces in place
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l.entries()[0].first, 12);
  EXPECT_EQ(*l.get(12), bytes_of("db"));
  l.append(12, bytes_of("01"));
  EXPECT_EQ(*l.get_text(12), "db01");
  l.append(55, Bytes{1, 3});
  EXPECT_EQ(l.entries().back().first, 55);
  l.erase(12);
  EXPECT_FALSE(l.has(12));
  EXPECT_EQ(l.get(12), nullptr);
  EXPECT_EQ(l.size(), 2u);
  l.erase(99);  // absent: no effect
  EXPECT_EQ(l.size(), 2u);
  l.clear();
  EXPECT_TRUE(l.empty());
}

TEST(OptionList, TypedSettersAndGetters) {
  OptionList l;
  l.set_u8(53, 5);
  l.set_u16(57, 1472);
  l.set_u32(51, 86400);
  l.set_ipv4(54, *Ipv4Address::parse("198.18.0.1"));
  const std::vector<Ipv4Address> dns{*Ipv4Address::parse("10.0.3.1"),
                                     *Ipv4Address::parse("10.0.3.2")};
  l.set_ipv4_list(6, dns);
  l.set_text(12, "web");
  EXPECT_EQ(l.get_u8(53), 5);
  EXPECT_EQ(l.get_u16(57), 1472);
  EXPECT_EQ(l.get_u32(51), 86400u);
  EXPECT_EQ(l.get_ipv4(54), Ipv4Address::parse("198.18.0.1"));
  EXPECT_EQ(l.get_ipv4_list(6), dns);
  EXPECT_EQ(l.get_text(12), "web");
  EXPECT_EQ(*l.get(57), (Bytes{0x05, 0xc0}));
  EXPECT_EQ(*l.get(51), (Bytes{0, 1, 0x51, 0x80}));

  // Wrong lengths and missing codes give nullopt.
  EXPECT_FALSE(l.get_u8(57));
  EXPECT_FALSE(l.get_u16(53));
  EXPECT_TRUE(l.get_u32(54));  // any four bytes read as a u32
  EXPECT_FALSE(l.get_ipv4(6));
  EXPECT_FALSE(l.get_ipv4_list(57));
  EXPECT_FALSE(l.get_u8(99));
  EXPECT_FALSE(l.get_text(99));
  l.set(3, Bytes{});
  EXPECT_FALSE(l.get_ipv4_list(3));
  EXPECT_EQ(l.get_text(3), "");

  // Typed values match their text forms.
  EXPECT_EQ(format_option_value(OptionSpace::dhcp4, 57, *l.get(57)), "1472");
  EXPECT_EQ(format_option_value(OptionSpace::dhcp4, 6, *l.get(6)), "10.0.3.1,10.0.3.2");
  EXPECT_EQ(format_option_value(OptionSpace::dhcp4, 54, *l.get(54)), "198.18.0.1");
}

TEST(OptionList, Equality) {
  OptionList a;
  OptionList b;
  a.set_u8(53, 1);
  a.set_text(12, "x");
  b.set_text(12, "x");
  b.set_u8(53, 1);
  EXPECT_NE(a, b);  // order is part of the list
  b.erase(12);
  b.set_text(12, "x");
  EXPECT_EQ(a, b);
}

TEST(ClientFqdn, ParsesWireEncoding) {
  const Bytes v{0x05, 0, 0, 3, 'w', 'e', 'b', 5, 'b', 'e', 'r', 't', 'h', 0};
  auto f = parse_client_fqdn(v);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->flags, ClientFqdn::kFlagS | ClientFqdn::kFlagE);
  EXPECT_EQ(f->name, "web.berth");

  // A partial name has no root label (RFC 4702 §2.3.1).
  auto partial = parse_client_fqdn(Bytes{ClientFqdn::kFlagE, 0, 0, 3, 'w', 'e', 'b'});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->name, "web");

  auto none = parse_client_fqdn(Bytes{ClientFqdn::kFlagE | ClientFqdn::kFlagN, 255, 255});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->name, "");
  EXPECT_EQ(none->rcode1, 255);
  EXPECT_EQ(none->rcode2, 255);
}

TEST(ClientFqdn, ParsesAsciiEncoding) {
  const Bytes v{ClientFqdn::kFlagS, 0, 0, 'w', 'e', 'b', '.', 'b', 'e', 'r', 't', 'h', '.', 0};
  auto f = parse_client_fqdn(v);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->flags, ClientFqdn::kFlagS);
  EXPECT_EQ(f->name, "web.berth");
}

TEST(ClientFqdn, RejectsBadWireNames) {
  const std::vector<Bytes> bad{
      {ClientFqdn::kFlagE, 0},                       // shorter than 3
      {ClientFqdn::kFlagE, 0, 0, 4, 'w', 'e', 'b'},  // label past end
      {ClientFqdn::kFlagE, 0, 0, 1, 'a', 0xc0, 3},   // compression not allowed
      {ClientFqdn::kFlagE, 0, 0, 1, 'a', 0, 1},      // bytes after the root label
      {ClientFqdn::kFlagE, 0, 0, 1, '.', 0},         // a dot inside a label
  };
  for (const Bytes& v : bad) EXPECT_FALSE(parse_client_fqdn(v)) << to_hex_colon(v);
}

TEST(ClientFqdn, EncodeRoundTrip) {
  ClientFqdn in{.flags = ClientFqdn::kFlagS | ClientFqdn::kFlagO,
                .rcode1 = 255,
                .rcode2 = 255,
                .name = "web.berth.example"};
  const Bytes wire = encode_client_fqdn(in);
  EXPECT_EQ(wire[0], ClientFqdn::kFlagS | ClientFqdn::kFlagO | ClientFqdn::kFlagE);
  EXPECT_EQ(wire.back(), 0);  // fully qualified
  auto out = parse_client_fqdn(wire);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->flags, wire[0]);
  EXPECT_EQ(out->rcode1, 255);
  EXPECT_EQ(out->rcode2, 255);
  EXPECT_EQ(out->name, in.name);

  EXPECT_EQ(encode_client_fqdn(ClientFqdn{}), (Bytes{ClientFqdn::kFlagE, 0, 0}));
  // Empty labels are skipped and long labels cut, so the result always parses.
  auto odd =
      parse_client_fqdn(encode_client_fqdn(ClientFqdn{.name = "a.." + std::string(70, 'x') + "."}));
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->name, "a." + std::string(63, 'x'));
}

}  // namespace
}  // namespace berth::dhcp4
