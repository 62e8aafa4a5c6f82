// routes, search, ntp_servers, [[bridge.option]], [[bridge.class]],
// reservation options and `pool` as a list: read, checked, written back.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace berth::config {
namespace {

constexpr const char* kBridge = "[[bridge]]\nname = \"br0\"\naddress = \"198.18.0.1/24\"\n";

ConfigError error_of(const std::string& text) {
  try {
    parse_config(text, "t.toml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected ConfigError for:\n" << text;
  return ConfigError("", 0, 0, "", "");
}

const char* kFull = R"([[bridge]]
name = "br0"
address = "198.18.0.1/24"
pool = ["198.18.0.10-198.18.0.99", { range = "198.18.0.200-198.18.0.209", class = "pxe" }]
routes = ["10.8.0.0/16 via 198.18.0.254"]
search = ["lab", "corp.example"]
ntp_servers = ["198.18.0.123"]

[[bridge.option]]
code = 43
type = "hex"
value = "01:02"

[[bridge.option]]
code = 6
type = "ips"
value = ["198.18.0.1", "198.18.0.2"]
always = true

[[bridge.reservation]]
mac = "02:00:00:00:00:01"
ip = "198.18.0.50"

[[bridge.reservation.option]]
code = 224
type = "string"
value = "only-me"

[[bridge.class]]
name = "pxe"
vendor_class = "PXEClient"

[[bridge.class.option]]
code = 60
type = "string"
value = "PXEClient"
always = true

[[bridge.class]]
name = "efi"
arch = 7
)";

TEST(ConfigOptions, EverythingIsReadAndSurvivesARoundTrip) {
  Config c = parse_config(kFull, "t.toml");
  const BridgeConfig& b = c.bridges.at(0);
  EXPECT_EQ(b.pool_start.to_string(), "198.18.0.10");
  EXPECT_EQ(b.pool_end.to_string(), "198.18.0.99");
  EXPECT_EQ(b.pool_class, "");
  ASSERT_EQ(b.more_pools.size(), 1u);
  EXPECT_EQ(b.more_pools[0].class_name, "pxe");
  EXPECT_EQ(b.more_pools[0].start.to_string(), "198.18.0.200");
  const dhcp4::BridgeOptions& o = b.dhcp_options;
  ASSERT_EQ(o.routes.size(), 1u);
  EXPECT_EQ(dhcp4::format_static_route(o.routes[0]), "10.8.0.0/16 via 198.18.0.254");
  EXPECT_EQ(o.search, (std::vector<std::string>{"lab", "corp.example"}));
  ASSERT_EQ(o.ntp_servers.size(), 1u);
  ASSERT_EQ(o.options.size(), 2u);
  EXPECT_EQ(o.options[0].value, (Bytes{1, 2}));
  EXPECT_EQ(o.options[1].value, (Bytes{198, 18, 0, 1, 198, 18, 0, 2}));
  EXPECT_TRUE(o.options[1].always);
  ASSERT_EQ(b.reservations.size(), 1u);
  ASSERT_EQ(b.reservations[0].options.size(), 1u);
  EXPECT_EQ(b.reservations[0].options[0].code, 224);
  ASSERT_EQ(o.classes.size(), 2u);
  EXPECT_EQ(o.classes[0].options.size(), 1u);
  EXPECT_EQ(o.classes[1].match, dhcp4::ClassMatch::arch);
  EXPECT_EQ(o.classes[1].value, (Bytes{0, 7}));

  Config again = parse_config(to_toml(c), "again.toml");
  again.source = c.source;
  EXPECT_EQ(again, c) << to_toml(c);
}

TEST(ConfigOptions, SinglePoolStringIsWrittenAsBefore) {
  Config c = parse_config(std::string(kBridge) + "pool = \"198.18.0.10-198.18.0.20\"\n", "t");
  EXPECT_NE(to_toml(c).find("pool = \"198.18.0.10-198.18.0.20\"\n"), std::string::npos);
  EXPECT_TRUE(c.bridges[0].more_pools.empty());
}

TEST(ConfigOptions, ManagedOptionCodesAreRefusedWithTheKey) {
  ConfigError e = error_of(std::string(kBridge) +
                           "[[bridge.option]]\ncode = 54\ntype = \"ip\"\nvalue = \"198.18.0.1\"\n");
  EXPECT_EQ(e.key(), "bridge[0].option[0].code");
  EXPECT_EQ(e.line(), 5u);
  EXPECT_NE(e.message().find("server identifier"), std::string::npos) << e.message();
  for (int code : {0, 1, 51, 53, 55, 255, 300}) {
    error_of(std::string(kBridge) + "[[bridge.option]]\ncode = " + std::to_string(code) +
             "\ntype = \"u8\"\nvalue = 1\n");
  }
}

TEST(ConfigOptions, BadValuesNameTheirKey) {
  ConfigError e =
      error_of(std::string(kBridge) + "[[bridge.option]]\ncode = 43\nvalue = 300\ntype = \"u8\"\n");
  EXPECT_EQ(e.key(), "bridge[0].option[0].value");
  EXPECT_NE(e.message().find("u8"), std::string::npos);
  EXPECT_EQ(error_of(std::string(kBridge) + "routes = [\"10.8.0.1/16 via 198.18.0.254\"]\n").key(),
            "bridge[0].routes[0]");
  EXPECT_EQ(error_of(std::string(kBridge) + "search = [\"ok\", \"a..b\"]\n").key(),
            "bridge[0].search[1]");
  EXPECT_EQ(error_of(std::string(kBridge) + "ntp_servers = [\"ntp.example\"]\n").key(),
            "bridge[0].ntp_servers[0]");
  error_of(std::string(kBridge) + "[[bridge.option]]\ncode = 43\ntype = \"float\"\nvalue = 1\n");
  error_of(std::string(kBridge) + "[[bridge.option]]\ncode = 43\ntype = \"u8\"\n");  // no value
  error_of(std::string(kBridge) + "[[bridge.option]]\ncode = 43\ntype = \"u8\"\nvalue = 1\n" +
           "[[bridge.option]]\ncode = 43\ntype = \"u8\"\nvalue = 2\n");  // twice
}

TEST(ConfigOptions, ClassesAndPoolsAreChecked) {
  // A class matches on exactly one thing.
  error_of(std::string(kBridge) + "[[bridge.class]]\nname = \"x\"\n");
  error_of(std::string(kBridge) + "[[bridge.class]]\nname = \"x\"\narch = 7\nuser_class = \"u\"\n");
  error_of(std::string(kBridge) + "[[bridge.class]]\nname = \"x\"\narch = 70000\n");
  error_of(std::string(kBridge) + "[[bridge.class]]\nname = \"x\"\narch = 7\n" +
           "[[bridge.class]]\nname = \"x\"\narch = 6\n");
  // A pool's class must exist, pools must not overlap and must fit the subnet.
  ConfigError unknown =
      error_of(std::string(kBridge) +
               "pool = [\"198.18.0.10-198.18.0.20\", { range = \"198.18.0.30-198.18.0.40\", "
               "class = \"nope\" }]\n");
  EXPECT_EQ(unknown.key(), "bridge[0].pool[1]");
  ConfigError overlap = error_of(
      std::string(kBridge) + "pool = [\"198.18.0.10-198.18.0.20\", \"198.18.0.15-198.18.0.30\"]\n");
  EXPECT_NE(overlap.message().find("overlaps"), std::string::npos);
  error_of(std::string(kBridge) +
           "pool = [\"198.18.0.10-198.18.0.20\", \"198.18.1.1-198.18.1.9\"]\n");
  error_of(std::string(kBridge) + "pool = []\n");
  error_of(std::string(kBridge) + "pool = [{ range = \"198.18.0.10-198.18.0.20\", size = 3 }]\n");
  // A class defined after the pool that names it is fine.
  Config ok = parse_config(std::string(kBridge) +
                               "pool = [{ range = \"198.18.0.10-198.18.0.20\", class = \"c\" }]\n"
                               "[[bridge.class]]\nname = \"c\"\nuser_class = \"iPXE\"\n",
                           "t");
  EXPECT_EQ(ok.bridges[0].pool_class, "c");
}

}  // namespace
}  // namespace berth::config
