// Helpers shared by the DNS codec tests: names from text, packets built byte
// by byte, and encode/parse round trips.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <vector>

#include "protocol/dns/message.hpp"

namespace berth::dns::test {

inline Name name(std::string_view text) {
  auto n = Name::from_text(text);
  EXPECT_TRUE(n) << text;
  return n ? *n : Name();
}

// Builds raw packets byte by byte, for inputs the encoder would never make.
class Packet {
 public:
  Packet& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0,
                 uint16_t ar = 0) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Packet& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Packet& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Packet& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  // Labels without the root label.
  Packet& labels(std::initializer_list<std::string_view> ls) {
    for (std::string_view l : ls) {
      u8(static_cast<uint8_t>(l.size()));
      b.insert(b.end(), l.begin(), l.end());
    }
    return *this;
  }
  Packet& name(std::initializer_list<std::string_view> ls) { return labels(ls).u8(0); }
  Packet& ptr(uint16_t offset) { return u16(static_cast<uint16_t>(0xC000 | offset)); }
  Packet& raw(const Bytes& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  // type, class, ttl, rdlength: the rest of a record after its owner.
  Packet& rr(uint16_t type, uint16_t klass, uint32_t ttl, uint16_t rdlength) {
    return u16(type).u16(klass).u32(ttl).u16(rdlength);
  }
  Packet& opt(uint16_t udp, uint32_t ttl, const Bytes& options = {}) {
    return u8(0).rr(type::OPT, udp, ttl, static_cast<uint16_t>(options.size())).raw(options);
  }
  size_t size() const { return b.size(); }
  Bytes b;
};

inline void expect_same_records(const std::vector<Record>& a, const std::vector<Record>& b,
                                const char* section) {
  ASSERT_EQ(a.size(), b.size()) << section;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].name == b[i].name) << section << i << " " << b[i].name.to_text();
    EXPECT_EQ(a[i].type, b[i].type) << section << i;
    EXPECT_EQ(a[i].klass, b[i].klass) << section << i;
    EXPECT_EQ(a[i].ttl, b[i].ttl) << section << i;
    EXPECT_TRUE(a[i].rdata == b[i].rdata) << section << i << " type " << a[i].type;
  }
}

inline void expect_same_message(const Message& a, const Message& b) {
  ASSERT_EQ(a.questions.size(), b.questions.size());
  for (size_t i = 0; i < a.questions.size(); ++i) {
    EXPECT_TRUE(a.questions[i].name == b.questions[i].name);
    EXPECT_EQ(a.questions[i].type, b.questions[i].type);
    EXPECT_EQ(a.questions[i].klass, b.questions[i].klass);
  }
  expect_same_records(a.answers, b.answers, "answer");
  expect_same_records(a.authority, b.authority, "authority");
  expect_same_records(a.additional, b.additional, "additional");
  ASSERT_EQ(a.edns.has_value(), b.edns.has_value());
  if (a.edns) {
    EXPECT_EQ(a.edns->udp_size, b.edns->udp_size);
    EXPECT_EQ(a.edns->extended_rcode, b.edns->extended_rcode);
    EXPECT_EQ(a.edns->version, b.edns->version);
    EXPECT_EQ(a.edns->dnssec_ok, b.edns->dnssec_ok);
    EXPECT_EQ(a.edns->options, b.edns->options);
  }
}

inline Bytes encode(const Message& m, size_t limit = 65535) {
  auto out = encode_message(m, limit);
  EXPECT_TRUE(out) << (out ? "" : out.error().what);
  return out ? *out : Bytes{};
}

inline Message reparse(const Bytes& b) {
  auto m = parse_message(b);
  EXPECT_TRUE(m) << (m ? "" : m.error().what);
  return m ? *m : Message{};
}

}  // namespace berth::dns::test
