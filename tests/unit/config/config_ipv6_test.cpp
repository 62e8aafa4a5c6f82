// The IPv6 keys of [[bridge]]: ipv6, ipv6_mode, ipv6_pool, ipv6_nat,
// ra_interval.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace berth::config {
namespace {

using test::bridge_with;
using test::error_of;

Ipv6Address v6(const char* text) { return Ipv6Address::parse(text).value(); }

TEST(ConfigIpv6, ABridgeWithoutIpv6HasNone) {
  const Config c = parse_config(bridge_with(""), "test.toml");
  EXPECT_FALSE(c.bridges[0].has_ipv6());
  EXPECT_FALSE(c.bridges[0].ipv6_nat);
}

TEST(ConfigIpv6, WrittenPrefixTakesStatelessModeAndTheDefaultPool) {
  const Config c = parse_config(bridge_with("ipv6 = \"fd42:1:2:3::1/64\"\n"), "test.toml");
  const BridgeConfig& b = c.bridges[0];
  ASSERT_TRUE(b.ipv6.has_value());
  EXPECT_EQ(b.ipv6->to_string(), "fd42:1:2:3::1/64");
  EXPECT_EQ(b.ipv6_mode, Ipv6Mode::stateless);
  EXPECT_EQ(b.ipv6_pool_start, v6("fd42:1:2:3::1:0"));
  EXPECT_EQ(b.ipv6_pool_end, v6("fd42:1:2:3::1:ffff"));
  EXPECT_FALSE(b.ipv6_nat);
  EXPECT_EQ(b.ra_interval, 600u);
}

TEST(ConfigIpv6, StatefulWithAPool) {
  const Config c = parse_config(bridge_with("ipv6 = \"fd42::1/64\"\n"
                                            "ipv6_mode = \"stateful\"\n"
                                            "ipv6_pool = \"fd42::100-fd42::1ff\"\n"
                                            "ra_interval = 30\n"),
                                "test.toml");
  const BridgeConfig& b = c.bridges[0];
  EXPECT_EQ(b.ipv6_mode, Ipv6Mode::stateful);
  EXPECT_EQ(b.ipv6_pool_start, v6("fd42::100"));
  EXPECT_EQ(b.ipv6_pool_end, v6("fd42::1ff"));
  EXPECT_EQ(b.ra_interval, 30u);
}

TEST(ConfigIpv6, AutoTurnsNat66OnUnlessWrittenOrWithoutFirewall) {
  EXPECT_TRUE(parse_config(bridge_with("ipv6 = \"auto\"\n"), "t").bridges[0].ipv6_nat);
  EXPECT_TRUE(parse_config(bridge_with("ipv6 = \"auto\"\n"), "t").bridges[0].ipv6_auto);
  EXPECT_FALSE(
      parse_config(bridge_with("ipv6 = \"auto\"\nipv6_nat = false\n"), "t").bridges[0].ipv6_nat);
  EXPECT_FALSE(parse_config("[firewall]\nenabled = false\n" + bridge_with("ipv6 = \"auto\"\n"), "t")
                   .bridges[0]
                   .ipv6_nat);
  const ConfigError e =
      error_of("[firewall]\nenabled = false\n" + bridge_with("ipv6 = \"fd00::1/64\"\nipv6_nat = "
                                                             "true\n"));
  EXPECT_EQ(e.key(), "bridge[0].ipv6_nat");
  EXPECT_NE(e.message().find("needs the firewall"), std::string::npos) << e.message();
}

TEST(ConfigIpv6, AutoResolvesToTheChosenPrefixWithTheDefaultPool) {
  Config c = parse_config(bridge_with("ipv6 = \"auto\"\n"), "test.toml");
  BridgeConfig& b = c.bridges[0];
  EXPECT_FALSE(b.ipv6.has_value());
  resolve_auto_ipv6(b, *Ipv6Prefix::parse("fd9a:bc:de::1/64"));
  EXPECT_EQ(b.ipv6->to_string(), "fd9a:bc:de::1/64");
  EXPECT_EQ(b.ipv6_pool_start, v6("fd9a:bc:de::1:0"));
  EXPECT_TRUE(b.ipv6_auto);
  EXPECT_THROW(resolve_auto_ipv6(b, *Ipv6Prefix::parse("fd9a::1/48")), std::invalid_argument);
}

struct BadCase {
  const char* lines;  // starting on line 4
  uint32_t line;
  const char* key;
  const char* says;
};

// Each case's lines, after `before`, in a bridge: the error names that
// line and key and says why.
template <size_t N>
void expect_errors(const BadCase (&cases)[N], const std::string& before = {}) {
  for (const BadCase& c : cases) {
    const ConfigError e = error_of(bridge_with(before + c.lines));
    EXPECT_EQ(e.line(), c.line) << c.lines;
    EXPECT_EQ(e.key(), c.key) << c.lines;
    EXPECT_NE(e.message().find(c.says), std::string::npos) << c.lines << " -> " << e.message();
  }
}

TEST(ConfigIpv6, BadValuesNameLineKeyAndWhy) {
  const BadCase cases[] = {
      {"ipv6 = \"fd42::1\"\n", 4, "bridge[0].ipv6", "with a prefix length"},
      {"ipv6 = \"fd42::1/48\"\n", 4, "bridge[0].ipv6", "prefix length 64"},
      {"ipv6 = \"fe80::1/64\"\n", 4, "bridge[0].ipv6", "link-local"},
      {"ipv6 = \"ff02::1/64\"\n", 4, "bridge[0].ipv6", "multicast"},
      {"ipv6 = \"fd42::/64\"\n", 4, "bridge[0].ipv6", "subnet-router anycast"},
      {"ipv6 = \"10.0.3.1/24\"\n", 4, "bridge[0].ipv6", "not an IPv6 address"},
      {"ipv6 = \"fd42::1/64\"\nipv6_mode = \"dhcp\"\n", 5, "bridge[0].ipv6_mode", "\"stateful\""},
      {"ipv6_mode = \"slaac\"\n", 4, "bridge[0].ipv6_mode", "needs ipv6"},
      {"ra_interval = 60\n", 4, "bridge[0].ra_interval", "needs ipv6"},
      {"ipv6 = \"fd42::1/64\"\nra_interval = 3\n", 5, "bridge[0].ra_interval", "4..1800"},
      {"ipv6 = \"fd42::1/64\"\nra_interval = 1801\n", 5, "bridge[0].ra_interval", "4..1800"},
      {"ipv6 = \"fd42::1/64\"\nipv6_pool = \"fd42::100-fd42::1ff\"\n", 5, "bridge[0].ipv6_pool",
       "needs ipv6_mode = \"stateful\""},
      {"ipv6 = \"fd42::1/64\"\nipv6_mode = \"stateful\"\nipv6_pool = \"fd43::100-fd43::1ff\"\n", 6,
       "bridge[0].ipv6_pool", "not inside the bridge prefix"},
      {"ipv6 = \"fd42::1/64\"\nipv6_mode = \"stateful\"\nipv6_pool = \"fd42::1ff-fd42::100\"\n", 6,
       "bridge[0].ipv6_pool", "ends before it starts"},
      {"ipv6 = \"fd42::1/64\"\nipv6_mode = \"stateful\"\nipv6_pool = \"fd42::1-fd42::100\"\n", 6,
       "bridge[0].ipv6_pool", "bridge's own address"},
      {"ipv6 = \"fd42::1/64\"\nipv6_mode = \"stateful\"\nipv6_pool = \"fd42::100\"\n", 6,
       "bridge[0].ipv6_pool", "not an address range"},
      {"ipv6 = \"auto\"\nipv6_mode = \"stateful\"\nipv6_pool = \"fd42::100-fd42::1ff\"\n", 6,
       "bridge[0].ipv6_pool", "cannot be written with ipv6 = \"auto\""},
  };
  expect_errors(cases);
}

TEST(ConfigIpv6, TwoBridgesCannotShareAPrefix) {
  const ConfigError e = error_of(bridge_with("ipv6 = \"fd42::1/64\"\n") +
                                 "[[bridge]]\nname = \"berth1\"\naddress = \"10.0.4.1/24\"\n"
                                 "ipv6 = \"fd42::2/64\"\n");
  EXPECT_EQ(e.key(), "bridge[1].ipv6");
  EXPECT_NE(e.message().find("already the prefix of bridge[0]"), std::string::npos);
}

TEST(ConfigIpv6, ReservationsCarryIpv6ByMacOrDuid) {
  const Config c = parse_config(bridge_with("ipv6 = \"fd42::1/64\"\n"
                                            "ipv6_mode = \"stateful\"\n"
                                            "[[bridge.reservation]]\n"
                                            "mac = \"02:00:00:00:00:01\"\n"
                                            "ip = \"10.0.3.50\"\n"
                                            "ipv6 = \"fd42::50\"\n"
                                            "name = \"web\"\n"
                                            "[[bridge.reservation]]\n"
                                            "hostname = \"db\"\n"
                                            "ip = \"10.0.3.51\"\n"
                                            "ipv6 = \"fd42::51\"\n"
                                            "duid = \"00:04:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:"
                                            "0e:0f:10\"\n"),
                                "test.toml");
  const auto& r = c.bridges[0].reservations;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].ipv6, v6("fd42::50"));
  EXPECT_TRUE(r[0].duid.empty());
  EXPECT_EQ(r[1].ipv6, v6("fd42::51"));
  EXPECT_EQ(r[1].duid.size(), 18u);
  Config again = parse_config(to_toml(c), "again.toml");
  again.source = c.source;
  EXPECT_EQ(again, c);
}

TEST(ConfigIpv6, BadReservationIpv6NamesLineKeyAndWhy) {
  const std::string stateful = "ipv6 = \"fd42::1/64\"\nipv6_mode = \"stateful\"\n";
  const std::string res =
      "[[bridge.reservation]]\nmac = \"02:00:00:00:00:01\"\nip = "
      "\"10.0.3.50\"\n";
  const BadCase cases[] = {
      // ipv6 lands on line 9 after the two bridge lines and three reservation lines.
      {"ipv6 = \"fd43::50\"\n", 9, "bridge[0].reservation[0].ipv6", "outside the bridge prefix"},
      {"ipv6 = \"fd42::1\"\n", 9, "bridge[0].reservation[0].ipv6", "bridge's own address"},
      {"ipv6 = \"fd42::\"\n", 9, "bridge[0].reservation[0].ipv6", "subnet-router anycast"},
      {"ipv6 = \"10.0.3.9\"\n", 9, "bridge[0].reservation[0].ipv6", "not an IPv6 address"},
      {"ipv6 = \"fd42::50\"\nduid = \"zz\"\n", 10, "bridge[0].reservation[0].duid",
       "not hex bytes"},
      {"ipv6 = \"fd42::50\"\nduid = \"00:04:01\"\n", 10, "bridge[0].reservation[0].duid",
       "not a DUID"},
      {"duid = \"00:04:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10\"\n", 9,
       "bridge[0].reservation[0].duid", "needs ipv6"},
  };
  expect_errors(cases, stateful + res);
  // Without ipv6 on the bridge, or with a prefix chosen only at start.
  ConfigError e = error_of(bridge_with(res + "ipv6 = \"fd42::50\"\n"));
  EXPECT_EQ(e.key(), "bridge[0].reservation[0].ipv6");
  EXPECT_NE(e.message().find("needs ipv6 on the bridge"), std::string::npos) << e.message();
  // By hostname a DHCPv6 client cannot be found without a DUID.
  e = error_of(bridge_with(stateful +
                           "[[bridge.reservation]]\nhostname = \"db\"\nip = \"10.0.3.50\"\n"
                           "ipv6 = \"fd42::50\"\n"));
  EXPECT_EQ(e.key(), "bridge[0].reservation[0].ipv6");
  EXPECT_NE(e.message().find("needs a duid"), std::string::npos) << e.message();
  // Two reservations cannot share an IPv6 address.
  e = error_of(bridge_with(stateful + res + "ipv6 = \"fd42::50\"\n" +
                           "[[bridge.reservation]]\nmac = \"02:00:00:00:00:02\"\nip = "
                           "\"10.0.3.51\"\nipv6 = \"fd42::50\"\n"));
  EXPECT_EQ(e.key(), "bridge[0].reservation[1].ipv6");
  EXPECT_NE(e.message().find("already reserved by reservation[0]"), std::string::npos)
      << e.message();
}

TEST(ConfigIpv6, TomlRoundTripKeepsEveryIpv6Key) {
  const Config c = parse_config(bridge_with("ipv6 = \"fd42::1/64\"\n"
                                            "ipv6_mode = \"stateful\"\n"
                                            "ipv6_pool = \"fd42::100-fd42::1ff\"\n"
                                            "ipv6_nat = true\n"
                                            "ra_interval = 30\n") +
                                    "[[bridge]]\nname = \"berth1\"\naddress = \"10.0.4.1/24\"\n"
                                    "ipv6 = \"auto\"\nipv6_mode = \"slaac\"\n",
                                "test.toml");
  Config again = parse_config(to_toml(c), "again.toml");
  again.source = c.source;
  EXPECT_EQ(again, c);
}

}  // namespace
}  // namespace berth::config
