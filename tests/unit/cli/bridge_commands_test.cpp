// berthctl forward, attach and detach (cli/bridge_commands.cpp).

#include <gtest/gtest.h>

#include <optional>

#include "tests/unit/cli/berthctl_fixture.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using test::BerthctlTest;
using test::ip;
using test::mac;
using test::Outcome;

TEST_F(BerthctlTest, ForwardLifecycle) {
  start();
  Outcome r = berthctl({"forward", "add", "--bridge", "br0", "tcp", "8080", "c57:80"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "added forward 1 on br0: tcp *:8080 -> c57:80 (now 198.18.0.57)\n");
  auto adds = berthd_.requests_of<api::AddForward>();
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].forward, (api::ForwardCreate{.bridge = "br0",
                                                 .proto = api::ForwardProto::tcp,
                                                 .host_address = std::nullopt,
                                                 .host_port = 8080,
                                                 .to = "c57",
                                                 .to_port = 80}));

  // No port after the target: the host port. A host address; options after
  // the positionals.
  r = berthctl({"forward", "add", "udp", "5353", "198.18.0.9", "--bridge", "br0", "--host-address",
                "192.0.2.1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "added forward 2 on br0: udp 192.0.2.1:5353 -> 198.18.0.9:5353\n");
  adds = berthd_.requests_of<api::AddForward>();
  ASSERT_EQ(adds.size(), 2u);
  EXPECT_EQ(adds[1].forward.host_address, ip("192.0.2.1"));
  EXPECT_EQ(adds[1].forward.to_port, 5353);
  // 0.0.0.0 is every address, as no --host-address.
  r = berthctl(
      {"forward", "add", "-b", "br0", "tcp", "9000", "web:90", "--host-address", "0.0.0.0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(berthd_.requests_of<api::AddForward>().back().forward.host_address, std::nullopt);

  // berthd's refusals: exit 1 with its sentence.
  r = berthctl({"forward", "add", "--bridge", "br0", "tcp", "8080", "web:81"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: forward conflicts with forward 1\n");
  r = berthctl({"forward", "add", "--bridge", "br9", "tcp", "1", "web"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no bridge named br9\n");

  r = berthctl({"forward", "list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  BRIDGE  PROTO  HOST            TO               TARGET       SOURCE\n"
            "1   br0     tcp    *:8080          c57:80           198.18.0.57  api\n"
            "2   br0     udp    192.0.2.1:5353  198.18.0.9:5353  198.18.0.9   api\n"
            "3   br0     tcp    *:9000          web:90           -            api\n");
  r = berthctl({"forward", "list", "--bridge", "br1", "--json"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out).get<api::ForwardList>().forwards.empty());
  EXPECT_EQ(berthd_.requests_of<api::ListForwards>().back().bridge, "br1");

  r = berthctl({"forward", "rm", "2"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "removed forward 2 on br0: udp 192.0.2.1:5353 -> 198.18.0.9:5353\n");
  r = berthctl({"--json", "forward", "rm", "2"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(json::parse(r.err).at("status"), 404);
}

TEST_F(BerthctlTest, AttachAndDetach) {
  start();
  Outcome r = berthctl({"attach", "--bridge", "br0", "--netns", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "attached eth0 (02:00:00:00:00:99) in netns web to br0 through vb0a1b2c3d\n");
  auto attaches = berthd_.requests_of<api::Attach>();
  ASSERT_EQ(attaches.size(), 1u);
  EXPECT_EQ(attaches[0], (api::Attach{.bridge = "br0",
                                      .netns = "web",
                                      .pid = std::nullopt,
                                      .ifname = "eth0",
                                      .mac = std::nullopt}));
  r = berthctl({"attach", "--bridge", "br0", "--pid", "4242", "--ifname", "net1", "--mac",
                "02:16:3E:00:00:01"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "attached net1 (02:16:3e:00:00:01) in pid 4242 to br0 through vb0a1b2c3d\n");
  attaches = berthd_.requests_of<api::Attach>();
  ASSERT_EQ(attaches.size(), 2u);
  EXPECT_EQ(attaches[1], (api::Attach{.bridge = "br0",
                                      .netns = std::nullopt,
                                      .pid = 4242,
                                      .ifname = "net1",
                                      .mac = mac("02:16:3e:00:00:01")}));
  r = berthctl({"attach", "--bridge", "br0", "--netns", "missing"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no network namespace named missing\n");
  r = berthctl({"--json", "attach", "--bridge", "br0", "--netns", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).get<api::AttachResult>().host_ifname, "vb0a1b2c3d");

  r = berthctl({"detach", "--bridge", "br0", "--pid", "4242", "--ifname", "net1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "detached net1 in pid 4242 from br0\n");
  r = berthctl({"detach", "--bridge", "br0", "--netns", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "detached eth0 in netns web from br0\n");
  const auto detaches = berthd_.requests_of<api::Detach>();
  ASSERT_EQ(detaches.size(), 2u);
  EXPECT_EQ(detaches[1],
            (api::Detach{.bridge = "br0", .netns = "web", .pid = std::nullopt, .ifname = "eth0"}));
}

}  // namespace
}  // namespace berth::cli
