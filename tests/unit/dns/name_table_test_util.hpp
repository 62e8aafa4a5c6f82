// Helpers the NameTable tests share: a query asked of a table as if received
// on a bridge, and the addresses of a reply's answers.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dns/name_table.hpp"

namespace berth::dns::test {

struct Reply {
  dns::Message msg;
  size_t size = 0;
};

// Asks `table` for `name`/`type` as if received on `bridge`.
inline std::optional<Reply> ask(const NameTable& table, const std::string& name, uint16_t type,
                                size_t bridge = 0, bool edns = false, size_t limit = 1232) {
  dns::Message q;
  q.header.id = 0x1234;
  q.header.rd = true;
  q.questions.push_back({*dns::Name::from_text(name), type, dns::klass::IN});
  if (edns) q.edns = dns::Edns{};
  auto wire = dns::encode_message(q);
  EXPECT_TRUE(wire.ok());
  auto parsed = dns::parse_query(*wire);
  EXPECT_TRUE(std::holds_alternative<dns::Query>(parsed));
  std::array<uint8_t, 4096> out{};
  auto n = table.answer(std::get<dns::Query>(parsed), *wire, bridge, out, limit);
  if (!n) return std::nullopt;
  auto m = dns::parse_message(ByteView(out.data(), *n));
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().what);
  if (!m.ok()) return std::nullopt;
  return Reply{*m, *n};
}

// The A (resp. AAAA) answers of a reply, as text.
inline std::vector<std::string> a_of(const dns::Message& m) {
  std::vector<std::string> out;
  for (const auto& r : m.answers) {
    if (r.type != dns::type::A) continue;
    const auto& raw = std::get<dns::RawRdata>(r.rdata);
    out.push_back(Ipv4Address::from_bytes(raw).to_string());
  }
  return out;
}
inline std::vector<std::string> aaaa_of(const dns::Message& m) {
  std::vector<std::string> out;
  for (const auto& r : m.answers) {
    if (r.type != dns::type::AAAA) continue;
    const auto& raw = std::get<dns::RawRdata>(r.rdata);
    EXPECT_EQ(raw.size(), 16u);
    if (raw.size() == 16) out.push_back(Ipv6Address::from_bytes(raw).to_string());
  }
  return out;
}

}  // namespace berth::dns::test
