#include "protocol/frame.hpp"

#include <array>

namespace berth {
namespace {

constexpr uint16_t kIpFlagMoreFragments = 0x2000;
constexpr uint16_t kIpFlagDontFragment = 0x4000;
constexpr uint16_t kIpFragmentOffsetMask = 0x1fff;
constexpr size_t kMaxIpTotalLength = 0xffff;

// Un-complemented 32-bit partial sum of the UDP pseudo header (RFC 768).
uint32_t pseudo_header_sum(Ipv4Address src, Ipv4Address dst, uint16_t udp_length) {
  uint32_t sum = 0;
  sum += src.value() >> 16;
  sum += src.value() & 0xffff;
  sum += dst.value() >> 16;
  sum += dst.value() & 0xffff;
  sum += kIpProtoUdp;
  sum += udp_length;
  return sum;
}

}  // namespace

uint16_t internet_checksum(ByteView data, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < data.size()) sum += static_cast<uint32_t>(data[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

Result<UdpFrame> parse_udp_frame(ByteView frame, bool checksum_not_ready) {
  UdpFrame f;
  ByteReader eth(frame);
  ByteView dst_mac;
  ByteView src_mac;
  uint16_t ether_type = 0;
  if (!eth.bytes(6, dst_mac) || !eth.bytes(6, src_mac) || !eth.u16(ether_type)) {
    return make_error(Errc::truncated, "ethernet header");
  }
  if (ether_type != kEtherTypeIpv4) return make_error(Errc::unsupported, "ethertype not IPv4");
  f.dst_mac = MacAddress::from_bytes(dst_mac);
  f.src_mac = MacAddress::from_bytes(src_mac);

  const ByteView ip = eth.rest();
  if (ip.size() < kIpv4MinHeaderSize) return make_error(Errc::truncated, "ipv4 header");
  const uint8_t version = ip[0] >> 4;
  const size_t header_length = static_cast<size_t>(ip[0] & 0x0f) * 4;
  if (version != 4) return make_error(Errc::malformed, "ipv4 version");
  if (header_length < kIpv4MinHeaderSize) return make_error(Errc::malformed, "ipv4 IHL below 5");
  if (header_length > ip.size()) return make_error(Errc::truncated, "ipv4 options");

  ByteReader r(ip);
  uint8_t version_ihl = 0;
  uint8_t tos = 0;
  uint16_t total_length = 0;
  uint16_t id = 0;
  uint16_t flags_fragment = 0;
  uint8_t protocol = 0;
  uint16_t header_checksum = 0;
  uint32_t src = 0;
  uint32_t dst = 0;
  // Twenty bytes are known to be there; the reads cannot fail.
  (void)(r.u8(version_ihl) && r.u8(tos) && r.u16(total_length) && r.u16(id) &&
         r.u16(flags_fragment) && r.u8(f.ttl) && r.u8(protocol) && r.u16(header_checksum) &&
         r.u32(src) && r.u32(dst));
  if (total_length < header_length) return make_error(Errc::malformed, "ipv4 total length");
  // Anything past total_length is Ethernet padding (frames are at least 60 bytes).
  if (total_length > ip.size()) return make_error(Errc::truncated, "ipv4 total length past end");
  if (internet_checksum(ip.first(header_length)) != 0) {
    return make_error(Errc::malformed, "ipv4 header checksum");
  }
  if ((flags_fragment & (kIpFlagMoreFragments | kIpFragmentOffsetMask)) != 0) {
    return make_error(Errc::unsupported, "ipv4 fragment");
  }
  if (protocol != kIpProtoUdp) return make_error(Errc::unsupported, "ip protocol not UDP");
  f.src_ip = Ipv4Address(src);
  f.dst_ip = Ipv4Address(dst);

  const ByteView udp = ip.subspan(header_length, total_length - header_length);
  ByteReader u(udp);
  uint16_t udp_length = 0;
  uint16_t udp_checksum = 0;
  if (!u.u16(f.src_port) || !u.u16(f.dst_port) || !u.u16(udp_length) || !u.u16(udp_checksum)) {
    return make_error(Errc::truncated, "udp header");
  }
  if (udp_length < kUdpHeaderSize) return make_error(Errc::malformed, "udp length below 8");
  if (udp_length > udp.size()) return make_error(Errc::truncated, "udp length past ipv4 end");
  const ByteView datagram = udp.first(udp_length);
  // RFC 768: a zero checksum means the sender did not compute one.
  if (udp_checksum != 0 && !checksum_not_ready &&
      internet_checksum(datagram, pseudo_header_sum(f.src_ip, f.dst_ip, udp_length)) != 0) {
    return make_error(Errc::malformed, "udp checksum");
  }
  f.payload = datagram.subspan(kUdpHeaderSize);
  return f;
}

Result<size_t> build_udp_frame(const UdpFrameSpec& spec, ByteView payload, MutableByteView out) {
  if (payload.size() > kMaxIpTotalLength - kIpv4MinHeaderSize - kUdpHeaderSize) {
    return make_error(Errc::no_space, "payload larger than an IPv4 datagram");
  }
  const size_t total = kEthernetHeaderSize + kIpv4MinHeaderSize + kUdpHeaderSize + payload.size();
  if (out.size() < total) return make_error(Errc::no_space, "frame buffer too small");
  const auto udp_length = static_cast<uint16_t>(kUdpHeaderSize + payload.size());
  const auto ip_length = static_cast<uint16_t>(kIpv4MinHeaderSize + udp_length);

  ByteWriter w(out);
  w.bytes(spec.dst_mac.view());
  w.bytes(spec.src_mac.view());
  w.u16(kEtherTypeIpv4);

  const size_t ip_start = w.size();
  w.u8(0x45);  // version 4, IHL 5
  w.u8(spec.tos);
  w.u16(ip_length);
  w.u16(0);  // identification: the datagram is atomic (DF set, RFC 6864 §4.1)
  w.u16(kIpFlagDontFragment);
  w.u8(spec.ttl);
  w.u8(kIpProtoUdp);
  const size_t ip_checksum_at = w.size();
  w.u16(0);
  w.u32(spec.src_ip.value());
  w.u32(spec.dst_ip.value());
  w.patch_u16(ip_checksum_at, internet_checksum(out.subspan(ip_start, kIpv4MinHeaderSize)));

  const size_t udp_start = w.size();
  w.u16(spec.src_port);
  w.u16(spec.dst_port);
  w.u16(udp_length);
  const size_t udp_checksum_at = w.size();
  w.u16(0);
  w.bytes(payload);
  uint16_t sum = internet_checksum(out.subspan(udp_start, udp_length),
                                   pseudo_header_sum(spec.src_ip, spec.dst_ip, udp_length));
  // RFC 768: a computed zero is sent as all ones; zero means "none".
  if (sum == 0) sum = 0xffff;
  w.patch_u16(udp_checksum_at, sum);
  return w.size();
}

}  // namespace berth
