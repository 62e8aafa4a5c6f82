// The per-bridge DHCP behaviour keys: authoritative, ignore_client_id,
// rapid_commit, decline_quarantine.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace berth::config {
namespace {

constexpr const char* kBridge = "[[bridge]]\nname = \"br0\"\naddress = \"198.18.0.1/24\"\n";

TEST(BridgeDhcpOptions, DefaultsMatchDnsmasqUsersExpectations) {
  Config c = parse_config(kBridge, "t.toml");
  ASSERT_EQ(c.bridges.size(), 1u);
  EXPECT_TRUE(c.bridges[0].authoritative);
  EXPECT_FALSE(c.bridges[0].ignore_client_id);
  EXPECT_FALSE(c.bridges[0].rapid_commit);
  EXPECT_EQ(c.bridges[0].decline_quarantine, 600u);
}

TEST(BridgeDhcpOptions, AllFourAreRead) {
  std::string text = std::string(kBridge) +
                     "authoritative = false\nignore_client_id = true\nrapid_commit = true\n"
                     "decline_quarantine = 30\n";
  Config c = parse_config(text, "t.toml");
  EXPECT_FALSE(c.bridges[0].authoritative);
  EXPECT_TRUE(c.bridges[0].ignore_client_id);
  EXPECT_TRUE(c.bridges[0].rapid_commit);
  EXPECT_EQ(c.bridges[0].decline_quarantine, 30u);
  // And they survive a round trip through to_toml.
  Config again = parse_config(to_toml(c), "again.toml");
  again.source = c.source;
  EXPECT_EQ(again, c);
}

TEST(BridgeDhcpOptions, OutOfRangeQuarantineNamesLineAndKey) {
  std::string text = std::string(kBridge) + "decline_quarantine = -5\n";
  try {
    parse_config(text, "t.toml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 4u);
    EXPECT_EQ(e.key(), "bridge[0].decline_quarantine");
  }
  EXPECT_THROW(parse_config(std::string(kBridge) + "rapid_commit = \"yes\"\n", "t.toml"),
               ConfigError);
}

}  // namespace
}  // namespace berth::config
