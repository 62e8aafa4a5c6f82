// One name table per enum: to_string and from_string both read it, so a
// name cannot drift between the two directions or between two copies.
//
//   enum class Color { red, green };
//   inline constexpr EnumNames<Color, 2> kColorNames{{{Color::red, "red"},
//                                                     {Color::green, "green"}}};
//   std::string_view to_string(Color c) { return kColorNames.name(c); }
//   std::optional<Color> color_from_string(std::string_view s) { return kColorNames.value(s); }
//
// A table lists every enumerator exactly once; `complete()` checks that in a
// static_assert for enums whose enumerators are 0..N-1, `complete(first)`
// for first..first+N-1 (wire values that start at 1, say).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace berth {

template <class E, size_t N>
struct EnumNames {
  std::array<std::pair<E, std::string_view>, N> entries;

  // The enumerator's name; `unknown` for a value not in the table (a cast
  // from an integer the table does not know).
  constexpr std::string_view name(E value, std::string_view unknown = "unknown") const {
    for (const auto& [v, n] : entries) {
      if (v == value) return n;
    }
    return unknown;
  }

  // The enumerator called exactly `text`, or nullopt.
  constexpr std::optional<E> value(std::string_view text) const {
    for (const auto& [v, n] : entries) {
      if (n == text) return v;
    }
    return std::nullopt;
  }

  // Whether entry i names enumerator first + i, for every i: the table
  // covers an enum of N enumerators numbered first..first+N-1, each once,
  // in order.
  constexpr bool complete(size_t first = 0) const {
    for (size_t i = 0; i < N; ++i) {
      if (static_cast<size_t>(entries[i].first) != first + i) return false;
    }
    return true;
  }
};

}  // namespace berth
