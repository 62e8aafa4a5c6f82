// Response bodies of the control API (api/types_responses.cpp): the exact
// shape of each, round trips, and what a decoder refuses.
#include "api/types.hpp"

#include <gtest/gtest.h>

#include <string>

#include "api/response.hpp"
#include "tests/unit/api/api_test_util.hpp"

namespace berth::api {
namespace {

using nlohmann::json;
using test::ip;
using test::mac;
using test::round_trip;

LeaseInfo sample_lease() {
  return LeaseInfo{.bridge = "lxcbr0",
                   .ip = ip("10.0.3.57"),
                   .mac = mac("00:16:3e:aa:bb:cc"),
                   .client_id = {0x01, 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc},
                   .hostname = "web",
                   .state = LeaseState::bound,
                   .expires_at = 1735693200,
                   .updated_at = 1735689600};
}

ReservationInfo sample_reservation(MatchKind kind) {
  ReservationInfo r{.id = 7,
                    .bridge = "lxcbr0",
                    .match = kind,
                    .mac = {},
                    .client_id = {},
                    .hostname = {},
                    .ip = ip("10.0.3.10"),
                    .name = "web",
                    .source = ReservationSource::api};
  switch (kind) {
    case MatchKind::mac:
      r.mac = mac("00:16:3e:aa:bb:cc");
      break;
    case MatchKind::client_id:
      r.client_id = {0xff, 0x00, 0x00, 0x00, 0x01};
      break;
    case MatchKind::hostname:
      r.hostname = "Web-1";
      break;
  }
  return r;
}

TEST(ApiTypes, StatusShapeAndRoundTrip) {
  const Status s{.version = "0.1.0",
                 .uptime_s = 3600,
                 .bridges = 2,
                 .leases = {.bound = 5, .released = 1, .expired = 2, .declined = 0},
                 .reservations = 3,
                 .database = "/var/lib/berth/berth.db",
                 .config = "/etc/berth/berth.toml"};
  EXPECT_EQ(json(s), json::parse(R"({"version": "0.1.0", "uptime_s": 3600, "bridges": 2,
      "leases": {"bound": 5, "released": 1, "expired": 2, "declined": 0}, "reservations": 3,
      "database": "/var/lib/berth/berth.db", "config": "/etc/berth/berth.toml"})"));
  EXPECT_EQ(round_trip(s), s);
}

TEST(ApiTypes, BridgeShapeAndRoundTrip) {
  const BridgeInfo b{.name = "berth0",
                     .address = *Ipv4Prefix::parse("10.0.3.1/24"),
                     .pool_start = ip("10.0.3.2"),
                     .pool_end = ip("10.0.3.254"),
                     .pool_size = 253,
                     .leases_bound = 4,
                     .domain = "berth"};
  EXPECT_EQ(json(b), json::parse(R"({"name": "berth0", "address": "10.0.3.1/24",
      "pool_start": "10.0.3.2", "pool_end": "10.0.3.254", "pool_size": 253, "leases_bound": 4,
      "domain": "berth"})"));
  EXPECT_EQ(round_trip(b), b);
  const BridgeList list{.bridges = {b, b}};
  EXPECT_EQ(round_trip(list), list);
}

TEST(ApiTypes, LeaseShapeAndRoundTrip) {
  const LeaseInfo l = sample_lease();
  EXPECT_EQ(json(l), json::parse(R"({"bridge": "lxcbr0", "ip": "10.0.3.57",
      "mac": "00:16:3e:aa:bb:cc", "client_id": "01:00:16:3e:aa:bb:cc", "hostname": "web",
      "state": "bound", "expires_at": 1735693200, "updated_at": 1735689600})"));
  EXPECT_EQ(round_trip(l), l);
  LeaseInfo bare = l;
  bare.client_id.clear();
  bare.hostname.clear();
  bare.state = LeaseState::declined;
  EXPECT_EQ(json(bare).at("client_id"), "");
  EXPECT_EQ(round_trip(bare), bare);
  const LeaseList list{.leases = {l, bare}};
  EXPECT_EQ(round_trip(list), list);
  EXPECT_EQ(round_trip(LeaseList{}), LeaseList{});
}

TEST(ApiTypes, ReservationShapeCarriesOnlyItsKey) {
  EXPECT_EQ(json(sample_reservation(MatchKind::mac)),
            json::parse(R"({"id": 7, "bridge": "lxcbr0", "match": "mac",
                "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10", "name": "web", "source": "api"})"));
  EXPECT_EQ(json(sample_reservation(MatchKind::client_id)),
            json::parse(R"({"id": 7, "bridge": "lxcbr0", "match": "client_id",
                "client_id": "ff:00:00:00:01", "ip": "10.0.3.10", "name": "web",
                "source": "api"})"));
  EXPECT_EQ(json(sample_reservation(MatchKind::hostname)),
            json::parse(R"({"id": 7, "bridge": "lxcbr0", "match": "hostname",
                "hostname": "Web-1", "ip": "10.0.3.10", "name": "web", "source": "api"})"));
  for (auto kind : {MatchKind::mac, MatchKind::client_id, MatchKind::hostname}) {
    ReservationInfo r = sample_reservation(kind);
    EXPECT_EQ(round_trip(r), r);
    r.source = ReservationSource::config;
    r.id = 0;
    r.name.clear();
    EXPECT_EQ(round_trip(r), r);
    r.options = {*dhcp4::parse_configured_option("force:43:hex:01:02"),
                 *dhcp4::parse_configured_option("66:string:boot")};
    EXPECT_EQ(json(r)["options"], json::parse(R"(["force:43:hex:01:02", "66:string:boot"])"));
    EXPECT_EQ(round_trip(r), r);
  }
  const ReservationList list{.reservations = {sample_reservation(MatchKind::mac),
                                              sample_reservation(MatchKind::hostname)}};
  EXPECT_EQ(round_trip(list), list);
  // An older berthd answered "client-id".
  EXPECT_EQ(json::parse(R"({"id": 7, "bridge": "lxcbr0", "match": "client-id",
                "client_id": "ff:00:00:00:01", "ip": "10.0.3.10", "name": "web",
                "source": "api"})")
                .get<ReservationInfo>(),
            sample_reservation(MatchKind::client_id));
}

TEST(ApiTypes, ReservationChangeAndReload) {
  const ReservationChange c{.reservation = sample_reservation(MatchKind::mac),
                            .forgotten_leases = {sample_lease()}};
  EXPECT_EQ(round_trip(c), c);
  EXPECT_EQ(json(c).at("forgotten_leases").size(), 1u);
  const ReloadResult r{.config = "/etc/berth/berth.toml",
                       .bridges = 2,
                       .bridges_added = {"br1"},
                       .bridges_removed = {},
                       .bridges_changed = {"berth0"}};
  EXPECT_EQ(json(r), json::parse(R"({"config": "/etc/berth/berth.toml", "bridges": 2,
      "bridges_added": ["br1"], "bridges_removed": [], "bridges_changed": ["berth0"]})"));
  EXPECT_EQ(round_trip(r), r);
}

ForwardInfo sample_forward() {
  return ForwardInfo{.id = 3,
                     .bridge = "berth0",
                     .proto = ForwardProto::tcp,
                     .host_address = std::nullopt,
                     .host_port = 8080,
                     .to = "web",
                     .to_port = 80,
                     .target = ip("10.0.3.57"),
                     .source = ForwardSource::api};
}

TEST(ApiTypes, ForwardShapeAndRoundTrip) {
  const ForwardInfo f = sample_forward();
  EXPECT_EQ(json(f), json::parse(R"({"id": 3, "bridge": "berth0", "proto": "tcp",
      "host_address": null, "host_port": 8080, "to": "web", "to_port": 80,
      "target": "10.0.3.57", "source": "api"})"));
  EXPECT_EQ(round_trip(f), f);
  ForwardInfo other = f;
  other.id = 0;
  other.proto = ForwardProto::udp;
  other.host_address = ip("192.0.2.1");
  other.target.reset();
  other.source = ForwardSource::config;
  EXPECT_EQ(json(other).at("host_address"), "192.0.2.1");
  EXPECT_TRUE(json(other).at("target").is_null());
  EXPECT_EQ(round_trip(other), other);
  ForwardInfo dual = f;
  dual.target6 = Ipv6Address::parse("fd00:6::57");
  EXPECT_EQ(json(dual).at("target6"), "fd00:6::57");
  EXPECT_FALSE(json(f).contains("target6"));
  EXPECT_EQ(round_trip(dual), dual);
  const ForwardList list{.forwards = {f, other, dual}};
  EXPECT_EQ(round_trip(list), list);
  EXPECT_EQ(round_trip(ForwardList{}), ForwardList{});
  EXPECT_EQ(to_string(ForwardProto::udp), "udp");
  EXPECT_EQ(forward_proto_from_string("tcp"), ForwardProto::tcp);
  EXPECT_EQ(forward_proto_from_string("Tcp"), std::nullopt);
}

TEST(ApiTypes, AttachDetachAndFirewallResults) {
  const AttachResult a{.bridge = "br0",
                       .host_ifname = "vb1a2b3c4d",
                       .ifname = "eth0",
                       .mac = mac("02:16:3e:00:00:01")};
  EXPECT_EQ(json(a), json::parse(R"({"bridge": "br0", "host_ifname": "vb1a2b3c4d",
      "ifname": "eth0", "mac": "02:16:3e:00:00:01"})"));
  EXPECT_EQ(round_trip(a), a);
  const DetachResult d{.bridge = "br0", .ifname = "eth0"};
  EXPECT_EQ(json(d), json::parse(R"({"bridge": "br0", "ifname": "eth0"})"));
  EXPECT_EQ(round_trip(d), d);

  const FirewallInfo missing{
      .enabled = true, .in_sync = false, .wanted = "table inet berth {\n}\n", .kernel = {}};
  EXPECT_EQ(json(missing), json::parse(R"({"enabled": true, "in_sync": false,
      "wanted": "table inet berth {\n}\n", "kernel": null, "foreign": []})"));
  EXPECT_EQ(round_trip(missing), missing);
  const FirewallInfo synced{
      .enabled = true, .in_sync = true, .wanted = "t\n", .kernel = std::string("t\n")};
  EXPECT_EQ(round_trip(synced), synced);

  // Other tables' drop chains (issue 13); a berthd from before has no list.
  const FirewallInfo docker{.enabled = true,
                            .in_sync = true,
                            .wanted = "t\n",
                            .kernel = std::string("t\n"),
                            .foreign = {{.table = "ip filter",
                                         .chain = "FORWARD",
                                         .finding = "policy drop",
                                         .action = "accept rules for berth0 in DOCKER-USER"}}};
  EXPECT_EQ(json(docker)["foreign"], json::parse(R"([{"table": "ip filter", "chain": "FORWARD",
      "finding": "policy drop", "action": "accept rules for berth0 in DOCKER-USER"}])"));
  EXPECT_EQ(round_trip(docker), docker);
  EXPECT_TRUE(json::parse(R"({"enabled": true, "in_sync": true, "wanted": "", "kernel": null})")
                  .get<FirewallInfo>()
                  .foreign.empty());
  EXPECT_THROW(json::parse(R"({"enabled": true, "in_sync": true, "wanted": "", "kernel": null,
      "foreign": [{"table": "ip filter"}]})")
                   .get<FirewallInfo>(),
               DecodeError);
}

TEST(ApiTypes, CompanionDecodersNameTheField) {
  auto decode_error = [](const json& j, auto type) -> std::string {
    try {
      (void)j.get<decltype(type)>();
    } catch (const DecodeError& e) {
      return e.what();
    }
    return "(no error)";
  };
  json f = json(sample_forward());
  f["host_port"] = 0;
  EXPECT_EQ(decode_error(f, ForwardInfo{}),
            "field 'host_port' of a forward is '0', which berthctl cannot read");
  f = json(sample_forward());
  f["proto"] = "sctp";
  EXPECT_EQ(decode_error(f, ForwardInfo{}),
            "field 'proto' of a forward is 'sctp', which berthctl cannot read");
  f = json(sample_forward());
  f.erase("target");
  EXPECT_EQ(decode_error(f, ForwardInfo{}), "a forward has no field 'target'");
  f = json(sample_forward());
  f["host_address"] = 7;
  EXPECT_EQ(decode_error(f, ForwardInfo{}), "field 'host_address' of a forward is not a string");
  EXPECT_EQ(decode_error(json::parse(R"({"enabled": 1})"), FirewallInfo{}),
            "field 'enabled' of the firewall is not true or false");
  EXPECT_EQ(decode_error(json::parse(R"({"enabled": true, "in_sync": true, "wanted": "",
                                         "kernel": 1})"),
                         FirewallInfo{}),
            "field 'kernel' of the firewall is not a string");
  EXPECT_EQ(decode_error(json::parse(R"({"bridge": "b", "host_ifname": "v", "ifname": "e",
                                         "mac": "x"})"),
                         AttachResult{}),
            "field 'mac' of the attach result is 'x', which berthctl cannot read");
  // Fields a newer berthd adds are ignored.
  f = json(sample_forward());
  f["hits"] = 12;
  EXPECT_EQ(f.get<ForwardInfo>(), sample_forward());
}

TEST(ApiTypes, ErrorBody) {
  const ApiError e{.status = 409, .message = "10.0.3.10 is held by 00:16:3e:00:00:01", .allow = {}};
  EXPECT_EQ(error_body(e), R"({"error":"10.0.3.10 is held by 00:16:3e:00:00:01","status":409})"
                           "\n");
  ApiError back = json::parse(error_body(e)).get<ApiError>();
  EXPECT_EQ(back, e);
  // Bytes that are not UTF-8 never make the body fail.
  const ApiError raw{.status = 400, .message = "bad \xff name", .allow = {}};
  const json parsed = json::parse(error_body(raw));
  EXPECT_EQ(parsed.at("error"), "bad \xef\xbf\xbd name");
  EXPECT_THROW(json::parse(R"({"error": "x", "status": 99})").get<ApiError>(), DecodeError);
}

TEST(ApiTypes, ResponseDecodersNameTheField) {
  auto decode_error = [](const char* text, auto type) -> std::string {
    try {
      (void)json::parse(text).get<decltype(type)>();
    } catch (const DecodeError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(decode_error(R"({"bridge": "br0"})", LeaseInfo{}), "a lease has no field 'ip'");
  EXPECT_EQ(decode_error(R"([])", LeaseInfo{}), "a lease is not a JSON object");
  EXPECT_EQ(decode_error(R"({"bridge": 1})", LeaseInfo{}),
            "field 'bridge' of a lease is not a string");
  EXPECT_EQ(decode_error(R"({"bridge": "b", "ip": "1.2.3"})", LeaseInfo{}),
            "field 'ip' of a lease is '1.2.3', which berthctl cannot read");
  EXPECT_EQ(decode_error(R"({"leases": {}})", LeaseList{}),
            "field 'leases' of the lease list is not an array");
  EXPECT_EQ(decode_error(R"({"version": "1", "uptime_s": 1.5})", Status{}),
            "field 'uptime_s' of the status is not an integer");
  EXPECT_EQ(decode_error(R"({"version": "1", "uptime_s": 1, "bridges": -1})", Status{}),
            "field 'bridges' of the status is not a count");
  EXPECT_EQ(decode_error(R"({"id": 1, "bridge": "b", "match": "dhcp"})", ReservationInfo{}),
            "field 'match' of a reservation is 'dhcp', which berthctl cannot read");
  EXPECT_EQ(decode_error(R"({"config": "x", "bridges": 1, "bridges_added": [1]})", ReloadResult{}),
            "field 'bridges_added' of the reload result is not an array of strings");
  // Fields a newer berthd adds are ignored.
  json lease = json(sample_lease());
  lease["vendor_class"] = "udhcp 1.36";
  EXPECT_EQ(lease.get<LeaseInfo>(), sample_lease());
}

}  // namespace
}  // namespace berth::api
