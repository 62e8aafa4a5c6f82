#include "protocol/packed_bytes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace berth {
namespace {

TEST(PackedBytes, EmptyByDefault) {
  PackedBytes p;
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.text(), "");
  EXPECT_EQ(p.bytes().size(), 0u);
}

TEST(PackedBytes, KeepsShortAndLongStringsExactly) {
  for (size_t n : {1, 14, 15, 16, 17, 63, 255}) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
    s[0] = '\0';  // bytes, not C strings
    PackedBytes p{std::string_view(s)};
    EXPECT_EQ(p.size(), n);
    EXPECT_EQ(p.text(), s);
    EXPECT_EQ(p.to_string(), s);
  }
  const std::vector<uint8_t> id = {0x01, 0x02, 0x42, 0, 0, 0, 0xff};
  PackedBytes b{std::span<const uint8_t>(id)};
  EXPECT_EQ(std::vector<uint8_t>(b.bytes().begin(), b.bytes().end()), id);
}

TEST(PackedBytes, CopiesAndMovesOwnTheirBytes) {
  const std::string long_name(40, 'x');
  PackedBytes a{std::string_view(long_name)};
  PackedBytes b = a;  // a copy of the heap bytes, not of the pointer
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(b, a);
  PackedBytes c = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(c.text(), long_name);
  c = PackedBytes{std::string_view("short")};
  EXPECT_EQ(c.text(), "short");
  PackedBytes& same = b;
  b = same;  // self-assignment keeps the value
  EXPECT_EQ(b.text(), long_name);
  b = c;
  EXPECT_EQ(b.text(), "short");
  EXPECT_FALSE(b == PackedBytes{std::string_view("shorter")});
}

}  // namespace
}  // namespace berth
