// berthctl leases, lease forget and reservation (cli/lease_commands.cpp),
// with the bridges table, reload and metrics beside them.

#include <gtest/gtest.h>

#include "tests/unit/cli/berthctl_fixture.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using test::BerthctlTest;
using test::ip;
using test::mac;
using test::Outcome;

TEST_F(BerthctlTest, BridgesAndLeasesTables) {
  start();
  Outcome r = berthctl({"bridges"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "BRIDGE  ADDRESS        POOL                      BOUND  DOMAIN\n"
            "br0     198.18.0.1/24  198.18.0.10-198.18.0.200  1/191  lab\n");
  r = berthctl({"leases", "--bridge", "br0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "BRIDGE  IP           MAC                HOSTNAME  STATE  EXPIRES\n"
            "br0     198.18.0.57  00:16:3e:00:00:57  c57       bound  2025-01-01 01:00:00\n");
  ASSERT_EQ(berthd_.requests_of<api::ListLeases>().size(), 1u);
  EXPECT_EQ(berthd_.requests_of<api::ListLeases>()[0].bridge, "br0");
}

TEST_F(BerthctlTest, ReservationLifecycle) {
  start();
  Outcome r = berthctl({"reservation", "add", "--bridge", "br0", "--mac", "00:16:3E:AA:BB:CC",
                        "--ip", "198.18.0.10", "--name", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "added reservation 1 on br0: 00:16:3e:aa:bb:cc -> 198.18.0.10 (web)\n");
  auto adds = berthd_.requests_of<api::AddReservation>();
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].reservation.mac, mac("00:16:3e:aa:bb:cc"));
  EXPECT_FALSE(adds[0].reservation.force);

  // The same address again: berthd's 409 and its sentence, exit 1.
  r = berthctl(
      {"reservation", "add", "--bridge", "br0", "--hostname", "db", "--ip", "198.18.0.10"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: 198.18.0.10 is already reserved (reservation 1)\n");
  r = berthctl({"--json", "reservation", "add", "--bridge", "br0", "--hostname", "db", "--ip",
                "198.18.0.10"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(json::parse(r.err).at("status"), 409);

  // --force, and the lease it forgot.
  r = berthctl({"reservation", "add", "-b", "br0", "--client-id", "01:02:03", "--ip", "198.18.0.57",
                "--force"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "added reservation 2 on br0: client-id 01:02:03 -> 198.18.0.57\n"
            "forgot lease 198.18.0.57 on br0 of 00:16:3e:00:00:57 (c57)\n");

  r = berthctl({"reservation", "list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  BRIDGE  MATCH      CLIENT             IP           NAME  SOURCE\n"
            "1   br0     mac        00:16:3e:aa:bb:cc  198.18.0.10  web   api\n"
            "2   br0     client-id  01:02:03           198.18.0.57  -     api\n");

  r = berthctl({"reservation", "set", "1", "--ip", "198.18.0.11", "--no-name"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "changed reservation 1 on br0: 00:16:3e:aa:bb:cc -> 198.18.0.11\n");
  auto patches = berthd_.requests_of<api::PatchReservation>();
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0],
            (api::PatchReservation{
                .id = 1, .patch = {.ip = ip("198.18.0.11"), .name = "", .force = false}}));

  r = berthctl({"reservation", "rm", "2"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "removed reservation 2 on br0: client-id 01:02:03 -> 198.18.0.57\n");
  r = berthctl({"reservation", "rm", "2"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no reservation 2\n");
}

TEST_F(BerthctlTest, LeaseForgetReloadMetrics) {
  start();
  Outcome r = berthctl({"lease", "forget", "--bridge", "br0", "198.18.0.57"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "forgot lease 198.18.0.57 on br0 of 00:16:3e:00:00:57 (c57)\n");
  r = berthctl({"lease", "forget", "--bridge", "br0", "198.18.0.58"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no lease for 198.18.0.58 on br0\n");

  r = berthctl({"reload"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "reloaded /etc/berth/berth.toml: 2 bridges\n  added: br1\n");
  r = berthctl({"metrics"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "berth_leases{bridge=\"br0\",state=\"bound\"} 1\n");
}

}  // namespace
}  // namespace berth::cli
