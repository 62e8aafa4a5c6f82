#include "protocol/dhcp4/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/unit/test_util.hpp"

namespace berth::dhcp4 {
namespace {

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 13);
  return b;
}

Message sample_request() {
  Message m;
  m.op = Op::request;
  m.xid = 0x12345678;
  m.secs = 3;
  m.flags = kFlagBroadcast;
  m.ciaddr = *Ipv4Address::parse("198.18.0.20");
  m.giaddr = *Ipv4Address::parse("198.18.1.1");
  m.hops = 1;
  m.set_mac(*MacAddress::parse("02:be:00:00:00:07"));
  m.set_type(MessageType::request);
  m.options.set_ipv4(opt::requested_address, *Ipv4Address::parse("198.18.0.20"));
  m.options.set_text(opt::hostname, "web");
  m.options.set(opt::parameter_request_list, Bytes{1, 3, 6, 15, 119});
  m.options.set(opt::client_identifier, Bytes{1, 2, 0xbe, 0, 0, 0, 7});
  m.options.set(opt::rapid_commit, Bytes{});
  return m;
}

// A raw message: fixed header (op 1, Ethernet), cookie, then `options` as given.
Bytes raw_message(const Bytes& options, ByteView file = {}, ByteView sname = {}) {
  Bytes b(kFixedHeaderSize + 4 + options.size(), 0);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  for (size_t i = 0; i < sname.size() && i < 64; ++i) b[44 + i] = sname[i];
  for (size_t i = 0; i < file.size() && i < 128; ++i) b[108 + i] = file[i];
  b[236] = 0x63;
  b[237] = 0x82;
  b[238] = 0x53;
  b[239] = 0x63;
  for (size_t i = 0; i < options.size(); ++i) b[240 + i] = options[i];
  return b;
}

Message encode_parse(const Message& m, size_t max_size, size_t* length = nullptr) {
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf, max_size);
  EXPECT_TRUE(n) << (n ? "" : n.error().what);
  if (!n) return {};
  if (length != nullptr) *length = *n;
  auto p = parse_message(ByteView(buf).first(*n));
  EXPECT_TRUE(p) << (p ? "" : p.error().what);
  return p ? *p : Message{};
}

TEST(Dhcp4Message, EncodeParseRoundTrip) {
  const Message m = sample_request();
  std::array<uint8_t, 600> buf{};
  auto n = encode_message(m, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, kMinMessageSize);  // small messages are padded to 300 bytes
  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_EQ(*p, m);
  EXPECT_EQ(p->type(), MessageType::request);
  EXPECT_EQ(p->mac().to_string(), "02:be:00:00:00:07");
  EXPECT_TRUE(p->broadcast_flag());

  // The fixed header is where RFC 2131 §2 puts it.
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[4], 0x12);
  EXPECT_EQ(buf[10], 0x80);  // broadcast flag
  EXPECT_EQ(buf[12], 198);   // ciaddr
  EXPECT_EQ(buf[28], 0x02);  // chaddr
  EXPECT_EQ(buf[236], 0x63);
  EXPECT_EQ(buf[240], opt::message_type);
}

TEST(Dhcp4Message, ReplyWithSnameAndFileRoundTrips) {
  Message m;
  m.op = Op::reply;
  m.xid = 7;
  m.yiaddr = *Ipv4Address::parse("198.18.0.30");
  m.siaddr = *Ipv4Address::parse("198.18.0.1");
  m.set_mac(*MacAddress::parse("02:be:00:00:00:08"));
  const std::string sname = "tftp.berth";
  const std::string file = "pxelinux.0";
  std::copy(sname.begin(), sname.end(), m.sname.begin());
  std::copy(file.begin(), file.end(), m.file.begin());
  m.set_type(MessageType::ack);
  m.options.set_ipv4(opt::server_identifier, *Ipv4Address::parse("198.18.0.1"));
  m.options.set_u32(opt::lease_time, 3600);
  m.options.set_ipv4(opt::subnet_mask, *Ipv4Address::parse("255.255.255.0"));
  EXPECT_EQ(encode_parse(m, kDefaultMaxMessageSize), m);
}

TEST(Dhcp4Message, MessageTypeWrittenFirst) {
  Message m;
  m.options.set_text(opt::hostname, "web");
  m.set_type(MessageType::discover);  // appended after host name in the list
  std::array<uint8_t, 548> buf{};
  auto n = encode_message(m, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(buf[240], opt::message_type);
  EXPECT_EQ(buf[242], 1);
  EXPECT_EQ(buf[243], opt::hostname);
  // The parser puts it first too, so parse(encode(m)) keeps the encoder's order.
  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->options.entries().front().first, opt::message_type);
}

TEST(Dhcp4Message, ParserMovesMessageTypeFirst) {
  // dhcpcd sends the requested address before the message type.
  const Bytes raw = raw_message({50, 4, 198, 18, 0, 46, 53, 1, 3, 255});
  auto p = parse_message(raw);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->options.size(), 2u);
  EXPECT_EQ(p->options.entries()[0].first, opt::message_type);
  EXPECT_EQ(p->options.entries()[1].first, opt::requested_address);
  EXPECT_EQ(encode_parse(*p, kDefaultMaxMessageSize), *p);
}

TEST(Dhcp4Message, BootpWithoutMessageTypeParses) {
  auto p = parse_message(raw_message({1, 4, 255, 255, 255, 0, 255}));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->type());
  EXPECT_EQ(p->options.get_ipv4(opt::subnet_mask), Ipv4Address::parse("255.255.255.0"));
}

TEST(Dhcp4Message, TypeAccessor) {
  Message m;
  EXPECT_FALSE(m.type());
  for (int t = 1; t <= 8; ++t) {
    m.set_type(static_cast<MessageType>(t));
    EXPECT_EQ(m.type(), static_cast<MessageType>(t));
  }
  m.options.set(opt::message_type, Bytes{9});  // DHCPFORCERENEW: not one berth handles
  EXPECT_FALSE(m.type());
  m.options.set(opt::message_type, Bytes{1, 1});
  EXPECT_FALSE(m.type());
  EXPECT_EQ(to_string(MessageType::discover), "DHCPDISCOVER");
  EXPECT_EQ(to_string(MessageType::inform), "DHCPINFORM");
}

TEST(Dhcp4Message, SetMacFillsChaddr) {
  Message m;
  m.htype = 6;
  m.hlen = 16;
  m.chaddr.fill(0xee);
  m.set_mac(*MacAddress::parse("02:be:00:00:00:01"));
  EXPECT_EQ(m.htype, 1);
  EXPECT_EQ(m.hlen, 6);
  EXPECT_EQ(m.chaddr[5], 0x01);
  EXPECT_EQ(m.chaddr[6], 0);
  EXPECT_EQ(m.chaddr[15], 0);
}

// Options needing more than the 308 bytes a 548-byte message has for them.
Message big_message() {
  Message m = sample_request();
  m.options.clear();
  m.set_type(MessageType::offer);
  m.options.set(43, pattern(250, 1));                           // 252 bytes: options field
  m.options.set_text(opt::hostname, std::string(100, 'h'));     // 102: file
  m.options.set_text(opt::vendor_class, std::string(40, 'v'));  // 42: sname
  return m;
}

TEST(Dhcp4Message, OverloadIntoFileAndSname) {
  const Message m = big_message();
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf, /*max_size=*/548);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_LE(*n, 548u);
  // Message type, then overload = 3 (file and sname) in the options field.
  EXPECT_EQ(buf[240], opt::message_type);
  EXPECT_EQ(buf[243], opt::overload);
  EXPECT_EQ(buf[244], 1);
  EXPECT_EQ(buf[245], 3);
  EXPECT_EQ(buf[246], 43);
  EXPECT_EQ(buf[108], opt::hostname);  // file
  EXPECT_EQ(buf[108 + 102], opt::end);
  EXPECT_EQ(buf[44], opt::vendor_class);  // sname
  EXPECT_EQ(buf[44 + 42], opt::end);

  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_EQ(p->options, m.options);
  EXPECT_FALSE(p->options.has(opt::overload));
  EXPECT_EQ(*p, m);
}

TEST(Dhcp4Message, OverloadIntoFileOnly) {
  Message m = big_message();
  m.options.erase(opt::vendor_class);
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(buf[243], opt::overload);
  EXPECT_EQ(buf[245], 1);
  EXPECT_EQ(buf[44], 0);  // sname untouched
  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, m);
}

TEST(Dhcp4Message, OverloadSkipsFieldsInUse) {
  Message m = big_message();
  m.options.erase(opt::vendor_class);
  m.options.set_text(opt::hostname, std::string(55, 'h'));  // too big for what is left, fits sname
  const std::string file = "pxelinux.0";
  std::copy(file.begin(), file.end(), m.file.begin());
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_EQ(buf[245], 2);  // sname only: file holds a boot file name
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()) + 108), file);
  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, m);

  // With both fields in use there is nowhere to overflow to.
  m.options.set_text(opt::hostname, std::string(100, 'h'));
  std::fill(m.sname.begin(), m.sname.begin() + 4, 'x');
  auto none = encode_message(m, buf);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::no_space);
}

TEST(Dhcp4Message, LargerMaxSizeAvoidsOverload) {
  const Message m = big_message();
  size_t length = 0;
  EXPECT_EQ(encode_parse(m, 1500, &length), m);
  EXPECT_GT(length, 548u);
  std::array<uint8_t, 1500> buf{};
  ASSERT_TRUE(encode_message(m, buf, 1500));
  EXPECT_EQ(buf[243], 43);  // no overload option
}

TEST(Dhcp4Message, MaxSizeClamped) {
  const Message m = big_message();
  std::array<uint8_t, 1500> buf{};
  // Below 548 counts as 548 (RFC 2131 §2: every client takes 576-byte datagrams).
  auto n = encode_message(m, buf, /*max_size=*/100);
  ASSERT_TRUE(n);
  EXPECT_LE(*n, 548u);
  EXPECT_EQ(buf[243], opt::overload);
  // Never more than the buffer: 320 bytes leave 80 for options, the rest overflows.
  Message req = sample_request();
  req.options.set(43, pattern(100, 4));
  std::array<uint8_t, 320> small{};
  auto s = encode_message(req, small, /*max_size=*/1500);
  ASSERT_TRUE(s) << s.error().what;
  EXPECT_LE(*s, small.size());
  EXPECT_EQ(small[108], 43);
  auto p = parse_message(ByteView(small).first(*s));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, req);
  std::array<uint8_t, 299> tiny{};
  auto t = encode_message(sample_request(), tiny);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::no_space);
}

TEST(Dhcp4Message, NoSpaceWhenEvenOverloadCannotFit) {
  Message m = sample_request();
  m.options.set(43, pattern(250, 1));
  m.options.set(77, pattern(250, 2));
  m.options.set(63, pattern(250, 3));
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::no_space);
  EXPECT_TRUE(encode_message(m, buf, 1500));
}

TEST(Dhcp4Message, LongOptionSplitAndConcatenated) {
  Message m = sample_request();
  const Bytes value = pattern(600, 9);
  m.options.set(43, value);
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf, 1500);
  ASSERT_TRUE(n);
  // RFC 3396: consecutive instances of 255, 255 and 90 bytes.
  size_t pos = 240;
  std::vector<size_t> pieces;
  while (buf[pos] != opt::end) {
    if (buf[pos] == 43) pieces.push_back(buf[pos + 1]);
    pos += 2 + buf[pos + 1];
  }
  EXPECT_EQ(pieces, (std::vector<size_t>{255, 255, 90}));
  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p->options.get(43), value);
  EXPECT_EQ(*p, m);
}

TEST(Dhcp4Message, LongOptionSplitAcrossOverloadedFields) {
  Message m;
  m.set_type(MessageType::ack);
  m.options.set(43, pattern(400, 5));
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(m, buf);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_LE(*n, 548u);
  EXPECT_EQ(buf[243], opt::overload);
  EXPECT_EQ(buf[108], 43);  // the rest of it sits in file
  auto p = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, m);
}

TEST(Dhcp4Message, RepeatedCodesConcatenated) {
  const Bytes raw =
      raw_message({53, 1, 1, 55, 2, 1, 3, 12, 2, 'w', 'e', 55, 1, 6, 12, 1, 'b', 255});
  auto p = parse_message(raw);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p->options.get(55), (Bytes{1, 3, 6}));
  EXPECT_EQ(p->options.get_text(12), "web");
  ASSERT_EQ(p->options.size(), 3u);
  EXPECT_EQ(p->options.entries()[1].first, 55);  // first-seen order
}

TEST(Dhcp4Message, OverloadParsedInRfcOrder) {
  // Options field, then file, then sname (RFC 2131 §4.1): the value of 12
  // is "a" + "b" + "c".
  const Bytes file{12, 1, 'b', 255};
  const Bytes sname{12, 1, 'c', 255};
  const Bytes raw = raw_message({53, 1, 2, 52, 1, 3, 12, 1, 'a', 255}, file, sname);
  auto p = parse_message(raw);
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_EQ(p->options.get_text(12), "abc");
  EXPECT_FALSE(p->options.has(opt::overload));
  EXPECT_EQ(p->file, decltype(p->file){});
  EXPECT_EQ(p->sname, decltype(p->sname){});

  // Only the fields named by the option are read.
  auto file_only = parse_message(raw_message({52, 1, 1, 255}, file, sname));
  ASSERT_TRUE(file_only);
  EXPECT_EQ(file_only->options.get_text(12), "b");
  EXPECT_EQ(file_only->sname[0], 12);  // sname is left as it was

  // An overloaded field may end at its own end without an end option.
  Bytes full_file(128, 0);
  full_file[0] = 12;
  full_file[1] = 126;
  auto full = parse_message(raw_message({52, 1, 1, 255}, full_file));
  ASSERT_TRUE(full) << full.error().what;
  EXPECT_EQ(full->options.get(12)->size(), 126u);
}

TEST(Dhcp4Message, OverloadLoopRejected) {
  for (const Bytes& field : {Bytes{52, 1, 1, 255}, Bytes{1, 4, 255, 255, 255, 0, 52, 1, 2, 255}}) {
    auto in_file = parse_message(raw_message({52, 1, 1, 255}, field));
    ASSERT_FALSE(in_file);
    EXPECT_EQ(in_file.error().code, Errc::malformed);
    auto in_sname = parse_message(raw_message({52, 1, 2, 255}, {}, field));
    ASSERT_FALSE(in_sname);
    EXPECT_EQ(in_sname.error().code, Errc::malformed);
  }
}

TEST(Dhcp4Message, BadOverloadValuesRejected) {
  for (const Bytes& opts : {Bytes{52, 1, 0, 255}, Bytes{52, 1, 4, 255}, Bytes{52, 2, 1, 1, 255},
                            Bytes{52, 0, 255}, Bytes{52, 1, 1, 52, 1, 1, 255}}) {
    auto p = parse_message(raw_message(opts));
    ASSERT_FALSE(p) << to_hex_colon(opts);
    EXPECT_EQ(p.error().code, Errc::malformed);
  }
}

TEST(Dhcp4Message, StructuralErrors) {
  // Missing end option.
  auto no_end = parse_message(raw_message({53, 1, 1, 0, 0}));
  ASSERT_FALSE(no_end);
  EXPECT_EQ(no_end.error().code, Errc::malformed);
  EXPECT_FALSE(parse_message(raw_message({})));
  // Option length past the end of the packet.
  auto past = parse_message(raw_message({53, 1, 1, 12, 10, 'a', 'b'}));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, Errc::truncated);
  // Length byte missing.
  EXPECT_FALSE(parse_message(raw_message({53, 1, 1, 12})));
  // Option in file running past the field (overloaded).
  auto file_past = parse_message(raw_message({52, 1, 1, 255}, Bytes{}));
  ASSERT_TRUE(file_past);  // an all-pad file is fine
  Bytes bad_file(128, 0);
  bad_file[126] = 12;
  bad_file[127] = 5;
  auto fp = parse_message(raw_message({52, 1, 1, 255}, bad_file));
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code, Errc::truncated);
  // Wrong cookie.
  Bytes cookie = raw_message({255});
  cookie[239] = 0x64;
  auto c = parse_message(cookie);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::malformed);
  // Unknown op.
  Bytes op = raw_message({255});
  op[0] = 3;
  auto o = parse_message(op);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, Errc::malformed);
  // Short fixed header.
  auto s = parse_message(Bytes(100, 0));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::truncated);
}

TEST(Dhcp4Message, EveryTruncationOfARealPacket) {
  const Bytes packet = read_hex_file("dhcp4/dhclient_request.hex");
  ASSERT_EQ(packet.size(), 300u);
  auto whole = parse_message(packet);
  ASSERT_TRUE(whole);
  // Find the end option; everything after it is padding.
  size_t pos = 240;
  while (packet[pos] != opt::end) pos += packet[pos] == opt::pad ? 1 : 2 + packet[pos + 1];
  const size_t end_at = pos;
  for (size_t len = 0; len <= packet.size(); ++len) {
    Bytes cut(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(len));
    auto p = parse_message(cut);
    if (len <= end_at) {
      EXPECT_FALSE(p) << len;
    } else {
      ASSERT_TRUE(p) << len;
      EXPECT_EQ(*p, *whole) << len;
    }
  }
}

TEST(Dhcp4Message, EmptyOptionsAndPadsRoundTrip) {
  const Bytes raw = raw_message({0, 0, 53, 1, 1, 0, 80, 0, 12, 3, 'w', 'e', 'b', 255, 99, 99});
  auto p = parse_message(raw);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->options.has(opt::rapid_commit));
  EXPECT_TRUE(p->options.get(opt::rapid_commit)->empty());
  EXPECT_EQ(encode_parse(*p, kDefaultMaxMessageSize), *p);
}

TEST(Dhcp4Message, EncoderIgnoresFramingCodesInList) {
  Message m = sample_request();
  m.options.set(opt::overload, Bytes{3});
  m.options.set(opt::pad, Bytes{1});
  m.options.set(opt::end, Bytes{});
  Message want = m;
  want.options.erase(opt::overload);
  want.options.erase(opt::pad);
  want.options.erase(opt::end);
  EXPECT_EQ(encode_parse(m, kDefaultMaxMessageSize), want);
}

}  // namespace
}  // namespace berth::dhcp4
