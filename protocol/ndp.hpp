// Router Solicitation and Router Advertisement messages (RFC 4861 §4.1,
// §4.2) with the options a router sends: source link-layer address, prefix
// information, MTU (RFC 4861 §4.6), RDNSS and DNSSL (RFC 8106 §5).
//
// The bytes are the ICMPv6 message as an AF_INET6/SOCK_RAW/IPPROTO_ICMPV6
// socket hands it over and takes it: no IPv6 header. The kernel verifies the
// checksum of what it delivers and fills it in on what it sends, so the
// codec leaves it alone; icmpv6_checksum() is there for tests and captures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/result.hpp"

namespace berth::ndp {

inline constexpr uint8_t kRouterSolicitation = 133;
inline constexpr uint8_t kRouterAdvertisement = 134;
inline constexpr size_t kRsHeaderSize = 8;   // type, code, checksum, reserved
inline constexpr size_t kRaHeaderSize = 16;  // ... reachable time, retrans timer
// RFC 4861 §6.1: a message that crossed a router arrives with less.
inline constexpr uint8_t kLinkHopLimit = 255;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;

// Option types (RFC 4861 §4.6, RFC 8106 §5).
namespace opt {
inline constexpr uint8_t source_link_layer = 1;
inline constexpr uint8_t prefix_information = 3;
inline constexpr uint8_t mtu = 5;
inline constexpr uint8_t rdnss = 25;
inline constexpr uint8_t dnssl = 31;
}  // namespace opt

// RFC 4861 §4.6.2. The prefix is kept as carried: bits past its length are
// reserved, and the codec neither clears nor checks them.
struct PrefixInformation {
  Ipv6Prefix prefix;
  bool on_link = true;     // L
  bool autonomous = true;  // A: hosts form addresses in it (RFC 4862 §5.5.3)
  uint32_t valid_lifetime = 0;
  uint32_t preferred_lifetime = 0;

  bool operator==(const PrefixInformation&) const = default;
};

// RFC 8106 §5.1: at least one address.
struct Rdnss {
  uint32_t lifetime = 0;
  std::vector<Ipv6Address> servers;

  bool operator==(const Rdnss&) const = default;
};

// RFC 8106 §5.2: at least one name; names are printable labels
// ("berth.test"), written uncompressed and padded with zeros to 8 octets.
struct Dnssl {
  uint32_t lifetime = 0;
  std::vector<std::string> domains;

  bool operator==(const Dnssl&) const = default;
};

// An option the codec does not decode (RFC 4861 §4.6: receivers skip those
// they do not know): its type and the bytes after the length octet.
struct RawOption {
  uint8_t type = 0;
  Bytes body;

  bool operator==(const RawOption&) const = default;
};

// The source link-layer address option's bytes after the length octet:
// six for Ethernet; other link layers have other sizes (RFC 4861 §4.6.1).
struct LinkLayerAddress {
  Bytes bytes;

  static LinkLayerAddress from_mac(const MacAddress& mac) {
    return {Bytes(mac.bytes().begin(), mac.bytes().end())};
  }
  std::optional<MacAddress> mac() const {
    if (bytes.size() != 6) return std::nullopt;
    return MacAddress::from_bytes(bytes);
  }
  bool operator==(const LinkLayerAddress&) const = default;
};

// Of an option that appears more than once where RFC 4861 expects one (the
// link-layer address, the MTU), the first is kept and the others skipped.
struct RouterSolicitation {
  std::optional<LinkLayerAddress> source_link_layer;
  std::vector<RawOption> other_options;

  bool operator==(const RouterSolicitation&) const = default;
};

struct RouterAdvertisement {
  uint8_t cur_hop_limit = 0;     // 0: unspecified
  bool managed = false;          // M: addresses from DHCPv6
  bool other = false;            // O: other configuration from DHCPv6
  uint16_t router_lifetime = 0;  // seconds; 0: not a default router
  uint32_t reachable_time = 0;   // milliseconds; 0: unspecified
  uint32_t retrans_timer = 0;    // milliseconds; 0: unspecified
  std::optional<LinkLayerAddress> source_link_layer;
  std::optional<uint32_t> mtu;
  std::vector<PrefixInformation> prefixes;
  std::vector<Rdnss> rdnss;
  std::vector<Dnssl> dnssl;
  std::vector<RawOption> other_options;

  bool operator==(const RouterAdvertisement&) const = default;
};

// Why a received message is dropped: one name per rule, fit for a metric
// label. Parse and validate errors carry the rule's sentence in
// Error::what; invalid_reason() gives the rule back.
enum class Invalid : uint8_t {
  wrong_type,             // not the ICMPv6 type asked for
  code,                   // ICMP code not 0 (RFC 4861 §6.1.1, §6.1.2)
  truncated,              // shorter than the fixed part
  option_length_zero,     // an option of length 0 (would loop forever)
  option_past_end,        // an option's length reaches past the message
  option_length,          // a known option of a length its format forbids
  option_value,           // a known option with a value its format forbids
  hop_limit,              // not 255: the message did not come from the link
  slla_from_unspecified,  // RS from :: with a link-layer address (§6.1.1)
  source_not_link_local,  // RA from an address other than link-local (§6.1.2)
};
inline constexpr EnumNames<Invalid, 10> kInvalidNames{{{
    {Invalid::wrong_type, "wrong_type"},
    {Invalid::code, "code"},
    {Invalid::truncated, "truncated"},
    {Invalid::option_length_zero, "option_length_zero"},
    {Invalid::option_past_end, "option_past_end"},
    {Invalid::option_length, "option_length"},
    {Invalid::option_value, "option_value"},
    {Invalid::hop_limit, "hop_limit"},
    {Invalid::slla_from_unspecified, "slla_from_unspecified"},
    {Invalid::source_not_link_local, "source_not_link_local"},
}}};
static_assert(kInvalidNames.complete());
constexpr std::string_view to_string(Invalid r) { return kInvalidNames.name(r); }

// The rule an error of this codec broke; nullopt for an error that is not
// from a parse or validate function here.
std::optional<Invalid> invalid_reason(const Error& e);

// The checks of RFC 4861 §6.1.1 and §6.1.2 that need only the message:
// the type, code 0, the length (8 octets or more for an RS, 16 for an RA),
// every option of length > 0 and within the message. Options the codec
// does not know are kept in other_options; a known option of the wrong
// length or with a bad value is an error.
Result<RouterSolicitation> parse_router_solicitation(ByteView message);
Result<RouterAdvertisement> parse_router_advertisement(ByteView message);

// The parse plus the checks that need what the socket saw of the IPv6
// header (IPV6_RECVHOPLIMIT, the source address): hop limit 255, and for an
// RS from :: no source link-layer address option; for an RA a link-local
// source. The checksum is the kernel's (raw ICMPv6 sockets verify it).
Result<RouterSolicitation> validate_router_solicitation(ByteView message, uint8_t hop_limit,
                                                        const Ipv6Address& source);
Result<RouterAdvertisement> validate_router_advertisement(ByteView message, uint8_t hop_limit,
                                                          const Ipv6Address& source);

// Write the message into `out` with a zero checksum (the kernel fills it
// in); options in the order link-layer address, MTU, prefixes, RDNSS,
// DNSSL, others. Return the length, Errc::no_space, or Errc::malformed for
// what cannot be written: an RDNSS without servers, a DNSSL without names or
// with a name append_wire_name refuses, a prefix longer than 128, an option
// body that does not fill whole 8-octet units or exceeds 255 of them.
Result<size_t> encode_router_solicitation(const RouterSolicitation& rs, MutableByteView out);
Result<size_t> encode_router_advertisement(const RouterAdvertisement& ra, MutableByteView out);

// The ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and
// `message`, computed with the message's checksum field taken as zero: the
// value the field must hold.
uint16_t icmpv6_checksum(const Ipv6Address& source, const Ipv6Address& destination,
                         ByteView message);
// Whether the checksum field holds that value; false for a message shorter
// than 4 octets.
bool checksum_ok(const Ipv6Address& source, const Ipv6Address& destination, ByteView message);

}  // namespace berth::ndp
