#include "config/toml_guard.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace berth::config {
namespace {

TEST(TomlGuard, AllowsNonAsciiInCommentsAndStrings) {
  for (const char* text : {
           "# caf\xc3\xa9 \xc2\xa7\n",
           "a = \"caf\xc3\xa9\"\n",
           "a = 'caf\xc3\xa9'\n",
           "a = \"\"\"\ncaf\xc3\xa9\n\xc2\xa7\"\"\"\n",
           "a = '''\\\n\xc2\xa7'''\n",
           "\"caf\xc3\xa9\" = 1\n",
           "a = \"\\\"\xc2\xa7\"\n",               // escaped quote does not end the string
           "a = \"\"\"x\"\"\"\"\"  # \xc2\xa7\n",  // ends with "" then """
           "a = \"\"\"\\\\\xc2\xa7\"\"\"\n",       // escaped backslash, then content
           "\xEF\xBB\xBF"
           "a = 1\n",                                           // byte order mark
           "a=\"caf\xc3\xa9\"\n",                               // no blanks around '='
           "[\"caf\xc3\xa9\"]\nb.\"\xc2\xa7\".c='\xc2\xa7'\n",  // quoted keys
           "a = [\n  \"\xc2\xa7\",\n  '\xc2\xa7' ]\n",          // array items after blanks
           "a = { b = \"\xc2\xa7\",c = \"\xc2\xa7\" }\n",
       }) {
    EXPECT_FALSE(find_unsafe_non_ascii(text).has_value()) << text;
  }
}

TEST(TomlGuard, RefusesNonAsciiWhereTomlxxClassifiesIt) {
  struct Case {
    const char* text;
    uint32_t line;
    uint32_t column;
  };
  const Case cases[] = {
      {"\xcc\xaa", 1, 1},                                // tomlplusplus#295
      {"caf\xc3\xa9 = 1\n", 1, 4},                       // bare key
      {"a = 1\nb = 2\xef\xb9\xbf\n", 2, 6},              // after a value
      {"a = \"x\" \xc2\xa0# nbsp\n", 1, 9},              // after a string
      {"a = \"\"\"\\\n\xc2\xa7\"\"\"\n", 2, 1},          // tomlplusplus#190
      {"a = \"\"\"x \\  \n \t \xc2\xa7\"\"\"\n", 2, 4},  // line-ending backslash, then blanks
      {"a = \"\"\"\\\xc2\xa7\"\"\"\n", 1, 9},            // backslash right before it
      {"a = \"\"\"x\"\"\"\"\"\"\xc2\xa7\n", 1, 15},      // string closed, then a stray quote
      {"a = \"x\nb\xc3\xa9 = 1\n", 2, 2},                // a newline ends a basic string
      // Inside an unquoted value toml++ reads up to a blank, ',', ']', '}' or
      // '#', quotes and all, asking of each character whether it is a blank.
      {"a = 9*b\"1?\xef\xb3\xbf\"\n", 1, 11},
      {"a = 1=\"\xc2\xa7\"\n", 1, 8},
      {"a = 1[\"\xc2\xa7\"\n", 1, 8},
      {"a = [\"]\",\n1=\"\xc2\xa7\"]\n", 2, 4},  // lost track of a string: no key rule
      {"a = [\n1=\"\xc2\xa7\"]\n", 2, 4},        // inside an array: not a key
      {"a = b=\"\xc2\xa7\"\n", 1, 8},            // second '=' of a line
      {"[a]\"\xc2\xa7\"\n", 1, 5},
  };
  for (const auto& c : cases) {
    const auto problem = find_unsafe_non_ascii(c.text);
    ASSERT_TRUE(problem.has_value()) << c.text;
    EXPECT_EQ(problem->line, c.line) << c.text;
    EXPECT_EQ(problem->column, c.column) << c.text;
  }
}

TEST(TomlGuard, ParseConfigReportsItWithPosition) {
  try {
    parse_config("[[bridge]]\nname = \"b\"\naddress = \"10.0.3.1/24\"\ndomain\xc2\xa7 = \"x\"\n",
                 "g.toml");
    FAIL() << "accepted a non-ASCII key";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "g.toml:4:7: non-ASCII character outside a string or comment");
  }
  // Non-ASCII in comments and in the database path is fine.
  const Config c = parse_config(
      "# r\xc3\xa9seau\n[daemon]\ndatabase = \"/srv/r\xc3\xa9seau/berth.db\"\n"
      "[[bridge]]\nname = \"b\"\naddress = \"10.0.3.1/24\"  # \xc2\xa7\n",
      "g.toml");
  EXPECT_EQ(c.daemon.database, "/srv/r\xc3\xa9seau/berth.db");
}

}  // namespace
}  // namespace berth::config
