// DHCPv4 message codec (RFC 2131 §2, RFC 2132, RFC 3396).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/dhcp4/options.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/result.hpp"

namespace berth::dhcp4 {

inline constexpr uint16_t kServerPort = 67;
inline constexpr uint16_t kClientPort = 68;
inline constexpr size_t kFixedHeaderSize = 236;  // op .. file
inline constexpr uint32_t kMagicCookie = 0x63825363;
// RFC 2131 §2: every client accepts 576-byte IP datagrams, i.e. a DHCP
// message of 576 - 20 (IPv4) - 8 (UDP) = 548 bytes.
inline constexpr size_t kDefaultMaxMessageSize = 548;
// BOOTP (RFC 951) messages are at least 300 bytes; some clients drop less.
inline constexpr size_t kMinMessageSize = 300;
inline constexpr uint16_t kFlagBroadcast = 0x8000;

enum class Op : uint8_t { request = 1, reply = 2 };

enum class MessageType : uint8_t {
  discover = 1,
  offer = 2,
  request = 3,
  decline = 4,
  ack = 5,
  nak = 6,
  release = 7,
  inform = 8,
};

// As dnsmasq logs them.
inline constexpr EnumNames<MessageType, 8> kMessageTypeNames{{{
    {MessageType::discover, "DHCPDISCOVER"},
    {MessageType::offer, "DHCPOFFER"},
    {MessageType::request, "DHCPREQUEST"},
    {MessageType::decline, "DHCPDECLINE"},
    {MessageType::ack, "DHCPACK"},
    {MessageType::nak, "DHCPNAK"},
    {MessageType::release, "DHCPRELEASE"},
    {MessageType::inform, "DHCPINFORM"},
}}};
static_assert(kMessageTypeNames.complete(1));
constexpr std::string_view to_string(MessageType t) { return kMessageTypeNames.name(t); }

struct Message {
  Op op = Op::request;
  uint8_t htype = 1;  // Ethernet
  uint8_t hlen = 6;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  Ipv4Address ciaddr;
  Ipv4Address yiaddr;
  Ipv4Address siaddr;
  Ipv4Address giaddr;
  std::array<uint8_t, 16> chaddr{};
  // sname and file as fixed fields; when option overload (52) moved options
  // into them, the parser has already moved those options into `options`
  // and zeroed the field.
  std::array<uint8_t, 64> sname{};
  std::array<uint8_t, 128> file{};
  OptionList options;

  std::optional<MessageType> type() const;
  void set_type(MessageType t) { options.set_u8(opt::message_type, static_cast<uint8_t>(t)); }
  // chaddr as a MAC; meaningful when htype is 1 and hlen is 6.
  MacAddress mac() const { return MacAddress::from_bytes(ByteView(chaddr).first(6)); }
  // Also sets htype 1 (Ethernet) and hlen 6.
  void set_mac(const MacAddress& m);
  bool broadcast_flag() const { return (flags & kFlagBroadcast) != 0; }

  bool operator==(const Message&) const = default;
};

// Parses a DHCP message (UDP payload). Checks the fixed header length, the
// magic cookie, every option length against the buffer, and that the options
// field ends with the end option. Option overload (52) is honoured: options
// in `file` then `sname` are read after the options field (RFC 2131 §4.1);
// an overload option inside file or sname is an error (a loop).
// Repeated codes are concatenated (RFC 3396). The overload option itself is
// consumed, not kept in `options`; the message type, when present, is moved
// to the front of `options` (where the encoder writes it). A message without
// option 53 (plain BOOTP) parses; type() is then nullopt.
Result<Message> parse_message(ByteView data);

// Encodes into `out`, writing at most `max_size` bytes (the client's maximum
// message size, clamped to at least 548 and at most out.size()). Message
// type is written first, then the options in list order. When the options do
// not fit in the options field, they overflow into `file`, then `sname`, with
// option 52 set (RFC 2132 §9.3); any option longer than 255 bytes is split
// into several (RFC 3396). A field is used for overflow only when it is all
// zeros in `msg`; an overload (52), pad or end entry in `msg.options` is
// ignored. Pads to 300 bytes. Returns the length, or Errc::no_space.
Result<size_t> encode_message(const Message& msg, MutableByteView out,
                              size_t max_size = kDefaultMaxMessageSize);

}  // namespace berth::dhcp4
