// berthctl status and firewall show (cli/daemon_commands.cpp); reload and
// metrics are in lease_commands_test.

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/cli/berthctl_fixture.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using test::BerthctlTest;
using test::Outcome;

TEST_F(BerthctlTest, Status) {
  start();
  Outcome r = berthctl({"status"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "berthd        0.1.0\n"
            "up            2h 5m\n"
            "config        /etc/berth/berth.toml\n"
            "database      /var/lib/berth/berth.db\n"
            "bridges       1\n"
            "leases        1 bound, 0 released, 0 expired, 0 declined\n"
            "reservations  0\n");
  // --json after the subcommand, too.
  r = berthctl({"status", "--json"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(json::parse(r.out).get<api::Status>().uptime_s, 7500);
}

TEST_F(BerthctlTest, FirewallShow) {
  start();
  const std::string table = "table inet berth {\n\tchain input {\n\t}\n}\n";
  berthd_.set_firewall({.enabled = true, .in_sync = true, .wanted = table, .kernel = table});
  Outcome r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "wanted by berthd:\n" + table + "\nin the kernel:\n" + table + "\nin sync\n");

  berthd_.set_firewall({.enabled = true,
                        .in_sync = false,
                        .wanted = table,
                        .kernel = std::string("table inet berth {\x1b[31m\n}")});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.rc, 0) << r.err;
  // Escape bytes never reach the terminal; a missing last newline is added.
  EXPECT_EQ(r.out, "wanted by berthd:\n" + table +
                       "\nin the kernel:\ntable inet berth {\\x1b[31m\n}\n\ndiffers\n");

  berthd_.set_firewall(
      {.enabled = true, .in_sync = false, .wanted = table, .kernel = std::nullopt});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.out,
            "wanted by berthd:\n" + table + "\nin the kernel:\n(no table inet berth)\n\nmissing\n");
  r = berthctl({"firewall", "show", "--json"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(json::parse(r.out).get<api::FirewallInfo>(), berthd_.firewall);

  // A drop in another table, and what berthd does about it (issue 13).
  berthd_.set_firewall({.enabled = true,
                        .in_sync = true,
                        .wanted = table,
                        .kernel = table,
                        .foreign = {{.table = "ip filter",
                                     .chain = "FORWARD",
                                     .finding = "policy drop",
                                     .action = "accept rules for berth0 in DOCKER-USER"},
                                    {.table = "ip6 filter",
                                     .chain = "FORWARD",
                                     .finding = "policy drop",
                                     .action = "none (foreign = false)"}}});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.out, "wanted by berthd:\n" + table + "\nin the kernel:\n" + table +
                       "\nin sync\n\nother tables dropping forwarded traffic:\n"
                       "ip filter chain FORWARD: policy drop; accept rules for berth0 in "
                       "DOCKER-USER\n"
                       "ip6 filter chain FORWARD: policy drop; none (foreign = false)\n");
  r = berthctl({"firewall", "show", "--json"});
  EXPECT_EQ(json::parse(r.out).get<api::FirewallInfo>(), berthd_.firewall);
  EXPECT_EQ(json::parse(r.out)["foreign"][1]["action"], "none (foreign = false)");

  berthd_.set_firewall({.enabled = false, .in_sync = false, .wanted = "", .kernel = std::nullopt});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.out, "berthd does not manage the firewall ([firewall] enabled = false)\n");
}

}  // namespace
}  // namespace berth::cli
