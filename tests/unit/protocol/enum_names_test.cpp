#include "protocol/enum_names.hpp"

#include <gtest/gtest.h>

#include "protocol/result.hpp"

namespace berth {
namespace {

enum class Fruit { apple, pear, plum };
constexpr EnumNames<Fruit, 3> kFruits{{{
    {Fruit::apple, "apple"},
    {Fruit::pear, "pear"},
    {Fruit::plum, "plum"},
}}};
static_assert(kFruits.complete());
// Out of order, or with a gap, is not complete.
static_assert(!EnumNames<Fruit, 2>{{{{Fruit::pear, "pear"}, {Fruit::apple, "apple"}}}}.complete());
static_assert(!EnumNames<Fruit, 2>{{{{Fruit::apple, "apple"}, {Fruit::plum, "plum"}}}}.complete());

// Enumerators numbered from 1, as wire values often are.
enum class Level { low = 1, mid = 2, high = 3 };
constexpr EnumNames<Level, 3> kLevels{{{
    {Level::low, "low"},
    {Level::mid, "mid"},
    {Level::high, "high"},
}}};
static_assert(kLevels.complete(1));
static_assert(!kLevels.complete());
static_assert(!EnumNames<Level, 2>{{{{Level::low, "low"}, {Level::high, "high"}}}}.complete(1));

TEST(EnumNamesTest, BothDirectionsReadTheOneTable) {
  for (const auto& [value, name] : kFruits.entries) {
    EXPECT_EQ(kFruits.name(value), name);
    EXPECT_EQ(kFruits.value(name), value);
  }
  EXPECT_EQ(kFruits.value("Apple"), std::nullopt);  // exact names only
  EXPECT_EQ(kFruits.value(""), std::nullopt);
  EXPECT_EQ(kFruits.name(static_cast<Fruit>(7)), "unknown");
  EXPECT_EQ(kFruits.name(static_cast<Fruit>(7), "?"), "?");
}

TEST(EnumNamesTest, ErrcNames) {
  EXPECT_EQ(to_string(Errc::no_space), "no_space");
  EXPECT_EQ(kErrcNames.value("truncated"), Errc::truncated);
}

}  // namespace
}  // namespace berth
