// Helpers shared by the config unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace berth::config::test {

inline Ipv4Address ip(const char* text) {
  auto a = Ipv4Address::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(Ipv4Address());
}

// The error parse_config() throws for `text`; fails the test when it parses.
inline ConfigError error_of(std::string_view text) {
  try {
    parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error:\n" << text;
  return ConfigError("", 0, 0, "", "");
}

// A valid bridge table of lines 1-3, for tests that add or break one thing;
// what a test adds starts on line 4.
inline constexpr std::string_view kBridge =
    "[[bridge]]\n"
    "name = \"berth0\"\n"
    "address = \"10.0.3.1/24\"\n";

inline std::string bridge_with(std::string_view extra) {
  return std::string(kBridge) + std::string(extra);
}

}  // namespace berth::config::test
