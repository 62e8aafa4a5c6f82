// GET /v1/events: its query (since, follow, format) and round trip.
#include <gtest/gtest.h>

#include "api/router.hpp"

namespace berth::api {
namespace {

GetEvents events(std::string_view target) {
  auto r = parse_request("GET", target, "");
  if (auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << target << ": " << e->status << " " << e->message;
    return {};
  }
  return std::get<GetEvents>(std::get<Request>(r));
}

ApiError refused(std::string_view method, std::string_view target) {
  auto r = parse_request(method, target, "");
  if (!std::holds_alternative<ApiError>(r)) {
    ADD_FAILURE() << target << " was accepted";
    return {};
  }
  return std::get<ApiError>(r);
}

TEST(RouterEvents, Query) {
  EXPECT_EQ(events("/v1/events"), GetEvents{});
  EXPECT_EQ(events("/v1/events?since=0"), (GetEvents{.since = 0}));
  EXPECT_EQ(events("/v1/events?since=42&follow=1"), (GetEvents{.since = 42, .follow = true}));
  EXPECT_EQ(events("/v1/events?follow=true&format=sse"),
            (GetEvents{.since = std::nullopt, .follow = true, .sse = true}));
  EXPECT_EQ(events("/v1/events?follow=0&format=ndjson"), GetEvents{});
  EXPECT_EQ(events("/v1/events?since=9223372036854775807"), (GetEvents{.since = INT64_MAX}));
}

TEST(RouterEvents, BadQueriesAreRefusedWithTheParameterNamed) {
  for (const char* target :
       {"/v1/events?since=-1", "/v1/events?since=abc", "/v1/events?since=", "/v1/events?since=1.5",
        "/v1/events?since=9223372036854775808", "/v1/events?since=99999999999999999999"}) {
    const ApiError e = refused("GET", target);
    EXPECT_EQ(e.status, 400) << target;
    EXPECT_NE(e.message.find("'since'"), std::string::npos) << e.message;
  }
  EXPECT_NE(refused("GET", "/v1/events?follow=yes").message.find("'follow'"), std::string::npos);
  EXPECT_NE(refused("GET", "/v1/events?format=xml").message.find("'format'"), std::string::npos);
  const ApiError unknown = refused("GET", "/v1/events?cursor=3");
  EXPECT_NE(unknown.message.find("known ones: 'since', 'follow', 'format'"), std::string::npos)
      << unknown.message;
  EXPECT_EQ(refused("GET", "/v1/events?since=1&since=2").status, 400);
  const ApiError post = refused("POST", "/v1/events");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.allow, "GET");
}

TEST(RouterEvents, ToHttpRoundTrips) {
  for (const GetEvents& g :
       {GetEvents{}, GetEvents{.since = 0}, GetEvents{.since = 7, .follow = true},
        GetEvents{.since = std::nullopt, .follow = true, .sse = true},
        GetEvents{.since = 3, .follow = false, .sse = true}}) {
    const HttpRequest http = to_http(g);
    EXPECT_EQ(http.method, "GET");
    auto back = parse_request(http.method, http.target, http.body);
    ASSERT_TRUE(std::holds_alternative<Request>(back)) << http.target;
    EXPECT_EQ(std::get<Request>(back), Request(g)) << http.target;
  }
  EXPECT_EQ(to_http(GetEvents{.since = 5, .follow = true}).target, "/v1/events?since=5&follow=1");
  EXPECT_FALSE(changes_state(GetEvents{}));
}

}  // namespace
}  // namespace berth::api
