// Real DISCOVER and REQUEST packets from udhcpc, dhclient and dhcpcd
// (tests/data/dhcp4/README.md says how they were captured).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "protocol/dhcp4/message.hpp"
#include "protocol/frame.hpp"
#include "tests/unit/test_util.hpp"

namespace berth::dhcp4 {
namespace {

struct Capture {
  std::string file;  // without ".hex"
  MessageType type;
  std::string mac;
  std::vector<uint8_t> prl;                 // option 55 exactly
  std::optional<std::string> hostname;      // option 12
  std::optional<std::string> client_id;     // option 61, hex
  std::optional<std::string> requested;     // option 50
  std::optional<std::string> server_id;     // option 54
  std::optional<uint16_t> max_size;         // option 57
  std::optional<std::string> vendor_class;  // option 60
  bool rapid_commit = false;                // option 80
};

const std::vector<Capture>& captures() {
  static const std::vector<Capture> all{
      {.file = "udhcpc_discover",
       .type = MessageType::discover,
       .mac = "02:be:00:00:00:01",
       .prl = {1, 3, 6, 12, 15, 28, 42},
       .client_id = "01:02:be:00:00:00:01",
       .max_size = 576,
       .vendor_class = "udhcp 1.35.0"},
      {.file = "udhcpc_request",
       .type = MessageType::request,
       .mac = "02:be:00:00:00:01",
       .prl = {1, 3, 6, 12, 15, 28, 42},
       .client_id = "01:02:be:00:00:00:01",
       .requested = "198.18.0.44",
       .server_id = "198.18.0.1",
       .max_size = 576,
       .vendor_class = "udhcp 1.35.0"},
      {.file = "dhclient_discover",
       .type = MessageType::discover,
       .mac = "02:be:00:00:00:02",
       .prl = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42},
       .hostname = "berth-capture"},
      {.file = "dhclient_request",
       .type = MessageType::request,
       .mac = "02:be:00:00:00:02",
       .prl = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42},
       .hostname = "berth-capture",
       .requested = "198.18.0.45",
       .server_id = "198.18.0.1"},
      {.file = "dhcpcd_discover",
       .type = MessageType::discover,
       .mac = "02:be:00:00:00:03",
       .prl = {1, 121, 3, 6, 12, 15, 26, 28, 33, 51, 54, 58, 59, 119},
       // RFC 4361: type 255, IAID, then a DUID-LLT ending in the MAC.
       .client_id = "ff:00:00:00:03:00:01:00:01:32:97:13:75:02:be:00:00:00:03",
       .max_size = 1472,
       .rapid_commit = true},
      {.file = "dhcpcd_request",
       .type = MessageType::request,
       .mac = "02:be:00:00:00:03",
       .prl = {1, 121, 3, 6, 12, 15, 26, 28, 33, 51, 54, 58, 59, 119},
       .client_id = "ff:00:00:00:03:00:01:00:01:32:97:13:75:02:be:00:00:00:03",
       .requested = "198.18.0.46",
       .server_id = "198.18.0.1",
       .max_size = 1472},
  };
  return all;
}

class Dhcp4Capture : public ::testing::TestWithParam<Capture> {};

TEST_P(Dhcp4Capture, FrameAndPayloadAgree) {
  const Capture& c = GetParam();
  const Bytes frame = read_hex_file("dhcp4/" + c.file + "_frame.hex");
  const Bytes payload = read_hex_file("dhcp4/" + c.file + ".hex");
  auto f = parse_udp_frame(frame, /*checksum_not_ready=*/false);
  ASSERT_TRUE(f) << f.error().what;
  EXPECT_EQ(f->src_mac.to_string(), c.mac);
  EXPECT_EQ(f->dst_mac, MacAddress::broadcast());
  EXPECT_EQ(f->src_port, kClientPort);
  EXPECT_EQ(f->dst_port, kServerPort);
  EXPECT_EQ(Bytes(f->payload.begin(), f->payload.end()), payload);
}

TEST_P(Dhcp4Capture, FieldsAreWhatTheClientSent) {
  const Capture& c = GetParam();
  const Bytes frame = read_hex_file("dhcp4/" + c.file + "_frame.hex");
  auto f = parse_udp_frame(frame, /*checksum_not_ready=*/false);
  ASSERT_TRUE(f);
  auto m = parse_message(f->payload);
  ASSERT_TRUE(m) << m.error().what;

  EXPECT_EQ(m->op, Op::request);
  EXPECT_EQ(m->htype, 1);
  EXPECT_EQ(m->hlen, 6);
  EXPECT_EQ(m->type(), c.type);
  EXPECT_EQ(m->mac(), f->src_mac);  // chaddr is the frame's source MAC
  EXPECT_EQ(m->mac().to_string(), c.mac);
  EXPECT_TRUE(m->ciaddr.is_unspecified());
  EXPECT_TRUE(m->yiaddr.is_unspecified());
  EXPECT_TRUE(m->giaddr.is_unspecified());
  EXPECT_NE(m->xid, 0u);

  const Bytes* prl = m->options.get(opt::parameter_request_list);
  ASSERT_NE(prl, nullptr);
  EXPECT_EQ(*prl, c.prl);
  EXPECT_EQ(m->options.get_text(opt::hostname), c.hostname);
  if (c.client_id) {
    ASSERT_TRUE(m->options.has(opt::client_identifier));
    EXPECT_EQ(to_hex_colon(*m->options.get(opt::client_identifier)), *c.client_id);
    EXPECT_EQ(format_option_value(OptionSpace::dhcp4, opt::client_identifier,
                                  *m->options.get(opt::client_identifier)),
              *c.client_id);
  } else {
    EXPECT_FALSE(m->options.has(opt::client_identifier));
  }
  if (c.requested) {
    EXPECT_EQ(m->options.get_ipv4(opt::requested_address), Ipv4Address::parse(*c.requested));
  } else {
    EXPECT_FALSE(m->options.has(opt::requested_address));
  }
  // A REQUEST in SELECTING state names the server it chose (RFC 2131 §4.3.2).
  if (c.server_id) {
    EXPECT_EQ(m->options.get_ipv4(opt::server_identifier), Ipv4Address::parse(*c.server_id));
  } else {
    EXPECT_FALSE(m->options.has(opt::server_identifier));
  }
  EXPECT_EQ(m->options.get_u16(opt::max_message_size), c.max_size);
  EXPECT_EQ(m->options.get_text(opt::vendor_class), c.vendor_class);
  EXPECT_EQ(m->options.has(opt::rapid_commit), c.rapid_commit);
  for (const auto& [code, value] : m->options.entries()) {
    EXPECT_TRUE(valid_option_value(OptionSpace::dhcp4, code, value)) << int(code);
  }
}

TEST_P(Dhcp4Capture, ReencodesToTheSameMessage) {
  const Capture& c = GetParam();
  const Bytes payload = read_hex_file("dhcp4/" + c.file + ".hex");
  auto m = parse_message(payload);
  ASSERT_TRUE(m) << m.error().what;
  std::array<uint8_t, 1500> buf{};
  auto n = encode_message(*m, buf);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_GE(*n, kMinMessageSize);
  auto again = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(again) << again.error().what;
  EXPECT_EQ(*again, *m);
}

INSTANTIATE_TEST_SUITE_P(RealClients, Dhcp4Capture, ::testing::ValuesIn(captures()),
                         [](const auto& info) { return info.param.file; });

}  // namespace
}  // namespace berth::dhcp4
