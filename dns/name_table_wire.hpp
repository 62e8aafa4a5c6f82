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
inline constexpr size_t kAaaaRecordSize = 2 + 10 + 16;
inline constexpr size_t kRecordFixed = 10;  // type, class, TTL, rdata length
// "in-addr.arpa." and "ip6.arpa." in wire form.
inline constexpr std::string_view kReverseRoot("\7in-addr\4arpa\0", 14);
inline constexpr std::string_view kReverse6Root("\3ip6\4arpa\0", 10);
inline constexpr size_t kNibbles = 32;  // labels of an IPv6 reverse name

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

// The key of the ip6.arpa name of the first `nibbles` nibbles of `ip`
// (RFC 3596 §2.5: lowest nibble first, lower-case hex): all 32 for an
// address's PTR, fewer for a zone.
inline std::string_view reverse6_key(const Ipv6Address& ip, KeyBuffer& buf,
                                     size_t nibbles = kNibbles) {
  constexpr std::string_view kHex = "0123456789abcdef";
  const auto& b = ip.to_bytes();
  char* at = buf.data();
  for (size_t i = nibbles; i-- > 0;) {
    const uint8_t byte = b[i / 2];
    *at++ = 1;
    *at++ = kHex[i % 2 == 0 ? byte >> 4 : byte & 0xf];
  }
  at = std::copy(kReverse6Root.begin(), kReverse6Root.end(), at);
  return {buf.data(), static_cast<size_t>(at - buf.data())};
}

// The nibbles of an ip6.arpa name (`labels` of them, each one hex digit of
// either case, highest last), as the high nibbles of an address. nullopt
// when a label is not one hex digit or there are more than 32.
struct Nibbles {
  Ipv6Address high;  // the nibbles given, the rest zero
  size_t count = 0;
};
inline std::optional<Nibbles> nibbles_of(const dns::Name& name, size_t labels) {
  if (labels > kNibbles) return std::nullopt;
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < labels; ++i) {
    const std::string_view label = name.label(labels - 1 - i);
    if (label.size() != 1) return std::nullopt;
    const char c = static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(label[0])));
    uint8_t v = 0;
    if (c >= '0' && c <= '9') {
      v = static_cast<uint8_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<uint8_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    b[i / 2] = static_cast<uint8_t>(b[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return Nibbles{Ipv6Address(b), labels};
}

// The first address past every address whose first `count` nibbles are
// those of `high`; nullopt when there is none (all nibbles f).
inline std::optional<Ipv6Address> past_nibbles(const Nibbles& n) {
  if (n.count == 0) return std::nullopt;
  std::array<uint8_t, 16> b = n.high.to_bytes();
  // Add one at nibble count-1, carrying upwards.
  for (size_t i = n.count; i-- > 0;) {
    const size_t byte = i / 2;
    const uint8_t v = i % 2 == 0 ? b[byte] >> 4 : b[byte] & 0xf;
    const uint8_t next = static_cast<uint8_t>((v + 1) & 0xf);
    b[byte] = i % 2 == 0 ? static_cast<uint8_t>((b[byte] & 0x0f) | next << 4)
                         : static_cast<uint8_t>((b[byte] & 0xf0) | next);
    if (next != 0) return Ipv6Address(b);
  }
  return std::nullopt;
}

}  // namespace berth::dns::table_wire
