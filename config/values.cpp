#include "config/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <vector>

namespace berth::config {
namespace {

constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string subnet_text(const Ipv4Prefix& p) {
  return p.network().to_string() + "/" + std::to_string(p.length);
}

constexpr bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

std::string AddressRange::to_string() const { return first.to_string() + "-" + last.to_string(); }

std::optional<uint64_t> parse_lease_time(std::string_view text) {
  if (text == "infinite") return kInfiniteLease;
  // Anything past this many seconds is out of range anyway; stop counting
  // there so the multiplications below cannot overflow.
  constexpr uint64_t kSaturated = UINT64_MAX;
  constexpr uint64_t kCountLimit = uint64_t{1} << 40;
  uint64_t number = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (number < kCountLimit) number = number * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  uint64_t unit = 1;
  if (i < text.size()) {
    if (i + 1 != text.size()) return std::nullopt;
    switch (text[i]) {
      case 's':
      case 'S':
        unit = 1;
        break;
      case 'm':
      case 'M':
        unit = 60;
        break;
      case 'h':
      case 'H':
        unit = 3600;
        break;
      case 'd':
      case 'D':
        unit = 86400;
        break;
      default:
        return std::nullopt;
    }
  }
  if (number >= kCountLimit) return kSaturated;
  return number * unit;
}

std::optional<AddressRange> parse_address_range(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto first = Ipv4Address::parse(trim_blanks(text.substr(0, dash)));
  auto last = Ipv4Address::parse(trim_blanks(text.substr(dash + 1)));
  if (!first || !last) return std::nullopt;
  return AddressRange{*first, *last};
}

std::optional<std::string> interface_name_problem(std::string_view name) {
  // IFNAMSIZ is 16 including the terminating NUL.
  constexpr size_t kMaxLength = 15;
  if (name.empty()) return "interface name is empty";
  if (name.size() > kMaxLength) {
    return "interface name " + quoted(name) + " is " + std::to_string(name.size()) +
           " bytes long; Linux allows at most 15";
  }
  if (name == "." || name == "..") return quoted(name) + " is not a valid interface name";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    // The kernel's isspace() also counts 0xa0 (Latin-1 no-break space).
    const bool space = c == ' ' || (byte >= 0x09 && byte <= 0x0d) || byte == 0xa0;
    if (c == '/' || c == ':' || c == '\0' || space) {
      return "interface name " + quoted(name) + " contains " + quoted(std::string_view(&c, 1)) +
             ", which Linux does not allow";
    }
  }
  return std::nullopt;
}

std::optional<std::string> dns_name_problem(std::string_view domain, std::string_view what,
                                            bool allow_underscore) {
  constexpr size_t kMaxName = 253;  // RFC 1035 §2.3.4, in text form without the root dot
  constexpr size_t kMaxLabel = 63;
  const std::string w(what);
  if (domain.size() > 1 && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return w + " is empty";
  if (domain.size() > kMaxName) {
    return w + " is " + std::to_string(domain.size()) + " bytes long; at most 253 are allowed";
  }
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return w + " " + quoted(domain) + " has an empty label";
    if (label.size() > kMaxLabel) {
      return "label " + quoted(label) + " of " + w + " is longer than 63 bytes";
    }
    for (char c : label) {
      if (!is_ldh(c) && !(allow_underscore && c == '_')) {
        return w + " " + quoted(domain) + " contains " + quoted(std::string_view(&c, 1)) +
               (allow_underscore ? "; only letters, digits, '-', '_' and '.' are allowed"
                                 : "; only letters, digits, '-' and '.' are allowed");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return "label " + quoted(label) + " of " + w + " starts or ends with '-'";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

std::optional<std::string> dns_domain_problem(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') {
    return "domain " + quoted(domain) + " ends with '.'; write it without the final dot";
  }
  return dns_name_problem(domain, "domain", false);
}

std::optional<std::string> dns_label_problem(std::string_view label) {
  if (label.find('.') != std::string_view::npos) {
    return "name " + quoted(label) + " contains '.'; a single label like \"web\" is expected";
  }
  return dns_name_problem(label, "name", false);
}

std::optional<Upstream> parse_upstream(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  Upstream u;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' && rest.front() != '#') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const size_t hash = text.find('#'); hash != std::string_view::npos) {
    host = text.substr(0, hash);
    port = text.substr(hash + 1);
  } else if (const size_t colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || host.size() >= 64) return std::nullopt;
  const std::string h(host);
  unsigned char buf[16];
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) {
    u.ipv6 = false;
  } else if (inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    u.ipv6 = true;
  } else {
    return std::nullopt;
  }
  u.address = h;
  if (!port.empty()) {
    uint32_t p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      p = p * 10 + static_cast<uint32_t>(c - '0');
      if (p > 65535) return std::nullopt;
    }
    if (p == 0) return std::nullopt;
    u.port = static_cast<uint16_t>(p);
  }
  return u;
}

std::string Upstream::to_string() const {
  if (ipv6) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

std::optional<std::string> bridge_address_problem(const Ipv4Prefix& address) {
  if (address.length < kMinPrefixLength || address.length > kMaxPrefixLength) {
    return "prefix length " + std::to_string(address.length) + " is out of range 8..30";
  }
  if (address.address == address.network()) {
    return address.address.to_string() + " is the network address of " + subnet_text(address) +
           "; the bridge needs a host address such as " +
           Ipv4Address(address.network().value() + 1).to_string();
  }
  if (address.address == address.broadcast()) {
    return address.address.to_string() + " is the broadcast address of " + subnet_text(address) +
           "; the bridge needs a host address such as " +
           Ipv4Address(address.network().value() + 1).to_string();
  }
  return std::nullopt;
}

std::optional<std::string> pool_problem(const Ipv4Prefix& address, const AddressRange& pool) {
  if (pool.first > pool.last) {
    return "pool start " + pool.first.to_string() + " is after its end " + pool.last.to_string();
  }
  const std::string text = "pool " + pool.to_string();
  if (!address.contains(pool.first) || !address.contains(pool.last)) {
    return text + " is not inside the subnet " + subnet_text(address);
  }
  if (pool.contains(address.network())) {
    return text + " contains the network address " + address.network().to_string();
  }
  if (pool.contains(address.broadcast())) {
    return text + " contains the broadcast address " + address.broadcast().to_string();
  }
  if (pool.contains(address.address)) {
    return text + " contains the bridge's own address " + address.address.to_string();
  }
  return std::nullopt;
}

AddressRange default_pool(const Ipv4Prefix& address) {
  const uint32_t network = address.network().value();
  const uint32_t broadcast = address.broadcast().value();
  const uint32_t own = address.address.value();
  const uint32_t below = own - network - 1;    // hosts network+1 .. own-1
  const uint32_t above = broadcast - own - 1;  // hosts own+1 .. broadcast-1
  if (above >= below) return {Ipv4Address(own + 1), Ipv4Address(broadcast - 1)};
  return {Ipv4Address(network + 1), Ipv4Address(own - 1)};
}

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  const size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) return limit + 1;
  // Three rolling rows of the optimal-string-alignment table.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    size_t row_min = current[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
      row_min = std::min(row_min, current[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], limit + 1);
}

std::string quoted(std::string_view text, size_t max) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += text[i];
    }
  }
  if (text.size() > max) out += "...";
  out += "'";
  return out;
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace berth::config
