// Address types shared by every layer: IPv4 addresses and prefixes, MACs.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"

namespace berth {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : v_(host_order) {}
  static constexpr Ipv4Address any() { return Ipv4Address(0); }
  static constexpr Ipv4Address broadcast() { return Ipv4Address(0xffffffffu); }

  // Dotted quad only ("10.0.3.1"); no shorthand forms, no leading zeros.
  static std::optional<Ipv4Address> parse(std::string_view text);
  // Four bytes in network order; the view must hold at least four bytes.
  static Ipv4Address from_bytes(ByteView b) {
    return Ipv4Address(static_cast<uint32_t>(b[0]) << 24 | static_cast<uint32_t>(b[1]) << 16 |
                       static_cast<uint32_t>(b[2]) << 8 | b[3]);
  }
  std::array<uint8_t, 4> to_bytes() const {
    return {static_cast<uint8_t>(v_ >> 24), static_cast<uint8_t>(v_ >> 16),
            static_cast<uint8_t>(v_ >> 8), static_cast<uint8_t>(v_)};
  }

  constexpr uint32_t value() const { return v_; }
  constexpr bool is_unspecified() const { return v_ == 0; }
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv4Address&) const = default;

 private:
  uint32_t v_ = 0;
};

// An interface address with its prefix length, e.g. 10.0.3.1/24.
struct Ipv4Prefix {
  Ipv4Address address;
  uint8_t length = 0;  // 0..32

  static std::optional<Ipv4Prefix> parse(std::string_view text);
  constexpr Ipv4Address mask() const {
    return Ipv4Address(length == 0 ? 0u : ~0u << (32 - length));
  }
  constexpr Ipv4Address network() const { return Ipv4Address(address.value() & mask().value()); }
  constexpr Ipv4Address broadcast() const {
    return Ipv4Address(network().value() | ~mask().value());
  }
  constexpr bool contains(Ipv4Address a) const {
    return (a.value() & mask().value()) == network().value();
  }
  std::string to_string() const;

  constexpr bool operator==(const Ipv4Prefix&) const = default;
};

class MacAddress {
 public:
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(std::array<uint8_t, 6> b) : b_(b) {}
  static constexpr MacAddress broadcast() {
    return MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  }
  // "00:16:3e:aa:bb:cc" or "00-16-3e-aa-bb-cc", any case.
  static std::optional<MacAddress> parse(std::string_view text);
  static MacAddress from_bytes(ByteView b) {
    std::array<uint8_t, 6> a{};
    for (size_t i = 0; i < 6; ++i) a[i] = b[i];
    return MacAddress(a);
  }

  const std::array<uint8_t, 6>& bytes() const { return b_; }
  ByteView view() const { return ByteView(b_); }
  bool is_zero() const { return b_ == std::array<uint8_t, 6>{}; }
  std::string to_string() const;  // lower-case, colon separated

  constexpr auto operator<=>(const MacAddress&) const = default;

 private:
  std::array<uint8_t, 6> b_{};
};

// Lower-case hex with ':' between bytes ("01:00:16:3e:..."), as dnsmasq
// prints client identifiers.
std::string to_hex_colon(ByteView bytes);
std::optional<Bytes> parse_hex_colon(std::string_view text);

}  // namespace berth

template <>
struct std::hash<berth::Ipv4Address> {
  size_t operator()(const berth::Ipv4Address& a) const noexcept {
    return std::hash<uint32_t>{}(a.value());
  }
};
template <>
struct std::hash<berth::MacAddress> {
  size_t operator()(const berth::MacAddress& m) const noexcept {
    uint64_t v = 0;
    for (uint8_t b : m.bytes()) v = v << 8 | b;
    return std::hash<uint64_t>{}(v);
  }
};
