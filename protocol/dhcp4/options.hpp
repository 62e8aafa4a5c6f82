// The options of one DHCPv4 message, and the client FQDN option (RFC 4702).
// Their definitions (names, types, lengths, text forms) are the dhcp4 space
// of protocol/option_def.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/option_def.hpp"
#include "protocol/result.hpp"

namespace berth::dhcp4 {

// Option codes berth refers to by name in code.
namespace opt {
inline constexpr uint8_t pad = 0;
inline constexpr uint8_t subnet_mask = 1;
inline constexpr uint8_t router = 3;
inline constexpr uint8_t dns_servers = 6;
inline constexpr uint8_t hostname = 12;
inline constexpr uint8_t domain_name = 15;
inline constexpr uint8_t interface_mtu = 26;
inline constexpr uint8_t broadcast_address = 28;
inline constexpr uint8_t requested_address = 50;
inline constexpr uint8_t lease_time = 51;
inline constexpr uint8_t overload = 52;
inline constexpr uint8_t message_type = 53;
inline constexpr uint8_t server_identifier = 54;
inline constexpr uint8_t parameter_request_list = 55;
inline constexpr uint8_t message = 56;
inline constexpr uint8_t max_message_size = 57;
inline constexpr uint8_t renewal_time = 58;
inline constexpr uint8_t rebinding_time = 59;
inline constexpr uint8_t vendor_class = 60;
inline constexpr uint8_t client_identifier = 61;
inline constexpr uint8_t rapid_commit = 80;
inline constexpr uint8_t client_fqdn = 81;
inline constexpr uint8_t relay_agent_information = 82;
inline constexpr uint8_t domain_search = 119;
inline constexpr uint8_t classless_static_route = 121;
inline constexpr uint8_t end = 255;
}  // namespace opt

// The options of one message, by DHCPv4 wire code (8 bits). At most one
// entry per code: on parse, repeated instances of a code are concatenated
// (RFC 3396). Insertion order is kept, which is the order they are encoded
// in (after message type, first).
class OptionList {
 public:
  void set(uint8_t code, Bytes value);
  void set(uint8_t code, ByteView value) { set(code, Bytes(value.begin(), value.end())); }
  // Appends to an existing value (RFC 3396 concatenation), or sets it.
  void append(uint8_t code, ByteView value);
  void erase(uint8_t code);
  void clear() { entries_.clear(); }

  bool has(uint8_t code) const { return get(code) != nullptr; }
  const Bytes* get(uint8_t code) const;
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<uint8_t, Bytes>>& entries() const { return entries_; }

  // Typed setters and getters; a getter returns nullopt when the option is
  // missing or its length does not fit the type.
  void set_u8(uint8_t code, uint8_t v);
  void set_u16(uint8_t code, uint16_t v);
  void set_u32(uint8_t code, uint32_t v);
  void set_ipv4(uint8_t code, Ipv4Address a);
  void set_ipv4_list(uint8_t code, std::span<const Ipv4Address> list);
  void set_text(uint8_t code, std::string_view s);

  std::optional<uint8_t> get_u8(uint8_t code) const;
  std::optional<uint16_t> get_u16(uint8_t code) const;
  std::optional<uint32_t> get_u32(uint8_t code) const;
  std::optional<Ipv4Address> get_ipv4(uint8_t code) const;
  std::optional<std::vector<Ipv4Address>> get_ipv4_list(uint8_t code) const;
  std::optional<std::string> get_text(uint8_t code) const;

  bool operator==(const OptionList&) const = default;

 private:
  std::vector<std::pair<uint8_t, Bytes>> entries_;
};

// Client FQDN option (RFC 4702 §2).
struct ClientFqdn {
  uint8_t flags = 0;  // S=0x01 O=0x02 E=0x04 N=0x08
  uint8_t rcode1 = 0;
  uint8_t rcode2 = 0;
  std::string name;  // dotted, without a trailing dot; "" when absent

  static constexpr uint8_t kFlagS = 0x01;
  static constexpr uint8_t kFlagO = 0x02;
  static constexpr uint8_t kFlagE = 0x04;
  static constexpr uint8_t kFlagN = 0x08;
};

// Decodes the option's value; the name is in canonical wire format when E
// is set, else ASCII. A partial wire name (no final root label) is accepted.
Result<ClientFqdn> parse_client_fqdn(ByteView value);
// Encodes with E set and the name in wire format, fully qualified (ending
// with the root label) unless the name is empty. Empty labels are skipped and
// labels longer than 63 bytes are cut, so the result is always well formed.
Bytes encode_client_fqdn(const ClientFqdn& fqdn);

}  // namespace berth::dhcp4
