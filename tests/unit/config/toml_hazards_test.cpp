// Inputs that made toml++ 3.3 trip its own assertions (found by fuzz_config):
// each must be an ordinary ConfigError, located where possible.
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace berth::config {
namespace {

TEST(TomlHazards, NulInATableHeaderIsAConfigError) {
  std::string text = "[[";
  text.append(13, '\0');
  text += "= 1\n";
  try {
    parse_config(text, "nul.toml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 1u);
    EXPECT_EQ(e.file(), "nul.toml");
    EXPECT_NE(e.message().find("table header must start with a key"), std::string::npos)
        << e.what();
  }
}

TEST(TomlHazards, ControlCharacterIsAConfigErrorWithItsPosition) {
  try {
    parse_config(
        "[daemon]\nlog_level = \"in\x01"
        "fo\"\n",
        "ctl.toml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 16u);
    EXPECT_NE(e.message().find("control character U+0001"), std::string::npos) << e.what();
  }
}

TEST(TomlHazards, TableHeaderWithoutAKeyIsAConfigError) {
  try {
    parse_config("# ok\n[[# a comment where a key belongs\n", "hdr.toml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(e.message().find("table header must start with a key"), std::string::npos);
  }
}

TEST(TomlHazards, BracketsInsideStringsAndCommentsAreNotHeaders) {
  // Multi-line strings and comments may hold "[#" at a line start.
  EXPECT_THROW(parse_config("x = '''\n[# not a header\n'''\n", "s.toml"),
               ConfigError);  // unknown key x
  try {
    parse_config("x = '''\n[# not a header\n'''\n", "s.toml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.message().find("table header"), std::string::npos) << e.what();
  }
}

TEST(TomlHazards, StrayClosingBraceInAnArrayIsAConfigError) {
  EXPECT_THROW(parse_config("bridge = [ { name = \"a\" }, }, ]\n", "arr.toml"), ConfigError);
}

}  // namespace
}  // namespace berth::config
