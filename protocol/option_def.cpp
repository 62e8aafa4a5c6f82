#include "protocol/option_def.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/option_domain.hpp"

namespace berth {
namespace {

using T = OptionType;
constexpr uint16_t kNoLimit = kNoLengthLimit;

constexpr OptionDef v4(uint16_t code, std::string_view name, OptionType type, uint16_t min_length,
                       uint16_t max_length) {
  return OptionDef{OptionSpace::dhcp4, code, name, type, min_length, max_length};
}
constexpr OptionDef v6(uint16_t code, std::string_view name, OptionType type, uint16_t min_length,
                       uint16_t max_length) {
  return OptionDef{OptionSpace::dhcp6, code, name, type, min_length, max_length};
}

// RFC 2132 unless noted. Names follow Kea's standard option definitions.
// One row per line, easier to scan than clang-format's packing.
// clang-format off
constexpr std::array kDhcp4Table = {
    v4(1, "subnet-mask", T::ipv4, 4, 4),
    v4(2, "time-offset", T::u32, 4, 4),  // signed seconds east of UTC, printed unsigned
    v4(3, "routers", T::ipv4_list, 4, kNoLimit),
    v4(4, "time-servers", T::ipv4_list, 4, kNoLimit),
    v4(5, "name-servers", T::ipv4_list, 4, kNoLimit),
    v4(6, "domain-name-servers", T::ipv4_list, 4, kNoLimit),
    v4(7, "log-servers", T::ipv4_list, 4, kNoLimit),
    v4(8, "cookie-servers", T::ipv4_list, 4, kNoLimit),
    v4(9, "lpr-servers", T::ipv4_list, 4, kNoLimit),
    v4(10, "impress-servers", T::ipv4_list, 4, kNoLimit),
    v4(11, "resource-location-servers", T::ipv4_list, 4, kNoLimit),
    v4(12, "host-name", T::text, 1, kNoLimit),
    v4(13, "boot-size", T::u16, 2, 2),
    v4(14, "merit-dump", T::text, 1, kNoLimit),
    v4(15, "domain-name", T::text, 1, kNoLimit),
    v4(16, "swap-server", T::ipv4, 4, 4),
    v4(17, "root-path", T::text, 1, kNoLimit),
    v4(18, "extensions-path", T::text, 1, kNoLimit),
    v4(19, "ip-forwarding", T::boolean, 1, 1),
    v4(20, "non-local-source-routing", T::boolean, 1, 1),
    v4(21, "policy-filter", T::ipv4_pairs, 8, kNoLimit),
    v4(22, "max-dgram-reassembly", T::u16, 2, 2),
    v4(23, "default-ip-ttl", T::u8, 1, 1),
    v4(24, "path-mtu-aging-timeout", T::u32, 4, 4),
    v4(25, "path-mtu-plateau-table", T::u16_list, 2, kNoLimit),
    v4(26, "interface-mtu", T::u16, 2, 2),
    v4(27, "all-subnets-local", T::boolean, 1, 1),
    v4(28, "broadcast-address", T::ipv4, 4, 4),
    v4(29, "perform-mask-discovery", T::boolean, 1, 1),
    v4(30, "mask-supplier", T::boolean, 1, 1),
    v4(31, "router-discovery", T::boolean, 1, 1),
    v4(32, "router-solicitation-address", T::ipv4, 4, 4),
    v4(33, "static-routes", T::ipv4_pairs, 8, kNoLimit),
    v4(34, "trailer-encapsulation", T::boolean, 1, 1),
    v4(35, "arp-cache-timeout", T::u32, 4, 4),
    v4(36, "ieee802-3-encapsulation", T::boolean, 1, 1),
    v4(37, "default-tcp-ttl", T::u8, 1, 1),
    v4(38, "tcp-keepalive-interval", T::u32, 4, 4),
    v4(39, "tcp-keepalive-garbage", T::boolean, 1, 1),
    v4(40, "nis-domain", T::text, 1, kNoLimit),
    v4(41, "nis-servers", T::ipv4_list, 4, kNoLimit),
    v4(42, "ntp-servers", T::ipv4_list, 4, kNoLimit),
    v4(43, "vendor-encapsulated-options", T::binary, 1, kNoLimit),
    v4(44, "netbios-name-servers", T::ipv4_list, 4, kNoLimit),
    v4(45, "netbios-dd-server", T::ipv4_list, 4, kNoLimit),
    v4(46, "netbios-node-type", T::u8, 1, 1),
    v4(47, "netbios-scope", T::text, 1, kNoLimit),
    v4(48, "font-servers", T::ipv4_list, 4, kNoLimit),
    v4(49, "x-display-manager", T::ipv4_list, 4, kNoLimit),
    v4(50, "dhcp-requested-address", T::ipv4, 4, 4),
    v4(51, "dhcp-lease-time", T::u32, 4, 4),
    v4(52, "dhcp-option-overload", T::u8, 1, 1),
    v4(53, "dhcp-message-type", T::u8, 1, 1),
    v4(54, "dhcp-server-identifier", T::ipv4, 4, 4),
    v4(55, "dhcp-parameter-request-list", T::u8_list, 1, kNoLimit),
    v4(56, "dhcp-message", T::text, 1, kNoLimit),
    v4(57, "dhcp-max-message-size", T::u16, 2, 2),
    v4(58, "dhcp-renewal-time", T::u32, 4, 4),
    v4(59, "dhcp-rebinding-time", T::u32, 4, 4),
    v4(60, "vendor-class-identifier", T::text, 1, kNoLimit),
    v4(61, "dhcp-client-identifier", T::binary, 2, kNoLimit),
    v4(62, "nwip-domain-name", T::text, 1, kNoLimit),
    v4(63, "nwip-suboptions", T::binary, 1, kNoLimit),
    v4(64, "nisplus-domain-name", T::text, 1, kNoLimit),
    v4(65, "nisplus-servers", T::ipv4_list, 4, kNoLimit),
    v4(66, "tftp-server-name", T::text, 1, kNoLimit),
    v4(67, "boot-file-name", T::text, 1, kNoLimit),
    // RFC 2132 §8.11: zero addresses is valid (no home agent available).
    v4(68, "mobile-ip-home-agent", T::ipv4_list, 0, kNoLimit),
    v4(69, "smtp-server", T::ipv4_list, 4, kNoLimit),
    v4(70, "pop-server", T::ipv4_list, 4, kNoLimit),
    v4(71, "nntp-server", T::ipv4_list, 4, kNoLimit),
    v4(72, "www-server", T::ipv4_list, 4, kNoLimit),
    v4(73, "finger-server", T::ipv4_list, 4, kNoLimit),
    v4(74, "irc-server", T::ipv4_list, 4, kNoLimit),
    v4(75, "streettalk-server", T::ipv4_list, 4, kNoLimit),
    v4(76, "streettalk-directory-assistance-server", T::ipv4_list, 4, kNoLimit),
    v4(77, "user-class", T::binary, 1, kNoLimit),                  // RFC 3004
    v4(80, "rapid-commit", T::empty, 0, 0),                        // RFC 4039
    v4(81, "fqdn", T::fqdn, 3, kNoLimit),                          // RFC 4702
    v4(82, "dhcp-agent-options", T::binary, 2, kNoLimit),          // RFC 3046
    v4(93, "client-system", T::binary, 2, kNoLimit),               // RFC 4578
    v4(94, "client-ndi", T::binary, 3, 3),                         // RFC 4578
    v4(97, "uuid-guid", T::binary, 1, kNoLimit),                   // RFC 4578
    v4(118, "subnet-selection", T::ipv4, 4, 4),                    // RFC 3011
    v4(119, "domain-search", T::domain_list, 1, kNoLimit),         // RFC 3397
    v4(121, "classless-static-route", T::binary, 5, kNoLimit),     // RFC 3442
    v4(249, "ms-classless-static-route", T::binary, 5, kNoLimit),  // Microsoft's 121
    v4(252, "wpad", T::text, 1, kNoLimit),                         // Web Proxy Auto-Discovery URL
};

// RFC 8415 (§n) unless noted; names as Kea's std_option_defs. Options with
// inner structure (IAs, status code, vendor data) are binary until the
// DHCPv6 codec reads them.
constexpr std::array kDhcp6Table = {
    v6(1, "clientid", T::binary, 3, 130),                     // §21.2: DUID of 2 + 1..128 bytes
    v6(2, "serverid", T::binary, 3, 130),                     // §21.3: DUID
    v6(3, "ia-na", T::binary, 12, kNoLimit),                  // §21.4: IAID, T1, T2, options
    v6(4, "ia-ta", T::binary, 4, kNoLimit),                   // §21.5: IAID, options
    v6(5, "iaaddr", T::binary, 24, kNoLimit),                 // §21.6: address, lifetimes, options
    v6(6, "oro", T::u16_list, 0, kNoLimit),                   // §21.7: codes; none is allowed
    v6(7, "preference", T::u8, 1, 1),                         // §21.8
    v6(8, "elapsed-time", T::u16, 2, 2),                      // §21.9: hundredths of a second
    v6(9, "relay-msg", T::binary, 4, kNoLimit),               // §21.10: a message: type, xid, ...
    v6(11, "auth", T::binary, 11, kNoLimit),                  // §21.11: 11 bytes of header, info
    v6(12, "unicast", T::ipv6, 16, 16),                       // §21.12
    v6(13, "status-code", T::binary, 2, kNoLimit),            // §21.13: code, UTF-8 message
    v6(14, "rapid-commit", T::empty, 0, 0),                   // §21.14
    v6(15, "user-class", T::binary, 2, kNoLimit),             // §21.15: length-prefixed items
    v6(16, "vendor-class", T::binary, 4, kNoLimit),           // §21.16: enterprise, items
    v6(17, "vendor-opts", T::binary, 4, kNoLimit),            // §21.17: enterprise, options
    v6(18, "interface-id", T::binary, 1, kNoLimit),           // §21.18
    v6(19, "reconf-msg", T::u8, 1, 1),                        // §21.19: message type to send
    v6(20, "reconf-accept", T::empty, 0, 0),                  // §21.20
    v6(21, "sip-server-dns", T::domain_list, 1, kNoLimit),    // RFC 3319
    v6(22, "sip-server-addr", T::ipv6_list, 16, kNoLimit),    // RFC 3319
    v6(23, "dns-servers", T::ipv6_list, 16, kNoLimit),        // RFC 3646
    v6(24, "domain-search", T::domain_list, 1, kNoLimit),     // RFC 3646
    v6(25, "ia-pd", T::binary, 12, kNoLimit),                 // §21.21: IAID, T1, T2, options
    v6(26, "iaprefix", T::binary, 25, kNoLimit),              // §21.22: lifetimes, prefix, options
    v6(31, "sntp-servers", T::ipv6_list, 16, kNoLimit),       // RFC 4075
    v6(32, "information-refresh-time", T::u32, 4, 4),         // §21.23
    v6(39, "client-fqdn", T::fqdn, 1, kNoLimit),              // RFC 4704: flags, name or none
    v6(56, "ntp-server", T::binary, 4, kNoLimit),             // RFC 5908: suboptions
    v6(79, "client-linklayer-addr", T::binary, 3, kNoLimit),  // RFC 6939: type, address
    v6(82, "solmax-rt", T::u32, 4, 4),                        // §21.24
    v6(83, "inf-max-rt", T::u32, 4, 4),                       // §21.25
};
// clang-format on

// The tables are the one source of truth; keep them sorted so lookups can
// bisect, and each row in its own space.
template <size_t N>
constexpr bool well_ordered(const std::array<OptionDef, N>& table, OptionSpace space) {
  for (size_t i = 0; i < N; ++i) {
    if (table[i].space != space) return false;
    if (i > 0 && table[i - 1].code >= table[i].code) return false;
  }
  return true;
}
static_assert(well_ordered(kDhcp4Table, OptionSpace::dhcp4), "dhcp4 table: sorted, unique codes");
static_assert(well_ordered(kDhcp6Table, OptionSpace::dhcp6), "dhcp6 table: sorted, unique codes");

// The most bytes a value can have on the wire: DHCPv4 concatenates
// instances without bound (RFC 3396); DHCPv6's option-len is 16 bits.
size_t wire_max(OptionSpace space) {
  return space == OptionSpace::dhcp6 ? size_t{0xffff} : std::numeric_limits<size_t>::max();
}

// Bytes per element for list types whose values must be a whole number of
// elements; 1 when any length is fine.
size_t granularity(OptionType t) {
  switch (t) {
    case T::ipv4_list:
      return 4;
    case T::ipv4_pairs:
      return 8;
    case T::ipv6_list:
      return 16;
    case T::u16_list:
      return 2;
    default:
      return 1;
  }
}

// The client FQDN option's flags byte; DHCPv4's is followed by the two
// deprecated RCODE bytes (RFC 4702 §2), DHCPv6's by the name (RFC 4704 §4).
size_t fqdn_header(OptionSpace space) { return space == OptionSpace::dhcp4 ? 3 : 1; }
// RFC 4702 §2.1: E set means the name is in wire format, else ASCII.
// DHCPv6 has only the wire format.
constexpr uint8_t kFqdn4FlagE = 0x04;

Result<std::string> fqdn_name(OptionSpace space, ByteView value) {
  if (value.size() < fqdn_header(space)) return make_error(Errc::truncated, "client fqdn header");
  const bool wire = space == OptionSpace::dhcp6 || (value[0] & kFqdn4FlagE) != 0;
  return decode_fqdn_name(value.subspan(fqdn_header(space)), wire);
}

uint16_t load_u16(ByteView v, size_t at) { return static_cast<uint16_t>(v[at] << 8 | v[at + 1]); }
uint32_t load_u32(ByteView v, size_t at) {
  return static_cast<uint32_t>(v[at]) << 24 | static_cast<uint32_t>(v[at + 1]) << 16 |
         static_cast<uint32_t>(v[at + 2]) << 8 | v[at + 3];
}
void store_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void store_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// ---- text forms ----

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on ',' and trims each element; "" gives no elements.
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> parts;
  if (trim(text).empty()) return parts;
  while (true) {
    size_t comma = text.find(',');
    parts.push_back(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return parts;
}

std::optional<uint32_t> parse_unsigned(std::string_view text, uint32_t max) {
  if (text.empty()) return std::nullopt;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return std::nullopt;
  return v;
}

template <class F>
std::string join(size_t count, F&& element) {
  std::string s;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) s.push_back(',');
    s += element(i);
  }
  return s;
}

}  // namespace

std::span<const OptionDef> option_table(OptionSpace space) {
  if (space == OptionSpace::dhcp6) return kDhcp6Table;
  return kDhcp4Table;
}

const OptionDef* find_option(OptionSpace space, uint16_t code) {
  const auto table = option_table(space);
  auto it = std::lower_bound(table.begin(), table.end(), code,
                             [](const OptionDef& d, uint16_t c) { return d.code < c; });
  if (it == table.end() || it->code != code) return nullptr;
  return &*it;
}

const OptionDef* find_option(OptionSpace space, std::string_view name) {
  for (const OptionDef& d : option_table(space)) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool valid_option_value(OptionSpace space, uint16_t code, ByteView value) {
  if (value.size() > wire_max(space)) return false;
  const OptionDef* def = find_option(space, code);
  if (def == nullptr) return true;
  if (value.size() < def->min_length) return false;
  if (def->max_length != kNoLengthLimit && value.size() > def->max_length) return false;
  return value.size() % granularity(def->type) == 0;
}

std::string format_option_value(OptionSpace space, uint16_t code, ByteView value) {
  const OptionDef* def = find_option(space, code);
  if (def == nullptr || !valid_option_value(space, code, value)) return to_hex_colon(value);
  switch (def->type) {
    case T::empty:
      return "";
    case T::u8:
      return std::to_string(value[0]);
    case T::u16:
      return std::to_string(load_u16(value, 0));
    case T::u32:
      return std::to_string(load_u32(value, 0));
    case T::boolean:
      if (value[0] > 1) break;
      return value[0] == 1 ? "true" : "false";
    case T::ipv4:
    case T::ipv4_list:
    case T::ipv4_pairs:
      return join(value.size() / 4, [&](size_t i) {
        return Ipv4Address::from_bytes(value.subspan(i * 4)).to_string();
      });
    case T::ipv6:
    case T::ipv6_list:
      return join(value.size() / 16, [&](size_t i) {
        return Ipv6Address::from_bytes(value.subspan(i * 16)).to_string();
      });
    case T::u8_list:
      return join(value.size(), [&](size_t i) { return std::to_string(value[i]); });
    case T::u16_list:
      return join(value.size() / 2,
                  [&](size_t i) { return std::to_string(load_u16(value, i * 2)); });
    case T::text:
      return std::string(value.begin(), value.end());
    case T::binary:
      return to_hex_colon(value);
    case T::fqdn: {
      auto name = fqdn_name(space, value);
      if (!name || name->empty()) break;
      return *name;
    }
    case T::domain_list: {
      auto names = decode_domain_list(value, /*allow_pointers=*/space == OptionSpace::dhcp4);
      if (!names) break;
      return join(names->size(), [&](size_t i) { return (*names)[i]; });
    }
  }
  // A value of the right length that the type still rejects.
  return to_hex_colon(value);
}

Result<Bytes> parse_option_value(OptionSpace space, uint16_t code, std::string_view text) {
  const OptionDef* def = find_option(space, code);
  Bytes out;
  const OptionType type = def != nullptr ? def->type : T::binary;
  switch (type) {
    case T::empty:
      if (!trim(text).empty()) return make_error(Errc::malformed, "option takes no value");
      break;
    case T::u8:
    case T::u16:
    case T::u32: {
      const uint32_t max = type == T::u8 ? 0xffu : type == T::u16 ? 0xffffu : 0xffffffffu;
      auto v = parse_unsigned(trim(text), max);
      if (!v) return make_error(Errc::malformed, "expected an unsigned decimal number in range");
      if (type == T::u8) out.push_back(static_cast<uint8_t>(*v));
      if (type == T::u16) store_u16(out, static_cast<uint16_t>(*v));
      if (type == T::u32) store_u32(out, *v);
      break;
    }
    case T::boolean: {
      std::string_view t = trim(text);
      if (t == "true") {
        out.push_back(1);
      } else if (t == "false") {
        out.push_back(0);
      } else {
        return make_error(Errc::malformed, "expected true or false");
      }
      break;
    }
    case T::ipv4:
    case T::ipv4_list:
    case T::ipv4_pairs:
      for (std::string_view part : split_list(text)) {
        auto a = Ipv4Address::parse(part);
        if (!a) return make_error(Errc::malformed, "expected dotted-quad IPv4 addresses");
        auto b = a->to_bytes();
        out.insert(out.end(), b.begin(), b.end());
      }
      break;
    case T::ipv6:
    case T::ipv6_list:
      for (std::string_view part : split_list(text)) {
        auto a = Ipv6Address::parse(part);
        if (!a) return make_error(Errc::malformed, "expected IPv6 addresses");
        const auto& b = a->to_bytes();
        out.insert(out.end(), b.begin(), b.end());
      }
      break;
    case T::u8_list:
    case T::u16_list:
      for (std::string_view part : split_list(text)) {
        auto v = parse_unsigned(part, type == T::u8_list ? 0xffu : 0xffffu);
        if (!v) return make_error(Errc::malformed, "expected unsigned decimal numbers in range");
        if (type == T::u8_list) {
          out.push_back(static_cast<uint8_t>(*v));
        } else {
          store_u16(out, static_cast<uint16_t>(*v));
        }
      }
      break;
    case T::text:
      out.assign(text.begin(), text.end());
      break;
    case T::binary: {
      auto bytes = parse_hex_colon(trim(text));
      if (!bytes) return make_error(Errc::malformed, "expected colon-separated hex bytes");
      out = std::move(*bytes);
      break;
    }
    case T::fqdn: {
      std::string_view name = trim(text);
      if (space == OptionSpace::dhcp4) {
        out = {kFqdn4FlagE, 0, 0};
      } else {
        out = {0};
      }
      if (!append_wire_name(name, out)) return make_error(Errc::malformed, "bad domain name");
      break;
    }
    case T::domain_list:
      // Written without compression in either space; DHCPv4 decoders
      // handle both, DHCPv6 forbids compression (RFC 8415 §10).
      for (std::string_view name : split_list(text)) {
        if (!append_wire_name(name, out)) return make_error(Errc::malformed, "bad domain name");
      }
      break;
  }
  if (!valid_option_value(space, code, out)) {
    return make_error(Errc::malformed, "value length not allowed for this option");
  }
  return out;
}

}  // namespace berth
