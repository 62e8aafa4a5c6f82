// DHCPv6 message codec (RFC 8415 §8, §9, §21.1): client/server messages
// and relay messages over byte spans. Options are kept as their wire
// bytes, in order, so a parsed message encodes back byte for byte; the
// typed readers of the options an engine needs are in options.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/result.hpp"

namespace berth::dhcp6 {

// RFC 8415 §7.2.
inline constexpr uint16_t kClientPort = 546;
inline constexpr uint16_t kServerPort = 547;
// RFC 8415 §7.1: All_DHCP_Relay_Agents_and_Servers, where clients send.
inline constexpr Ipv6Address kAllRelayAgentsAndServers{
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x02}};
// RFC 8415 §7.6: HOP_COUNT_LIMIT, the most relays a message may cross.
inline constexpr uint8_t kHopCountLimit = 8;
inline constexpr size_t kHeaderSize = 4;        // msg-type, transaction-id
inline constexpr size_t kRelayHeaderSize = 34;  // msg-type, hop-count, two addresses

enum class MessageType : uint8_t {
  solicit = 1,
  advertise = 2,
  request = 3,
  confirm = 4,
  renew = 5,
  rebind = 6,
  reply = 7,
  release = 8,
  decline = 9,
  reconfigure = 10,
  information_request = 11,
  relay_forw = 12,
  relay_repl = 13,
};

// RFC 8415 §7.3 names, as Kea logs them.
inline constexpr EnumNames<MessageType, 13> kMessageTypeNames{{{
    {MessageType::solicit, "SOLICIT"},
    {MessageType::advertise, "ADVERTISE"},
    {MessageType::request, "REQUEST"},
    {MessageType::confirm, "CONFIRM"},
    {MessageType::renew, "RENEW"},
    {MessageType::rebind, "REBIND"},
    {MessageType::reply, "REPLY"},
    {MessageType::release, "RELEASE"},
    {MessageType::decline, "DECLINE"},
    {MessageType::reconfigure, "RECONFIGURE"},
    {MessageType::information_request, "INFORMATION-REQUEST"},
    {MessageType::relay_forw, "RELAY-FORW"},
    {MessageType::relay_repl, "RELAY-REPL"},
}}};
static_assert(kMessageTypeNames.complete(1));
constexpr std::string_view to_string(MessageType t) { return kMessageTypeNames.name(t); }
constexpr bool is_relay(MessageType t) {
  return t == MessageType::relay_forw || t == MessageType::relay_repl;
}
// RFC 8415 §18.4: messages a server MUST discard when they reach it by
// unicast (a client sends them to ff02::1:2 only).
constexpr bool sent_only_to_multicast(MessageType t) {
  return t == MessageType::solicit || t == MessageType::confirm || t == MessageType::rebind ||
         t == MessageType::information_request;
}

// Option codes berth refers to by name in code (RFC 8415 §21 unless noted);
// the option_def dhcp6 table has them all with their lengths.
namespace opt {
inline constexpr uint16_t client_id = 1;
inline constexpr uint16_t server_id = 2;
inline constexpr uint16_t ia_na = 3;
inline constexpr uint16_t ia_ta = 4;
inline constexpr uint16_t iaaddr = 5;
inline constexpr uint16_t oro = 6;
inline constexpr uint16_t preference = 7;
inline constexpr uint16_t elapsed_time = 8;
inline constexpr uint16_t relay_msg = 9;
inline constexpr uint16_t auth = 11;
inline constexpr uint16_t unicast = 12;
inline constexpr uint16_t status_code = 13;
inline constexpr uint16_t rapid_commit = 14;
inline constexpr uint16_t user_class = 15;
inline constexpr uint16_t vendor_class = 16;
inline constexpr uint16_t vendor_opts = 17;
inline constexpr uint16_t interface_id = 18;
inline constexpr uint16_t reconf_msg = 19;
inline constexpr uint16_t reconf_accept = 20;
inline constexpr uint16_t dns_servers = 23;       // RFC 3646
inline constexpr uint16_t domain_search = 24;     // RFC 3646
inline constexpr uint16_t ia_pd = 25;             // §21.21
inline constexpr uint16_t iaprefix = 26;          // §21.22
inline constexpr uint16_t client_fqdn = 39;       // RFC 4704
inline constexpr uint16_t client_linklayer = 79;  // RFC 6939
}  // namespace opt

// The options of a message, or of an option that holds options (IA_NA,
// IAADDR, ...), in wire order. A code may appear more than once (a client
// sends one IA_NA per IAID); get() finds the first.
class OptionList {
 public:
  struct Entry {
    uint16_t code;
    Bytes value;
    bool operator==(const Entry&) const = default;
  };

  void add(uint16_t code, Bytes value) { entries_.push_back({code, std::move(value)}); }
  void add(uint16_t code, ByteView value) { add(code, Bytes(value.begin(), value.end())); }
  // Replaces the first instance of `code` (dropping any others), or adds.
  void set(uint16_t code, Bytes value);
  void erase(uint16_t code);

  bool has(uint16_t code) const { return get(code) != nullptr; }
  const Bytes* get(uint16_t code) const;
  std::vector<ByteView> all(uint16_t code) const;
  size_t count(uint16_t code) const;
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  bool operator==(const OptionList&) const = default;

 private:
  std::vector<Entry> entries_;
};

// Reads a run of options filling `data` (RFC 8415 §21.1). Each value's
// length is checked against the dhcp6 table (valid_option_value); options
// that hold options (IA_NA, IA_TA, IAADDR, IA_PD, IAPREFIX) have theirs
// read and checked too, so a message that parses has no malformed option
// at any depth. Values are kept whole.
Result<OptionList> parse_options(ByteView data);
// Appends the options in order. Errc::malformed for a value over 65535
// bytes, which the 16-bit option-len cannot say.
Result<size_t> encode_options(const OptionList& options, ByteWriter& w);
// The options as bytes, for an option that holds options.
Bytes encode_options(const OptionList& options);

// A client/server message (RFC 8415 §8): every type but the relay ones.
struct Message {
  MessageType type = MessageType::solicit;
  uint32_t transaction_id = 0;  // 24 bits
  OptionList options;

  bool operator==(const Message&) const = default;
};

// A relay agent/server message (RFC 8415 §9): RELAY-FORW or RELAY-REPL.
// The relayed message is the relay-msg option (9), itself a message or a
// relay message; interface-id (18) names the relay's interface.
struct RelayMessage {
  MessageType type = MessageType::relay_forw;
  uint8_t hop_count = 0;
  Ipv6Address link_address;
  Ipv6Address peer_address;
  OptionList options;

  const Bytes* relayed() const { return options.get(opt::relay_msg); }
  const Bytes* interface_id() const { return options.get(opt::interface_id); }
  bool operator==(const RelayMessage&) const = default;
};

using Packet = std::variant<Message, RelayMessage>;

// Parses a UDP payload. Errors: Errc::truncated for a header or option
// that runs past the end, Errc::malformed for an option length the table
// refuses (or a relay message without exactly one relay-msg option),
// Errc::unsupported for a message type outside 1..13 (RFC 8415 §16: such
// messages are discarded). parse_message refuses the relay types and
// parse_relay_message every other.
Result<Packet> parse_packet(ByteView data);
Result<Message> parse_message(ByteView data);
Result<RelayMessage> parse_relay_message(ByteView data);

// Encodes into `out`; returns the length written, Errc::no_space when it
// does not fit, Errc::malformed for a transaction id over 24 bits, a relay
// type in a Message or another type in a RelayMessage.
Result<size_t> encode_message(const Message& msg, MutableByteView out);
Result<size_t> encode_relay_message(const RelayMessage& msg, MutableByteView out);
Result<size_t> encode_packet(const Packet& packet, MutableByteView out);
// The same into a new buffer, sized to fit.
Result<Bytes> encode_to_bytes(const Packet& packet);

// A client's message as a server sees it through relays: the relays
// outermost first, then the message they carry (RFC 8415 §19, §20).
struct Relayed {
  std::vector<RelayMessage> relays;
  Message message;
};
// Unwraps RELAY-FORW layers; at most kHopCountLimit + 1 of them.
Result<Relayed> unwrap_relays(const RelayMessage& outer);

}  // namespace berth::dhcp6
