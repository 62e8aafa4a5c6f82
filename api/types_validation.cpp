// Validators of the control API's values (types.hpp), shared by the
// router's request decoders and berthctl's options.
#include <algorithm>
#include <cstdio>

#include "api/types.hpp"
#include "protocol/dhcp6/options.hpp"

namespace berth::api {

namespace {

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string quote_text(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_ascii_alnum(c) || c == '-'; });
}

std::optional<std::string> dns_label_problem(std::string_view what, std::string_view s) {
  if (is_dns_label(s)) return std::nullopt;
  return std::string(what) + " " + quote_text(s) +
         " is not a DNS label: letters, digits and '-', 1 to 63 of them, not starting or "
         "ending with '-'";
}

std::optional<std::string> interface_name_problem(std::string_view what, std::string_view s) {
  // IFNAMSIZ is 16 including the terminating NUL.
  constexpr size_t kMaxLength = 15;
  if (s.empty()) return std::string(what) + " is empty; it must name a bridge";
  if (s.size() > kMaxLength) {
    return std::string(what) + " " + quote_text(s) + " is " + std::to_string(s.size()) +
           " bytes long; a Linux interface name has at most 15";
  }
  if (s == "." || s == "..")
    return std::string(what) + " " + quote_text(s) + " is not an interface name";
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    // The kernel's isspace() also counts 0xa0 (Latin-1 no-break space).
    const bool space = c == ' ' || (byte >= 0x09 && byte <= 0x0d) || byte == 0xa0;
    if (c == '/' || c == ':' || c == '\0' || space) {
      return std::string(what) + " " + quote_text(s) + " contains " +
             quote_text(std::string_view(&c, 1)) +
             ", which Linux does not allow in an interface name";
    }
  }
  return std::nullopt;
}

std::optional<std::string> reservable_ipv6_problem(std::string_view what, std::string_view s) {
  auto ip = Ipv6Address::parse(s);
  if (!ip) {
    return std::string(what) + " " + quote_text(s) + " is not an IPv6 address like fd42:1:2:3::10";
  }
  if (ip->is_unspecified() || ip->is_multicast() || ip->is_link_local() ||
      *ip == Ipv6Address::loopback()) {
    return std::string(what) + " " + quote_text(s) +
           " cannot be given to a client: reserve an address of the bridge's prefix";
  }
  return std::nullopt;
}

std::optional<std::string> duid_problem(std::string_view what, std::string_view s) {
  auto bytes = parse_hex_colon(s);
  if (!bytes) {
    return std::string(what) + " " + quote_text(s) +
           " is not hex bytes separated by ':' like 00:03:00:01:00:16:3e:aa:bb:cc";
  }
  if (auto duid = dhcp6::parse_duid(*bytes); !duid) {
    return std::string(what) + " " + quote_text(s) +
           " is not a DUID (RFC 8415 section 11): " + std::string(duid.error().what);
  }
  return std::nullopt;
}

std::optional<std::string> client_id_problem(std::string_view what, std::string_view s) {
  // RFC 2132 §9.14: the option's length is one byte.
  constexpr size_t kMaxLength = 255;
  if (s.empty()) return std::string(what) + " is empty; a client identifier has 1 to 255 bytes";
  auto bytes = parse_hex_colon(s);
  if (!bytes) {
    return std::string(what) + " " + quote_text(s) +
           " is not hex bytes separated by ':' like 01:00:16:3e:aa:bb:cc";
  }
  if (bytes->size() > kMaxLength) {
    return std::string(what) + " is " + std::to_string(bytes->size()) +
           " bytes long; a client identifier has at most 255";
  }
  return std::nullopt;
}

std::optional<std::string> mac_problem(std::string_view what, std::string_view s) {
  auto mac = MacAddress::parse(s);
  if (!mac)
    return std::string(what) + " " + quote_text(s) + " is not a MAC address like 00:16:3e:aa:bb:cc";
  if (mac->is_zero() || *mac == MacAddress::broadcast()) {
    return std::string(what) + " is " + mac->to_string() + ", which no client has";
  }
  return std::nullopt;
}

std::optional<std::string> reservable_ip_problem(std::string_view what, std::string_view s) {
  auto ip = Ipv4Address::parse(s);
  if (!ip)
    return std::string(what) + " " + quote_text(s) + " is not an IPv4 address like 10.0.3.10";
  if (ip->is_unspecified() || *ip == Ipv4Address::broadcast()) {
    return std::string(what) + " is " + ip->to_string() + ", which cannot be given to a client";
  }
  return std::nullopt;
}

std::optional<std::string> unicast_mac_problem(std::string_view what, std::string_view s) {
  auto mac = MacAddress::parse(s);
  if (!mac)
    return std::string(what) + " " + quote_text(s) + " is not a MAC address like 00:16:3e:aa:bb:cc";
  if (mac->is_zero()) return std::string(what) + " is 00:00:00:00:00:00, which no interface has";
  // IEEE 802: the least significant bit of the first byte marks a group address.
  if (mac->bytes()[0] & 0x01) {
    return std::string(what) + " is " + mac->to_string() +
           ", a multicast address; an interface needs a unicast one (an even first byte)";
  }
  return std::nullopt;
}

std::optional<std::string> netns_name_problem(std::string_view what, std::string_view s) {
  // NAME_MAX: the name is a file in /run/netns.
  constexpr size_t kMaxLength = 255;
  if (s.empty()) return std::string(what) + " is empty; it must name a network namespace";
  if (s.size() > kMaxLength) {
    return std::string(what) + " is " + std::to_string(s.size()) +
           " bytes long; a namespace name has at most 255";
  }
  if (s == "." || s == "..") {
    return std::string(what) + " " + quote_text(s) + " is not a namespace name";
  }
  for (char c : s) {
    if (c == '/' || c == '\0') {
      return std::string(what) + " " + quote_text(s) + " contains " +
             quote_text(std::string_view(&c, 1)) +
             "; give a name as `ip netns list` shows it (a file in /run/netns), not a path";
    }
  }
  return std::nullopt;
}

std::optional<std::string> forward_target_problem(std::string_view what, std::string_view s) {
  if (Ipv4Address::parse(s)) return reservable_ip_problem(what, s);
  if (is_dns_label(s)) return std::nullopt;
  return std::string(what) + " " + quote_text(s) +
         " is neither an IPv4 address like 10.0.3.10 nor a container name (a DNS label: "
         "letters, digits and '-', 1 to 63 of them, not starting or ending with '-')";
}

std::optional<std::string> forward_host_address_problem(std::string_view what, std::string_view s) {
  auto ip = Ipv4Address::parse(s);
  if (!ip) {
    return std::string(what) + " " + quote_text(s) + " is not an IPv4 address like 192.0.2.10";
  }
  if (*ip == Ipv4Address::broadcast() || (ip->value() >> 28) == 0xe) {
    return std::string(what) + " is " + ip->to_string() +
           ", which is not an address of the host; give one of its unicast addresses, or none "
           "for all of them";
  }
  return std::nullopt;
}

}  // namespace berth::api
