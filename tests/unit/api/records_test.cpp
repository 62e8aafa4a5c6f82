// /v1/records through the router: GET with filters, POST with a strict body,
// DELETE by id, and the round trip Request -> to_http -> parse_request.
#include "api/records.hpp"

#include <gtest/gtest.h>

#include <string>

#include "api/router.hpp"

namespace berth::api {
namespace {

Request ok(std::string_view method, std::string_view target, std::string_view body = {}) {
  auto r = parse_request(method, target, body);
  if (auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << method << " " << target << ": " << e->status << " " << e->message;
    return GetStatus{};
  }
  return std::get<Request>(r);
}

void expect_refused(std::string_view method, std::string_view target, std::string_view body,
                    int status, const std::string& part) {
  auto r = parse_request(method, target, body);
  ASSERT_TRUE(std::holds_alternative<ApiError>(r)) << method << " " << target << " " << body;
  const ApiError& e = std::get<ApiError>(r);
  EXPECT_EQ(e.status, status) << e.message;
  EXPECT_NE(e.message.find(part), std::string::npos)
      << "'" << e.message << "' lacks '" << part << "'";
}

void expect_round_trip(const Request& req) {
  const HttpRequest h = to_http(req);
  EXPECT_EQ(ok(h.method, h.target, h.body), req) << h.method << " " << h.target << " " << h.body;
}

dns::UserRecord record(dns::RecordType t) {
  dns::UserRecord r;
  r.bridge = "br0";
  r.name = "x";
  r.type = t;
  return r;
}

TEST(RecordsRoutes, ListTakesOptionalFilters) {
  EXPECT_EQ(ok("GET", "/v1/records"), Request(ListRecords{}));
  EXPECT_EQ(ok("GET", "/v1/records?bridge=br0&type=cname&name=www"),
            Request(ListRecords{.bridge = "br0", .name = "www", .type = dns::RecordType::cname}));
  expect_refused("GET", "/v1/records?type=MX", "", 400, "is not one of");
  expect_refused("GET", "/v1/records?type=A&type=TXT", "", 400, "given twice");
  expect_refused("GET", "/v1/records?color=blue", "", 400, "unknown query parameter 'color'");
  expect_refused("GET", "/v1/records?name", "", 400, "has no value");
  expect_refused("GET", "/v1/records?name=", "", 400, "1 to 254");
  expect_refused("GET", "/v1/records?bridge=a%2", "", 400, "percent escape");
  expect_refused("GET", "/v1/records", "[1]", 400, "");
  expect_round_trip(ListRecords{});
  expect_round_trip(ListRecords{.bridge = "br-0", .name = "a&b", .type = dns::RecordType::srv});
}

TEST(RecordsRoutes, AddReadsEachTypeStrictly) {
  dns::UserRecord a = record(dns::RecordType::a);
  a.address = IpAddress::parse("198.18.0.60");
  EXPECT_EQ(ok("POST", "/v1/records",
               R"({"bridge": "br0", "name": "x", "type": "a", "address": "198.18.0.60"})"),
            Request(AddRecord{.record = a}));

  dns::UserRecord srv = record(dns::RecordType::srv);
  srv.target = "web";
  srv.priority = 10;
  srv.weight = 5;
  srv.port = 80;
  EXPECT_EQ(ok("POST", "/v1/records",
               R"({"bridge": "br0", "name": "x", "type": "SRV", "priority": 10, "weight": 5,
                   "port": 80, "target": "web"})"),
            Request(AddRecord{.record = srv}));

  dns::UserRecord txt = record(dns::RecordType::txt);
  txt.text = {"one"};
  EXPECT_EQ(ok("POST", "/v1/records", R"({"bridge": "br0", "name": "x", "type": "TXT",
                                          "text": "one"})"),
            Request(AddRecord{.record = txt}));

  dns::UserRecord aaaa = record(dns::RecordType::aaaa);
  aaaa.bridge.clear();
  aaaa.name = "global.example.";
  aaaa.address = IpAddress::parse("fd00::1");
  dns::UserRecord cname = record(dns::RecordType::cname);
  cname.target = "web";
  for (const auto& r : {a, srv, txt, aaaa, cname}) expect_round_trip(AddRecord{.record = r});
}

TEST(RecordsRoutes, AddRefusesBadBodiesWithTheReason) {
  const std::string_view p = "/v1/records";
  expect_refused("POST", p, "", 400, "");
  expect_refused("POST", p, "[]", 400, "");
  expect_refused("POST", p, R"({"type": "A", "address": "198.18.0.1"})", 400, "'name'");
  expect_refused("POST", p, R"({"name": "x"})", 400, "'type'");
  expect_refused("POST", p, R"({"name": "x", "type": "MX"})", 400, "is not one of");
  expect_refused("POST", p, R"({"name": "x", "type": "A", "address": "nope"})", 400,
                 "not an IP address");
  expect_refused("POST", p, R"({"name": "x", "type": "A", "address": "fd00::1"})", 400, "IPv4");
  expect_refused("POST", p, R"({"name": "x", "type": "A", "address": "198.18.0.1", "color": 1})",
                 400, "unknown field 'color'");
  expect_refused("POST", p, R"({"name": "x", "type": "SRV", "target": "w", "port": 70000})", 400,
                 "port");
  expect_refused("POST", p, R"({"name": "x", "type": "SRV", "target": "w", "port": -1})", 400,
                 "port");
  expect_refused("POST", p, R"({"name": "x", "type": "TXT", "text": []})", 400, "empty list");
  expect_refused("POST", p, R"({"name": "x", "type": "TXT", "text": [1]})", 400, "list of strings");
  expect_refused("POST", p, R"({"name": "x", "type": "CNAME", "target": ""})", 400, "empty");
  expect_refused("POST", p, R"({"name": 5, "type": "A"})", 400, "name");
  expect_refused("POST", p, R"({"bridge": "a/b", "name": "x", "type": "A", "address": "1.2.3.4"})",
                 400, "bridge");
  expect_refused("POST", "/v1/records?x=1", R"({"name": "x", "type": "TXT", "text": "t"})", 400,
                 "");
  expect_refused("PUT", p, "", 405, "");
}

TEST(RecordsRoutes, DeleteTakesAPositiveId) {
  EXPECT_EQ(ok("DELETE", "/v1/records/42"), Request(DeleteRecord{.id = 42}));
  expect_round_trip(DeleteRecord{.id = 7});
  expect_refused("DELETE", "/v1/records/0", "", 400, "record id '0' is not a positive integer");
  expect_refused("DELETE", "/v1/records/www", "", 400, "is not a positive integer");
  expect_refused("DELETE", "/v1/records/99999999999999999999", "", 400, "positive integer");
  expect_refused("DELETE", "/v1/records/1", "[1]", 400, "");
  expect_refused("GET", "/v1/records/1", "", 405, "");
}

TEST(RecordsRoutes, AddAndDeleteChangeStateAndListDoesNot) {
  EXPECT_TRUE(changes_state(AddRecord{.record = record(dns::RecordType::txt)}));
  EXPECT_TRUE(changes_state(DeleteRecord{.id = 1}));
  EXPECT_FALSE(changes_state(ListRecords{}));
}

TEST(RecordsRoutes, ListResponsesRoundTrip) {
  dns::UserRecord r = record(dns::RecordType::srv);
  r.id = 3;
  r.created = 1700000000;
  r.target = "web";
  r.priority = 1;
  r.weight = 2;
  r.port = 3;
  const RecordList list{.records = {RecordInfo{.record = r, .fqdn = "x.lab"}}};
  nlohmann::json j = list;
  EXPECT_EQ(j["records"][0]["fqdn"], "x.lab");
  EXPECT_EQ(j.get<RecordList>(), list);
  EXPECT_TRUE(record_matches(ListRecords{.name = "X.LAB"}, list.records[0]));
  EXPECT_TRUE(record_matches(ListRecords{.name = "x"}, list.records[0]));
  EXPECT_FALSE(record_matches(ListRecords{.type = dns::RecordType::a}, list.records[0]));
  EXPECT_FALSE(record_matches(ListRecords{.bridge = "br1"}, list.records[0]));
}

}  // namespace
}  // namespace berth::api
