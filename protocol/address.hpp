// Address types shared by every layer: IPv4 and IPv6 addresses and
// prefixes, IpAddress/IpPrefix for either family, MACs.
#pragma once

#include <array>
#include <cassert>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"

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

class Ipv6Address {
 public:
  constexpr Ipv6Address() = default;
  constexpr explicit Ipv6Address(const std::array<uint8_t, 16>& network_order)
      : b_(network_order) {}
  static constexpr Ipv6Address any() { return Ipv6Address(); }
  static constexpr Ipv6Address loopback() {
    return Ipv6Address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  }
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
  static constexpr Ipv6Address v4_mapped(Ipv4Address a) {
    return Ipv6Address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                        static_cast<uint8_t>(a.value() >> 24),
                        static_cast<uint8_t>(a.value() >> 16), static_cast<uint8_t>(a.value() >> 8),
                        static_cast<uint8_t>(a.value())});
  }

  // Every text form of RFC 4291 §2.2: eight groups of 1..4 hex digits (any
  // case), one "::" for one or more zero groups, and a dotted-quad tail for
  // the last 32 bits ("::ffff:198.18.0.1"). Zone ids ("fe80::1%eth0"),
  // prefixes, brackets and surrounding spaces are refused.
  static std::optional<Ipv6Address> parse(std::string_view text);
  // Sixteen bytes in network order; the view must hold at least sixteen bytes.
  static Ipv6Address from_bytes(ByteView b) {
    std::array<uint8_t, 16> a{};
    for (size_t i = 0; i < 16; ++i) a[i] = b[i];
    return Ipv6Address(a);
  }
  constexpr const std::array<uint8_t, 16>& to_bytes() const { return b_; }
  ByteView view() const { return ByteView(b_); }

  constexpr bool is_unspecified() const { return b_ == std::array<uint8_t, 16>{}; }
  constexpr bool is_loopback() const { return *this == loopback(); }
  // fe80::/10, ff00::/8 and fc00::/7 (RFC 4291 §2.4, RFC 4193).
  constexpr bool is_link_local() const { return b_[0] == 0xfe && (b_[1] & 0xc0) == 0x80; }
  constexpr bool is_multicast() const { return b_[0] == 0xff; }
  constexpr bool is_unique_local() const { return (b_[0] & 0xfe) == 0xfc; }
  constexpr bool is_v4_mapped() const {
    for (size_t i = 0; i < 10; ++i) {
      if (b_[i] != 0) return false;
    }
    return b_[10] == 0xff && b_[11] == 0xff;
  }
  // The low 32 bits as an IPv4 address (meaningful when is_v4_mapped()).
  constexpr Ipv4Address low_v4() const {
    return Ipv4Address(static_cast<uint32_t>(b_[12]) << 24 | static_cast<uint32_t>(b_[13]) << 16 |
                       static_cast<uint32_t>(b_[14]) << 8 | b_[15]);
  }

  // RFC 5952 §4: lower case, no leading zeros, the longest run of two or
  // more zero groups as "::" (the first on a tie); IPv4-mapped addresses as
  // ::ffff:a.b.c.d (§5).
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv6Address&) const = default;

 private:
  std::array<uint8_t, 16> b_{};
};

// An IPv6 address with its prefix length, e.g. fd42::1/64.
struct Ipv6Prefix {
  Ipv6Address address;
  uint8_t length = 0;  // 0..128

  static std::optional<Ipv6Prefix> parse(std::string_view text);
  // The address with every bit past `length` cleared.
  Ipv6Address network() const;
  bool contains(const Ipv6Address& a) const;
  std::string to_string() const;

  constexpr bool operator==(const Ipv6Prefix&) const = default;
};

enum class IpFamily : uint8_t { v4, v6 };
inline constexpr EnumNames<IpFamily, 2> kIpFamilyNames{{{
    {IpFamily::v4, "ipv4"},
    {IpFamily::v6, "ipv6"},
}}};
static_assert(kIpFamilyNames.complete());
constexpr std::string_view to_string(IpFamily f) { return kIpFamilyNames.name(f); }

// An address of either family. Implicitly made from either, so code that
// holds an Ipv4Address can pass it where an IpAddress is wanted. The
// default is 0.0.0.0. Ordered with every IPv4 address before every IPv6
// address, then by value.
class IpAddress {
 public:
  constexpr IpAddress() = default;
  constexpr IpAddress(Ipv4Address a) : v_(a) {}         // NOLINT(google-explicit-constructor)
  constexpr IpAddress(const Ipv6Address& a) : v_(a) {}  // NOLINT(google-explicit-constructor)

  // Either text form: a dotted quad, or any RFC 4291 §2.2 form.
  static std::optional<IpAddress> parse(std::string_view text);

  constexpr IpFamily family() const { return v_.index() == 0 ? IpFamily::v4 : IpFamily::v6; }
  constexpr bool is_v4() const { return v_.index() == 0; }
  constexpr bool is_v6() const { return v_.index() == 1; }
  // Precondition: is_v4() (resp. is_v6()). Asserted in debug builds; a
  // release build throws std::bad_variant_access rather than read the
  // wrong family.
  constexpr Ipv4Address v4() const {
    assert(is_v4());
    return std::get<Ipv4Address>(v_);
  }
  constexpr const Ipv6Address& v6() const {
    assert(is_v6());
    return std::get<Ipv6Address>(v_);
  }
  constexpr bool is_unspecified() const {
    return is_v4() ? v4().is_unspecified() : v6().is_unspecified();
  }
  std::string to_string() const;

  constexpr auto operator<=>(const IpAddress&) const = default;

 private:
  std::variant<Ipv4Address, Ipv6Address> v_;
};

// A prefix of either family; the default is 0.0.0.0/0.
class IpPrefix {
 public:
  constexpr IpPrefix() = default;
  constexpr IpPrefix(Ipv4Prefix p) : v_(p) {}         // NOLINT(google-explicit-constructor)
  constexpr IpPrefix(const Ipv6Prefix& p) : v_(p) {}  // NOLINT(google-explicit-constructor)

  // "198.18.0.1/15" or "fd42::1/64".
  static std::optional<IpPrefix> parse(std::string_view text);

  constexpr IpFamily family() const { return v_.index() == 0 ? IpFamily::v4 : IpFamily::v6; }
  constexpr bool is_v4() const { return v_.index() == 0; }
  constexpr bool is_v6() const { return v_.index() == 1; }
  // Precondition: the right family, as for IpAddress.
  constexpr const Ipv4Prefix& v4() const {
    assert(is_v4());
    return std::get<Ipv4Prefix>(v_);
  }
  constexpr const Ipv6Prefix& v6() const {
    assert(is_v6());
    return std::get<Ipv6Prefix>(v_);
  }
  IpAddress address() const;
  uint8_t length() const;
  IpAddress network() const;
  // False for an address of the other family.
  bool contains(const IpAddress& a) const;
  std::string to_string() const;

  bool operator==(const IpPrefix&) const = default;

 private:
  std::variant<Ipv4Prefix, Ipv6Prefix> v_;
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
struct std::hash<berth::Ipv6Address> {
  size_t operator()(const berth::Ipv6Address& a) const noexcept {
    uint64_t hi = 0;
    uint64_t lo = 0;
    for (size_t i = 0; i < 8; ++i) {
      hi = hi << 8 | a.to_bytes()[i];
      lo = lo << 8 | a.to_bytes()[i + 8];
    }
    const size_t h = std::hash<uint64_t>{}(hi);
    return h * 31 + std::hash<uint64_t>{}(lo);
  }
};
template <>
struct std::hash<berth::IpAddress> {
  size_t operator()(const berth::IpAddress& a) const noexcept {
    // Mixed with a constant so a.b.c.d and ::a.b.c.d do not hash alike.
    if (a.is_v4()) return std::hash<berth::Ipv4Address>{}(a.v4());
    return std::hash<berth::Ipv6Address>{}(a.v6()) ^ 0x9e3779b97f4a7c15ull;
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
