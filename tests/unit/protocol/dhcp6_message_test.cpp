// The DHCPv6 codec on hand-made messages: what it refuses and why, relay
// messages, and the typed options' round trips.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/dhcp6/message.hpp"
#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"

namespace berth::dhcp6 {
namespace {

Bytes hex(std::string_view text) { return *parse_hex_colon(text); }

Bytes option(uint16_t code, const Bytes& value) {
  Bytes out{static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code),
            static_cast<uint8_t>(value.size() >> 8), static_cast<uint8_t>(value.size())};
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kClientDuid = make_duid_ll(*MacAddress::parse("02:00:00:00:00:01"));

TEST(Dhcp6Message, NamesAndConstants) {
  EXPECT_EQ(to_string(MessageType::information_request), "INFORMATION-REQUEST");
  EXPECT_EQ(to_string(MessageType::relay_repl), "RELAY-REPL");
  EXPECT_EQ(kMessageTypeNames.value("SOLICIT"), MessageType::solicit);
  EXPECT_EQ(kAllRelayAgentsAndServers.to_string(), "ff02::1:2");
  EXPECT_EQ(to_string(StatusCode::not_on_link), "NotOnLink");
  EXPECT_EQ(to_string(DuidType::uuid), "DUID-UUID");
}

TEST(Dhcp6Message, BuildsEncodesAndParses) {
  Message m{.type = MessageType::reply, .transaction_id = 0xabcdef, .options = {}};
  m.options.add(opt::client_id, kClientDuid);
  IaNa ia{.iaid = 7, .t1 = 100, .t2 = 160, .options = {}};
  ia.options.add(opt::iaaddr, encode_ia_address({.address = *Ipv6Address::parse("fd00::10"),
                                                 .preferred_lifetime = 200,
                                                 .valid_lifetime = 300,
                                                 .options = {}}));
  m.options.add(opt::ia_na, encode_ia_na(ia));
  m.options.add(opt::status_code, encode_status(StatusCode::success, "ok"));

  auto bytes = encode_to_bytes(m);
  ASSERT_TRUE(bytes);
  EXPECT_EQ((*bytes)[0], 7);
  EXPECT_EQ((*bytes)[1], 0xab);
  EXPECT_EQ((*bytes)[3], 0xef);
  auto back = parse_message(*bytes);
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, m);
  auto ias = ia_nas(back->options);
  ASSERT_TRUE(ias);
  ASSERT_EQ(ias->size(), 1u);
  EXPECT_EQ(ias->front(), ia);
  auto addresses = ia_addresses(ias->front());
  ASSERT_TRUE(addresses);
  EXPECT_EQ(addresses->at(0).address.to_string(), "fd00::10");
  EXPECT_EQ(addresses->at(0).valid_lifetime, 300u);
  EXPECT_EQ(status_of(back->options)->message, "ok");
}

TEST(Dhcp6Message, EncoderRefusesWhatTheWireCannotSay) {
  std::array<uint8_t, 64> out{};
  Message m{.type = MessageType::solicit, .transaction_id = 0x1000000, .options = {}};
  EXPECT_EQ(encode_message(m, out).error().code, Errc::malformed);
  m.transaction_id = 1;
  m.type = MessageType::relay_forw;
  EXPECT_EQ(encode_message(m, out).error().code, Errc::malformed);
  m.type = MessageType::solicit;
  m.options.add(opt::client_id, Bytes(100, 1));
  EXPECT_EQ(encode_message(m, out).error().code, Errc::no_space);
  Message huge{.type = MessageType::solicit, .transaction_id = 1, .options = {}};
  huge.options.add(opt::vendor_opts, Bytes(70000, 0));
  EXPECT_EQ(encode_to_bytes(huge).error().code, Errc::malformed);
}

struct Bad {
  std::string name;
  Bytes data;
  Errc code;
};

class Dhcp6Malformed : public ::testing::TestWithParam<Bad> {};

TEST_P(Dhcp6Malformed, IsRefusedWithAReason) {
  auto m = parse_packet(GetParam().data);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, GetParam().code) << m.error().what;
  EXPECT_FALSE(m.error().what.empty());
}

const Bytes kHeader = {1, 0, 0, 1};

INSTANTIATE_TEST_SUITE_P(
    Cases, Dhcp6Malformed,
    ::testing::Values(
        Bad{"empty", {}, Errc::truncated}, Bad{"short_header", {1, 0, 0}, Errc::truncated},
        Bad{"type_zero", {0, 0, 0, 1}, Errc::unsupported},
        Bad{"type_leasequery", {14, 0, 0, 1}, Errc::unsupported},
        Bad{"option_header_cut", concat({kHeader, {0, 1, 0}}), Errc::truncated},
        Bad{"option_value_cut", concat({kHeader, {0, 1, 0, 10, 0, 3}}), Errc::truncated},
        // A DUID of two bytes: the table says 3..130.
        Bad{"short_client_id", concat({kHeader, option(opt::client_id, {0, 3})}), Errc::malformed},
        Bad{"long_server_id", concat({kHeader, option(opt::server_id, Bytes(131, 0))}),
            Errc::malformed},
        Bad{"elapsed_time_3_bytes", concat({kHeader, option(opt::elapsed_time, {0, 0, 0})}),
            Errc::malformed},
        Bad{"oro_odd", concat({kHeader, option(opt::oro, {0, 23, 0})}), Errc::malformed},
        Bad{"rapid_commit_with_data", concat({kHeader, option(opt::rapid_commit, {1})}),
            Errc::malformed},
        Bad{"dns_servers_15_bytes", concat({kHeader, option(opt::dns_servers, Bytes(15, 0))}),
            Errc::malformed},
        Bad{"ia_na_11_bytes", concat({kHeader, option(opt::ia_na, Bytes(11, 0))}), Errc::malformed},
        // IA_NA whose IAADDR is 23 bytes: checked at depth too.
        Bad{"iaaddr_short_inside_ia_na",
            concat({kHeader,
                    option(opt::ia_na, concat({Bytes(12, 0), option(opt::iaaddr, Bytes(23, 0))}))}),
            Errc::malformed},
        // IA_NA whose own options run past its end.
        Bad{"ia_na_inner_option_cut",
            concat({kHeader, option(opt::ia_na, concat({Bytes(12, 0), {0, 13, 0, 9, 0}}))}),
            Errc::truncated},
        Bad{"relay_short", {12, 0, 0, 0}, Errc::truncated},
        Bad{"relay_without_relay_msg", concat({{12, 0}, Bytes(32, 0)}), Errc::malformed},
        Bad{"relay_two_relay_msgs",
            concat({{12, 0},
                    Bytes(32, 0),
                    option(opt::relay_msg, kHeader),
                    option(opt::relay_msg, kHeader)}),
            Errc::malformed}),
    [](const auto& info) { return info.param.name; });

TEST(Dhcp6Message, NestingDepthIsBounded) {
  // IA_NA in IA_NA in ...: each level is valid alone, but only a few fit.
  Bytes inner;
  for (int i = 0; i < 10; ++i) inner = option(opt::ia_na, concat({Bytes(12, 0), inner}));
  auto m = parse_message(concat({kHeader, inner}));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::malformed);
}

TEST(Dhcp6Message, ParseMessageAndRelayKeepToTheirTypes) {
  EXPECT_FALSE(parse_message(concat({{12, 0}, Bytes(32, 0), option(opt::relay_msg, kHeader)})));
  EXPECT_FALSE(parse_relay_message(kHeader));
  EXPECT_TRUE(parse_message(kHeader));
}

TEST(Dhcp6Message, RelayForwardRoundTripsAndUnwraps) {
  Message client{.type = MessageType::solicit, .transaction_id = 0x10203, .options = {}};
  client.options.add(opt::client_id, kClientDuid);
  RelayMessage inner{.type = MessageType::relay_forw,
                     .hop_count = 0,
                     .link_address = *Ipv6Address::parse("fd00:1::1"),
                     .peer_address = *Ipv6Address::parse("fe80::1"),
                     .options = {}};
  inner.options.add(opt::interface_id, Bytes{'e', 't', 'h', '0'});
  inner.options.add(opt::relay_msg, *encode_to_bytes(client));
  inner.options.add(opt::client_linklayer,
                    encode_client_linklayer({.hardware_type = 1, .address = kClientDuid}));
  RelayMessage outer = inner;
  outer.hop_count = 1;
  outer.link_address = *Ipv6Address::parse("fd00:2::1");
  outer.options = {};
  outer.options.add(opt::relay_msg, *encode_to_bytes(inner));

  auto bytes = encode_to_bytes(outer);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), kRelayHeaderSize + 4 + encode_to_bytes(inner)->size());
  auto parsed = parse_relay_message(*bytes);
  ASSERT_TRUE(parsed) << parsed.error().what;
  EXPECT_EQ(*parsed, outer);
  auto chain = unwrap_relays(*parsed);
  ASSERT_TRUE(chain) << chain.error().what;
  ASSERT_EQ(chain->relays.size(), 2u);
  EXPECT_EQ(chain->relays[0].link_address.to_string(), "fd00:2::1");
  EXPECT_EQ(chain->relays[1].peer_address.to_string(), "fe80::1");
  EXPECT_EQ(*chain->relays[1].interface_id(), (Bytes{'e', 't', 'h', '0'}));
  EXPECT_EQ(chain->message, client);
}

TEST(Dhcp6Message, UnwrapStopsAfterTheHopCountLimit) {
  Bytes packet = kHeader;
  for (int i = 0; i < kHopCountLimit + 2; ++i) {
    packet = concat({{12, static_cast<uint8_t>(i)}, Bytes(32, 0), option(opt::relay_msg, packet)});
  }
  auto outer = parse_relay_message(packet);
  ASSERT_TRUE(outer);
  EXPECT_FALSE(unwrap_relays(*outer));
  // One fewer layer is fine.
  auto inner = parse_relay_message(*outer->relayed());
  ASSERT_TRUE(inner);
  auto chain = unwrap_relays(*inner);
  ASSERT_TRUE(chain) << chain.error().what;
  EXPECT_EQ(chain->relays.size(), size_t{kHopCountLimit} + 1);
}

TEST(Dhcp6Message, OptionListKeepsOrderAndRepeats) {
  OptionList o;
  o.add(opt::ia_na, Bytes(12, 1));
  o.add(opt::oro, Bytes{0, 23});
  o.add(opt::ia_na, Bytes(12, 2));
  EXPECT_EQ(o.count(opt::ia_na), 2u);
  EXPECT_EQ(o.all(opt::ia_na)[1][0], 2);
  o.set(opt::ia_na, Bytes(12, 3));
  EXPECT_EQ(o.count(opt::ia_na), 1u);
  EXPECT_EQ(o.entries().front().code, opt::ia_na);
  EXPECT_EQ((*o.get(opt::ia_na))[0], 3);
  o.erase(opt::ia_na);
  EXPECT_FALSE(o.has(opt::ia_na));
  EXPECT_TRUE(o.has(opt::oro));
}

TEST(Dhcp6Duid, KnownTypesAndMac) {
  const auto mac = *MacAddress::parse("02:be:00:00:06:01");
  const Bytes llt = make_duid_llt(mac, kDuidEpoch + 0x32a5be07);
  EXPECT_EQ(to_hex_colon(llt), "00:01:00:01:32:a5:be:07:02:be:00:00:06:01");
  EXPECT_EQ(duid_mac(llt), mac);
  EXPECT_EQ(to_hex_colon(make_duid_ll(mac)), "00:03:00:01:02:be:00:00:06:01");
  EXPECT_EQ(duid_mac(make_duid_ll(mac)), mac);

  auto en = parse_duid(hex("00:02:00:00:ab:11:00:33:bd:eb:f9:5e:19:2c"));
  ASSERT_TRUE(en);
  EXPECT_EQ(en->enterprise, 43793u);  // systemd
  EXPECT_EQ(en->identifier.size(), 8u);
  EXPECT_FALSE(duid_mac(hex("00:02:00:00:ab:11:00:33:bd:eb:f9:5e:19:2c")));

  // A DUID-LL of another hardware type, or not six bytes, has no MAC.
  EXPECT_FALSE(duid_mac(hex("00:03:00:06:02:be:00:00:06:01")));
  EXPECT_FALSE(duid_mac(hex("00:03:00:01:02:be:00:00:06:01:ff")));
  // Layouts: LLT needs 9 bytes, UUID exactly 18; other types are opaque.
  EXPECT_FALSE(parse_duid(hex("00:01:00:01:00:00:00:00")));
  EXPECT_FALSE(parse_duid(hex("00:04:00:01:02")));
  EXPECT_TRUE(parse_duid(Bytes{0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
  auto other = parse_duid(hex("ff:ff:01"));
  ASSERT_TRUE(other);
  EXPECT_EQ(encode_duid(*other), hex("ff:ff:01"));
  EXPECT_FALSE(parse_duid(Bytes(131, 0)));
}

TEST(Dhcp6Options, SmallOptionsRoundTrip) {
  const std::vector<uint16_t> codes = {23, 24};
  EXPECT_EQ(*parse_oro(encode_oro(codes)), codes);
  EXPECT_EQ(*parse_oro({}), std::vector<uint16_t>{});
  EXPECT_EQ(*parse_elapsed_time(encode_elapsed_time(4242)), 4242);
  const std::vector<Ipv6Address> dns = {*Ipv6Address::parse("fd00::1"),
                                        *Ipv6Address::parse("fd00::2")};
  EXPECT_EQ(*parse_dns_servers(encode_dns_servers(dns)), dns);
  EXPECT_FALSE(parse_dns_servers({}));

  const std::vector<std::string> names = {"berth.test", "example.test"};
  auto wire = encode_domain_list(names);
  ASSERT_TRUE(wire);
  EXPECT_EQ(*parse_domain_list(*wire), names);
  EXPECT_FALSE(encode_domain_list(std::vector<std::string>{}));
  EXPECT_FALSE(encode_domain_list(std::vector<std::string>{"bad..name"}));
  // RFC 8415 §10: no compression pointers in DHCPv6.
  EXPECT_FALSE(parse_domain_list(Bytes{1, 'a', 0, 0xc0, 0}));

  auto lla = parse_client_linklayer(hex("00:01:02:be:00:00:06:01"));
  ASSERT_TRUE(lla);
  EXPECT_EQ(lla->mac()->to_string(), "02:be:00:00:06:01");
  EXPECT_EQ(encode_client_linklayer(*lla), hex("00:01:02:be:00:00:06:01"));
  EXPECT_FALSE(parse_client_linklayer(hex("00:01")));
  EXPECT_FALSE(parse_client_linklayer(hex("00:20:01:02:03:04:05:06"))->mac());

  auto status = parse_status(encode_status(StatusCode::no_addrs_avail, "pool full"));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, static_cast<uint16_t>(StatusCode::no_addrs_avail));
  EXPECT_EQ(status->message, "pool full");
  EXPECT_FALSE(parse_status(Bytes{0}));
}

TEST(Eui64, LinkLocalAndMac) {
  const auto mac = *MacAddress::parse("00:16:3e:aa:bb:cc");
  const Ipv6Address ll = link_local_from_mac(mac);
  EXPECT_EQ(ll.to_string(), "fe80::216:3eff:feaa:bbcc");
  EXPECT_EQ(mac_from_link_local(ll), mac);
  // Not EUI-64 (no ff:fe), not fe80::/64, not link-local at all.
  EXPECT_FALSE(mac_from_link_local(*Ipv6Address::parse("fe80::216:3eaa:aaaa:bbcc")));
  EXPECT_FALSE(mac_from_link_local(*Ipv6Address::parse("fe80:1::216:3eff:feaa:bbcc")));
  EXPECT_FALSE(mac_from_link_local(*Ipv6Address::parse("fd00::216:3eff:feaa:bbcc")));
}

}  // namespace
}  // namespace berth::dhcp6
