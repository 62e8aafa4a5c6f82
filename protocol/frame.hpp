// Ethernet II / IPv4 / UDP frames as seen on an AF_PACKET socket.
// Pure functions over byte spans: no sockets, no clocks, no logs.
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

namespace berth {

inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kIpv4MinHeaderSize = 20;
inline constexpr size_t kUdpHeaderSize = 8;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint8_t kIpProtoUdp = 17;

// A UDP datagram parsed out of an Ethernet frame. `payload` points into the
// frame buffer passed to parse_udp_frame and lives as long as that buffer.
struct UdpFrame {
  MacAddress dst_mac;
  MacAddress src_mac;
  Ipv4Address src_ip;
  Ipv4Address dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ttl = 0;
  ByteView payload;
};

// Parses Ethernet II + IPv4 (options allowed) + UDP and checks the IPv4
// header checksum, total length and UDP length. The UDP checksum is checked
// unless it is zero (RFC 768: not computed) or `checksum_not_ready` is set:
// veth and bridges hand locally generated frames to packet sockets before
// the checksum is filled in (PACKET_AUXDATA, TP_STATUS_CSUMNOTREADY).
// Fragments, non-IPv4 and non-UDP frames are Errc::unsupported. Trailing
// Ethernet padding after the IP total length is ignored.
Result<UdpFrame> parse_udp_frame(ByteView frame, bool checksum_not_ready);

struct UdpFrameSpec {
  MacAddress src_mac;
  MacAddress dst_mac;
  Ipv4Address src_ip;
  Ipv4Address dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ttl = 64;
  uint8_t tos = 0;
};

// Writes a whole Ethernet frame into `out` with the IPv4 header checksum and
// the UDP checksum computed. Returns the frame length, or Errc::no_space.
Result<size_t> build_udp_frame(const UdpFrameSpec& spec, ByteView payload, MutableByteView out);

// RFC 1071 one's-complement sum, folded and complemented.
uint16_t internet_checksum(ByteView data, uint32_t initial = 0);

}  // namespace berth
