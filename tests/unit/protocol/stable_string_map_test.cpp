#include "protocol/stable_string_map.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth {
namespace {

TEST(StableStringMap, TryEmplaceAddsOnceAndFinds) {
  StableStringMap<int> m;
  auto [it, made] = m.try_emplace("web", 1);
  EXPECT_TRUE(made);
  EXPECT_EQ(it->first.text(), "web");
  EXPECT_EQ(it->second, 1);
  auto [again, made_again] = m.try_emplace("web", 2);
  EXPECT_FALSE(made_again);
  EXPECT_EQ(again->second, 1);  // not replaced
  EXPECT_FALSE(m.emplace("web", 3).second);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.count("web"), 1u);
  EXPECT_EQ(m.count("db"), 0u);
  EXPECT_EQ(m.find("db"), m.end());
  EXPECT_EQ(m.find(std::string_view("web"))->second, 1);
}

TEST(StableStringMap, ReferencesSurviveGrowth) {
  StableStringMap<int> m;
  int& first = m.try_emplace("first", 7).first->second;
  const PackedBytes* key = &m.find("first")->first;
  for (int i = 0; i < 10000; ++i) m.try_emplace("name" + std::to_string(i), i);
  EXPECT_EQ(&m.find("first")->second, &first);
  EXPECT_EQ(&m.find("first")->first, key);
  EXPECT_EQ(first, 7);
  for (int i = 0; i < 10000; i += 97) EXPECT_EQ(m.find("name" + std::to_string(i))->second, i);
  const std::string long_key(40, 'k');  // past the inline bytes
  m.try_emplace(long_key, -1);
  EXPECT_EQ(m.find(long_key)->second, -1);
  EXPECT_EQ(m.find(long_key)->first.text(), long_key);
  m.try_emplace(std::string(40, 'k'), -2);
  EXPECT_EQ(m.find(long_key)->second, -1);
  // Iteration: insertion order, every entry once.
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k.to_string());
  ASSERT_EQ(keys.size(), 10002u);
  EXPECT_EQ(keys.front(), "first");
  EXPECT_EQ(keys[10000], "name9999");
}

}  // namespace
}  // namespace berth
