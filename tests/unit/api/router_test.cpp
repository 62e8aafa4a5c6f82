// Routes of the control API: every path and method, every validation error,
// and the round trip Request -> to_http -> parse_request.
#include "api/router.hpp"

#include <gtest/gtest.h>

#include <string>

#include "api/response.hpp"
#include "tests/unit/api/api_test_util.hpp"

namespace berth::api {

void PrintTo(const ApiError& e, std::ostream* os) { *os << e.status << " " << e.message; }

namespace {

using test::ip;
using test::mac;

Request ok(std::string_view method, std::string_view target, std::string_view body = {}) {
  auto r = parse_request(method, target, body);
  if (auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << method << " " << target << ": " << e->status << " " << e->message;
    return GetStatus{};
  }
  return std::get<Request>(r);
}

ApiError refused(std::string_view method, std::string_view target, std::string_view body = {}) {
  auto r = parse_request(method, target, body);
  if (!std::holds_alternative<ApiError>(r)) {
    ADD_FAILURE() << method << " " << target << " was accepted";
    return {};
  }
  return std::get<ApiError>(r);
}

// The error's status, and that its message contains `part`.
void expect_error(const ApiError& e, int status, const std::string& part) {
  EXPECT_EQ(e.status, status) << e.message;
  EXPECT_NE(e.message.find(part), std::string::npos)
      << "'" << e.message << "' lacks '" << part << "'";
}

TEST(Router, ReadRoutes) {
  EXPECT_EQ(ok("GET", "/v1/status"), Request(GetStatus{}));
  EXPECT_EQ(ok("GET", "/v1/bridges"), Request(ListBridges{}));
  EXPECT_EQ(ok("GET", "/v1/leases"), Request(ListLeases{}));
  EXPECT_EQ(ok("GET", "/v1/leases?bridge=lxcbr0"), Request(ListLeases{.bridge = "lxcbr0"}));
  EXPECT_EQ(ok("GET", "/v1/reservations"), Request(ListReservations{}));
  EXPECT_EQ(ok("GET", "/v1/reservations?bridge=virbr0"),
            Request(ListReservations{.bridge = "virbr0"}));
  EXPECT_EQ(ok("GET", "/metrics"), Request(GetMetrics{}));
  // An empty query, or empty pieces in it, is no parameter.
  EXPECT_EQ(ok("GET", "/v1/leases?"), Request(ListLeases{}));
  EXPECT_EQ(ok("GET", "/v1/leases?&bridge=br0&"), Request(ListLeases{.bridge = "br0"}));
}

TEST(Router, QueryStringsArePercentDecoded) {
  EXPECT_EQ(ok("GET", "/v1/leases?bridge=br%2d0"), Request(ListLeases{.bridge = "br-0"}));
  EXPECT_EQ(ok("GET", "/v1/leases?%62ridge=br0"), Request(ListLeases{.bridge = "br0"}));
  // '+' is a space in a query, and a space is not in an interface name.
  expect_error(refused("GET", "/v1/leases?bridge=a+b"), 400, "query parameter 'bridge' 'a b'");
  expect_error(refused("GET", "/v1/leases?bridge=br%zz"), 400, "bad percent escape");
  expect_error(refused("GET", "/v1/leases?bridge=br%4"), 400, "bad percent escape");
  expect_error(refused("GET", "/v1/leases?bridge=br%00"), 400, "does not allow");
}

TEST(Router, QueryParametersAreChecked) {
  expect_error(refused("GET", "/v1/leases?brige=br0"), 400,
               "unknown query parameter 'brige' on /v1/leases; the only one is 'bridge'");
  expect_error(refused("GET", "/v1/leases?bridge=a&bridge=b"), 400, "given twice");
  expect_error(refused("GET", "/v1/leases?bridge"), 400, "'bridge' has no value");
  expect_error(refused("GET", "/v1/leases?bridge="), 400, "query parameter 'bridge' is empty");
  expect_error(refused("GET", "/v1/reservations?bridge=0123456789abcdef"), 400,
               "16 bytes long; a Linux interface name has at most 15");
  expect_error(refused("GET", "/v1/status?verbose=1"), 400, "/v1/status takes no query parameters");
  expect_error(refused("DELETE", "/v1/reservations/3?force=1"), 400, "takes no query parameters");
  expect_error(refused("POST", "/v1/reservations?bridge=br0", R"({})"), 400,
               "takes no query parameters");
}

TEST(Router, ReservationAdd) {
  const Request r = ok("POST", "/v1/reservations",
                       R"({"bridge": "lxcbr0", "mac": "00:16:3E:AA:BB:CC", "ip": "10.0.3.10",
                           "name": "web"})");
  EXPECT_EQ(r, Request(AddReservation{.reservation = {.bridge = "lxcbr0",
                                                      .match = MatchKind::mac,
                                                      .mac = mac("00:16:3e:aa:bb:cc"),
                                                      .client_id = {},
                                                      .hostname = {},
                                                      .ip = ip("10.0.3.10"),
                                                      .name = "web",
                                                      .force = false}}));
  const Request by_id = ok("POST", "/v1/reservations",
                           R"({"bridge": "br0", "client_id": "01:00:16:3e:aa:bb:cc",
                               "ip": "10.0.3.11", "force": true})");
  const auto& add = std::get<AddReservation>(by_id).reservation;
  EXPECT_EQ(add.match, MatchKind::client_id);
  EXPECT_EQ(add.client_id, (Bytes{0x01, 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc}));
  EXPECT_TRUE(add.force);
  EXPECT_EQ(add.name, "");

  const Request by_name =
      ok("POST", "/v1/reservations", R"({"bridge": "br0", "hostname": "db", "ip": "10.0.3.12"})");
  EXPECT_EQ(std::get<AddReservation>(by_name).reservation.match, MatchKind::hostname);
  EXPECT_EQ(std::get<AddReservation>(by_name).reservation.hostname, "db");
}

TEST(Router, ReservationAddValidation) {
  auto add = [](std::string_view body) { return refused("POST", "/v1/reservations", body); };
  expect_error(add(""), 400, "POST /v1/reservations needs a JSON object as its body");
  expect_error(add("{\"bridge\": "), 400, "the request body is not valid JSON: ");
  expect_error(add("[1, 2]"), 400, "the reservation must be a JSON object");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "hostnme": "x"})"),
               400, "unknown field 'hostnme' in the reservation");
  expect_error(add(R"({"mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10"})"), 400,
               "field 'bridge' is required");
  expect_error(add(R"({"bridge": 7, "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10"})"), 400,
               "field 'bridge' must be a string");
  expect_error(add(R"({"bridge": "a/b", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10"})"), 400,
               "field 'bridge' 'a/b' contains '/'");
  expect_error(add(R"({"bridge": "br0", "ip": "10.0.3.10"})"), 400,
               "one of the fields 'mac', 'client_id' or 'hostname' is required");
  expect_error(
      add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "hostname": "x", "ip": "10.0.3.10"})"),
      400, "fields 'mac' and 'hostname' cannot both be given");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb", "ip": "10.0.3.10"})"), 400,
               "field 'mac' '00:16:3e:aa:bb' is not a MAC address");
  expect_error(add(R"({"bridge": "br0", "mac": "00:00:00:00:00:00", "ip": "10.0.3.10"})"), 400,
               "field 'mac' is 00:00:00:00:00:00, which no client has");
  expect_error(add(R"({"bridge": "br0", "mac": "ff:ff:ff:ff:ff:ff", "ip": "10.0.3.10"})"), 400,
               "which no client has");
  expect_error(add(R"({"bridge": "br0", "mac": 5, "ip": "10.0.3.10"})"), 400,
               "field 'mac' must be a string");
  expect_error(add(R"({"bridge": "br0", "client_id": "01:zz", "ip": "10.0.3.10"})"), 400,
               "field 'client_id' '01:zz' is not hex bytes");
  expect_error(add(R"({"bridge": "br0", "client_id": "", "ip": "10.0.3.10"})"), 400,
               "field 'client_id' is empty");
  std::string long_id = "01";
  for (int i = 0; i < 255; ++i) long_id += ":ab";
  expect_error(add(R"({"bridge": "br0", "client_id": ")" + long_id + R"(", "ip": "10.0.3.10"})"),
               400, "field 'client_id' is 256 bytes long");
  expect_error(add(R"({"bridge": "br0", "hostname": "a.b", "ip": "10.0.3.10"})"), 400,
               "field 'hostname' 'a.b' is not a DNS label");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc"})"), 400,
               "field 'ip' is required");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3"})"), 400,
               "field 'ip' '10.0.3' is not an IPv4 address");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "0.0.0.0"})"), 400,
               "field 'ip' is 0.0.0.0, which cannot be given to a client");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "255.255.255.255"})"),
               400, "cannot be given to a client");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "name": "-web"})"),
               400, "field 'name' '-web' is not a DNS label");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "name": ")" +
                   std::string(64, 'a') + R"("})"),
               400, "field 'name'");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "name": 3})"),
               400, "field 'name' must be a string or null");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "force": "yes"})"),
               400, "field 'force' must be true or false");
}

TEST(Router, NameLabelsAtTheLimits) {
  const std::string body63 = R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                                 "name": ")" +
                             std::string(63, 'a') + R"("})";
  EXPECT_EQ(std::get<AddReservation>(ok("POST", "/v1/reservations", body63)).reservation.name,
            std::string(63, 'a'));
  const Request r = ok("POST", "/v1/reservations",
                       R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                           "name": null})");
  EXPECT_EQ(std::get<AddReservation>(r).reservation.name, "");
  const Request digits = ok("POST", "/v1/reservations",
                            R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                                "name": "0-a-9"})");
  EXPECT_EQ(std::get<AddReservation>(digits).reservation.name, "0-a-9");
}

TEST(Router, ReservationPatchAndDelete) {
  EXPECT_EQ(ok("DELETE", "/v1/reservations/42"), Request(DeleteReservation{.id = 42}));
  EXPECT_EQ(ok("PATCH", "/v1/reservations/7", R"({"ip": "10.0.3.20", "force": true})"),
            Request(PatchReservation{
                .id = 7, .patch = {.ip = ip("10.0.3.20"), .name = std::nullopt, .force = true}}));
  EXPECT_EQ(ok("PATCH", "/v1/reservations/7", R"({"name": "db"})"),
            Request(PatchReservation{.id = 7, .patch = {.ip = std::nullopt, .name = "db"}}));
  // null or "" remove the name.
  EXPECT_EQ(ok("PATCH", "/v1/reservations/7", R"({"name": null})"),
            Request(PatchReservation{.id = 7, .patch = {.ip = std::nullopt, .name = ""}}));
  EXPECT_EQ(ok("PATCH", "/v1/reservations/9223372036854775807", R"({"name": ""})"),
            Request(PatchReservation{.id = INT64_MAX, .patch = {.ip = std::nullopt, .name = ""}}));
  // An IPv6 address sets it; null removes it.
  const auto v6 = Ipv6Address::parse("fd00:6::50");
  EXPECT_EQ(ok("PATCH", "/v1/reservations/7", R"({"ipv6": "fd00:6::50"})"),
            Request(PatchReservation{.id = 7, .patch = {.ipv6 = v6}}));
  EXPECT_EQ(ok("PATCH", "/v1/reservations/7", R"({"ipv6": null})"),
            Request(PatchReservation{.id = 7,
                                     .patch = {.ipv6 = std::optional<std::optional<Ipv6Address>>(
                                                   std::optional<Ipv6Address>())}}));
}

TEST(Router, ReservationOptionsOnAddAndPatch) {
  const Request r = ok("POST", "/v1/reservations",
                       R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                           "options": ["43:hex:01:02", "force:66:string:boot"]})");
  const auto& c = std::get<AddReservation>(r).reservation;
  ASSERT_EQ(c.options.size(), 2u);
  EXPECT_EQ(c.options[0].code, 43);
  EXPECT_TRUE(c.options[1].always);
  const HttpRequest h = to_http(r);
  EXPECT_EQ(ok(h.method, h.target, h.body), r);

  const Request p = ok("PATCH", "/v1/reservations/7", R"({"options": ["224:u8:7"]})");
  ASSERT_TRUE(std::get<PatchReservation>(p).patch.options.has_value());
  EXPECT_EQ(std::get<PatchReservation>(p).patch.options->at(0).value, Bytes{7});
  // [] removes them all: a change, unlike an absent list.
  EXPECT_EQ(std::get<PatchReservation>(ok("PATCH", "/v1/reservations/7", R"({"options": []})"))
                .patch.options,
            std::vector<dhcp4::ConfiguredOption>{});

  const char* base = R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10", )";
  expect_error(refused("POST", "/v1/reservations", std::string(base) + R"("options": "43:u8:1"})"),
               400, "must be a list");
  expect_error(refused("POST", "/v1/reservations", std::string(base) + R"("options": [43]})"), 400,
               "'options[0]' must be a string");
  expect_error(
      refused("POST", "/v1/reservations", std::string(base) + R"("options": ["53:u8:1"]})"), 400,
      "'options[0]' '53:u8:1': berth sets the message type");
  expect_error(refused("POST", "/v1/reservations",
                       std::string(base) + R"("options": ["43:u8:1", "43:u8:2"]})"),
               400, "a second time");
  expect_error(refused("PATCH", "/v1/reservations/7", R"({"options": ["43:u9:1"]})"), 400,
               "'options[0]'");
}

TEST(Router, ReservationAddWithIpv6AndDuid) {
  const Request r = ok("POST", "/v1/reservations",
                       R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                           "ipv6": "fd00:6::50", "duid": "00:03:00:01:00:16:3e:aa:bb:cc"})");
  const auto& c = std::get<AddReservation>(r).reservation;
  EXPECT_EQ(c.ipv6, Ipv6Address::parse("fd00:6::50"));
  EXPECT_EQ(c.duid, (Bytes{0, 3, 0, 1, 0, 0x16, 0x3e, 0xaa, 0xbb, 0xcc}));
  auto add = [](std::string_view body) { return refused("POST", "/v1/reservations", body); };
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "ipv6": "10.0.3.11"})"),
               400, "field 'ipv6'");
  expect_error(add(R"({"bridge": "br0", "hostname": "db", "ip": "10.0.3.10",
                       "ipv6": "fd00:6::50"})"),
               400, "needs 'duid'");
  expect_error(add(R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10",
                       "duid": "00:03:00:01:00:16:3e:aa:bb:cc"})"),
               400, "duid");
}

TEST(Router, ReservationPatchValidation) {
  auto patch = [](std::string_view body) { return refused("PATCH", "/v1/reservations/7", body); };
  expect_error(patch(""), 400, "PATCH /v1/reservations/{id} needs a JSON object");
  expect_error(patch("{}"), 400, "none of 'ip', 'ipv6', 'name' and 'options'");
  expect_error(patch(R"({"force": true})"), 400, "none of 'ip', 'ipv6', 'name' and 'options'");
  expect_error(patch(R"({"ipv6": "10.0.3.3"})"), 400, "field 'ipv6'");
  expect_error(patch(R"({"duid": "00:01"})"), 400,
               "field 'duid' of a reservation cannot be changed");
  expect_error(patch(R"({"mac": "00:16:3e:aa:bb:cc"})"), 400,
               "field 'mac' of a reservation cannot be changed");
  expect_error(patch(R"({"bridge": "br1"})"), 400,
               "field 'bridge' of a reservation cannot be changed");
  expect_error(patch(R"({"ipp": "10.0.3.3"})"), 400, "unknown field 'ipp' in the change");
  expect_error(patch(R"({"ip": null})"), 400, "field 'ip' must be a string");
  expect_error(patch(R"({"ip": "10.0.3.256"})"), 400, "field 'ip' '10.0.3.256' is not an IPv4");
  expect_error(patch(R"({"name": "a_b"})"), 400, "field 'name' 'a_b' is not a DNS label");
  expect_error(patch("\"ip\""), 400, "the change must be a JSON object");
}

TEST(Router, ReservationIds) {
  for (const char* bad : {"/v1/reservations/0", "/v1/reservations/-1", "/v1/reservations/1x",
                          "/v1/reservations/+3", "/v1/reservations/9223372036854775808",
                          "/v1/reservations/99999999999999999999", "/v1/reservations/"}) {
    expect_error(refused("DELETE", bad), 400, "is not a positive integer");
  }
  EXPECT_EQ(ok("DELETE", "/v1/reservations/%31%32"), Request(DeleteReservation{.id = 12}));
}

TEST(Router, ForgetLease) {
  EXPECT_EQ(ok("DELETE", "/v1/leases/lxcbr0/10.0.3.57"),
            Request(ForgetLease{.bridge = "lxcbr0", .ip = ip("10.0.3.57")}));
  EXPECT_EQ(ok("DELETE", "/v1/leases/br%2D1/10.0.3.57"),
            Request(ForgetLease{.bridge = "br-1", .ip = ip("10.0.3.57")}));
  expect_error(refused("DELETE", "/v1/leases/lxcbr0/10.0.3"), 400,
               "the address in the path '10.0.3' is not an IPv4 address");
  expect_error(refused("DELETE", "/v1/leases/a%2Fb/10.0.3.5"), 400,
               "the bridge in the path 'a/b' contains '/'");
  expect_error(refused("DELETE", "/v1/leases/%zz/10.0.3.5"), 400, "bad percent escape");
  expect_error(refused("DELETE", "/v1/leases//10.0.3.5"), 400, "the bridge in the path is empty");
  expect_error(refused("GET", "/v1/leases/br0/10.0.3.5"), 405, "use DELETE");
}

TEST(Router, Reload) {
  EXPECT_EQ(ok("POST", "/v1/reload"), Request(Reload{}));
  // Clients that always send JSON may send an empty object.
  EXPECT_EQ(ok("POST", "/v1/reload", " {} \n"), Request(Reload{}));
  expect_error(refused("POST", "/v1/reload", R"({"file": "/tmp/x"})"), 400,
               "POST /v1/reload takes no request body");
  expect_error(refused("GET", "/v1/status", "x"), 400, "GET /v1/status takes no request body");
  expect_error(refused("DELETE", "/v1/reservations/1", "{\"a\":1}"), 400, "takes no request body");
}

TEST(Router, WrongMethodIs405WithAllow) {
  ApiError e = refused("POST", "/v1/status");
  expect_error(e, 405, "method 'POST' is not allowed on /v1/status; use GET");
  EXPECT_EQ(e.allow, "GET");
  e = refused("PUT", "/v1/reservations", "{}");
  EXPECT_EQ(e.status, 405);
  EXPECT_EQ(e.allow, "GET, POST");
  e = refused("GET", "/v1/reservations/3");
  EXPECT_EQ(e.status, 405);
  EXPECT_EQ(e.allow, "PATCH, DELETE");
  EXPECT_EQ(refused("GET", "/v1/reload").allow, "POST");
  EXPECT_EQ(refused("DELETE", "/v1/leases").allow, "GET");
  EXPECT_EQ(refused("HEAD", "/metrics").allow, "GET");
  EXPECT_EQ(refused("get", "/v1/status").status, 405);  // methods are case-sensitive
  EXPECT_EQ(refused("DELETE", "/v1/bridges").status, 405);
}

TEST(Router, UnknownPathIs404) {
  for (const char* path : {"/", "/v1", "/v1/", "/v2/status", "/v1/status/", "/v1/statuss",
                           "/v1/leases/br0", "/v1/leases/br0/10.0.3.5/x", "/v1/reservations/1/2",
                           "/metrics/", "//v1/status", "/V1/status"}) {
    EXPECT_EQ(refused("GET", path).status, 404) << path;
  }
  expect_error(refused("GET", "/v2/status"), 404, "no such path: '/v2/status'");
}

TEST(Router, BadTargetsAndBodies) {
  expect_error(refused("GET", "http://localhost/v1/status"), 400, "is not a path");
  expect_error(refused("GET", ""), 400, "is not a path");
  expect_error(refused("GET", "*"), 400, "is not a path");
  const std::string big(kMaxBodySize + 1, ' ');
  expect_error(refused("POST", "/v1/reservations", big), 413, "at most 1048576 (1 MiB)");
  // A body at the limit is read (and refused for what it says).
  EXPECT_EQ(refused("POST", "/v1/reservations", std::string(kMaxBodySize, ' ')).status, 400);
  const std::string deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  expect_error(refused("POST", "/v1/reservations", deep), 400, "deeper than 16 levels");
  const std::string shallow = "[" + std::string(kMaxJsonDepth - 1, '[') + "\"[[[[[[[[[[[[[[[[[[\"" +
                              std::string(kMaxJsonDepth, ']');
  expect_error(refused("POST", "/v1/reservations", shallow), 400, "must be a JSON object");
  // Invalid UTF-8 in a string is a JSON syntax error, and the message shows
  // the bytes escaped.
  const ApiError utf8 =
      refused("POST", "/v1/reservations", "{\"bridge\": \"\xff\xfe\", \"mac\": 1}");
  expect_error(utf8, 400, "not valid JSON");
  EXPECT_EQ(utf8.message.find('\xff'), std::string::npos);
  // Trailing garbage after the object.
  expect_error(refused("POST", "/v1/reservations",
                       R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "10.0.3.10"} x)"),
               400, "not valid JSON");
}

TEST(Router, ErrorBodiesAreJson) {
  const ApiError e = refused("GET", "/v1/leases?bridge=%ff%fe%2f");
  const auto j = nlohmann::json::parse(error_body(e));
  EXPECT_EQ(j.at("status"), 400);
  EXPECT_EQ(j.at("error"), e.message);
  EXPECT_NE(e.message.find("\\xff\\xfe"), std::string::npos) << e.message;
  EXPECT_EQ(j.size(), 2u);
}

TEST(Router, ChangesState) {
  EXPECT_FALSE(changes_state(GetStatus{}));
  EXPECT_FALSE(changes_state(ListLeases{}));
  EXPECT_FALSE(changes_state(GetMetrics{}));
  EXPECT_TRUE(changes_state(AddReservation{}));
  EXPECT_TRUE(changes_state(DeleteReservation{.id = 1}));
  EXPECT_TRUE(changes_state(PatchReservation{}));
  EXPECT_TRUE(changes_state(ForgetLease{}));
  EXPECT_TRUE(changes_state(Reload{}));
  EXPECT_FALSE(changes_state(ListForwards{}));
  EXPECT_FALSE(changes_state(GetFirewall{}));
  EXPECT_TRUE(changes_state(AddForward{}));
  EXPECT_TRUE(changes_state(DeleteForward{.id = 1}));
  EXPECT_TRUE(changes_state(Attach{}));
  EXPECT_TRUE(changes_state(Detach{}));
  EXPECT_EQ(describe(DeleteForward{.id = 4}), "DELETE /v1/forwards/4");
  EXPECT_EQ(describe(Attach{.bridge = "br0", .netns = "a", .pid = {}, .ifname = "eth0", .mac = {}}),
            "POST /v1/attach");
  EXPECT_EQ(describe(ForgetLease{.bridge = "br 0", .ip = ip("10.0.3.5")}),
            "DELETE /v1/leases/br%200/10.0.3.5");
}

TEST(Router, ToHttpRoundTrips) {
  const std::vector<Request> requests = {
      GetStatus{},
      ListBridges{},
      ListLeases{},
      ListLeases{.bridge = "br-0"},
      ListReservations{.bridge = "lxcbr0"},
      AddReservation{.reservation = {.bridge = "br0",
                                     .match = MatchKind::mac,
                                     .mac = mac("00:16:3e:01:02:03"),
                                     .client_id = {},
                                     .hostname = {},
                                     .ip = ip("10.0.3.2"),
                                     .name = "a",
                                     .force = true}},
      AddReservation{.reservation = {.bridge = "br0",
                                     .match = MatchKind::client_id,
                                     .mac = {},
                                     .client_id = {0xff, 0x00, 0x01},
                                     .hostname = {},
                                     .ip = ip("10.0.3.3"),
                                     .name = {},
                                     .force = false}},
      AddReservation{.reservation = {.bridge = "br0",
                                     .match = MatchKind::hostname,
                                     .mac = {},
                                     .client_id = {},
                                     .hostname = "Host-1",
                                     .ip = ip("10.0.3.4"),
                                     .name = "h",
                                     .force = false}},
      DeleteReservation{.id = 5},
      PatchReservation{.id = 6,
                       .patch = {.ip = ip("10.0.3.9"), .name = std::nullopt, .force = true}},
      PatchReservation{.id = 6, .patch = {.ip = std::nullopt, .name = "", .force = false}},
      ForgetLease{.bridge = "lxcbr0", .ip = ip("10.0.3.57")},
      Reload{},
      GetMetrics{},
      ListForwards{},
      ListForwards{.bridge = "br%0"},
      AddForward{.forward = {.bridge = "br0",
                             .proto = ForwardProto::udp,
                             .host_address = ip("192.0.2.1"),
                             .host_port = 5353,
                             .to = "10.0.3.9",
                             .to_port = 53}},
      AddForward{.forward = {.bridge = "br0",
                             .proto = ForwardProto::tcp,
                             .host_address = std::nullopt,
                             .host_port = 8080,
                             .to = "web",
                             .to_port = 80}},
      DeleteForward{.id = 3},
      Attach{.bridge = "br0",
             .netns = "web",
             .pid = std::nullopt,
             .ifname = "eth0",
             .mac = mac("02:16:3e:00:00:01")},
      Attach{.bridge = "br0", .netns = std::nullopt, .pid = 4242, .ifname = "net1", .mac = {}},
      Detach{.bridge = "br0", .netns = "web", .pid = std::nullopt, .ifname = "eth0"},
      Detach{.bridge = "br0", .netns = std::nullopt, .pid = 1, .ifname = "eth1"},
      GetFirewall{},
  };
  for (const Request& req : requests) {
    const HttpRequest http = to_http(req);
    auto back = parse_request(http.method, http.target, http.body);
    ASSERT_TRUE(std::holds_alternative<Request>(back))
        << http.method << " " << http.target << " " << std::get<ApiError>(back).message;
    EXPECT_EQ(std::get<Request>(back), req)
        << http.method << " " << http.target << " " << http.body;
  }
}

TEST(Router, ForwardRoutes) {
  EXPECT_EQ(ok("GET", "/v1/forwards"), Request(ListForwards{}));
  EXPECT_EQ(ok("GET", "/v1/forwards?bridge=br0"), Request(ListForwards{.bridge = "br0"}));
  EXPECT_EQ(ok("DELETE", "/v1/forwards/12"), Request(DeleteForward{.id = 12}));
  EXPECT_EQ(ok("POST", "/v1/forwards",
               R"({"bridge": "br0", "proto": "tcp", "host_port": 8080, "to": "web",
                   "to_port": 80})"),
            Request(AddForward{.forward = {.bridge = "br0",
                                           .proto = ForwardProto::tcp,
                                           .host_address = std::nullopt,
                                           .host_port = 8080,
                                           .to = "web",
                                           .to_port = 80}}));
  // to_port defaults to host_port; an address target; a host address.
  EXPECT_EQ(ok("POST", "/v1/forwards",
               R"({"bridge": "br0", "proto": "udp", "host_address": "192.0.2.7",
                   "host_port": 53, "to": "10.0.3.5"})"),
            Request(AddForward{.forward = {.bridge = "br0",
                                           .proto = ForwardProto::udp,
                                           .host_address = ip("192.0.2.7"),
                                           .host_port = 53,
                                           .to = "10.0.3.5",
                                           .to_port = 53}}));
  // null and 0.0.0.0 both mean every address of the host.
  for (const char* any : {"null", "\"0.0.0.0\""}) {
    const Request r = ok("POST", "/v1/forwards",
                         std::string(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "a",
                           "host_address": )") +
                             any + "}");
    EXPECT_EQ(std::get<AddForward>(r).forward.host_address, std::nullopt) << any;
    EXPECT_EQ(std::get<AddForward>(r).forward.to_port, 1) << any;
  }
  EXPECT_EQ(refused("PATCH", "/v1/forwards/1").allow, "DELETE");
  EXPECT_EQ(refused("PUT", "/v1/forwards").allow, "GET, POST");
  expect_error(refused("DELETE", "/v1/forwards/0"), 400,
               "forward id '0' is not a positive integer");
  expect_error(refused("DELETE", "/v1/forwards/x?y=1"), 400, "takes no query parameters");
  expect_error(refused("DELETE", "/v1/forwards/1", "{\"a\": 1}"), 400, "takes no request body");
  expect_error(refused("GET", "/v1/forwards?bridge=a/b"), 400, "contains '/'");
  expect_error(refused("GET", "/v1/forwards?proto=tcp"), 400, "unknown query parameter 'proto'");
  EXPECT_EQ(refused("GET", "/v1/forwards/1/2").status, 404);
}

TEST(Router, ForwardValidation) {
  auto add = [](std::string_view body) { return refused("POST", "/v1/forwards", body); };
  expect_error(add(""), 400, "POST /v1/forwards needs a JSON object");
  expect_error(add("[]"), 400, "the forward must be a JSON object");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "a", "from": 1})"),
               400, "unknown field 'from' in the forward");
  expect_error(add(R"({"proto": "tcp", "host_port": 1, "to": "a"})"), 400,
               "field 'bridge' is required");
  expect_error(add(R"({"bridge": "br0", "host_port": 1, "to": "a"})"), 400,
               "field 'proto' is required");
  expect_error(add(R"({"bridge": "br0", "proto": "sctp", "host_port": 1, "to": "a"})"), 400,
               "field 'proto' 'sctp' is neither \"tcp\" nor \"udp\"");
  expect_error(add(R"({"bridge": "br0", "proto": "TCP", "host_port": 1, "to": "a"})"), 400,
               "is neither");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "to": "a"})"), 400,
               "field 'host_port' is required");
  for (const char* bad :
       {"0", "65536", "-1", "80.5", "\"80\"", "true", "null", "18446744073709551615"}) {
    expect_error(add(std::string(R"({"bridge": "br0", "proto": "tcp", "to": "a", "host_port": )") +
                     bad + "}"),
                 400, "field 'host_port' must be a port, an integer from 1 to 65535");
    expect_error(add(std::string(R"({"bridge": "br0", "proto": "tcp", "to": "a", "host_port": 1,
                                     "to_port": )") +
                     bad + "}"),
                 400, "field 'to_port' must be a port");
  }
  EXPECT_EQ(std::get<AddForward>(ok("POST", "/v1/forwards",
                                    R"({"bridge": "br0", "proto": "tcp", "to": "a",
                                        "host_port": 65535, "to_port": 1})"))
                .forward.host_port,
            65535);
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1})"), 400,
               "field 'to' is required");
  expect_error(
      add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "web.lxc"})"), 400,
      "field 'to' 'web.lxc' is neither an IPv4 address like 10.0.3.10 nor a container name");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "10.0.3.256"})"), 400,
               "is neither an IPv4 address");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "0.0.0.0"})"), 400,
               "cannot be given to a client");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": ""})"), 400,
               "is neither");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": 5})"), 400,
               "field 'to' must be a string");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "a",
                       "host_address": "10.0.3"})"),
               400, "field 'host_address' '10.0.3' is not an IPv4 address");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "a",
                       "host_address": "224.0.0.1"})"),
               400, "field 'host_address' is 224.0.0.1, which is not an address of the host");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "a",
                       "host_address": "255.255.255.255"})"),
               400, "not an address of the host");
  expect_error(add(R"({"bridge": "br0", "proto": "tcp", "host_port": 1, "to": "a",
                       "host_address": 1})"),
               400, "field 'host_address' must be a string or null");
}

TEST(Router, AttachAndDetach) {
  EXPECT_EQ(
      ok("POST", "/v1/attach", R"({"bridge": "br0", "netns": "web"})"),
      Request(Attach{
          .bridge = "br0", .netns = "web", .pid = std::nullopt, .ifname = "eth0", .mac = {}}));
  EXPECT_EQ(ok("POST", "/v1/attach",
               R"({"bridge": "br0", "pid": 4194304, "ifname": "net1",
                   "mac": "02:16:3E:00:00:01"})"),
            Request(Attach{.bridge = "br0",
                           .netns = std::nullopt,
                           .pid = 4194304,
                           .ifname = "net1",
                           .mac = mac("02:16:3e:00:00:01")}));
  EXPECT_EQ(ok("POST", "/v1/attach", R"({"bridge": "br0", "netns": "a", "mac": null})"),
            Request(Attach{.bridge = "br0", .netns = "a", .pid = {}, .ifname = "eth0", .mac = {}}));
  EXPECT_EQ(ok("POST", "/v1/detach", R"({"bridge": "br0", "pid": 1, "ifname": "eth1"})"),
            Request(Detach{.bridge = "br0", .netns = std::nullopt, .pid = 1, .ifname = "eth1"}));
  EXPECT_EQ(ok("POST", "/v1/detach", R"({"bridge": "br0", "netns": "..."})"),
            Request(Detach{.bridge = "br0", .netns = "...", .pid = {}, .ifname = "eth0"}));
  EXPECT_EQ(refused("GET", "/v1/attach").allow, "POST");
  EXPECT_EQ(refused("DELETE", "/v1/detach").allow, "POST");
  expect_error(refused("POST", "/v1/attach"), 400, "POST /v1/attach needs a JSON object");
  expect_error(refused("POST", "/v1/detach?x=1", "{}"), 400, "takes no query parameters");
}

TEST(Router, AttachValidation) {
  for (const char* route : {"/v1/attach", "/v1/detach"}) {
    auto post = [&](std::string_view body) { return refused("POST", route, body); };
    expect_error(post("7"), 400, "request must be a JSON object");
    expect_error(post(R"({"netns": "web"})"), 400, "field 'bridge' is required");
    expect_error(post(R"({"bridge": "a:b", "netns": "web"})"), 400, "contains ':'");
    expect_error(post(R"({"bridge": "br0"})"), 400,
                 "one of the fields 'netns' (a name from `ip netns`) or 'pid'");
    expect_error(post(R"({"bridge": "br0", "netns": "web", "pid": 5})"), 400,
                 "fields 'netns' and 'pid' cannot both be given");
    for (const char* ns :
         {"\"/run/netns/web\"", "\"a/b\"", "\".\"", "\"..\"", "\"\"", "\"a\\u0000b\""}) {
      expect_error(post(std::string(R"({"bridge": "br0", "netns": )") + ns + "}"), 400,
                   "field 'netns'");
    }
    expect_error(post(R"({"bridge": "br0", "netns": "/run/netns/web"})"), 400, "not a path");
    expect_error(post(R"({"bridge": "br0", "netns": ")" + std::string(256, 'n') + R"("})"), 400,
                 "256 bytes long; a namespace name has at most 255");
    EXPECT_EQ(parse_request("POST", route,
                            R"({"bridge": "br0", "netns": ")" + std::string(255, 'n') + R"("})")
                  .index(),
              0u);
    expect_error(post(R"({"bridge": "br0", "netns": 3})"), 400, "field 'netns' must be a string");
    for (const char* pid : {"0", "-4", "4194305", "1.5", "\"42\"", "null"}) {
      expect_error(post(std::string(R"({"bridge": "br0", "pid": )") + pid + "}"), 400,
                   "field 'pid' must be a process id, an integer from 1 to 4194304");
    }
    expect_error(post(R"({"bridge": "br0", "pid": 1, "ifname": ""})"), 400,
                 "field 'ifname' is empty");
    expect_error(post(R"({"bridge": "br0", "pid": 1, "ifname": "0123456789abcdef"})"), 400,
                 "field 'ifname' '0123456789abcdef' is 16 bytes long");
    expect_error(post(R"({"bridge": "br0", "pid": 1, "ifname": "e th0"})"), 400,
                 "field 'ifname' 'e th0' contains ' '");
    expect_error(post(R"({"bridge": "br0", "pid": 1, "ifname": 0})"), 400,
                 "field 'ifname' must be a string");
  }
  auto attach = [](std::string_view body) { return refused("POST", "/v1/attach", body); };
  expect_error(attach(R"({"bridge": "br0", "pid": 1, "mac": "01:00:5e:00:00:01"})"), 400,
               "field 'mac' is 01:00:5e:00:00:01, a multicast address");
  expect_error(attach(R"({"bridge": "br0", "pid": 1, "mac": "ff:ff:ff:ff:ff:ff"})"), 400,
               "multicast");
  expect_error(attach(R"({"bridge": "br0", "pid": 1, "mac": "00:00:00:00:00:00"})"), 400,
               "which no interface has");
  expect_error(attach(R"({"bridge": "br0", "pid": 1, "mac": "02:00:00:00:00"})"), 400,
               "is not a MAC address");
  expect_error(attach(R"({"bridge": "br0", "pid": 1, "mac": 2})"), 400,
               "field 'mac' must be a string or null");
  expect_error(attach(R"({"bridge": "br0", "pid": 1, "host_ifname": "vb0"})"), 400,
               "unknown field 'host_ifname' in the attach request");
  // Detach has no MAC.
  expect_error(refused("POST", "/v1/detach", R"({"bridge": "br0", "pid": 1, "mac": null})"), 400,
               "unknown field 'mac' in the detach request");
}

TEST(Router, Firewall) {
  EXPECT_EQ(ok("GET", "/v1/firewall"), Request(GetFirewall{}));
  EXPECT_EQ(refused("POST", "/v1/firewall").allow, "GET");
  expect_error(refused("GET", "/v1/firewall?x=1"), 400, "takes no query parameters");
}

TEST(Router, PercentCoding) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("a b/%\xff"), "a%20b%2F%25%FF");
  EXPECT_EQ(percent_decode("a%20b%2f%25%FF", false), std::optional<std::string>("a b/%\xff"));
  EXPECT_EQ(percent_decode("a+b", false), std::optional<std::string>("a+b"));
  EXPECT_EQ(percent_decode("a+b", true), std::optional<std::string>("a b"));
  EXPECT_EQ(percent_decode("%", false), std::nullopt);
  EXPECT_EQ(percent_decode("%a", false), std::nullopt);
  EXPECT_EQ(percent_decode("%ag", false), std::nullopt);
  EXPECT_EQ(percent_decode("", false), std::optional<std::string>(""));
}

}  // namespace
}  // namespace berth::api
