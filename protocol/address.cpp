#include "protocol/address.hpp"

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
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", v_ >> 24, (v_ >> 16) & 0xff,
                        (v_ >> 8) & 0xff, v_ & 0xff);
  return std::string(buf, static_cast<size_t>(n));
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
