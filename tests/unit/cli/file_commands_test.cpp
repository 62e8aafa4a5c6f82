// berthctl config check and import (cli/file_commands.cpp).

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/cli/berthctl_fixture.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using test::BerthctlTest;
using test::ip;
using test::mac;
using test::Outcome;

TEST_F(BerthctlTest, ConfigCheckIsOffline) {
  const std::string good =
      write_file("good.toml", "[[bridge]]\nname = \"br0\"\naddress = \"198.18.0.1/24\"\n");
  Outcome r = berthctl({"config", "check", good});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, good.size() + 14), good + ": OK, 1 bridge");
  EXPECT_NE(r.out.find("br0     198.18.0.1/24"), std::string::npos) << r.out;

  const std::string bad = write_file("bad.toml", "[[bridge]]\nname = \"br0\"\nadress = \"x\"\n");
  r = berthctl({"config", "check", bad});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err.rfind("berthctl: " + bad + ":3:", 0), 0u) << r.err;
  r = berthctl({"--json", "config", "check", bad});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(json::parse(r.out).at("ok"), false);
  r = berthctl({"config", "check", dir_ + "/none.toml"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);
}

TEST_F(BerthctlTest, ImportDnsmasqLeasesAsReservations) {
  start();
  const std::string file = std::string(BERTH_TEST_DATA_DIR) + "/import/dnsmasq.lxcbr0.leases";
  Outcome r = berthctl({"import", "dnsmasq-leases", file, "--bridge", "lxcbr0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  const auto adds = berthd_.requests_of<api::AddReservation>();
  ASSERT_GE(adds.size(), 4u);
  EXPECT_EQ(adds[0].reservation, (api::ReservationCreate{.bridge = "lxcbr0",
                                                         .match = api::MatchKind::mac,
                                                         .mac = mac("00:16:3e:5a:1b:01"),
                                                         .client_id = {},
                                                         .hostname = {},
                                                         .ip = ip("10.0.3.23"),
                                                         .name = "web",
                                                         .force = false}));
  EXPECT_EQ(adds[1].reservation.name, "");  // '*': no host name
  EXPECT_NE(r.out.find("imported " + std::to_string(adds.size()) + " of " +
                       std::to_string(adds.size()) + " reservation(s) from " + file),
            std::string::npos)
      << r.out;

  // Again: every entry is already there; nothing is sent, exit 0.
  const size_t sent = berthd_.requests_of<api::AddReservation>().size();
  r = berthctl({"import", "dnsmasq-leases", file, "--bridge", "lxcbr0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(berthd_.requests_of<api::AddReservation>().size(), sent);
  EXPECT_NE(r.out.find("imported 0 of " + std::to_string(adds.size()) + " reservation(s) from " +
                       file + ", " + std::to_string(adds.size()) + " already there"),
            std::string::npos)
      << r.out;

  // Another client on an address already reserved: refused, exit 1.
  const std::string other = dir_ + "/other.leases";
  std::ofstream(other) << "1700000000 00:16:3e:99:99:99 10.0.3.23 thief *\n";
  r = berthctl({"import", "dnsmasq-leases", other, "--bridge", "lxcbr0"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("berthctl: 00:16:3e:99:99:99 -> 10.0.3.23: 10.0.3.23 is already reserved"),
            std::string::npos)
      << r.err;
}

TEST_F(BerthctlTest, ImportDryRunContactsNobody) {
  const std::string file = std::string(BERTH_TEST_DATA_DIR) + "/import/virbr0.status";
  Outcome r = berthctl({"import", "libvirt", file, "--bridge", "virbr0", "--dry-run"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("virbr0  52:54:00:3c:7e:10  192.168.122.45   fedora39\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(dry run: berthd was not contacted)"), std::string::npos);
  // The IPv6 entry is a problem, reported as a warning.
  EXPECT_NE(r.err.find("berthctl: warning: " + file + ": entry "), std::string::npos) << r.err;
}

TEST_F(BerthctlTest, ImportHostsFileAndLxdDirectory) {
  start();
  const std::string hosts = std::string(BERTH_TEST_DATA_DIR) + "/import/dnsmasq.hostsfile";
  Outcome r = berthctl({"--json", "import", "dnsmasq-hosts", hosts, "--bridge", "br-lab"});
  EXPECT_EQ(r.rc, 0) << r.err;
  const json result = json::parse(r.out);
  EXPECT_FALSE(result.at("added").empty());
  EXPECT_TRUE(result.at("refused").empty());
  bool saw_hostname = false, saw_client_id = false;
  for (const auto& a : berthd_.requests_of<api::AddReservation>()) {
    saw_hostname |=
        a.reservation.match == api::MatchKind::hostname && a.reservation.hostname == "camera";
    saw_client_id |= a.reservation.match == api::MatchKind::client_id;
  }
  EXPECT_TRUE(saw_hostname);
  EXPECT_TRUE(saw_client_id);

  const std::string lxd = std::string(BERTH_TEST_DATA_DIR) + "/import/lxd/lxdbr0/dnsmasq.hosts";
  const size_t before = berthd_.requests_of<api::AddReservation>().size();
  r = berthctl({"import", "lxd", lxd, "--bridge", "lxdbr0"});
  EXPECT_LE(r.rc, 1) << r.err;
  EXPECT_GT(berthd_.requests_of<api::AddReservation>().size(), before);
  r = berthctl({"import", "lxd", hosts, "--bridge", "lxdbr0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("is not a directory"), std::string::npos);
  r = berthctl({"import", "libvirt", dir_ + "/missing.status", "--bridge", "virbr0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
