// Typed readers and writers for the DHCPv6 options a server engine needs:
// DUIDs (RFC 8415 §11), IA_NA and IAADDR (§21.4, §21.6), status code
// (§21.13), ORO (§21.7), elapsed time (§21.9), DNS servers and domain
// search list (RFC 3646), client link-layer address (RFC 6939). Each
// parse_* takes an option's value (without code and length) and returns a
// Result; each encode_* returns a value that parse_* reads back.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/dhcp6/message.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/result.hpp"

namespace berth::dhcp6 {

// ---- DUID (RFC 8415 §11) ----

enum class DuidType : uint16_t { llt = 1, en = 2, ll = 3, uuid = 4 };
inline constexpr EnumNames<DuidType, 4> kDuidTypeNames{{{
    {DuidType::llt, "DUID-LLT"},
    {DuidType::en, "DUID-EN"},
    {DuidType::ll, "DUID-LL"},
    {DuidType::uuid, "DUID-UUID"},
}}};
static_assert(kDuidTypeNames.complete(1));
constexpr std::string_view to_string(DuidType t) { return kDuidTypeNames.name(t); }

inline constexpr uint16_t kHardwareEthernet = 1;  // IANA hardware type (RFC 826)
inline constexpr size_t kMaxDuidLength = 130;     // type + 128 bytes (§11.1)
// §11.2: DUID-LLT's time counts seconds from 2000-01-01 00:00 UTC.
inline constexpr int64_t kDuidEpoch = 946684800;

struct Duid {
  uint16_t type = 0;           // a DuidType, or another value (opaque)
  uint16_t hardware_type = 0;  // LLT and LL
  uint32_t time = 0;           // LLT
  uint32_t enterprise = 0;     // EN
  // LLT, LL: the link-layer address; EN: the identifier; UUID: the 16
  // bytes; any other type: everything after the type.
  Bytes identifier;

  bool operator==(const Duid&) const = default;
};

// A DUID is opaque to a server (§11), but its length is bounded and the
// known types have a fixed layout: LLT at least 9 bytes, EN at least 7,
// LL at least 5, UUID exactly 18; other types 3..130 bytes.
Result<Duid> parse_duid(ByteView value);
Bytes encode_duid(const Duid& duid);
// DUID-LLT and DUID-LL of an Ethernet MAC (what the daemon makes its own
// server DUID from).
Bytes make_duid_llt(const MacAddress& mac, int64_t unix_seconds);
Bytes make_duid_ll(const MacAddress& mac);
// The MAC in a DUID-LLT or DUID-LL of hardware type 1 with 6 address
// bytes; nullopt for anything else.
std::optional<MacAddress> duid_mac(ByteView duid);

// ---- status code (§21.13) ----

enum class StatusCode : uint16_t {
  success = 0,
  unspec_fail = 1,
  no_addrs_avail = 2,
  no_binding = 3,
  not_on_link = 4,
  use_multicast = 5,
  no_prefix_avail = 6,
};
inline constexpr EnumNames<StatusCode, 7> kStatusCodeNames{{{
    {StatusCode::success, "Success"},
    {StatusCode::unspec_fail, "UnspecFail"},
    {StatusCode::no_addrs_avail, "NoAddrsAvail"},
    {StatusCode::no_binding, "NoBinding"},
    {StatusCode::not_on_link, "NotOnLink"},
    {StatusCode::use_multicast, "UseMulticast"},
    {StatusCode::no_prefix_avail, "NoPrefixAvail"},
}}};
static_assert(kStatusCodeNames.complete());
constexpr std::string_view to_string(StatusCode s) { return kStatusCodeNames.name(s); }

struct Status {
  uint16_t code = 0;    // a StatusCode, or a value berth does not know
  std::string message;  // UTF-8, as sent

  bool operator==(const Status&) const = default;
};
Result<Status> parse_status(ByteView value);
Bytes encode_status(StatusCode code, std::string_view message);
// The status code option of `options` (a message's or an IA's); nullopt
// when there is none, which §21.13 reads as Success.
std::optional<Status> status_of(const OptionList& options);

// ---- IA_NA and IAADDR (§21.4, §21.6) ----

struct IaAddress {
  Ipv6Address address;
  uint32_t preferred_lifetime = 0;
  uint32_t valid_lifetime = 0;
  OptionList options;  // a status code, typically

  bool operator==(const IaAddress&) const = default;
};
Result<IaAddress> parse_ia_address(ByteView value);
Bytes encode_ia_address(const IaAddress& a);

struct IaNa {
  uint32_t iaid = 0;
  uint32_t t1 = 0;
  uint32_t t2 = 0;
  OptionList options;  // IAADDRs and a status code

  bool operator==(const IaNa&) const = default;
};
Result<IaNa> parse_ia_na(ByteView value);
Bytes encode_ia_na(const IaNa& ia);
// The IAADDR options of an IA, read; an error when one is malformed.
Result<std::vector<IaAddress>> ia_addresses(const IaNa& ia);
// Every IA_NA of a message, read; an error when one is malformed.
Result<std::vector<IaNa>> ia_nas(const OptionList& options);

// ---- small options ----

// ORO (§21.7): the option codes the client asks for.
Result<std::vector<uint16_t>> parse_oro(ByteView value);
Bytes encode_oro(std::span<const uint16_t> codes);
// Whether the message's ORO lists `code`.
bool requests_option(const OptionList& options, uint16_t code);

// Elapsed time (§21.9): hundredths of a second since the exchange began.
Result<uint16_t> parse_elapsed_time(ByteView value);
Bytes encode_elapsed_time(uint16_t hundredths);

// DNS recursive name servers (RFC 3646 §3): one or more addresses.
Result<std::vector<Ipv6Address>> parse_dns_servers(ByteView value);
Bytes encode_dns_servers(std::span<const Ipv6Address> servers);

// Domain search list (RFC 3646 §4): names without compression (RFC 8415
// §10), the same wire form as protocol/option_domain writes.
Result<std::vector<std::string>> parse_domain_list(ByteView value);
// Errc::malformed for an empty list or a name append_wire_name refuses.
Result<Bytes> encode_domain_list(std::span<const std::string> names);

// Client link-layer address (RFC 6939), added by a relay.
struct LinkLayerAddress {
  uint16_t hardware_type = 0;
  Bytes address;

  std::optional<MacAddress> mac() const;  // for hardware type 1, 6 bytes
  bool operator==(const LinkLayerAddress&) const = default;
};
Result<LinkLayerAddress> parse_client_linklayer(ByteView value);
Bytes encode_client_linklayer(const LinkLayerAddress& a);

}  // namespace berth::dhcp6
