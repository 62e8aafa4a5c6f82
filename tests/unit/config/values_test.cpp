#include "config/values.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

Ipv4Address ip(const char* text) { return Ipv4Address::parse(text).value_or(Ipv4Address()); }

TEST(Values, ParseLeaseTime) {
  EXPECT_EQ(parse_lease_time("0"), 0u);
  EXPECT_EQ(parse_lease_time("59"), 59u);
  EXPECT_EQ(parse_lease_time("59s"), 59u);
  EXPECT_EQ(parse_lease_time("59S"), 59u);
  EXPECT_EQ(parse_lease_time("10m"), 600u);
  EXPECT_EQ(parse_lease_time("10M"), 600u);
  EXPECT_EQ(parse_lease_time("3h"), 10800u);
  EXPECT_EQ(parse_lease_time("7d"), 604800u);
  EXPECT_EQ(parse_lease_time("infinite"), kInfiniteLease);
  // Too large to count: saturated so a range check rejects it.
  EXPECT_EQ(parse_lease_time("123456789012345678901234567890d"), UINT64_MAX);
  EXPECT_GT(parse_lease_time("4294967296").value_or(0), uint64_t{kInfiniteLease});
  for (const char* bad : {"", "s", "-1", "+1", "1w", "1 h", " 1", "1h ", "1.0", "0x10", "1hs",
                          "infinity", "INFINITE"}) {
    EXPECT_FALSE(parse_lease_time(bad).has_value()) << bad;
  }
}

TEST(Values, ParseAddressRange) {
  const AddressRange r{ip("10.0.3.2"), ip("10.0.3.254")};
  EXPECT_EQ(parse_address_range("10.0.3.2-10.0.3.254"), r);
  EXPECT_EQ(parse_address_range("10.0.3.2 - 10.0.3.254"), r);
  EXPECT_EQ(parse_address_range(" 10.0.3.2\t-\t10.0.3.254 "), r);
  // Order is not parse_address_range's business.
  EXPECT_EQ(parse_address_range("10.0.3.9-10.0.3.1"),
            (AddressRange{ip("10.0.3.9"), ip("10.0.3.1")}));
  for (const char* bad : {"", "-", "10.0.3.2", "10.0.3.2-", "-10.0.3.2", "10.0.3.2--10.0.3.3",
                          "10.0.3.2-10.0.3.3-10.0.3.4", "10.0.3.2,10.0.3.3", "a-b"}) {
    EXPECT_FALSE(parse_address_range(bad).has_value()) << bad;
  }
  EXPECT_EQ(r.to_string(), "10.0.3.2-10.0.3.254");
  EXPECT_TRUE(r.contains(ip("10.0.3.2")));
  EXPECT_TRUE(r.contains(ip("10.0.3.254")));
  EXPECT_FALSE(r.contains(ip("10.0.3.255")));
}

TEST(Values, InterfaceName) {
  for (const char* good : {"berth0", "a", "lxcbr0", "br-0.100", "fifteen_bytes__", "virbr1@x"}) {
    EXPECT_FALSE(interface_name_problem(good).has_value()) << good;
  }
  for (const char* bad : {"", ".", "..", "sixteen_bytes___", "a/b", "a:b", "a b", "a\tb"}) {
    EXPECT_TRUE(interface_name_problem(bad).has_value()) << bad;
  }
  EXPECT_TRUE(interface_name_problem(std::string_view("a\0b", 3)).has_value());
  EXPECT_TRUE(interface_name_problem("a\xa0").has_value());  // kernel isspace()
  EXPECT_EQ(interface_name_problem("a\nb"),
            "interface name 'a\\x0ab' contains '\\x0a', which Linux does not allow");
}

TEST(Values, DnsDomain) {
  const std::string label63(63, 'a');
  const std::string long_name =
      label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(long_name.size(), 253u);
  for (const std::string& good : {std::string("berth"), std::string("lxc.example"),
                                  std::string("a-b.c1"), std::string("0"), label63, long_name}) {
    EXPECT_FALSE(dns_domain_problem(good).has_value()) << good;
  }
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string("a."), std::string(".a"),
        std::string("a..b"), std::string("-a"), std::string("a-"), std::string("a_b"),
        std::string("a b"), label63 + "a", long_name + "b", std::string("caf\xc3\xa9")}) {
    EXPECT_TRUE(dns_domain_problem(bad).has_value()) << bad;
  }
  EXPECT_EQ(dns_domain_problem("a_b"),
            "domain 'a_b' contains '_'; only letters, digits, '-' and '.' are allowed");
}

TEST(Values, BridgeAddress) {
  EXPECT_FALSE(bridge_address_problem({ip("10.0.3.1"), 24}).has_value());
  EXPECT_FALSE(bridge_address_problem({ip("10.0.0.1"), 8}).has_value());
  EXPECT_FALSE(bridge_address_problem({ip("10.0.0.2"), 30}).has_value());
  EXPECT_TRUE(bridge_address_problem({ip("10.0.0.1"), 31}).has_value());
  EXPECT_TRUE(bridge_address_problem({ip("10.0.0.1"), 32}).has_value());
  EXPECT_TRUE(bridge_address_problem({ip("10.0.0.1"), 7}).has_value());
  EXPECT_TRUE(bridge_address_problem({ip("10.0.0.0"), 30}).has_value());
  EXPECT_TRUE(bridge_address_problem({ip("10.0.0.3"), 30}).has_value());
}

TEST(Values, PoolProblem) {
  const Ipv4Prefix net{ip("10.0.3.1"), 24};
  EXPECT_FALSE(pool_problem(net, {ip("10.0.3.2"), ip("10.0.3.254")}).has_value());
  EXPECT_FALSE(pool_problem(net, {ip("10.0.3.7"), ip("10.0.3.7")}).has_value());
  const Ipv4Prefix middle{ip("10.0.3.100"), 24};
  EXPECT_EQ(pool_problem(middle, {ip("10.0.3.50"), ip("10.0.3.150")}),
            "pool 10.0.3.50-10.0.3.150 contains the bridge's own address 10.0.3.100");
  EXPECT_FALSE(pool_problem(middle, {ip("10.0.3.101"), ip("10.0.3.150")}).has_value());
  EXPECT_EQ(pool_problem(net, {ip("10.0.2.250"), ip("10.0.3.5")}),
            "pool 10.0.2.250-10.0.3.5 is not inside the subnet 10.0.3.0/24");
}

TEST(Values, DefaultPoolNeverHoldsTheBridgeNetworkOrBroadcast) {
  for (uint8_t length = kMinPrefixLength; length <= kMaxPrefixLength; ++length) {
    const Ipv4Prefix base{ip("172.16.0.0"), length};
    const uint32_t size = 1u << (32 - length);
    for (uint32_t offset : {1u, 2u, size / 2 - 1, size / 2, size / 2 + 1, size - 2}) {
      if (offset == 0 || offset >= size - 1) continue;  // network or broadcast
      const Ipv4Prefix p{Ipv4Address(base.network().value() + offset), length};
      ASSERT_FALSE(bridge_address_problem(p).has_value())
          << p.address.to_string() << "/" << +length;
      const AddressRange pool = default_pool(p);
      EXPECT_FALSE(pool_problem(p, pool).has_value())
          << p.address.to_string() << "/" << +length << " -> " << pool.to_string();
    }
  }
}

TEST(Values, SubnetsOverlap) {
  EXPECT_TRUE(subnets_overlap({ip("10.0.3.1"), 24}, {ip("10.0.3.200"), 24}));
  EXPECT_TRUE(subnets_overlap({ip("10.0.3.1"), 24}, {ip("10.0.0.1"), 16}));
  EXPECT_TRUE(subnets_overlap({ip("10.0.0.1"), 16}, {ip("10.0.3.1"), 24}));
  EXPECT_FALSE(subnets_overlap({ip("10.0.3.1"), 24}, {ip("10.0.4.1"), 24}));
  EXPECT_FALSE(subnets_overlap({ip("10.0.3.1"), 30}, {ip("10.0.3.5"), 30}));
}

TEST(Values, EditDistance) {
  EXPECT_EQ(edit_distance("lease_time", "lease_time", 2), 0u);
  EXPECT_EQ(edit_distance("leas_time", "lease_time", 2), 1u);
  EXPECT_EQ(edit_distance("mut", "mtu", 2), 1u);  // transposition
  EXPECT_EQ(edit_distance("poool", "pool", 2), 1u);
  EXPECT_EQ(edit_distance("adress", "address", 2), 1u);
  EXPECT_EQ(edit_distance("domian", "domain", 2), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 5), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 2), 3u);  // capped at limit + 1
  EXPECT_EQ(edit_distance("", "abc", 5), 3u);
  EXPECT_EQ(edit_distance("x", std::string(10000, 'x'), 2), 3u);
  EXPECT_EQ(edit_distance("nat", "name", 2), 2u);
}

TEST(Values, Quoted) {
  EXPECT_EQ(quoted("abc"), "'abc'");
  EXPECT_EQ(quoted("a\x1b[31m"), "'a\\x1b[31m'");
  EXPECT_EQ(quoted("caf\xc3\xa9"), "'caf\\xc3\\xa9'");
  EXPECT_EQ(quoted(std::string(100, 'a'), 4), "'aaaa...'");
}

}  // namespace
}  // namespace berth::config
