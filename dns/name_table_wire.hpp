// The wire-level helpers NameTable's two sources share (name_table.cpp
// answers, name_table_builder.cpp builds). Internal to dns/.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/dns/message.hpp"

namespace berth::dns::table_wire {

inline constexpr uint8_t kQuestionPointer[2] = {0xC0, 0x0C};
// An A record whose owner is a pointer: owner, type, class, TTL, length, address.
inline constexpr size_t kARecordSize = 2 + 10 + 4;
inline constexpr size_t kRecordFixed = 10;  // type, class, TTL, rdata length
// "in-addr.arpa." in wire form.
inline constexpr std::string_view kReverseRoot("\7in-addr\4arpa\0", 14);

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(c)));
  return out;
}

inline void put16(std::vector<uint8_t>& w, uint16_t v) {
  w.push_back(static_cast<uint8_t>(v >> 8));
  w.push_back(static_cast<uint8_t>(v));
}
inline void put32(std::vector<uint8_t>& w, uint32_t v) {
  put16(w, static_cast<uint16_t>(v >> 16));
  put16(w, static_cast<uint16_t>(v));
}

// One record. An empty `owner`: the owner is the question name (a pointer).
inline void add_record(std::vector<uint8_t>& w, ByteView owner, uint16_t type, uint32_t ttl,
                       ByteView rdata) {
  if (owner.empty()) {
    w.insert(w.end(), std::begin(kQuestionPointer), std::end(kQuestionPointer));
  } else {
    w.insert(w.end(), owner.begin(), owner.end());
  }
  put16(w, type);
  put16(w, dns::klass::IN);
  put32(w, ttl);
  put16(w, static_cast<uint16_t>(rdata.size()));
  w.insert(w.end(), rdata.begin(), rdata.end());
}

inline std::vector<uint8_t> name_rdata(const dns::Name& n) {
  return {n.wire().begin(), n.wire().end()};
}

inline std::optional<dns::Name> name_of(std::string_view text) {
  auto n = dns::Name::from_text(text);
  if (!n) return std::nullopt;
  return n->lowercased();
}

// Table keys: a name's wire form, lowercased (length bytes are at most 63,
// below 'A', so lowering them is harmless).
using KeyBuffer = std::array<char, dns::kMaxNameWire>;

inline std::string_view key_of(ByteView wire, KeyBuffer& buf) {
  for (size_t i = 0; i < wire.size(); ++i) buf[i] = static_cast<char>(dns::ascii_lower(wire[i]));
  return {buf.data(), wire.size()};
}

inline ByteView bytes_of(std::string_view key) {
  return {reinterpret_cast<const uint8_t*>(key.data()), key.size()};
}

inline size_t label_count(std::string_view key) {
  size_t n = 0;
  for (size_t pos = 0; pos < key.size() && key[pos] != 0;
       pos += 1 + static_cast<uint8_t>(key[pos])) {
    ++n;
  }
  return n;
}

// Whether `name` is `zone` or lies below it.
inline bool is_under(std::string_view name, std::string_view zone) {
  if (zone.size() > name.size()) return false;
  const size_t start = name.size() - zone.size();
  size_t pos = 0;
  while (pos < start) pos += 1 + static_cast<uint8_t>(name[pos]);
  return pos == start && name.substr(start) == zone;  // else the suffix would cut a label
}

// `name` without its first `n` labels.
inline std::string_view strip_left(std::string_view name, size_t n) {
  size_t pos = 0;
  for (; n > 0 && name[pos] != 0; --n) pos += 1 + static_cast<uint8_t>(name[pos]);
  return name.substr(pos);
}

// The key of "5.3.0.10.in-addr.arpa" for 10.0.3.5.
inline std::string_view reverse_key(Ipv4Address ip, KeyBuffer& buf) {
  const auto b = ip.to_bytes();
  char* at = buf.data();
  for (size_t i = 4; i-- > 0;) {
    char* end = std::to_chars(at + 1, at + 4, b[i]).ptr;
    *at = static_cast<char>(end - at - 1);
    at = end;
  }
  at = std::copy(kReverseRoot.begin(), kReverseRoot.end(), at);
  return {buf.data(), static_cast<size_t>(at - buf.data())};
}

}  // namespace berth::dns::table_wire
