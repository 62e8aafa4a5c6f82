// libFuzzer target: the text forms of addresses and prefixes.
// Whatever parses must print to text that parses back to the same value,
// and the printed text is a fixed point (IPv6 in RFC 5952 canonical form).
// The first 16 bytes are also read as an IPv6 address, so every bit pattern
// is printed and parsed back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/address.hpp"

namespace {

template <class T>
void check_round_trip(std::string_view text) {
  auto value = T::parse(text);
  if (!value) return;
  const std::string printed = value->to_string();
  auto again = T::parse(printed);
  if (!again || !(*again == *value)) std::abort();
  if (again->to_string() != printed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_round_trip<berth::Ipv4Address>(text);
  check_round_trip<berth::Ipv6Address>(text);
  check_round_trip<berth::IpAddress>(text);
  check_round_trip<berth::Ipv4Prefix>(text);
  check_round_trip<berth::Ipv6Prefix>(text);
  check_round_trip<berth::IpPrefix>(text);
  check_round_trip<berth::MacAddress>(text);

  // The family parsers and IpAddress agree on what an address is.
  auto v4 = berth::Ipv4Address::parse(text);
  auto v6 = berth::Ipv6Address::parse(text);
  auto ip = berth::IpAddress::parse(text);
  if (v4 && v6) std::abort();
  if (ip.has_value() != (v4.has_value() || v6.has_value())) std::abort();
  if (v4 && !(ip->is_v4() && ip->v4() == *v4)) std::abort();
  if (v6 && !(ip->is_v6() && ip->v6() == *v6)) std::abort();
  // Canonical text never has upper case, a zone id or surrounding spaces.
  if (v6) {
    for (char c : v6->to_string()) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
      if (!ok) std::abort();
    }
  }
  auto prefix = berth::IpPrefix::parse(text);
  if (prefix && !prefix->contains(prefix->network())) std::abort();
  if (prefix && !prefix->contains(prefix->address())) std::abort();

  if (size >= 16) {
    const auto a = berth::Ipv6Address::from_bytes(berth::ByteView(data, 16));
    auto back = berth::Ipv6Address::parse(a.to_string());
    if (!back || !(*back == a)) std::abort();
  }
  return 0;
}
