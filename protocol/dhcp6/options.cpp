#include "protocol/dhcp6/options.hpp"

#include "protocol/option_def.hpp"
#include "protocol/option_domain.hpp"

namespace berth::dhcp6 {
namespace {

void put_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
void put_bytes(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }

// The value's length as the dhcp6 table allows it for `code`.
bool table_allows(uint16_t code, ByteView value) {
  return valid_option_value(OptionSpace::dhcp6, code, value);
}

}  // namespace

// ---- DUID ----

Result<Duid> parse_duid(ByteView value) {
  if (value.size() < 3) return make_error(Errc::truncated, "DUID shorter than 3 bytes");
  if (value.size() > kMaxDuidLength) return make_error(Errc::malformed, "DUID over 130 bytes");
  ByteReader r(value);
  Duid d;
  r.u16(d.type);
  bool ok = true;
  switch (static_cast<DuidType>(d.type)) {
    case DuidType::llt:
      ok = r.u16(d.hardware_type) && r.u32(d.time) && r.remaining() > 0;
      break;
    case DuidType::en:
      ok = r.u32(d.enterprise) && r.remaining() > 0;
      break;
    case DuidType::ll:
      ok = r.u16(d.hardware_type) && r.remaining() > 0;
      break;
    case DuidType::uuid:
      ok = r.remaining() == 16;
      break;
  }
  if (!ok) return make_error(Errc::malformed, "DUID length wrong for its type");
  const ByteView rest = r.rest();
  d.identifier.assign(rest.begin(), rest.end());
  return d;
}

Bytes encode_duid(const Duid& d) {
  Bytes out;
  put_u16(out, d.type);
  switch (static_cast<DuidType>(d.type)) {
    case DuidType::llt:
      put_u16(out, d.hardware_type);
      put_u32(out, d.time);
      break;
    case DuidType::en:
      put_u32(out, d.enterprise);
      break;
    case DuidType::ll:
      put_u16(out, d.hardware_type);
      break;
    case DuidType::uuid:
      break;
  }
  put_bytes(out, d.identifier);
  return out;
}

Bytes make_duid_llt(const MacAddress& mac, int64_t unix_seconds) {
  // §11.2: the time modulo 2^32.
  const auto time = static_cast<uint32_t>(static_cast<uint64_t>(unix_seconds - kDuidEpoch));
  return encode_duid(Duid{.type = static_cast<uint16_t>(DuidType::llt),
                          .hardware_type = kHardwareEthernet,
                          .time = time,
                          .identifier = Bytes(mac.view().begin(), mac.view().end())});
}

Bytes make_duid_ll(const MacAddress& mac) {
  return encode_duid(Duid{.type = static_cast<uint16_t>(DuidType::ll),
                          .hardware_type = kHardwareEthernet,
                          .identifier = Bytes(mac.view().begin(), mac.view().end())});
}

std::optional<MacAddress> duid_mac(ByteView duid) {
  auto d = parse_duid(duid);
  if (!d) return std::nullopt;
  const bool has_link_layer = d->type == static_cast<uint16_t>(DuidType::llt) ||
                              d->type == static_cast<uint16_t>(DuidType::ll);
  if (!has_link_layer || d->hardware_type != kHardwareEthernet || d->identifier.size() != 6) {
    return std::nullopt;
  }
  return MacAddress::from_bytes(d->identifier);
}

// ---- status code ----

Result<Status> parse_status(ByteView value) {
  if (!table_allows(opt::status_code, value)) return make_error(Errc::malformed, "status code");
  Status s;
  s.code = static_cast<uint16_t>(value[0] << 8 | value[1]);
  s.message.assign(value.begin() + 2, value.end());
  return s;
}

Bytes encode_status(StatusCode code, std::string_view message) {
  Bytes out;
  put_u16(out, static_cast<uint16_t>(code));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

std::optional<Status> status_of(const OptionList& options) {
  const Bytes* v = options.get(opt::status_code);
  if (v == nullptr) return std::nullopt;
  auto s = parse_status(*v);
  if (!s) return std::nullopt;
  return *s;
}

// ---- IA_NA and IAADDR ----

Result<IaAddress> parse_ia_address(ByteView value) {
  if (value.size() < 24) return make_error(Errc::truncated, "IAADDR shorter than 24 bytes");
  IaAddress a;
  ByteReader r(value);
  ByteView address;
  r.bytes(16, address);
  r.u32(a.preferred_lifetime);
  r.u32(a.valid_lifetime);
  a.address = Ipv6Address::from_bytes(address);
  auto options = parse_options(r.rest());
  if (!options) return options.error();
  a.options = std::move(*options);
  return a;
}

Bytes encode_ia_address(const IaAddress& a) {
  Bytes out;
  put_bytes(out, a.address.view());
  put_u32(out, a.preferred_lifetime);
  put_u32(out, a.valid_lifetime);
  put_bytes(out, encode_options(a.options));
  return out;
}

Result<IaNa> parse_ia_na(ByteView value) {
  if (value.size() < 12) return make_error(Errc::truncated, "IA_NA shorter than 12 bytes");
  IaNa ia;
  ByteReader r(value);
  r.u32(ia.iaid);
  r.u32(ia.t1);
  r.u32(ia.t2);
  auto options = parse_options(r.rest());
  if (!options) return options.error();
  ia.options = std::move(*options);
  return ia;
}

Bytes encode_ia_na(const IaNa& ia) {
  Bytes out;
  put_u32(out, ia.iaid);
  put_u32(out, ia.t1);
  put_u32(out, ia.t2);
  put_bytes(out, encode_options(ia.options));
  return out;
}

Result<std::vector<IaAddress>> ia_addresses(const IaNa& ia) {
  std::vector<IaAddress> out;
  for (ByteView v : ia.options.all(opt::iaaddr)) {
    auto a = parse_ia_address(v);
    if (!a) return a.error();
    out.push_back(std::move(*a));
  }
  return out;
}

Result<std::vector<IaNa>> ia_nas(const OptionList& options) {
  std::vector<IaNa> out;
  for (ByteView v : options.all(opt::ia_na)) {
    auto ia = parse_ia_na(v);
    if (!ia) return ia.error();
    out.push_back(std::move(*ia));
  }
  return out;
}

// ---- small options ----

Result<std::vector<uint16_t>> parse_oro(ByteView value) {
  if (!table_allows(opt::oro, value)) return make_error(Errc::malformed, "ORO length odd");
  std::vector<uint16_t> codes;
  for (size_t i = 0; i + 1 < value.size(); i += 2) {
    codes.push_back(static_cast<uint16_t>(value[i] << 8 | value[i + 1]));
  }
  return codes;
}

Bytes encode_oro(std::span<const uint16_t> codes) {
  Bytes out;
  for (uint16_t c : codes) put_u16(out, c);
  return out;
}

bool requests_option(const OptionList& options, uint16_t code) {
  const Bytes* v = options.get(opt::oro);
  if (v == nullptr) return false;
  auto codes = parse_oro(*v);
  if (!codes) return false;
  for (uint16_t c : *codes) {
    if (c == code) return true;
  }
  return false;
}

Result<uint16_t> parse_elapsed_time(ByteView value) {
  if (!table_allows(opt::elapsed_time, value)) return make_error(Errc::malformed, "elapsed time");
  return static_cast<uint16_t>(value[0] << 8 | value[1]);
}

Bytes encode_elapsed_time(uint16_t hundredths) {
  Bytes out;
  put_u16(out, hundredths);
  return out;
}

Result<std::vector<Ipv6Address>> parse_dns_servers(ByteView value) {
  if (!table_allows(opt::dns_servers, value)) return make_error(Errc::malformed, "DNS servers");
  std::vector<Ipv6Address> out;
  for (size_t i = 0; i < value.size(); i += 16) {
    out.push_back(Ipv6Address::from_bytes(value.subspan(i, 16)));
  }
  return out;
}

Bytes encode_dns_servers(std::span<const Ipv6Address> servers) {
  Bytes out;
  for (const Ipv6Address& a : servers) put_bytes(out, a.view());
  return out;
}

Result<std::vector<std::string>> parse_domain_list(ByteView value) {
  return decode_domain_list(value, /*allow_pointers=*/false);
}

Result<Bytes> encode_domain_list(std::span<const std::string> names) {
  if (names.empty()) return make_error(Errc::malformed, "empty domain search list");
  Bytes out;
  for (const std::string& name : names) {
    if (!append_wire_name(name, out)) return make_error(Errc::malformed, "bad domain name");
  }
  if (out.size() > 0xffff) return make_error(Errc::malformed, "domain search list over 65535");
  return out;
}

std::optional<MacAddress> LinkLayerAddress::mac() const {
  if (hardware_type != kHardwareEthernet || address.size() != 6) return std::nullopt;
  return MacAddress::from_bytes(address);
}

Result<LinkLayerAddress> parse_client_linklayer(ByteView value) {
  if (!table_allows(opt::client_linklayer, value)) {
    return make_error(Errc::malformed, "client link-layer address");
  }
  LinkLayerAddress a;
  a.hardware_type = static_cast<uint16_t>(value[0] << 8 | value[1]);
  a.address.assign(value.begin() + 2, value.end());
  return a;
}

Bytes encode_client_linklayer(const LinkLayerAddress& a) {
  Bytes out;
  put_u16(out, a.hardware_type);
  put_bytes(out, a.address);
  return out;
}

}  // namespace berth::dhcp6
