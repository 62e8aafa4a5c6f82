// A pre-check of TOML text that keeps toml++ 3.3 away from undefined
// behaviour. Its whitespace test reaches __builtin_unreachable for many
// non-ASCII code points (U+00A1..U+0499, U+2C6E..U+3067, U+FB06..U+FEFE
// but a few), see marzer/tomlplusplus issues #190 and #295. The parser only
// asks that question outside strings and comments, and right after a
// backslash in a multi-line basic string. No berth key or unquoted value is
// ever non-ASCII, so refusing such a character there loses nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::config {

struct TomlTextProblem {
  uint32_t line;    // from 1
  uint32_t column;  // from 1, in code points as toml++ counts them
  std::string message;
};

// The first non-ASCII character where toml++ would classify it, if any.
// A leading UTF-8 byte order mark is allowed (toml++ skips it).
std::optional<TomlTextProblem> find_unsafe_non_ascii(std::string_view text);

}  // namespace berth::config
