// DHCP option definitions for both families, in one table per option space
// (STYLE 4): a row per code gives its name, wire type and length limits;
// validation, the text forms, TOML names and printing all read it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/result.hpp"

namespace berth {

// Which protocol's code numbers a code belongs to: code 23 is
// "default-ip-ttl" in DHCPv4 and "dns-servers" in DHCPv6.
enum class OptionSpace : uint8_t { dhcp4, dhcp6 };

inline constexpr EnumNames<OptionSpace, 2> kOptionSpaceNames{{{
    {OptionSpace::dhcp4, "dhcp4"},
    {OptionSpace::dhcp6, "dhcp6"},
}}};
static_assert(kOptionSpaceNames.complete());
constexpr std::string_view to_string(OptionSpace s) { return kOptionSpaceNames.name(s); }

// Wire type of an option's value.
enum class OptionType : uint8_t {
  empty,        // no data (rapid commit)
  u8,           // one byte
  u16,          // two bytes, network order
  u32,          // four bytes, network order
  boolean,      // one byte, 0 or 1
  ipv4,         // one address
  ipv4_list,    // one or more addresses
  ipv4_pairs,   // pairs of addresses (policy filter, static route)
  ipv6,         // one address, 16 bytes
  ipv6_list,    // one or more addresses
  u8_list,      // one or more bytes (parameter request list)
  u16_list,     // u16s (path MTU plateau table, DHCPv6 option request)
  text,         // NVT ASCII, no NUL required
  binary,       // opaque bytes (client identifier, relay agent info)
  fqdn,         // client FQDN: flags, then in DHCPv4 (RFC 4702) rcode1 and
                // rcode2, then a name; DHCPv6 (RFC 4704) has only the flags
  domain_list,  // RFC 1035 names; DHCPv4 allows compression (RFC 3397),
                // DHCPv6 forbids it (RFC 8415 §10)
};

inline constexpr EnumNames<OptionType, 16> kOptionTypeNames{{{
    {OptionType::empty, "empty"},
    {OptionType::u8, "u8"},
    {OptionType::u16, "u16"},
    {OptionType::u32, "u32"},
    {OptionType::boolean, "boolean"},
    {OptionType::ipv4, "ipv4"},
    {OptionType::ipv4_list, "ipv4-list"},
    {OptionType::ipv4_pairs, "ipv4-pairs"},
    {OptionType::ipv6, "ipv6"},
    {OptionType::ipv6_list, "ipv6-list"},
    {OptionType::u8_list, "u8-list"},
    {OptionType::u16_list, "u16-list"},
    {OptionType::text, "text"},
    {OptionType::binary, "binary"},
    {OptionType::fqdn, "fqdn"},
    {OptionType::domain_list, "domain-list"},
}}};
static_assert(kOptionTypeNames.complete());
constexpr std::string_view to_string(OptionType t) { return kOptionTypeNames.name(t); }

// max_length for "no limit below the wire's": a DHCPv4 value may run past
// 255 bytes by concatenation (RFC 3396); a DHCPv6 one stops at 65535, the
// most its 16-bit option-len holds (RFC 8415 §21.1).
inline constexpr uint16_t kNoLengthLimit = 0xffff;

struct OptionDef {
  OptionSpace space;
  uint16_t code;          // a DHCPv4 code fits in 8 bits, a DHCPv6 one needs 16
  std::string_view name;  // kebab-case as Kea names it, e.g. "domain-name"
  OptionType type;
  uint16_t min_length;  // smallest valid value length in bytes
  uint16_t max_length;  // largest valid value length, or kNoLengthLimit
};

// A space's whole table, sorted by code.
std::span<const OptionDef> option_table(OptionSpace space);
// Lookups within one space: a DHCPv4 name is unknown in dhcp6, and a code
// is never truncated (dhcp6 code 279 is not 23).
const OptionDef* find_option(OptionSpace space, uint16_t code);
const OptionDef* find_option(OptionSpace space, std::string_view name);

// Checks a value's length (and, for list types, that it holds whole
// elements) against the table. An unknown code is opaque: any length is
// valid in dhcp4, up to 65535 bytes in dhcp6.
bool valid_option_value(OptionSpace space, uint16_t code, ByteView value);

// Text form of a value, as berth prints it and as TOML option values are
// written: "10.0.3.1", "10.0.3.1,10.0.3.2", "fd42::1", "3600", "true",
// "berth", "a.example,b.example", "01:02:03" for binary. A value the table
// rejects prints as binary. parse_option_value is its inverse; it writes
// domain names uncompressed in either space.
std::string format_option_value(OptionSpace space, uint16_t code, ByteView value);
Result<Bytes> parse_option_value(OptionSpace space, uint16_t code, std::string_view text);

}  // namespace berth
