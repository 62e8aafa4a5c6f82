// Configured options in replies: typed keys, options by code, classes,
// reservations, precedence, option 55 and `always`; pools restricted to a
// class. Scripted clients against Dhcp4Service.
#include "dhcp/dhcp4_options.hpp"

#include <gtest/gtest.h>

#include "dhcp/dhcp4_service.hpp"
#include "tests/unit/dhcp4_client.hpp"

namespace berth::dhcp {
namespace {

using dhcp4::ConfiguredOption;
using dhcp4::Message;
using dhcp4::ValueType;
namespace opt = dhcp4::opt;

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

ConfiguredOption text_option(uint8_t code, const std::string& text, bool always = false) {
  return ConfiguredOption{.code = code,
                          .type = ValueType::string,
                          .value = Bytes(text.begin(), text.end()),
                          .always = always};
}

std::string text_of(const Message& m, uint8_t code) {
  const Bytes* b = m.options.get(code);
  return b == nullptr ? "<none>" : std::string(b->begin(), b->end());
}

BridgeSettings settings() {
  BridgeSettings s{.name = "br0",
                   .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                   .pool_first = ip("198.18.0.10"),
                   .pool_last = ip("198.18.0.99"),
                   .lease_time = 600,
                   .domain = "lab",
                   .mtu = std::nullopt};
  s.options.routes = {*dhcp4::parse_static_route("10.8.0.0/16 via 198.18.0.254")};
  s.options.search = {"lab", "corp.example"};
  s.options.ntp_servers = {ip("198.18.0.123")};
  s.options.options = {text_option(43, "bridge"), text_option(66, "tftp.bridge", true)};
  dhcp4::ClientClass pxe{.name = "pxe",
                         .match = dhcp4::ClassMatch::vendor_class,
                         .value = {'P', 'X', 'E'},
                         .options = {text_option(43, "class")}};
  s.options.classes = {pxe};
  s.pool_class = "";
  s.more_pools = {leases::PoolRange{
      .first = ip("198.18.0.200"), .last = ip("198.18.0.209"), .only_class = "pxe"}};
  return s;
}

class Dhcp4OptionsTest : public ::testing::Test {
 protected:
  Dhcp4Service svc;
  size_t br = svc.add_bridge(settings(), {});
  int64_t now = 1'800'000'000;

  Message offer_for(test::Dhcp4Client& c, Bytes prl, const std::string& vendor = "") {
    Message m = c.discover();
    m.options.set(opt::parameter_request_list, std::move(prl));
    if (!vendor.empty()) m.options.set_text(opt::vendor_class, vendor);
    Decision d = svc.handle(br, m, now);
    EXPECT_TRUE(d.reply.has_value());
    return d.reply ? d.reply->message : Message{};
  }
};

TEST_F(Dhcp4OptionsTest, RoutesCarryTheDefaultRouteAndGoOutAs121And249) {
  auto c = test::dhcp4_client(1);
  Message m = offer_for(c, {opt::subnet_mask, opt::router, 121, 249});
  std::vector<dhcp4::StaticRoute> want = {
      *dhcp4::parse_static_route("10.8.0.0/16 via 198.18.0.254"),
      *dhcp4::parse_static_route("0.0.0.0/0 via 198.18.0.1")};
  ASSERT_NE(m.options.get(121), nullptr);
  EXPECT_EQ(*m.options.get(121), dhcp4::encode_classless_routes(want));
  ASSERT_NE(m.options.get(249), nullptr);
  EXPECT_EQ(*m.options.get(249), *m.options.get(121));
  EXPECT_EQ(m.options.get_ipv4(opt::router), ip("198.18.0.1"));  // still sent
  EXPECT_FALSE(m.options.has(119));                              // not asked for
}

TEST_F(Dhcp4OptionsTest, SearchAndNtpOnlyWhenAskedInTheirOrder) {
  auto c = test::dhcp4_client(2);
  Message m = offer_for(c, {42, 119, opt::subnet_mask});
  ASSERT_NE(m.options.get(119), nullptr);
  std::vector<std::string> search = {"lab", "corp.example"};
  EXPECT_EQ(*m.options.get(119), *dhcp4::encode_domain_search(search));
  EXPECT_EQ(m.options.get_ipv4_list(42), std::vector<Ipv4Address>{ip("198.18.0.123")});
  EXPECT_FALSE(m.options.has(121));
  // The order asked: 42 before 119.
  std::vector<uint8_t> order;
  for (const auto& [code, value] : m.options.entries()) order.push_back(code);
  auto at = [&](uint8_t code) {
    return std::find(order.begin(), order.end(), code) - order.begin();
  };
  EXPECT_LT(at(42), at(119));
}

TEST_F(Dhcp4OptionsTest, AlwaysOptionsGoOutUnaskedOthersDoNot) {
  auto c = test::dhcp4_client(3);
  Message m = offer_for(c, {opt::subnet_mask});
  EXPECT_EQ(text_of(m, 66), "tftp.bridge");
  EXPECT_FALSE(m.options.has(43));
}

TEST_F(Dhcp4OptionsTest, ClassBeatsBridgeAndReservationBeatsClass) {
  auto plain = test::dhcp4_client(4);
  EXPECT_EQ(text_of(offer_for(plain, {43}), 43), "bridge");
  auto pxe = test::dhcp4_client(5);
  EXPECT_EQ(text_of(offer_for(pxe, {43}, "PXEClient:Arch:00000"), 43), "class");

  auto reserved = test::dhcp4_client(6);
  leases::Reservation r{.bridge = "br0", .mac = reserved.mac, .ip = ip("198.18.0.50")};
  r.options = {text_option(43, "host")};
  svc.set_reservations(br, {r});
  EXPECT_EQ(text_of(offer_for(reserved, {43}, "PXEClient"), 43), "host");
  // The others are not affected by it.
  auto again = test::dhcp4_client(7);
  EXPECT_EQ(text_of(offer_for(again, {43}), 43), "bridge");
}

TEST_F(Dhcp4OptionsTest, OptionThreeOverrideMovesTheAddedDefaultRoute) {
  BridgeSettings s = settings();
  s.options.options.push_back(
      ConfiguredOption{.code = opt::router, .type = ValueType::ip, .value = {198, 18, 0, 2}});
  svc.update_settings(br, s);
  auto c = test::dhcp4_client(8);
  Message m = offer_for(c, {opt::router, 121});
  EXPECT_EQ(m.options.get_ipv4(opt::router), ip("198.18.0.2"));
  std::vector<dhcp4::StaticRoute> want = {
      *dhcp4::parse_static_route("10.8.0.0/16 via 198.18.0.254"),
      *dhcp4::parse_static_route("0.0.0.0/0 via 198.18.0.2")};
  EXPECT_EQ(*m.options.get(121), dhcp4::encode_classless_routes(want));
}

TEST_F(Dhcp4OptionsTest, ClassPoolServesOnlyItsClassAndItsClassFirst) {
  for (uint8_t n = 10; n < 40; ++n) {
    auto c = test::dhcp4_client(n);
    Ipv4Address a = offer_for(c, {opt::subnet_mask}).yiaddr;
    EXPECT_TRUE(a >= ip("198.18.0.10") && a <= ip("198.18.0.99")) << a.to_string();
  }
  auto pxe = test::dhcp4_client(50);
  Ipv4Address a = offer_for(pxe, {opt::subnet_mask}, "PXEClient").yiaddr;
  EXPECT_TRUE(a >= ip("198.18.0.200") && a <= ip("198.18.0.209")) << a.to_string();
  // A plain client asking for a class address does not get it.
  auto plain = test::dhcp4_client(51);
  Message m = plain.discover();
  m.options.set_ipv4(opt::requested_address, ip("198.18.0.205"));
  Decision d = svc.handle(br, m, now);
  ASSERT_TRUE(d.reply);
  EXPECT_NE(d.reply->message.yiaddr, ip("198.18.0.205"));
  // Nor by INIT-REBOOT.
  Decision nak = svc.handle(br, plain.init_reboot(ip("198.18.0.206")), now);
  ASSERT_TRUE(nak.reply);
  EXPECT_EQ(nak.reply->message.type(), dhcp4::MessageType::nak);
}

TEST_F(Dhcp4OptionsTest, FullClassPoolFallsBackToTheOpenPool) {
  for (uint8_t n = 60; n < 71; ++n) {
    auto c = test::dhcp4_client(n);
    Message m = c.discover();
    m.options.set_text(opt::vendor_class, "PXEClient");
    Decision offer = svc.handle(br, m, now);
    ASSERT_TRUE(offer.reply);
    Ipv4Address a = offer.reply->message.yiaddr;
    if (n < 70) {
      EXPECT_TRUE(a >= ip("198.18.0.200") && a <= ip("198.18.0.209")) << a.to_string();
    } else {
      EXPECT_TRUE(a >= ip("198.18.0.10") && a <= ip("198.18.0.99")) << a.to_string();
    }
  }
}

TEST(ClientClasses, NamesInConfigOrder) {
  dhcp4::BridgeOptions o;
  o.classes = {dhcp4::ClientClass{.name = "a",
                                  .match = dhcp4::ClassMatch::user_class,
                                  .value = {'i', 'P', 'X', 'E'},
                                  .options = {}},
               dhcp4::ClientClass{
                   .name = "b", .match = dhcp4::ClassMatch::arch, .value = {0, 7}, .options = {}}};
  Message m;
  m.options.set(77, Bytes{'i', 'P', 'X', 'E'});
  m.options.set(93, Bytes{0, 7});
  EXPECT_EQ(client_classes(o, m), (std::vector<std::string>{"a", "b"}));
  m.options.erase(77);
  EXPECT_EQ(client_classes(o, m), (std::vector<std::string>{"b"}));
}

}  // namespace
}  // namespace berth::dhcp
