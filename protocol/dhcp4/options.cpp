#include "protocol/dhcp4/options.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace berth::dhcp4 {
namespace {

using T = OptionType;

// max_length 255 means "no limit below the wire's": RFC 3396 lets a value
// run past 255 bytes by concatenation.
constexpr uint8_t kNoLimit = 255;

// RFC 2132 unless noted. Names follow Kea's standard option definitions.
// One row per line, easier to scan than clang-format's packing.
// clang-format off
constexpr std::array kOptionTable = {
    OptionDef{1, "subnet-mask", T::ipv4, 4, 4},
    OptionDef{2, "time-offset", T::u32, 4, 4},  // signed seconds east of UTC, printed unsigned
    OptionDef{3, "routers", T::ipv4_list, 4, kNoLimit},
    OptionDef{4, "time-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{5, "name-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{6, "domain-name-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{7, "log-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{8, "cookie-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{9, "lpr-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{10, "impress-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{11, "resource-location-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{12, "host-name", T::text, 1, kNoLimit},
    OptionDef{13, "boot-size", T::u16, 2, 2},
    OptionDef{14, "merit-dump", T::text, 1, kNoLimit},
    OptionDef{15, "domain-name", T::text, 1, kNoLimit},
    OptionDef{16, "swap-server", T::ipv4, 4, 4},
    OptionDef{17, "root-path", T::text, 1, kNoLimit},
    OptionDef{18, "extensions-path", T::text, 1, kNoLimit},
    OptionDef{19, "ip-forwarding", T::boolean, 1, 1},
    OptionDef{20, "non-local-source-routing", T::boolean, 1, 1},
    OptionDef{21, "policy-filter", T::ipv4_pairs, 8, kNoLimit},
    OptionDef{22, "max-dgram-reassembly", T::u16, 2, 2},
    OptionDef{23, "default-ip-ttl", T::u8, 1, 1},
    OptionDef{24, "path-mtu-aging-timeout", T::u32, 4, 4},
    OptionDef{25, "path-mtu-plateau-table", T::u16_list, 2, kNoLimit},
    OptionDef{26, "interface-mtu", T::u16, 2, 2},
    OptionDef{27, "all-subnets-local", T::boolean, 1, 1},
    OptionDef{28, "broadcast-address", T::ipv4, 4, 4},
    OptionDef{29, "perform-mask-discovery", T::boolean, 1, 1},
    OptionDef{30, "mask-supplier", T::boolean, 1, 1},
    OptionDef{31, "router-discovery", T::boolean, 1, 1},
    OptionDef{32, "router-solicitation-address", T::ipv4, 4, 4},
    OptionDef{33, "static-routes", T::ipv4_pairs, 8, kNoLimit},
    OptionDef{34, "trailer-encapsulation", T::boolean, 1, 1},
    OptionDef{35, "arp-cache-timeout", T::u32, 4, 4},
    OptionDef{36, "ieee802-3-encapsulation", T::boolean, 1, 1},
    OptionDef{37, "default-tcp-ttl", T::u8, 1, 1},
    OptionDef{38, "tcp-keepalive-interval", T::u32, 4, 4},
    OptionDef{39, "tcp-keepalive-garbage", T::boolean, 1, 1},
    OptionDef{40, "nis-domain", T::text, 1, kNoLimit},
    OptionDef{41, "nis-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{42, "ntp-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{43, "vendor-encapsulated-options", T::binary, 1, kNoLimit},
    OptionDef{44, "netbios-name-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{45, "netbios-dd-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{46, "netbios-node-type", T::u8, 1, 1},
    OptionDef{47, "netbios-scope", T::text, 1, kNoLimit},
    OptionDef{48, "font-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{49, "x-display-manager", T::ipv4_list, 4, kNoLimit},
    OptionDef{50, "dhcp-requested-address", T::ipv4, 4, 4},
    OptionDef{51, "dhcp-lease-time", T::u32, 4, 4},
    OptionDef{52, "dhcp-option-overload", T::u8, 1, 1},
    OptionDef{53, "dhcp-message-type", T::u8, 1, 1},
    OptionDef{54, "dhcp-server-identifier", T::ipv4, 4, 4},
    OptionDef{55, "dhcp-parameter-request-list", T::u8_list, 1, kNoLimit},
    OptionDef{56, "dhcp-message", T::text, 1, kNoLimit},
    OptionDef{57, "dhcp-max-message-size", T::u16, 2, 2},
    OptionDef{58, "dhcp-renewal-time", T::u32, 4, 4},
    OptionDef{59, "dhcp-rebinding-time", T::u32, 4, 4},
    OptionDef{60, "vendor-class-identifier", T::text, 1, kNoLimit},
    OptionDef{61, "dhcp-client-identifier", T::binary, 2, kNoLimit},
    OptionDef{62, "nwip-domain-name", T::text, 1, kNoLimit},
    OptionDef{63, "nwip-suboptions", T::binary, 1, kNoLimit},
    OptionDef{64, "nisplus-domain-name", T::text, 1, kNoLimit},
    OptionDef{65, "nisplus-servers", T::ipv4_list, 4, kNoLimit},
    OptionDef{66, "tftp-server-name", T::text, 1, kNoLimit},
    OptionDef{67, "boot-file-name", T::text, 1, kNoLimit},
    // RFC 2132 §8.11: zero addresses is valid (no home agent available).
    OptionDef{68, "mobile-ip-home-agent", T::ipv4_list, 0, kNoLimit},
    OptionDef{69, "smtp-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{70, "pop-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{71, "nntp-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{72, "www-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{73, "finger-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{74, "irc-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{75, "streettalk-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{76, "streettalk-directory-assistance-server", T::ipv4_list, 4, kNoLimit},
    OptionDef{77, "user-class", T::binary, 1, kNoLimit},                  // RFC 3004
    OptionDef{80, "rapid-commit", T::empty, 0, 0},                        // RFC 4039
    OptionDef{81, "fqdn", T::fqdn, 3, kNoLimit},                          // RFC 4702
    OptionDef{82, "dhcp-agent-options", T::binary, 2, kNoLimit},          // RFC 3046
    OptionDef{93, "client-system", T::binary, 2, kNoLimit},               // RFC 4578
    OptionDef{94, "client-ndi", T::binary, 3, 3},                         // RFC 4578
    OptionDef{97, "uuid-guid", T::binary, 1, kNoLimit},                   // RFC 4578
    OptionDef{118, "subnet-selection", T::ipv4, 4, 4},                    // RFC 3011
    OptionDef{119, "domain-search", T::domain_list, 1, kNoLimit},         // RFC 3397
    OptionDef{121, "classless-static-route", T::binary, 5, kNoLimit},     // RFC 3442
    OptionDef{249, "ms-classless-static-route", T::binary, 5, kNoLimit},  // Microsoft's 121
    OptionDef{252, "wpad", T::text, 1, kNoLimit},  // Web Proxy Auto-Discovery URL
};
// clang-format on

// The table is the one source of truth; keep it sorted so lookups can bisect.
constexpr bool table_sorted_and_unique() {
  for (size_t i = 1; i < kOptionTable.size(); ++i) {
    if (kOptionTable[i - 1].code >= kOptionTable[i].code) return false;
  }
  return true;
}
static_assert(table_sorted_and_unique(), "option table must be sorted by code, codes unique");

// Bytes per element for list types whose values must be a whole number of
// elements; 1 when any length is fine.
size_t granularity(OptionType t) {
  switch (t) {
    case T::ipv4_list:
      return 4;
    case T::ipv4_pairs:
      return 8;
    case T::u16_list:
      return 2;
    default:
      return 1;
  }
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

// ---- domain names (RFC 1035 §3.1, §4.1.4) ----

constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxWireName = 255;

// Label bytes berth accepts in names it prints: printable ASCII other than
// the separators of the text forms ('.' between labels, ',' between names).
bool printable_label_byte(uint8_t c) { return c > 0x20 && c < 0x7f && c != '.' && c != ','; }

enum class LabelBytes {
  printable,    // printable_label_byte: names that go into comma-separated lists
  any_but_dot,  // only '.' is refused, since the dotted form could not hold it
};

// Appends `name` ("a.b.c", optional trailing dot) in wire format with the
// root label. False when a label is empty, too long or holds a byte that
// could not be printed back.
bool append_wire_name(std::string_view name, Bytes& out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return false;
  size_t wire_length = 1;
  while (true) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabel) return false;
    for (char c : label) {
      if (!printable_label_byte(static_cast<uint8_t>(c))) return false;
    }
    wire_length += 1 + label.size();
    if (wire_length > kMaxWireName) return false;
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name = name.substr(dot + 1);
  }
  out.push_back(0);
  return true;
}

struct DecodedName {
  std::string name;
  size_t next = 0;        // offset just past the name where it started
  bool complete = false;  // ended with the root label
};

// Reads one name at `at`. Pointers are followed when `allow_pointers`. The
// first must point before itself and each later one before the previous
// target (RFC 1035 §4.1.4: "a prior occurrence"), so targets strictly
// decrease and a loop or forward reference is rejected instead of followed.
Result<DecodedName> decode_name(ByteView data, size_t at, bool allow_pointers, LabelBytes allowed) {
  DecodedName out;
  bool jumped = false;
  size_t pos = at;
  size_t bound = 0;  // every target must be below this
  size_t wire_length = 1;
  while (true) {
    if (pos >= data.size()) {
      // A name may stop without a root label only when pointers are not in
      // play (RFC 4702 partial names); callers decide if that is allowed.
      if (jumped) return make_error(Errc::truncated, "domain name pointer past end");
      out.next = pos;
      out.complete = false;
      return out;
    }
    const uint8_t len = data[pos];
    if (len == 0) {
      if (!jumped) out.next = pos + 1;
      out.complete = true;
      return out;
    }
    if ((len & 0xc0) == 0xc0) {
      if (!allow_pointers) return make_error(Errc::malformed, "compression pointer not allowed");
      if (pos + 1 >= data.size()) return make_error(Errc::truncated, "compression pointer");
      const size_t target = static_cast<size_t>(len & 0x3f) << 8 | data[pos + 1];
      if (!jumped) {
        out.next = pos + 2;
        bound = pos;
      }
      if (target >= bound) return make_error(Errc::malformed, "compression pointer loop");
      jumped = true;
      bound = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) return make_error(Errc::malformed, "domain label type");
    if (len > data.size() - pos - 1) return make_error(Errc::truncated, "domain label past end");
    wire_length += 1 + len;
    if (wire_length > kMaxWireName) return make_error(Errc::malformed, "domain name too long");
    if (!out.name.empty()) out.name.push_back('.');
    for (size_t i = 0; i < len; ++i) {
      const uint8_t c = data[pos + 1 + i];
      const bool good = allowed == LabelBytes::printable ? printable_label_byte(c) : c != '.';
      if (!good) return make_error(Errc::malformed, "domain label byte");
      out.name.push_back(static_cast<char>(c));
    }
    pos += 1 + len;
  }
}

// RFC 3397: a sequence of names, compressed against the whole (concatenated)
// option value.
Result<std::vector<std::string>> decode_domain_list(ByteView data) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < data.size()) {
    auto name = decode_name(data, pos, /*allow_pointers=*/true, LabelBytes::printable);
    if (!name) return name.error();
    if (!name->complete) return make_error(Errc::truncated, "domain search name past end");
    if (name->name.empty()) return make_error(Errc::malformed, "empty domain search name");
    names.push_back(std::move(name->name));
    pos = name->next;
  }
  if (names.empty()) return make_error(Errc::malformed, "empty domain search list");
  return names;
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

std::string_view to_string(OptionType t) {
  switch (t) {
    case T::empty:
      return "empty";
    case T::u8:
      return "u8";
    case T::u16:
      return "u16";
    case T::u32:
      return "u32";
    case T::boolean:
      return "boolean";
    case T::ipv4:
      return "ipv4";
    case T::ipv4_list:
      return "ipv4-list";
    case T::ipv4_pairs:
      return "ipv4-pairs";
    case T::u8_list:
      return "u8-list";
    case T::u16_list:
      return "u16-list";
    case T::text:
      return "text";
    case T::binary:
      return "binary";
    case T::fqdn:
      return "fqdn";
    case T::domain_list:
      return "domain-list";
  }
  return "unknown";
}

std::span<const OptionDef> option_table() { return kOptionTable; }

const OptionDef* find_option(uint8_t code) {
  auto it = std::lower_bound(kOptionTable.begin(), kOptionTable.end(), code,
                             [](const OptionDef& d, uint8_t c) { return d.code < c; });
  if (it == kOptionTable.end() || it->code != code) return nullptr;
  return &*it;
}

const OptionDef* find_option(std::string_view name) {
  for (const OptionDef& d : kOptionTable) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool valid_option_value(uint8_t code, ByteView value) {
  const OptionDef* def = find_option(code);
  if (def == nullptr) return true;
  if (value.size() < def->min_length) return false;
  if (def->max_length != kNoLimit && value.size() > def->max_length) return false;
  return value.size() % granularity(def->type) == 0;
}

std::string format_option_value(uint8_t code, ByteView value) {
  const OptionDef* def = find_option(code);
  if (def == nullptr || !valid_option_value(code, value)) return to_hex_colon(value);
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
      auto fqdn = parse_client_fqdn(value);
      if (!fqdn || fqdn->name.empty()) break;
      return fqdn->name;
    }
    case T::domain_list: {
      auto names = decode_domain_list(value);
      if (!names) break;
      return join(names->size(), [&](size_t i) { return (*names)[i]; });
    }
  }
  // A value of the right length that the type still rejects.
  return to_hex_colon(value);
}

Result<Bytes> parse_option_value(uint8_t code, std::string_view text) {
  const OptionDef* def = find_option(code);
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
      out = {ClientFqdn::kFlagE, 0, 0};
      if (!append_wire_name(name, out)) return make_error(Errc::malformed, "bad domain name");
      break;
    }
    case T::domain_list:
      // Written without compression; decoders handle both.
      for (std::string_view name : split_list(text)) {
        if (!append_wire_name(name, out)) return make_error(Errc::malformed, "bad domain name");
      }
      break;
  }
  if (!valid_option_value(code, out)) {
    return make_error(Errc::malformed, "value length not allowed for this option");
  }
  return out;
}

// ---- OptionList ----

void OptionList::set(uint8_t code, Bytes value) {
  for (auto& [c, v] : entries_) {
    if (c == code) {
      v = std::move(value);
      return;
    }
  }
  entries_.emplace_back(code, std::move(value));
}

void OptionList::append(uint8_t code, ByteView value) {
  for (auto& [c, v] : entries_) {
    if (c == code) {
      v.insert(v.end(), value.begin(), value.end());
      return;
    }
  }
  entries_.emplace_back(code, Bytes(value.begin(), value.end()));
}

void OptionList::erase(uint8_t code) {
  std::erase_if(entries_, [code](const auto& e) { return e.first == code; });
}

const Bytes* OptionList::get(uint8_t code) const {
  for (const auto& [c, v] : entries_) {
    if (c == code) return &v;
  }
  return nullptr;
}

void OptionList::set_u8(uint8_t code, uint8_t v) { set(code, Bytes{v}); }

void OptionList::set_u16(uint8_t code, uint16_t v) {
  Bytes b;
  store_u16(b, v);
  set(code, std::move(b));
}

void OptionList::set_u32(uint8_t code, uint32_t v) {
  Bytes b;
  store_u32(b, v);
  set(code, std::move(b));
}

void OptionList::set_ipv4(uint8_t code, Ipv4Address a) {
  auto b = a.to_bytes();
  set(code, Bytes(b.begin(), b.end()));
}

void OptionList::set_ipv4_list(uint8_t code, std::span<const Ipv4Address> list) {
  Bytes out;
  out.reserve(list.size() * 4);
  for (Ipv4Address a : list) {
    auto b = a.to_bytes();
    out.insert(out.end(), b.begin(), b.end());
  }
  set(code, std::move(out));
}

void OptionList::set_text(uint8_t code, std::string_view s) {
  set(code, Bytes(s.begin(), s.end()));
}

std::optional<uint8_t> OptionList::get_u8(uint8_t code) const {
  const Bytes* v = get(code);
  if (v == nullptr || v->size() != 1) return std::nullopt;
  return (*v)[0];
}

std::optional<uint16_t> OptionList::get_u16(uint8_t code) const {
  const Bytes* v = get(code);
  if (v == nullptr || v->size() != 2) return std::nullopt;
  return load_u16(*v, 0);
}

std::optional<uint32_t> OptionList::get_u32(uint8_t code) const {
  const Bytes* v = get(code);
  if (v == nullptr || v->size() != 4) return std::nullopt;
  return load_u32(*v, 0);
}

std::optional<Ipv4Address> OptionList::get_ipv4(uint8_t code) const {
  const Bytes* v = get(code);
  if (v == nullptr || v->size() != 4) return std::nullopt;
  return Ipv4Address::from_bytes(*v);
}

std::optional<std::vector<Ipv4Address>> OptionList::get_ipv4_list(uint8_t code) const {
  const Bytes* v = get(code);
  if (v == nullptr || v->empty() || v->size() % 4 != 0) return std::nullopt;
  std::vector<Ipv4Address> out;
  out.reserve(v->size() / 4);
  for (size_t i = 0; i < v->size(); i += 4) {
    out.push_back(Ipv4Address::from_bytes(ByteView(*v).subspan(i)));
  }
  return out;
}

std::optional<std::string> OptionList::get_text(uint8_t code) const {
  const Bytes* v = get(code);
  if (v == nullptr) return std::nullopt;
  return std::string(v->begin(), v->end());
}

// ---- client FQDN (RFC 4702) ----

Result<ClientFqdn> parse_client_fqdn(ByteView value) {
  if (value.size() < 3) return make_error(Errc::truncated, "client fqdn shorter than 3 bytes");
  ClientFqdn out;
  out.flags = value[0];
  out.rcode1 = value[1];
  out.rcode2 = value[2];
  ByteView name = value.subspan(3);
  if ((out.flags & ClientFqdn::kFlagE) != 0) {
    // RFC 4702 §2.3.1: canonical wire format, no compression; a partial
    // name simply stops without the root label.
    if (name.empty()) return out;
    auto decoded = decode_name(name, 0, /*allow_pointers=*/false, LabelBytes::any_but_dot);
    if (!decoded) return decoded.error();
    if (decoded->next != name.size()) return make_error(Errc::malformed, "bytes after fqdn name");
    out.name = std::move(decoded->name);
    return out;
  }
  // Deprecated ASCII encoding (§2.3.1); some clients add a NUL or a final dot.
  while (!name.empty() && name.back() == 0) name = name.first(name.size() - 1);
  out.name.assign(name.begin(), name.end());
  if (!out.name.empty() && out.name.back() == '.') out.name.pop_back();
  return out;
}

Bytes encode_client_fqdn(const ClientFqdn& fqdn) {
  Bytes out{static_cast<uint8_t>(fqdn.flags | ClientFqdn::kFlagE), fqdn.rcode1, fqdn.rcode2};
  // A fully qualified name ends with the root label; an empty name stays
  // empty. Empty labels are skipped and labels are cut at 63 bytes, so any
  // string encodes to a well-formed name.
  std::string_view name = fqdn.name;
  size_t wire_length = 1;
  bool any = false;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
    if (label.empty()) continue;
    if (label.size() > kMaxLabel) label = label.substr(0, kMaxLabel);
    if (wire_length + 1 + label.size() > kMaxWireName) break;
    wire_length += 1 + label.size();
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    any = true;
  }
  if (any) out.push_back(0);
  return out;
}

}  // namespace berth::dhcp4
