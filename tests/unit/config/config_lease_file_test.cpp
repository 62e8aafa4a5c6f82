#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace berth::config::test {
namespace {

std::string daemon_with(const std::string& lines) { return "[daemon]\n" + lines + bridge_with(""); }

TEST(ConfigLeaseFile, DefaultIsNoneAndAPathSurvivesTheDump) {
  EXPECT_EQ(parse_config(bridge_with(""), "test.toml").daemon.lease_file, "");
  // The directory need not exist yet: LXD makes it when the network starts.
  Config c = parse_config(daemon_with("lease_file = \"/nonexistent/lxdbr0/dnsmasq.leases\"\n"),
                          "test.toml");
  EXPECT_EQ(c.daemon.lease_file, "/nonexistent/lxdbr0/dnsmasq.leases");
  Config again = parse_config(to_toml(c), "again.toml");
  EXPECT_EQ(again.daemon, c.daemon);
}

TEST(ConfigLeaseFile, RelativeOrDirectoryPathIsAnErrorNamingTheKey) {
  ConfigError relative = error_of(daemon_with("lease_file = \"dnsmasq.leases\"\n"));
  EXPECT_EQ(relative.key(), "daemon.lease_file");
  EXPECT_EQ(relative.line(), 2u);
  EXPECT_NE(relative.message().find("absolute"), std::string::npos) << relative.message();

  ConfigError dir = error_of(daemon_with("lease_file = \"/var/lib/misc/\"\n"));
  EXPECT_EQ(dir.key(), "daemon.lease_file");
  EXPECT_NE(dir.message().find("directory"), std::string::npos) << dir.message();

  EXPECT_EQ(error_of(daemon_with("lease_file = 5\n")).key(), "daemon.lease_file");
}

}  // namespace
}  // namespace berth::config::test
