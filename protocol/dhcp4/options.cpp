#include "protocol/dhcp4/options.hpp"

#include <algorithm>

#include "protocol/option_domain.hpp"

namespace berth::dhcp4 {
namespace {

// Room made at the first option: a reply carries about this many, and a
// vector grown one by one would move them four times on the way.
constexpr size_t kTypicalCount = 16;

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

}  // namespace

// ---- OptionList ----

void OptionList::set(uint8_t code, Bytes value) {
  for (auto& [c, v] : entries_) {
    if (c == code) {
      v = std::move(value);
      return;
    }
  }
  if (entries_.empty()) entries_.reserve(kTypicalCount);
  entries_.emplace_back(code, std::move(value));
}

void OptionList::append(uint8_t code, ByteView value) {
  for (auto& [c, v] : entries_) {
    if (c == code) {
      v.insert(v.end(), value.begin(), value.end());
      return;
    }
  }
  if (entries_.empty()) entries_.reserve(kTypicalCount);
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
  // RFC 4702 §2.3.1: canonical wire format without compression when E is
  // set (a partial name stops without the root label), else the deprecated
  // ASCII form, where some clients add a NUL or a final dot.
  auto name = decode_fqdn_name(value.subspan(3), (out.flags & ClientFqdn::kFlagE) != 0);
  if (!name) return name.error();
  out.name = std::move(*name);
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
    if (label.size() > kMaxDomainLabel) label = label.substr(0, kMaxDomainLabel);
    if (wire_length + 1 + label.size() > kMaxDomainWireName) break;
    wire_length += 1 + label.size();
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    any = true;
  }
  if (any) out.push_back(0);
  return out;
}

}  // namespace berth::dhcp4
