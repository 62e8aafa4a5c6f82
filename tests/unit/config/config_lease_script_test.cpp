#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace berth::config::test {
namespace {

std::string daemon_with(const std::string& lines) { return "[daemon]\n" + lines + bridge_with(""); }

TEST(ConfigLeaseScript, DefaultsAndValues) {
  Config none = parse_config(bridge_with(""), "test.toml");
  EXPECT_EQ(none.daemon.lease_script, "");
  EXPECT_EQ(none.daemon.lease_script_timeout, 10u);
  EXPECT_TRUE(none.daemon.lease_script_renewals);

  // /bin/sh exists and is executable wherever the tests run.
  Config c = parse_config(daemon_with("lease_script = \"/bin/sh\"\nlease_script_timeout = \"2m\"\n"
                                      "lease_script_renewals = false\n"),
                          "test.toml");
  EXPECT_EQ(c.daemon.lease_script, "/bin/sh");
  EXPECT_EQ(c.daemon.lease_script_timeout, 120u);
  EXPECT_FALSE(c.daemon.lease_script_renewals);
  // And they survive a round trip through to_toml.
  Config again = parse_config(to_toml(c), "again.toml");
  EXPECT_EQ(again.daemon, c.daemon);
  EXPECT_EQ(
      parse_config(daemon_with("lease_script_timeout = 3\n"), "t").daemon.lease_script_timeout, 3u);
}

TEST(ConfigLeaseScript, BadScriptIsAnErrorNamingTheKeyAndLine) {
  ConfigError relative = error_of(daemon_with("lease_script = \"bin/sh\"\n"));
  EXPECT_EQ(relative.key(), "daemon.lease_script");
  EXPECT_EQ(relative.line(), 2u);
  EXPECT_NE(relative.message().find("absolute"), std::string::npos) << relative.message();

  ConfigError missing = error_of(daemon_with("lease_script = \"/nonexistent/berth-hook\"\n"));
  EXPECT_EQ(missing.key(), "daemon.lease_script");
  EXPECT_NE(missing.message().find("No such file"), std::string::npos) << missing.message();

  ConfigError dir = error_of(daemon_with("lease_script = \"/tmp\"\n"));
  EXPECT_NE(dir.message().find("not a regular file"), std::string::npos) << dir.message();
}

TEST(ConfigLeaseScript, TimeoutOutOfRangeIsAnError) {
  for (const char* bad : {"0", "3601", "\"infinite\"", "\"soon\"", "-1"}) {
    ConfigError e = error_of(daemon_with(std::string("lease_script_timeout = ") + bad + "\n"));
    EXPECT_EQ(e.key(), "daemon.lease_script_timeout") << bad;
  }
}

}  // namespace
}  // namespace berth::config::test
