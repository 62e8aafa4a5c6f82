// Request bodies of the control API (api/types_requests.cpp): their exact
// shape and round trips; the strict decoders' refusals are in router_test.
#include "api/types.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/api/api_test_util.hpp"

namespace berth::api {
namespace {

using nlohmann::json;
using test::ip;
using test::mac;
using test::round_trip;

TEST(ApiTypes, RequestBodiesRoundTrip) {
  const ReservationCreate create{.bridge = "br0",
                                 .match = MatchKind::client_id,
                                 .mac = {},
                                 .client_id = {0x01, 0x02},
                                 .hostname = {},
                                 .ip = ip("10.0.3.10"),
                                 .name = {},
                                 .force = true};
  EXPECT_EQ(json(create), json::parse(R"({"bridge": "br0", "client_id": "01:02",
      "ip": "10.0.3.10", "force": true})"));
  EXPECT_EQ(round_trip(create), create);

  const ReservationPatch clear_name{.ip = std::nullopt, .name = "", .force = false};
  EXPECT_EQ(json(clear_name), json::parse(R"({"name": ""})"));
  EXPECT_EQ(round_trip(clear_name), clear_name);
  const ReservationPatch move{.ip = ip("10.0.3.11"), .name = std::nullopt, .force = true};
  EXPECT_EQ(json(move), json::parse(R"({"ip": "10.0.3.11", "force": true})"));
  EXPECT_EQ(round_trip(move), move);

  // The strict decoders refuse through DecodeError when used with get<>().
  EXPECT_THROW(json::parse(R"({"bridge": "br0"})").get<ReservationCreate>(), DecodeError);
  EXPECT_THROW(json::parse(R"({})").get<ReservationPatch>(), DecodeError);
}

TEST(ApiTypes, CompanionBodiesRoundTrip) {
  const ForwardCreate create{.bridge = "br0",
                             .proto = ForwardProto::udp,
                             .host_address = std::nullopt,
                             .host_port = 5353,
                             .to = "10.0.3.9",
                             .to_port = 53};
  EXPECT_EQ(json(create), json::parse(R"({"bridge": "br0", "proto": "udp", "host_port": 5353,
      "to": "10.0.3.9", "to_port": 53})"));
  EXPECT_EQ(round_trip(create), create);

  const Attach by_name{.bridge = "br0",
                       .netns = "web",
                       .pid = std::nullopt,
                       .ifname = "eth0",
                       .mac = mac("02:00:00:00:00:01")};
  EXPECT_EQ(json(by_name), json::parse(R"({"bridge": "br0", "netns": "web", "ifname": "eth0",
      "mac": "02:00:00:00:00:01"})"));
  EXPECT_EQ(round_trip(by_name), by_name);
  const Attach by_pid{.bridge = "br0", .netns = {}, .pid = 77, .ifname = "net0", .mac = {}};
  EXPECT_EQ(json(by_pid), json::parse(R"({"bridge": "br0", "pid": 77, "ifname": "net0"})"));
  EXPECT_EQ(round_trip(by_pid), by_pid);
  const Detach detach{.bridge = "br0", .netns = "web", .pid = {}, .ifname = "eth1"};
  EXPECT_EQ(json(detach), json::parse(R"({"bridge": "br0", "netns": "web", "ifname": "eth1"})"));
  EXPECT_EQ(round_trip(detach), detach);
  // Strict, through get<>().
  EXPECT_THROW(json::parse(R"({"bridge": "br0", "netns": "a", "pid": 1})").get<Attach>(),
               DecodeError);
  EXPECT_THROW(json::parse(R"({"bridge": "br0", "proto": "tcp", "to": "a"})").get<ForwardCreate>(),
               DecodeError);
}

}  // namespace
}  // namespace berth::api
