// The TFTP codec: round trips, and malformed input refused by kind.
#include "tftp/packet.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::tftp {
namespace {

using namespace std::string_literals;

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(TftpPacket, RequestRoundTripWithOptionsLowerCased) {
  const Bytes wire = bytes("\0\1pxelinux.0\0OCTET\0BLKSIZE\0001468\0tsize\0000\0"s);
  auto p = parse_packet(wire);
  ASSERT_TRUE(p.ok()) << p.error().what;
  const auto& r = std::get<Request>(*p);
  EXPECT_EQ(r.op, Opcode::rrq);
  EXPECT_EQ(r.filename, "pxelinux.0");
  EXPECT_EQ(r.mode, "octet");
  ASSERT_EQ(r.options.size(), 2u);
  EXPECT_EQ(r.options[0], (Option{"blksize", "1468"}));
  EXPECT_EQ(r.options[1], (Option{"tsize", "0"}));
  auto again = parse_packet(encode_request(r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::get<Request>(*again), r);
}

TEST(TftpPacket, OtherPacketsRoundTrip) {
  const Bytes payload = {1, 2, 3, 0, 5};
  auto d = parse_packet(encode_data(7, payload));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<Data>(*d), (Data{7, payload}));
  auto a = parse_packet(encode_ack(65535));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::get<Ack>(*a).block, 65535);
  auto e = parse_packet(encode_error(ErrorCode::file_not_found, "no such file"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::get<ErrorPacket>(*e), (ErrorPacket{ErrorCode::file_not_found, "no such file"}));
  auto o = parse_packet(encode_oack({{"blksize", "1024"}, {"tsize", "99"}}));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(std::get<Oack>(*o).options.size(), 2u);
  EXPECT_EQ(encode_ack(258), (Bytes{0, 4, 1, 2}));
}

TEST(TftpPacket, MalformedIsRefused) {
  const std::string cases[] = {
      "\0\1"s,                            // too short
      "\0\1file"s,                        // no NUL
      "\0\1file\0"s,                      // no mode
      "\0\1\0octet\0"s,                   // empty file name
      "\0\1f\0octet\0blksize\0"s,         // option without value
      "\0\1f\0octet\0a\0001\0A\0002\0"s,  // option twice
      "\0\4\0\1\0"s,                      // ACK of 5 bytes
      "\0\11\0\1"s,                       // opcode 9
      "\0\5\0\1oops"s,                    // error without NUL
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(parse_packet(bytes(c)).ok()) << testing::PrintToString(bytes(c));
  }
  Bytes big = bytes("\0\1"s);
  big.resize(600, 'a');
  big.back() = 0;
  EXPECT_FALSE(parse_packet(big).ok());
}

}  // namespace
}  // namespace berth::tftp
