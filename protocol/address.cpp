#include "protocol/address.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>

namespace berth {
namespace {

// A decimal number of 1..max_digits digits with no sign, no leading zero
// (except "0" itself) and a value of at most `max`.
std::optional<uint32_t> parse_decimal(std::string_view text, size_t max_digits, uint32_t max) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

std::optional<uint8_t> hex_digit(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return std::nullopt;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  uint32_t v = 0;
  for (int part = 0; part < 4; ++part) {
    size_t dot = text.find('.');
    if (part < 3) {
      if (dot == std::string_view::npos) return std::nullopt;
    } else if (dot != std::string_view::npos) {
      return std::nullopt;
    }
    auto octet = parse_decimal(text.substr(0, dot), 3, 255);
    if (!octet) return std::nullopt;
    v = v << 8 | *octet;
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  return Ipv4Address(v);
}

std::string Ipv4Address::to_string() const {
  // By hand, not snprintf: addresses are formatted for every lease written
  // and every reply logged.
  char buf[16];
  char* p = buf;
  for (int shift = 24; shift >= 0; shift -= 8) {
    p = std::to_chars(p, buf + sizeof buf, (v_ >> shift) & 0xff).ptr;
    if (shift > 0) *p++ = '.';
  }
  return std::string(buf, p);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = Ipv4Address::parse(text.substr(0, slash));
  auto length = parse_decimal(text.substr(slash + 1), 2, 32);
  if (!address || !length) return std::nullopt;
  return Ipv4Prefix{.address = *address, .length = static_cast<uint8_t>(*length)};
}

std::string Ipv4Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

// ---- IPv6 ----

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  std::array<uint16_t, 8> groups{};
  size_t count = 0;           // groups read so far
  std::optional<size_t> gap;  // where "::" stands, as a group index
  size_t pos = 0;
  if (text.starts_with("::")) {
    gap = 0;
    pos = 2;
    if (pos == text.size()) return Ipv6Address();
  }
  while (true) {
    const size_t colon = text.find(':', pos);
    const std::string_view field =
        text.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
    if (field.find('.') != std::string_view::npos) {
      // A dotted quad fills the last two groups and ends the address.
      if (colon != std::string_view::npos || count + 2 > groups.size()) return std::nullopt;
      auto v4 = Ipv4Address::parse(field);
      if (!v4) return std::nullopt;
      groups[count++] = static_cast<uint16_t>(v4->value() >> 16);
      groups[count++] = static_cast<uint16_t>(v4->value());
      break;
    }
    if (field.empty() || field.size() > 4 || count == groups.size()) return std::nullopt;
    uint16_t v = 0;
    for (char c : field) {
      auto d = hex_digit(c);
      if (!d) return std::nullopt;
      v = static_cast<uint16_t>(v << 4 | *d);
    }
    groups[count++] = v;
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
    if (pos < text.size() && text[pos] == ':') {
      if (gap) return std::nullopt;  // a second "::"
      gap = count;
      if (++pos == text.size()) break;
    } else if (pos == text.size()) {
      return std::nullopt;  // a single trailing ':'
    }
  }
  if (gap) {
    // "::" stands for at least one zero group (RFC 4291 §2.2 item 2).
    if (count == groups.size()) return std::nullopt;
    // Move the groups after the gap to the end and zero what they left.
    const auto first = groups.begin() + static_cast<std::ptrdiff_t>(*gap);
    const auto last = groups.begin() + static_cast<std::ptrdiff_t>(count);
    const auto moved_to = std::copy_backward(first, last, groups.end());
    std::fill(first, moved_to, uint16_t{0});
  } else if (count != groups.size()) {
    return std::nullopt;
  }
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < groups.size(); ++i) {
    b[i * 2] = static_cast<uint8_t>(groups[i] >> 8);
    b[i * 2 + 1] = static_cast<uint8_t>(groups[i]);
  }
  return Ipv6Address(b);
}

std::string Ipv6Address::to_string() const {
  if (is_v4_mapped()) return "::ffff:" + low_v4().to_string();
  std::array<uint16_t, 8> groups{};
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i] = static_cast<uint16_t>(b_[i * 2] << 8 | b_[i * 2 + 1]);
  }
  // The longest run of zero groups, the first on a tie; a single zero group
  // is written as "0", not "::" (RFC 5952 §4.2.2).
  size_t best_start = groups.size();
  size_t best_length = 1;
  for (size_t i = 0; i < groups.size();) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < groups.size() && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  std::string s;
  s.reserve(39);
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i == best_start) {
      s += "::";
      i += best_length - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s.push_back(':');
    bool leading = true;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = groups[i] >> shift & 0xfu;
      if (nibble == 0 && leading && shift > 0) continue;
      leading = false;
      s.push_back(kHex[nibble]);
    }
  }
  return s;
}

std::optional<Ipv6Prefix> Ipv6Prefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = Ipv6Address::parse(text.substr(0, slash));
  auto length = parse_decimal(text.substr(slash + 1), 3, 128);
  if (!address || !length) return std::nullopt;
  return Ipv6Prefix{.address = *address, .length = static_cast<uint8_t>(*length)};
}

Ipv6Address Ipv6Prefix::network() const {
  std::array<uint8_t, 16> b = address.to_bytes();
  for (size_t i = 0; i < b.size(); ++i) {
    const size_t first_bit = i * 8;
    if (first_bit >= length) {
      b[i] = 0;
    } else if (first_bit + 8 > length) {
      b[i] &= static_cast<uint8_t>(0xff << (first_bit + 8 - length));
    }
  }
  return Ipv6Address(b);
}

bool Ipv6Prefix::contains(const Ipv6Address& a) const {
  return Ipv6Prefix{.address = a, .length = length}.network() == network();
}

std::string Ipv6Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

// ---- either family ----

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (auto v4 = Ipv4Address::parse(text)) return IpAddress(*v4);
  if (auto v6 = Ipv6Address::parse(text)) return IpAddress(*v6);
  return std::nullopt;
}

std::string IpAddress::to_string() const { return is_v4() ? v4().to_string() : v6().to_string(); }

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  if (auto v4 = Ipv4Prefix::parse(text)) return IpPrefix(*v4);
  if (auto v6 = Ipv6Prefix::parse(text)) return IpPrefix(*v6);
  return std::nullopt;
}

IpAddress IpPrefix::address() const {
  return is_v4() ? IpAddress(v4().address) : IpAddress(v6().address);
}

uint8_t IpPrefix::length() const { return is_v4() ? v4().length : v6().length; }

IpAddress IpPrefix::network() const {
  return is_v4() ? IpAddress(v4().network()) : IpAddress(v6().network());
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  return is_v4() ? v4().contains(a.v4()) : v6().contains(a.v6());
}

std::string IpPrefix::to_string() const { return is_v4() ? v4().to_string() : v6().to_string(); }

// ---- MAC ----

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  // Six pairs of hex digits with five separators, all ':' or all '-'.
  if (text.size() != 17) return std::nullopt;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  std::array<uint8_t, 6> b{};
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != sep) return std::nullopt;
    auto hi = hex_digit(text[i * 3]);
    auto lo = hex_digit(text[i * 3 + 1]);
    if (!hi || !lo) return std::nullopt;
    b[i] = static_cast<uint8_t>(*hi << 4 | *lo);
  }
  return MacAddress(b);
}

std::string MacAddress::to_string() const { return to_hex_colon(view()); }

std::string to_hex_colon(ByteView bytes) {
  std::string s;
  s.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) s.push_back(':');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0x0f]);
  }
  return s;
}

// Groups of one or two hex digits separated by ':' ("1:a:ff" is accepted, as
// dnsmasq does); the empty string is the empty byte string.
std::optional<Bytes> parse_hex_colon(std::string_view text) {
  Bytes out;
  if (text.empty()) return out;
  while (true) {
    size_t colon = text.find(':');
    std::string_view group = text.substr(0, colon);
    if (group.empty() || group.size() > 2) return std::nullopt;
    uint8_t v = 0;
    for (char c : group) {
      auto d = hex_digit(c);
      if (!d) return std::nullopt;
      v = static_cast<uint8_t>(v << 4 | *d);
    }
    out.push_back(v);
    if (colon == std::string_view::npos) break;
    text = text.substr(colon + 1);
  }
  return out;
}

}  // namespace berth
