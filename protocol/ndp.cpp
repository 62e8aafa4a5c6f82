#include "protocol/ndp.hpp"

#include <algorithm>
#include <array>

#include "protocol/frame.hpp"
#include "protocol/option_domain.hpp"

namespace berth::ndp {
namespace {

// One row per rule: the reason, the kind of failure, the sentence. Errors
// are made from this table only, so invalid_reason() can find the row back.
struct Rule {
  Invalid reason;
  Errc code;
  std::string_view what;
};
constexpr std::array<Rule, 10> kRules{{
    {Invalid::wrong_type, Errc::unsupported, "not the ICMPv6 type expected"},
    {Invalid::code, Errc::malformed, "ICMPv6 code not 0"},
    {Invalid::truncated, Errc::truncated, "message shorter than its fixed part"},
    {Invalid::option_length_zero, Errc::malformed, "option length 0"},
    {Invalid::option_past_end, Errc::truncated, "option past the end of the message"},
    {Invalid::option_length, Errc::malformed, "option length wrong for its type"},
    {Invalid::option_value, Errc::malformed, "option value invalid"},
    {Invalid::hop_limit, Errc::malformed, "hop limit not 255"},
    {Invalid::slla_from_unspecified, Errc::malformed,
     "source link-layer address option from the unspecified address"},
    {Invalid::source_not_link_local, Errc::malformed, "source address not link-local"},
}};

Error fail(Invalid reason) {
  for (const Rule& r : kRules) {
    if (r.reason == reason) return Error{r.code, r.what};
  }
  return Error{Errc::malformed, "invalid"};  // unreachable: every reason has a row
}

constexpr size_t kUnit = 8;  // option lengths count 8-octet units
constexpr size_t kMaxOptionUnits = 255;
constexpr uint8_t kFlagManaged = 0x80;
constexpr uint8_t kFlagOther = 0x40;
constexpr uint8_t kFlagOnLink = 0x80;
constexpr uint8_t kFlagAutonomous = 0x40;
constexpr size_t kPrefixInformationUnits = 4;
constexpr size_t kMtuUnits = 1;
constexpr size_t kRdnssMinUnits = 3;  // one address
constexpr size_t kDnsslMinUnits = 2;  // one name of up to 8 octets

struct RawView {
  uint8_t type;
  size_t units;
  ByteView body;  // after the length octet
};

// Splits the options area into options (RFC 4861 §4.6): each needs a length
// above 0 and must end within the message.
Result<std::vector<RawView>> split_options(ByteView area) {
  std::vector<RawView> out;
  size_t pos = 0;
  while (pos < area.size()) {
    if (area.size() - pos < 2) return fail(Invalid::option_past_end);
    const uint8_t type = area[pos];
    const size_t units = area[pos + 1];
    if (units == 0) return fail(Invalid::option_length_zero);
    if (units * kUnit > area.size() - pos) return fail(Invalid::option_past_end);
    out.push_back(RawView{type, units, area.subspan(pos + 2, units * kUnit - 2)});
    pos += units * kUnit;
  }
  return out;
}

Result<PrefixInformation> read_prefix(const RawView& o) {
  if (o.units != kPrefixInformationUnits) return fail(Invalid::option_length);
  ByteReader r(o.body);
  uint8_t length = 0;
  uint8_t flags = 0;
  PrefixInformation p;
  ByteView address;
  r.u8(length);
  r.u8(flags);
  r.u32(p.valid_lifetime);
  r.u32(p.preferred_lifetime);
  r.skip(4);  // Reserved2
  r.bytes(16, address);
  if (length > 128) return fail(Invalid::option_value);
  p.prefix = Ipv6Prefix{Ipv6Address::from_bytes(address), length};
  p.on_link = (flags & kFlagOnLink) != 0;
  p.autonomous = (flags & kFlagAutonomous) != 0;
  return p;
}

Result<Rdnss> read_rdnss(const RawView& o) {
  // RFC 8106 §5.1: 3 units for one address, 2 more for each further one.
  if (o.units < kRdnssMinUnits || o.units % 2 == 0) return fail(Invalid::option_length);
  ByteReader r(o.body);
  Rdnss d;
  r.skip(2);
  r.u32(d.lifetime);
  ByteView address;
  while (r.bytes(16, address)) d.servers.push_back(Ipv6Address::from_bytes(address));
  return d;
}

// RFC 8106 §5.2: names in uncompressed wire format, then zeros to the end
// of the option. A zero octet where a name would start begins the padding.
Result<Dnssl> read_dnssl(const RawView& o) {
  if (o.units < kDnsslMinUnits) return fail(Invalid::option_length);
  ByteReader r(o.body);
  Dnssl d;
  r.skip(2);
  r.u32(d.lifetime);
  const ByteView names = r.rest();
  size_t pos = 0;
  while (pos < names.size() && names[pos] != 0) {
    auto name = decode_wire_name(names, pos, /*allow_pointers=*/false, LabelBytes::printable);
    if (!name || !name->complete) return fail(Invalid::option_value);
    d.domains.push_back(std::move(name->name));
    pos = name->next;
  }
  const bool zeros = std::all_of(names.begin() + static_cast<std::ptrdiff_t>(pos), names.end(),
                                 [](uint8_t b) { return b == 0; });
  if (!zeros || d.domains.empty()) return fail(Invalid::option_value);
  return d;
}

LinkLayerAddress read_link_layer(const RawView& o) {
  return LinkLayerAddress{Bytes(o.body.begin(), o.body.end())};
}

RawOption raw(const RawView& o) { return RawOption{o.type, Bytes(o.body.begin(), o.body.end())}; }

Result<RouterAdvertisement> read_ra_options(RouterAdvertisement ra, ByteView area) {
  auto options = split_options(area);
  if (!options) return options.error();
  for (const RawView& o : *options) {
    switch (o.type) {
      case opt::source_link_layer:
        if (!ra.source_link_layer) ra.source_link_layer = read_link_layer(o);
        break;
      case opt::mtu:
        if (o.units != kMtuUnits) return fail(Invalid::option_length);
        if (!ra.mtu) {
          ByteReader r(o.body);
          uint32_t mtu = 0;
          r.skip(2);
          r.u32(mtu);
          ra.mtu = mtu;
        }
        break;
      case opt::prefix_information: {
        auto p = read_prefix(o);
        if (!p) return p.error();
        ra.prefixes.push_back(*p);
        break;
      }
      case opt::rdnss: {
        auto d = read_rdnss(o);
        if (!d) return d.error();
        ra.rdnss.push_back(std::move(*d));
        break;
      }
      case opt::dnssl: {
        auto d = read_dnssl(o);
        if (!d) return d.error();
        ra.dnssl.push_back(std::move(*d));
        break;
      }
      default:
        ra.other_options.push_back(raw(o));
    }
  }
  return ra;
}

// Starts an option of `body_size` bytes after the length octet; false (and
// `error` set) when that is not whole units or too many of them.
bool option_header(ByteWriter& w, uint8_t type, size_t body_size, std::optional<Error>& error) {
  const size_t total = body_size + 2;
  if (total % kUnit != 0 || total / kUnit > kMaxOptionUnits) {
    error = make_error(Errc::malformed, "option size not whole 8-octet units of at most 255");
    return false;
  }
  w.u8(type);
  w.u8(static_cast<uint8_t>(total / kUnit));
  return true;
}

void write_prefix(ByteWriter& w, const PrefixInformation& p, std::optional<Error>& error) {
  if (p.prefix.length > 128) {
    error = make_error(Errc::malformed, "prefix length over 128");
    return;
  }
  if (!option_header(w, opt::prefix_information, kPrefixInformationUnits * kUnit - 2, error)) {
    return;
  }
  w.u8(p.prefix.length);
  w.u8(static_cast<uint8_t>((p.on_link ? kFlagOnLink : 0) | (p.autonomous ? kFlagAutonomous : 0)));
  w.u32(p.valid_lifetime);
  w.u32(p.preferred_lifetime);
  w.u32(0);
  w.bytes(p.prefix.address.view());
}

void write_rdnss(ByteWriter& w, const Rdnss& d, std::optional<Error>& error) {
  if (d.servers.empty()) {
    error = make_error(Errc::malformed, "RDNSS without servers");
    return;
  }
  if (!option_header(w, opt::rdnss, 6 + 16 * d.servers.size(), error)) return;
  w.u16(0);
  w.u32(d.lifetime);
  for (const Ipv6Address& a : d.servers) w.bytes(a.view());
}

void write_dnssl(ByteWriter& w, const Dnssl& d, std::optional<Error>& error) {
  Bytes names;
  for (const std::string& name : d.domains) {
    if (!append_wire_name(name, names)) {
      error = make_error(Errc::malformed, "DNSSL name not writable");
      return;
    }
  }
  if (names.empty()) {
    error = make_error(Errc::malformed, "DNSSL without names");
    return;
  }
  const size_t padding = (kUnit - (8 + names.size()) % kUnit) % kUnit;
  if (!option_header(w, opt::dnssl, 6 + names.size() + padding, error)) return;
  w.u16(0);
  w.u32(d.lifetime);
  w.bytes(names);
  w.zeros(padding);
}

void write_raw(ByteWriter& w, uint8_t type, ByteView body, std::optional<Error>& error) {
  if (option_header(w, type, body.size(), error)) w.bytes(body);
}

Result<size_t> finish(const ByteWriter& w, const std::optional<Error>& error) {
  if (error) return *error;
  if (!w.ok()) return make_error(Errc::no_space, "buffer too small for the message");
  return w.size();
}

}  // namespace

std::optional<Invalid> invalid_reason(const Error& e) {
  for (const Rule& r : kRules) {
    if (r.what == e.what && r.code == e.code) return r.reason;
  }
  return std::nullopt;
}

Result<RouterSolicitation> parse_router_solicitation(ByteView message) {
  if (message.empty()) return fail(Invalid::truncated);
  if (message[0] != kRouterSolicitation) return fail(Invalid::wrong_type);
  if (message.size() < kRsHeaderSize) return fail(Invalid::truncated);
  if (message[1] != 0) return fail(Invalid::code);
  auto options = split_options(message.subspan(kRsHeaderSize));
  if (!options) return options.error();
  RouterSolicitation rs;
  for (const RawView& o : *options) {
    if (o.type == opt::source_link_layer) {
      if (!rs.source_link_layer) rs.source_link_layer = read_link_layer(o);
    } else {
      rs.other_options.push_back(raw(o));
    }
  }
  return rs;
}

Result<RouterAdvertisement> parse_router_advertisement(ByteView message) {
  if (message.empty()) return fail(Invalid::truncated);
  if (message[0] != kRouterAdvertisement) return fail(Invalid::wrong_type);
  if (message.size() < kRaHeaderSize) return fail(Invalid::truncated);
  if (message[1] != 0) return fail(Invalid::code);
  ByteReader r(message);
  RouterAdvertisement ra;
  uint8_t flags = 0;
  r.skip(4);  // type, code, checksum
  r.u8(ra.cur_hop_limit);
  r.u8(flags);
  r.u16(ra.router_lifetime);
  r.u32(ra.reachable_time);
  r.u32(ra.retrans_timer);
  // The other flag bits (RFC 4191 preference, RFC 4389 proxy, ...) are not
  // berth's to interpret; they are neither kept nor written.
  ra.managed = (flags & kFlagManaged) != 0;
  ra.other = (flags & kFlagOther) != 0;
  return read_ra_options(std::move(ra), r.rest());
}

Result<RouterSolicitation> validate_router_solicitation(ByteView message, uint8_t hop_limit,
                                                        const Ipv6Address& source) {
  if (hop_limit != kLinkHopLimit) return fail(Invalid::hop_limit);
  auto rs = parse_router_solicitation(message);
  if (!rs) return rs;
  // RFC 4861 §6.1.1: a host without an address has no link-layer address
  // to tie to it, and a neighbor cache entry for :: would be nonsense.
  if (source.is_unspecified() && rs->source_link_layer) {
    return fail(Invalid::slla_from_unspecified);
  }
  return rs;
}

Result<RouterAdvertisement> validate_router_advertisement(ByteView message, uint8_t hop_limit,
                                                          const Ipv6Address& source) {
  if (hop_limit != kLinkHopLimit) return fail(Invalid::hop_limit);
  if (!source.is_link_local()) return fail(Invalid::source_not_link_local);
  return parse_router_advertisement(message);
}

Result<size_t> encode_router_solicitation(const RouterSolicitation& rs, MutableByteView out) {
  ByteWriter w(out);
  std::optional<Error> error;
  w.u8(kRouterSolicitation);
  w.u8(0);
  w.u16(0);  // checksum: the kernel's
  w.u32(0);  // reserved
  if (rs.source_link_layer) {
    write_raw(w, opt::source_link_layer, rs.source_link_layer->bytes, error);
  }
  for (const RawOption& o : rs.other_options) {
    if (!error) write_raw(w, o.type, o.body, error);
  }
  return finish(w, error);
}

Result<size_t> encode_router_advertisement(const RouterAdvertisement& ra, MutableByteView out) {
  ByteWriter w(out);
  std::optional<Error> error;
  w.u8(kRouterAdvertisement);
  w.u8(0);
  w.u16(0);  // checksum: the kernel's
  w.u8(ra.cur_hop_limit);
  w.u8(static_cast<uint8_t>((ra.managed ? kFlagManaged : 0) | (ra.other ? kFlagOther : 0)));
  w.u16(ra.router_lifetime);
  w.u32(ra.reachable_time);
  w.u32(ra.retrans_timer);
  if (ra.source_link_layer) {
    write_raw(w, opt::source_link_layer, ra.source_link_layer->bytes, error);
  }
  if (ra.mtu && !error && option_header(w, opt::mtu, kMtuUnits * kUnit - 2, error)) {
    w.u16(0);
    w.u32(*ra.mtu);
  }
  for (const PrefixInformation& p : ra.prefixes) {
    if (!error) write_prefix(w, p, error);
  }
  for (const Rdnss& d : ra.rdnss) {
    if (!error) write_rdnss(w, d, error);
  }
  for (const Dnssl& d : ra.dnssl) {
    if (!error) write_dnssl(w, d, error);
  }
  for (const RawOption& o : ra.other_options) {
    if (!error) write_raw(w, o.type, o.body, error);
  }
  return finish(w, error);
}

uint16_t icmpv6_checksum(const Ipv6Address& source, const Ipv6Address& destination,
                         ByteView message) {
  uint32_t sum = 0;
  auto add_words = [&sum](ByteView b) {
    for (size_t i = 0; i + 1 < b.size(); i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  };
  add_words(source.view());
  add_words(destination.view());
  const auto length = static_cast<uint32_t>(message.size());
  sum += length >> 16;
  sum += length & 0xffff;
  sum += kIpProtoIcmpv6;
  // The checksum field (octets 2 and 3) counts as zero.
  if (message.size() == 1) sum += static_cast<uint32_t>(message[0] << 8);
  if (message.size() >= 2) sum += static_cast<uint32_t>(message[0] << 8 | message[1]);
  return internet_checksum(message.size() > 4 ? message.subspan(4) : ByteView{}, sum);
}

bool checksum_ok(const Ipv6Address& source, const Ipv6Address& destination, ByteView message) {
  if (message.size() < 4) return false;
  const auto carried = static_cast<uint16_t>(message[2] << 8 | message[3]);
  return icmpv6_checksum(source, destination, message) == carried;
}

}  // namespace berth::ndp
