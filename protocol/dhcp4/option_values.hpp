// Values of the DHCPv4 options a user configures (routes, search list,
// options by code with a typed value, client classes): their text forms
// and their wire encodings. Pure: no I/O, no config file types.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/result.hpp"

namespace berth::dhcp4 {

// One classless static route (RFC 3442): `destination` reached via
// `gateway` (0.0.0.0: on the link).
struct StaticRoute {
  Ipv4Prefix destination;  // host bits clear
  Ipv4Address gateway;

  bool operator==(const StaticRoute&) const = default;
};

// "10.8.0.0/16 via 198.18.0.254"; the destination's host bits must be clear.
Result<StaticRoute> parse_static_route(std::string_view text);
std::string format_static_route(const StaticRoute& route);

// RFC 3442 §3: per route, the prefix width, the significant octets of the
// destination, the gateway. The same bytes serve option 121 and
// Microsoft's 249.
Bytes encode_classless_routes(std::span<const StaticRoute> routes);

// RFC 3397: the names in RFC 1035 wire form, a later name ending in a
// suffix already written pointing back to it (§4.1.4 compression; offsets
// are into the whole value, which RFC 3396 may split into several
// instances). An empty list, or an empty or malformed name, is an error.
Result<Bytes> encode_domain_search(std::span<const std::string> names);

// The value types an option given by code may have ([[bridge.option]]).
enum class ValueType : uint8_t {
  ip,       // one IPv4 address
  ips,      // one or more IPv4 addresses, "a,b" in text
  string,   // bytes as written
  u8,       // one byte
  u16,      // two bytes, network order
  u32,      // four bytes, network order
  boolean,  // one byte, 0 or 1; "bool" in the file
  hex,      // bytes: "01:02:0a" or "01020a"
};

inline constexpr EnumNames<ValueType, 8> kValueTypeNames{{{
    {ValueType::ip, "ip"},
    {ValueType::ips, "ips"},
    {ValueType::string, "string"},
    {ValueType::u8, "u8"},
    {ValueType::u16, "u16"},
    {ValueType::u32, "u32"},
    {ValueType::boolean, "bool"},
    {ValueType::hex, "hex"},
}}};
static_assert(kValueTypeNames.complete());
constexpr std::string_view to_string(ValueType t) { return kValueTypeNames.name(t); }

// The longest value berth accepts for one option; RFC 3396 splits it into
// instances of at most 255 bytes.
inline constexpr size_t kMaxConfiguredValue = 1024;

// Text to wire bytes: "198.18.0.1", "198.18.0.1, 198.18.0.2", any text,
// "0".."255" (and u16/u32 ranges), "true"/"false", hex. Values are never
// empty and at most kMaxConfiguredValue bytes.
Result<Bytes> parse_typed_value(ValueType type, std::string_view text);
// The inverse: the text parse_typed_value reads back to the same bytes.
std::string format_typed_value(ValueType type, ByteView value);

// An option the user gives by code, with the type its value was written in.
struct ConfiguredOption {
  uint8_t code = 0;
  ValueType type = ValueType::hex;
  Bytes value;
  // Sent even when the client did not ask for it in option 55 (dnsmasq's
  // dhcp-option-force).
  bool always = false;

  bool operator==(const ConfiguredOption&) const = default;
};

// One option by code on one line, as berthctl and the control API take
// it: "[force:]CODE:TYPE:VALUE", e.g. "43:hex:01:04:0a" or
// "force:66:string:boot.lab" (force: sent even when the client did not ask,
// `always`). The value is everything after the second ':' of CODE:TYPE.
// Codes reserved_option_problem refuses are errors, as in the config file.
Result<ConfiguredOption> parse_configured_option(std::string_view text);
// The inverse: the line parse_configured_option reads back to `o`.
std::string format_configured_option(const ConfiguredOption& o);

// Why an option code cannot be configured (berth computes it for each
// reply, or it is framing), or nullopt. Router (3), DNS servers (6), domain
// name (15), broadcast (28), MTU (26) and the like may be overridden.
std::optional<std::string_view> reserved_option_problem(uint8_t code);

// What a client class matches on.
enum class ClassMatch : uint8_t {
  vendor_class,  // option 60 starts with `value` (bytes)
  user_class,    // option 77 is `value`, or one of its RFC 3004 entries is
  arch,          // option 93 lists the architecture type in `value` (2 bytes)
};

inline constexpr EnumNames<ClassMatch, 3> kClassMatchNames{{{
    {ClassMatch::vendor_class, "vendor_class"},
    {ClassMatch::user_class, "user_class"},
    {ClassMatch::arch, "arch"},
}}};
static_assert(kClassMatchNames.complete());
constexpr std::string_view to_string(ClassMatch m) { return kClassMatchNames.name(m); }

// A client class ([[bridge.class]]): clients whose option 60, 77 or 93
// matches get its options, and may use pools restricted to it.
struct ClientClass {
  std::string name;
  ClassMatch match = ClassMatch::vendor_class;
  Bytes value;  // the prefix or the user class as bytes; arch: 2 bytes, network order
  std::vector<ConfiguredOption> options;

  bool operator==(const ClientClass&) const = default;
};

// The options of one bridge beyond the built-in ones.
struct BridgeOptions {
  std::vector<StaticRoute> routes;       // options 121 and 249
  std::vector<std::string> search;       // option 119
  std::vector<Ipv4Address> ntp_servers;  // option 42
  std::vector<ConfiguredOption> options;
  std::vector<ClientClass> classes;

  bool operator==(const BridgeOptions&) const = default;
};

// Whether the option values a client sent (`sent`: the value of option 60,
// 77 or 93 as `match` says; nullptr when absent) match `value`.
bool class_matches(ClassMatch match, ByteView value, const Bytes* sent);

}  // namespace berth::dhcp4
