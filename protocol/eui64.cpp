#include "protocol/eui64.hpp"

#include <array>

namespace berth {

namespace {
// RFC 4291 Appendix A: the universal/local bit of the first byte.
constexpr uint8_t kUniversalLocalBit = 0x02;
}  // namespace

Ipv6Address link_local_from_mac(const MacAddress& mac) {
  const auto& m = mac.bytes();
  return Ipv6Address({0xfe, 0x80, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(m[0] ^ kUniversalLocalBit),
                      m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]});
}

std::optional<MacAddress> mac_from_link_local(const Ipv6Address& address) {
  const auto& b = address.to_bytes();
  // fe80::/64 exactly: RFC 4291 §2.5.6 has 54 zero bits after fe80::/10.
  if (b[0] != 0xfe || b[1] != 0x80) return std::nullopt;
  for (size_t i = 2; i < 8; ++i) {
    if (b[i] != 0) return std::nullopt;
  }
  if (b[11] != 0xff || b[12] != 0xfe) return std::nullopt;
  return MacAddress(std::array<uint8_t, 6>{static_cast<uint8_t>(b[8] ^ kUniversalLocalBit), b[9],
                                           b[10], b[13], b[14], b[15]});
}

}  // namespace berth
