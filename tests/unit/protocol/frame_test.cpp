#include "protocol/frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/unit/test_util.hpp"

namespace berth {
namespace {

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

ByteView text_bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

UdpFrameSpec reply_spec() {
  return UdpFrameSpec{
      .src_mac = *MacAddress::parse("02:00:00:00:00:01"),
      .dst_mac = *MacAddress::parse("02:00:00:00:00:02"),
      .src_ip = *Ipv4Address::parse("198.18.0.1"),
      .dst_ip = *Ipv4Address::parse("198.18.0.10"),
      .src_port = 67,
      .dst_port = 68,
  };
}

// 198.18.0.1:67 -> 198.18.0.10:68, payload "berth", TTL 64, DF, ID 0.
// Written independently with scapy; IPv4 checksum 0xae9c, UDP checksum 0x3643.
constexpr std::string_view kKnownFrame =
    "0200000000020200000000010800"              // Ethernet
    "45000021000040004011ae9cc6120001c612000a"  // IPv4
    "00430044000d3643"                          // UDP
    "6265727468";                               // "berth"

TEST(InternetChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2.
  const Bytes data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(data), static_cast<uint16_t>(~0xddf2));
  // An odd trailing byte is padded with a zero on the right.
  const Bytes odd{0x00, 0x01, 0xf2};
  EXPECT_EQ(internet_checksum(odd), static_cast<uint16_t>(~(0x0001 + 0xf200)));
  EXPECT_EQ(internet_checksum({}), 0xffff);
  // The initial partial sum is folded in as well.
  EXPECT_EQ(internet_checksum({}, 0x1ffff), static_cast<uint16_t>(~0x0001u));
}

TEST(Frame, BuildMatchesKnownGoodFrame) {
  std::array<uint8_t, 128> buf{};
  auto n = build_udp_frame(reply_spec(), text_bytes("berth"), buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(to_hex_colon(ByteView(buf).first(*n)), to_hex_colon(from_hex(kKnownFrame)));
}

TEST(Frame, ParsesKnownGoodFrame) {
  const Bytes frame = from_hex(kKnownFrame);
  auto f = parse_udp_frame(frame, /*checksum_not_ready=*/false);
  ASSERT_TRUE(f) << f.error().what;
  EXPECT_EQ(f->src_mac.to_string(), "02:00:00:00:00:01");
  EXPECT_EQ(f->dst_mac.to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(f->src_ip.to_string(), "198.18.0.1");
  EXPECT_EQ(f->dst_ip.to_string(), "198.18.0.10");
  EXPECT_EQ(f->src_port, 67);
  EXPECT_EQ(f->dst_port, 68);
  EXPECT_EQ(f->ttl, 64);
  EXPECT_EQ(std::string(f->payload.begin(), f->payload.end()), "berth");
  EXPECT_EQ(f->payload.data(), frame.data() + 42);  // a view into the frame
}

TEST(Frame, BuildParseRoundTrip) {
  for (size_t size : {0u, 1u, 2u, 3u, 300u, 547u, 1472u}) {
    Bytes payload(size);
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i * 7 + 3);
    UdpFrameSpec spec = reply_spec();
    spec.ttl = 17;
    spec.tos = 0x10;
    spec.dst_ip = Ipv4Address::broadcast();
    spec.dst_mac = MacAddress::broadcast();
    Bytes buf(1600);
    auto n = build_udp_frame(spec, payload, buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 42 + size);
    auto f = parse_udp_frame(ByteView(buf).first(*n), /*checksum_not_ready=*/false);
    ASSERT_TRUE(f) << f.error().what;
    EXPECT_EQ(f->ttl, 17);
    EXPECT_EQ(f->dst_ip, Ipv4Address::broadcast());
    EXPECT_EQ(f->dst_mac, MacAddress::broadcast());
    EXPECT_EQ(Bytes(f->payload.begin(), f->payload.end()), payload);
  }
}

TEST(Frame, BuildReportsNoSpace) {
  std::array<uint8_t, 46> buf{};  // one byte short of 42 + 5
  auto short_buf = build_udp_frame(reply_spec(), text_bytes("berth"), buf);
  ASSERT_FALSE(short_buf);
  EXPECT_EQ(short_buf.error().code, Errc::no_space);
  std::array<uint8_t, 47> exact{};
  EXPECT_TRUE(build_udp_frame(reply_spec(), text_bytes("berth"), exact));
  Bytes huge(65536);
  Bytes out(70000);
  auto r = build_udp_frame(reply_spec(), huge, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::no_space);
}

TEST(Frame, BadIpChecksumRejected) {
  Bytes frame = from_hex(kKnownFrame);
  frame[14 + 10] ^= 0x01;  // IPv4 header checksum
  auto f = parse_udp_frame(frame, /*checksum_not_ready=*/true);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::malformed);
  // A changed header field without a fixed checksum is caught as well.
  Bytes ttl = from_hex(kKnownFrame);
  ttl[14 + 8] = 63;
  EXPECT_FALSE(parse_udp_frame(ttl, false));
}

TEST(Frame, BadUdpChecksumRejectedUnlessNotReady) {
  Bytes frame = from_hex(kKnownFrame);
  frame[42] ^= 0x20;  // payload byte: the UDP checksum no longer matches
  auto f = parse_udp_frame(frame, /*checksum_not_ready=*/false);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::malformed);
  EXPECT_TRUE(parse_udp_frame(frame, /*checksum_not_ready=*/true));

  // A zero checksum means "not computed" (RFC 768) and is not checked.
  frame[40] = 0;
  frame[41] = 0;
  EXPECT_TRUE(parse_udp_frame(frame, /*checksum_not_ready=*/false));
}

TEST(Frame, EveryTruncationIsAnErrorNotACrash) {
  const Bytes frame = from_hex(kKnownFrame);
  for (size_t len = 0; len < frame.size(); ++len) {
    // A fresh heap copy of exactly `len` bytes so ASan sees any over-read.
    Bytes cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_FALSE(parse_udp_frame(cut, true)) << len;
    EXPECT_FALSE(parse_udp_frame(cut, false)) << len;
  }
  auto f = parse_udp_frame(frame, false);
  EXPECT_TRUE(f);
}

TEST(Frame, TrailingEthernetPaddingIgnored) {
  Bytes frame = from_hex(kKnownFrame);
  frame.resize(60, 0);  // minimum Ethernet frame without FCS
  auto f = parse_udp_frame(frame, false);
  ASSERT_TRUE(f) << f.error().what;
  EXPECT_EQ(std::string(f->payload.begin(), f->payload.end()), "berth");
  frame.resize(64, 0xaa);  // padding need not be zeros
  EXPECT_TRUE(parse_udp_frame(frame, false));
}

TEST(Frame, FragmentsUnsupported) {
  for (uint16_t flags_fragment : {0x2000, 0x0001, 0x2010}) {  // MF; offset 8; both
    Bytes frame = from_hex(kKnownFrame);
    frame[14 + 6] = static_cast<uint8_t>(flags_fragment >> 8);
    frame[14 + 7] = static_cast<uint8_t>(flags_fragment);
    frame[14 + 10] = 0;
    frame[14 + 11] = 0;
    const uint16_t sum = internet_checksum(ByteView(frame).subspan(14, 20));
    frame[14 + 10] = static_cast<uint8_t>(sum >> 8);
    frame[14 + 11] = static_cast<uint8_t>(sum);
    auto f = parse_udp_frame(frame, true);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, Errc::unsupported) << flags_fragment;
  }
}

void fix_ip_checksum(Bytes& frame) {
  const size_t ihl = static_cast<size_t>(frame[14] & 0x0f) * 4;
  frame[24] = 0;
  frame[25] = 0;
  const uint16_t sum = internet_checksum(ByteView(frame).subspan(14, ihl));
  frame[24] = static_cast<uint8_t>(sum >> 8);
  frame[25] = static_cast<uint8_t>(sum);
}

TEST(Frame, OtherProtocolsUnsupported) {
  Bytes arp = from_hex(kKnownFrame);
  arp[12] = 0x08;
  arp[13] = 0x06;
  auto a = parse_udp_frame(arp, true);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::unsupported);

  Bytes tcp = from_hex(kKnownFrame);
  tcp[14 + 9] = 6;
  fix_ip_checksum(tcp);
  auto t = parse_udp_frame(tcp, true);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::unsupported);
}

TEST(Frame, HeaderFieldsValidated) {
  {
    Bytes f = from_hex(kKnownFrame);
    f[14] = 0x44;  // IHL 4
    fix_ip_checksum(f);
    auto r = parse_udp_frame(f, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::malformed);
  }
  {
    Bytes f = from_hex(kKnownFrame);
    f[14] = 0x65;  // version 6
    EXPECT_FALSE(parse_udp_frame(f, true));
  }
  {
    Bytes f = from_hex(kKnownFrame);
    f[14 + 3] = 19;  // total length below the header
    fix_ip_checksum(f);
    auto r = parse_udp_frame(f, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::malformed);
  }
  {
    Bytes f = from_hex(kKnownFrame);
    f[14 + 3] = 0x22;  // total length one past the frame
    fix_ip_checksum(f);
    auto r = parse_udp_frame(f, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::truncated);
  }
  {
    Bytes f = from_hex(kKnownFrame);
    f[39] = 7;  // UDP length below its header
    auto r = parse_udp_frame(f, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::malformed);
  }
  {
    Bytes f = from_hex(kKnownFrame);
    f[39] = 14;  // UDP length past the IPv4 datagram
    auto r = parse_udp_frame(f, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::truncated);
  }
}

TEST(Frame, UdpLengthShorterThanDatagramLimitsPayload) {
  // Bytes between the UDP length and the IPv4 total length are not payload.
  Bytes f = from_hex(kKnownFrame);
  f[39] = 12;  // "bert" only
  auto r = parse_udp_frame(f, /*checksum_not_ready=*/true);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(std::string(r->payload.begin(), r->payload.end()), "bert");
  // The checksum covers only the UDP length, so the old one no longer matches.
  EXPECT_FALSE(parse_udp_frame(f, /*checksum_not_ready=*/false));
}

TEST(Frame, Ipv4OptionsAllowed) {
  // Insert a 4-byte IPv4 option (NOP NOP NOP EOL) and fix lengths and checksum.
  Bytes f = from_hex(kKnownFrame);
  f.insert(f.begin() + 34, {0x01, 0x01, 0x01, 0x00});
  f[14] = 0x46;
  f[14 + 3] = 0x25;
  fix_ip_checksum(f);
  auto r = parse_udp_frame(f, false);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(std::string(r->payload.begin(), r->payload.end()), "berth");
  EXPECT_EQ(r->src_port, 67);
}

TEST(Frame, RealCapturedFramesVerify) {
  for (const char* name : {"dhcp4/udhcpc_discover_frame.hex", "dhcp4/dhclient_request_frame.hex",
                           "dhcp4/dhcpcd_discover_frame.hex"}) {
    const Bytes frame = read_hex_file(name);
    auto f = parse_udp_frame(frame, /*checksum_not_ready=*/false);
    ASSERT_TRUE(f) << name << ": " << f.error().what;
    EXPECT_EQ(f->src_port, 68);
    EXPECT_EQ(f->dst_port, 67);
    EXPECT_EQ(f->dst_ip, Ipv4Address::broadcast());
    EXPECT_EQ(f->src_ip, Ipv4Address::any());
    EXPECT_EQ(f->payload.size(), frame.size() - 42);
  }
}

}  // namespace
}  // namespace berth
