// The TO[:PORT] argument of `berthctl forward add`.
#include "cli/forward_spec.hpp"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

ForwardTarget ok(std::string_view spec) {
  auto r = parse_forward_target(spec);
  if (auto* e = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << spec << ": " << *e;
    return {};
  }
  return std::get<ForwardTarget>(r);
}

std::string refused(std::string_view spec) {
  auto r = parse_forward_target(spec);
  if (auto* e = std::get_if<std::string>(&r)) return *e;
  ADD_FAILURE() << spec << " was accepted";
  return {};
}

TEST(ForwardSpec, NameOrAddressWithOptionalPort) {
  EXPECT_EQ(ok("web:80"), (ForwardTarget{.to = "web", .port = 80}));
  EXPECT_EQ(ok("web"), (ForwardTarget{.to = "web", .port = std::nullopt}));
  EXPECT_EQ(ok("10.0.3.5:8080"), (ForwardTarget{.to = "10.0.3.5", .port = 8080}));
  EXPECT_EQ(ok("10.0.3.5"), (ForwardTarget{.to = "10.0.3.5", .port = std::nullopt}));
  EXPECT_EQ(ok("Web-2:1"), (ForwardTarget{.to = "Web-2", .port = 1}));
  EXPECT_EQ(ok("db:65535").port, 65535);
  EXPECT_EQ(ok(std::string(63, 'a') + ":9").to, std::string(63, 'a'));
}

TEST(ForwardSpec, BadPortsAreNamed) {
  for (const char* bad : {"web:", "web:0", "web:65536", "web:99999", "web:123456", "web:080",
                          "web:+80", "web:-1", "web:8o", "web: 80", "web:80 "}) {
    const std::string e = refused(bad);
    EXPECT_NE(e.find("is not a port: a number from 1 to 65535"), std::string::npos)
        << bad << ": " << e;
    EXPECT_NE(e.find(std::string("of the target '") + bad + "'"), std::string::npos) << e;
  }
}

TEST(ForwardSpec, BadTargetsAreNamed) {
  EXPECT_EQ(refused(":80"),
            "the target ':80' names no container; write it as NAME:PORT or ADDRESS:PORT, like "
            "web:80");
  EXPECT_EQ(refused(""),
            "the target '' names no container; write it as NAME:PORT or ADDRESS:PORT, like web:80");
  EXPECT_NE(refused("web:80:90").find("has more than one ':'"), std::string::npos);
  EXPECT_NE(refused("::1").find("has more than one ':'"), std::string::npos);
  EXPECT_NE(refused("web.lxc:80").find("the target 'web.lxc' is neither an IPv4 address"),
            std::string::npos);
  EXPECT_NE(refused("10.0.3.256:80").find("is neither an IPv4 address"), std::string::npos);
  EXPECT_NE(refused("0.0.0.0:80").find("cannot be given to a client"), std::string::npos);
  EXPECT_NE(refused("-web").find("is neither"), std::string::npos);
  EXPECT_NE(refused(std::string(64, 'a')).find("is neither"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
