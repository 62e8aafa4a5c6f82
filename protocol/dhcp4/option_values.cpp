#include "protocol/dhcp4/option_values.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "protocol/option_domain.hpp"

namespace berth::dhcp4 {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<uint32_t> parse_unsigned(std::string_view text, uint32_t max) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return std::nullopt;
  return v;
}

std::optional<uint8_t> hex_digit(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return std::nullopt;
}

// "01:02:0a" (one or two digits a byte) or "01020a" (two digits a byte).
std::optional<Bytes> parse_hex(std::string_view text) {
  text = trim(text);
  if (text.find(':') != std::string_view::npos) return parse_hex_colon(text);
  if (text.size() % 2 != 0) return std::nullopt;
  Bytes out;
  for (size_t i = 0; i < text.size(); i += 2) {
    auto hi = hex_digit(text[i]);
    auto lo = hex_digit(text[i + 1]);
    if (!hi || !lo) return std::nullopt;
    out.push_back(static_cast<uint8_t>(*hi << 4 | *lo));
  }
  return out;
}

uint32_t load_be(ByteView v) {
  uint32_t x = 0;
  for (uint8_t b : v) x = x << 8 | b;
  return x;
}

void store_be(Bytes& out, uint32_t v, size_t width) {
  for (size_t i = width; i > 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * (i - 1))));
}

}  // namespace

Result<StaticRoute> parse_static_route(std::string_view text) {
  text = trim(text);
  const size_t via = text.find(" via ");
  if (via == std::string_view::npos) {
    return make_error(Errc::malformed, "expected \"PREFIX via GATEWAY\"");
  }
  auto prefix = Ipv4Prefix::parse(trim(text.substr(0, via)));
  if (!prefix)
    return make_error(Errc::malformed, "destination is not an IPv4 prefix like 10.8.0.0/16");
  if (prefix->address != prefix->network()) {
    return make_error(Errc::malformed, "destination has host bits set");
  }
  auto gateway = Ipv4Address::parse(trim(text.substr(via + 5)));
  if (!gateway) return make_error(Errc::malformed, "gateway is not an IPv4 address");
  return StaticRoute{.destination = *prefix, .gateway = *gateway};
}

std::string format_static_route(const StaticRoute& route) {
  return route.destination.to_string() + " via " + route.gateway.to_string();
}

Bytes encode_classless_routes(std::span<const StaticRoute> routes) {
  Bytes out;
  for (const StaticRoute& r : routes) {
    out.push_back(r.destination.length);
    const auto dest = r.destination.network().to_bytes();
    const size_t significant = (size_t{r.destination.length} + 7) / 8;
    out.insert(out.end(), dest.begin(), dest.begin() + static_cast<std::ptrdiff_t>(significant));
    const auto gw = r.gateway.to_bytes();
    out.insert(out.end(), gw.begin(), gw.end());
  }
  return out;
}

Result<Bytes> encode_domain_search(std::span<const std::string> names) {
  if (names.empty()) return make_error(Errc::malformed, "empty search list");
  Bytes out;
  // Offsets of every suffix written, by its dotted text: a pointer holds 14
  // bits (RFC 1035 §4.1.4), so only suffixes starting below 0x4000 are kept.
  std::map<std::string, uint16_t, std::less<>> written;
  for (const std::string& full : names) {
    std::string_view name = full;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    Bytes wire;
    if (!append_wire_name(name, wire)) {
      return make_error(Errc::malformed, "search domain is not a valid domain name");
    }
    // Write labels until the rest is a suffix already written.
    std::string_view rest = name;
    while (true) {
      if (auto it = written.find(rest); it != written.end()) {
        out.push_back(static_cast<uint8_t>(0xc0 | it->second >> 8));
        out.push_back(static_cast<uint8_t>(it->second & 0xff));
        break;
      }
      if (out.size() < 0x4000)
        written.emplace(std::string(rest), static_cast<uint16_t>(out.size()));
      const size_t dot = rest.find('.');
      const std::string_view label = rest.substr(0, dot);
      out.push_back(static_cast<uint8_t>(label.size()));
      out.insert(out.end(), label.begin(), label.end());
      if (dot == std::string_view::npos) {
        out.push_back(0);
        break;
      }
      rest = rest.substr(dot + 1);
    }
  }
  return out;
}

Result<Bytes> parse_typed_value(ValueType type, std::string_view text) {
  Bytes out;
  switch (type) {
    case ValueType::ip: {
      auto a = Ipv4Address::parse(trim(text));
      if (!a) return make_error(Errc::malformed, "expected an IPv4 address");
      store_be(out, a->value(), 4);
      break;
    }
    case ValueType::ips: {
      std::string_view rest = text;
      while (true) {
        const size_t comma = rest.find(',');
        auto a = Ipv4Address::parse(trim(rest.substr(0, comma)));
        if (!a) return make_error(Errc::malformed, "expected IPv4 addresses separated by ','");
        store_be(out, a->value(), 4);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      break;
    }
    case ValueType::string:
      out.assign(text.begin(), text.end());
      break;
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32: {
      const size_t width = type == ValueType::u8 ? 1 : type == ValueType::u16 ? 2 : 4;
      const uint32_t max = width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
      auto v = parse_unsigned(text, max);
      if (!v) return make_error(Errc::malformed, "expected an unsigned number in range");
      store_be(out, *v, width);
      break;
    }
    case ValueType::boolean: {
      const std::string_view t = trim(text);
      if (t != "true" && t != "false") return make_error(Errc::malformed, "expected true or false");
      out.push_back(t == "true" ? 1 : 0);
      break;
    }
    case ValueType::hex: {
      auto bytes = parse_hex(text);
      if (!bytes) {
        return make_error(Errc::malformed, "expected hex bytes like \"01:02:0a\" or \"01020a\"");
      }
      out = std::move(*bytes);
      break;
    }
  }
  if (out.empty()) return make_error(Errc::malformed, "empty value");
  if (out.size() > kMaxConfiguredValue) {
    return make_error(Errc::malformed, "value longer than 1024 bytes");
  }
  return out;
}

std::string format_typed_value(ValueType type, ByteView value) {
  switch (type) {
    case ValueType::ip:
    case ValueType::ips: {
      if (value.empty() || value.size() % 4 != 0) break;
      std::string s;
      for (size_t i = 0; i < value.size(); i += 4) {
        if (i > 0) s += ",";
        s += Ipv4Address::from_bytes(value.subspan(i)).to_string();
      }
      return s;
    }
    case ValueType::string:
      return std::string(value.begin(), value.end());
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32:
      if (value.empty() || value.size() > 4) break;
      return std::to_string(load_be(value));
    case ValueType::boolean:
      if (value.size() != 1 || value[0] > 1) break;
      return value[0] == 1 ? "true" : "false";
    case ValueType::hex:
      break;
  }
  return to_hex_colon(value);
}

std::optional<std::string_view> reserved_option_problem(uint8_t code) {
  switch (code) {
    case 0:
    case 255:
      return "pad and end are framing, not options";
    case 1:
      return "the subnet mask comes from the bridge address";
    case 50:
    case 55:
    case 57:
    case 61:
    case 80:
    case 81:
    case 82:
      return "only clients and relay agents send it";
    case 51:
    case 58:
    case 59:
      return "lease times come from lease_time";
    case 52:
      return "berth overloads the file and sname fields itself";
    case 53:
      return "berth sets the message type";
    case 54:
      return "the server identifier is the bridge address";
    default:
      return std::nullopt;
  }
}

Result<ConfiguredOption> parse_configured_option(std::string_view text) {
  ConfiguredOption o;
  if (text.starts_with("force:")) {
    o.always = true;
    text.remove_prefix(6);
  }
  const size_t first = text.find(':');
  const size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) {
    return make_error(Errc::malformed, "expected \"[force:]CODE:TYPE:VALUE\"");
  }
  auto code = parse_unsigned(text.substr(0, first), 255);
  if (!code || *code == 0 || *code == 255) {
    return make_error(Errc::malformed, "option code is not a number 1..254");
  }
  o.code = static_cast<uint8_t>(*code);
  if (auto problem = reserved_option_problem(o.code))
    return make_error(Errc::unsupported, *problem);
  auto type = kValueTypeNames.value(text.substr(first + 1, second - first - 1));
  if (!type) {
    return make_error(Errc::malformed,
                      "type is not one of ip, ips, string, u8, u16, u32, bool, hex");
  }
  o.type = *type;
  auto value = parse_typed_value(o.type, text.substr(second + 1));
  if (!value) return value.error();
  o.value = std::move(*value);
  return o;
}

std::string format_configured_option(const ConfiguredOption& o) {
  return std::string(o.always ? "force:" : "") + std::to_string(o.code) + ":" +
         std::string(to_string(o.type)) + ":" + format_typed_value(o.type, o.value);
}

bool class_matches(ClassMatch match, ByteView value, const Bytes* sent) {
  if (sent == nullptr) return false;
  const ByteView got(*sent);
  switch (match) {
    case ClassMatch::vendor_class:
      return got.size() >= value.size() && std::equal(value.begin(), value.end(), got.begin());
    case ClassMatch::user_class: {
      if (std::ranges::equal(got, value)) return true;
      // RFC 3004 §4: a list of (length, data) entries.
      size_t at = 0;
      while (at < got.size()) {
        const size_t len = got[at];
        if (len == 0 || at + 1 + len > got.size()) return false;
        if (std::ranges::equal(got.subspan(at + 1, len), value)) return true;
        at += 1 + len;
      }
      return false;
    }
    case ClassMatch::arch:
      // RFC 4578 §2.1: a list of 16-bit architecture types.
      if (value.size() != 2) return false;
      for (size_t at = 0; at + 2 <= got.size(); at += 2) {
        if (got[at] == value[0] && got[at + 1] == value[1]) return true;
      }
      return false;
  }
  return false;
}

}  // namespace berth::dhcp4
