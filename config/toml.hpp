// The one place berth includes toml++. toml++ 3.3 checks its own parser's
// assumptions with TOML_ASSERT_ASSUME, which in NDEBUG builds becomes
// "assume this holds" -- and some malformed files (found by fuzz_config:
// "[[#", "[ { ... }, }") break those assumptions, which would be undefined
// behaviour. Here toml++ is compiled into berth_config with NDEBUG lifted
// for its headers and its assertions made to throw, so such a file is a
// config error like any other.
#pragma once

#include <stdexcept>

namespace berth::config {
struct TomlAssertion : std::logic_error {
  using std::logic_error::logic_error;
};
}  // namespace berth::config

#pragma push_macro("NDEBUG")
#undef NDEBUG
// A few of its accessors are noexcept; an assertion failing there ends the
// process (std::terminate) rather than continuing on a false assumption.
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wterminate"
#else
#pragma clang diagnostic ignored "-Wexceptions"
#endif
#define TOML_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : throw ::berth::config::TomlAssertion("toml++ rejected the text"))
#include <toml++/toml.h>
#pragma GCC diagnostic pop
#pragma pop_macro("NDEBUG")
