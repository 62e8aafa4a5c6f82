// Real DHCPv6 messages from dhclient, dhcpcd, systemd-networkd, kea and
// dnsmasq (tests/data/dhcp6/README.md says how they were captured).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/dhcp6/message.hpp"
#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"
#include "protocol/option_def.hpp"
#include "tests/unit/test_util.hpp"

namespace berth::dhcp6 {
namespace {

struct Capture {
  std::string file;  // without ".hex"
  MessageType type;
  uint32_t xid;
  std::string source;       // the link-local address it came from
  std::string client_duid;  // option 1, hex
  std::optional<std::string> duid_mac;
  bool server_id;
  std::vector<uint16_t> oro;  // empty: no ORO
  std::optional<uint32_t> iaid;
  std::optional<std::string> address;  // the first IAADDR of the first IA_NA
  std::optional<uint16_t> status;      // message-level status code
  bool rapid_commit = false;
  std::vector<std::string> dns;      // option 23
  std::vector<std::string> domains;  // option 24
};

const std::string kDhclient = "00:01:00:01:32:a5:be:07:02:be:00:00:06:01";
const std::string kDhclientLl = "00:03:00:01:02:be:00:00:06:02";
const std::string kDhclientStateless = "00:03:00:01:02:be:00:00:06:01";
const std::string kDhcpcd = "00:01:00:01:32:a5:be:29:02:be:00:00:06:03";
const std::string kDhclientDnsmasq = "00:01:00:01:32:a5:be:35:02:be:00:00:06:01";
const std::string kServer = "fe80::be:ff:fe00:6fe";
const std::vector<uint16_t> kDhclientOro = {23, 24, 39, 31};
const std::vector<std::string> kKeaDns = {"fd00:b::1"};
const std::vector<std::string> kKeaDomains = {"berth.test", "example.test"};
const std::vector<std::string> kDnsmasqDomains = {"berth.test"};

const std::vector<Capture>& captures() {
  static const std::vector<Capture> all{
      {"dhclient_solicit", MessageType::solicit, 0x722c74, "fe80::be:ff:fe00:601", kDhclient,
       "02:be:00:00:06:01", false, kDhclientOro, 0x601, std::nullopt},
      {"kea_advertise",
       MessageType::advertise,
       0x722c74,
       kServer,
       kDhclient,
       "02:be:00:00:06:01",
       true,
       {},
       0x601,
       "fd00:b::100",
       std::nullopt,
       false,
       kKeaDns,
       kKeaDomains},
      {"dhclient_request", MessageType::request, 0xb74856, "fe80::be:ff:fe00:601", kDhclient,
       "02:be:00:00:06:01", true, kDhclientOro, 0x601, "fd00:b::100"},
      {"kea_reply_request",
       MessageType::reply,
       0xb74856,
       kServer,
       kDhclient,
       "02:be:00:00:06:01",
       true,
       {},
       0x601,
       "fd00:b::100",
       std::nullopt,
       false,
       kKeaDns,
       kKeaDomains},
      {"dhclient_renew", MessageType::renew, 0x9b5fc1, "fe80::be:ff:fe00:601", kDhclient,
       "02:be:00:00:06:01", true, kDhclientOro, 0x601, "fd00:b::100"},
      {"kea_reply_renew",
       MessageType::reply,
       0x9b5fc1,
       kServer,
       kDhclient,
       "02:be:00:00:06:01",
       true,
       {},
       0x601,
       "fd00:b::100",
       std::nullopt,
       false,
       kKeaDns,
       kKeaDomains},
      {"dhclient_confirm", MessageType::confirm, 0x4b7d10, "fe80::be:ff:fe00:601", kDhclient,
       "02:be:00:00:06:01", false, kDhclientOro, 0x601, "fd00:b::100"},
      {"kea_reply_confirm",
       MessageType::reply,
       0x4b7d10,
       kServer,
       kDhclient,
       "02:be:00:00:06:01",
       true,
       {},
       std::nullopt,
       std::nullopt,
       0,
       false,
       kKeaDns,
       kKeaDomains},
      {"dhclient_release", MessageType::release, 0xa287f0, "fe80::be:ff:fe00:601", kDhclient,
       "02:be:00:00:06:01", true, kDhclientOro, 0x601, "fd00:b::100"},
      {"kea_reply_release",
       MessageType::reply,
       0xa287f0,
       kServer,
       kDhclient,
       "02:be:00:00:06:01",
       true,
       {},
       0x601,
       std::nullopt,
       0},
      {"dhclient_information_request", MessageType::information_request, 0x7b23c6,
       "fe80::be:ff:fe00:601", kDhclientStateless, "02:be:00:00:06:01", false, kDhclientOro},
      {"kea_reply_information_request",
       MessageType::reply,
       0x7b23c6,
       kServer,
       kDhclientStateless,
       "02:be:00:00:06:01",
       true,
       {},
       std::nullopt,
       std::nullopt,
       std::nullopt,
       false,
       kKeaDns,
       kKeaDomains},
      {"dhclient_duid_ll_solicit", MessageType::solicit, 0x5f8131, "fe80::be:ff:fe00:602",
       kDhclientLl, "02:be:00:00:06:02", false, kDhclientOro, 0x602},
      {"dhclient_duid_ll_request", MessageType::request, 0xeff3f3, "fe80::be:ff:fe00:602",
       kDhclientLl, "02:be:00:00:06:02", true, kDhclientOro, 0x602, "fd00:b::101"},
      {"dhcpcd_solicit",
       MessageType::solicit,
       0xc31f0e,
       "fe80::be:ff:fe00:603",
       kDhcpcd,
       "02:be:00:00:06:03",
       false,
       {23, 24, 82, 83},
       1},
      {"dhcpcd_request",
       MessageType::request,
       0xd31bd5,
       "fe80::be:ff:fe00:603",
       kDhcpcd,
       "02:be:00:00:06:03",
       true,
       {23, 24, 82, 83},
       1,
       "fd00:b::102"},
      {"dhcpcd_information_request",
       MessageType::information_request,
       0x842e51,
       "fe80::be:ff:fe00:604",
       "00:01:00:01:32:a5:be:2b:02:be:00:00:06:04",
       "02:be:00:00:06:04",
       false,
       {23, 24, 32, 82, 83}},
      {"dhcpcd_solicit_rapid_commit",
       MessageType::solicit,
       0x77b065,
       "fe80::be:ff:fe00:605",
       "00:01:00:01:32:a5:be:2e:02:be:00:00:06:05",
       "02:be:00:00:06:05",
       false,
       {82, 83},
       1,
       std::nullopt,
       std::nullopt,
       true},
      {"kea_reply_rapid_commit",
       MessageType::reply,
       0x77b065,
       kServer,
       "00:01:00:01:32:a5:be:2e:02:be:00:00:06:05",
       "02:be:00:00:06:05",
       true,
       {},
       1,
       "fd00:b::103",
       std::nullopt,
       true},
      {"dnsmasq_advertise",
       MessageType::advertise,
       0x178162,
       kServer,
       kDhclientDnsmasq,
       "02:be:00:00:06:01",
       true,
       {},
       0x601,
       "fd00:b::124",
       0,
       false,
       kKeaDns,
       kDnsmasqDomains},
      {"dnsmasq_reply_request",
       MessageType::reply,
       0x4e711d,
       kServer,
       kDhclientDnsmasq,
       "02:be:00:00:06:01",
       true,
       {},
       0x601,
       "fd00:b::124",
       0,
       false,
       kKeaDns,
       kDnsmasqDomains},
      {"dnsmasq_reply_confirm",
       MessageType::reply,
       0xd81c8a,
       kServer,
       kDhclientDnsmasq,
       "02:be:00:00:06:01",
       true,
       {},
       std::nullopt,
       std::nullopt,
       0},
      {"dnsmasq_reply_release",
       MessageType::reply,
       0xd061ea,
       kServer,
       kDhclientDnsmasq,
       "02:be:00:00:06:01",
       true,
       {},
       std::nullopt,
       std::nullopt,
       0},
      {"dnsmasq_reply_information_request",
       MessageType::reply,
       0x7b23c6,
       kServer,
       kDhclientStateless,
       "02:be:00:00:06:01",
       true,
       {},
       std::nullopt,
       std::nullopt,
       std::nullopt,
       false,
       kKeaDns,
       kDnsmasqDomains},
      {"dnsmasq_reply_rapid_commit",
       MessageType::reply,
       0x880f67,
       kServer,
       "00:01:00:01:32:a5:be:5b:02:be:00:00:06:05",
       "02:be:00:00:06:05",
       true,
       {},
       1,
       "fd00:b::14e",
       0,
       true},
      // DUID-EN: no MAC in it, but the EUI-64 source address has one.
      {"networkd_solicit",
       MessageType::solicit,
       0x704bf8,
       "fe80::be:ff:fe00:606",
       "00:02:00:00:ab:11:00:33:bd:eb:f9:5e:19:2c",
       std::nullopt,
       false,
       {23, 31, 56, 82},
       0x9db74946,
       std::nullopt,
       std::nullopt,
       true},
  };
  return all;
}

class Dhcp6Capture : public ::testing::TestWithParam<Capture> {
 protected:
  Bytes payload() const { return read_hex_file("dhcp6/" + GetParam().file + ".hex"); }
};

TEST_P(Dhcp6Capture, FieldsAreWhatWasSent) {
  const Capture& c = GetParam();
  const Bytes data = payload();
  auto m = parse_message(data);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_EQ(m->type, c.type);
  EXPECT_EQ(m->transaction_id, c.xid);

  const Bytes* duid = m->options.get(opt::client_id);
  ASSERT_NE(duid, nullptr);
  EXPECT_EQ(to_hex_colon(*duid), c.client_duid);
  ASSERT_TRUE(parse_duid(*duid));
  auto mac = duid_mac(*duid);
  EXPECT_EQ(mac ? std::optional(mac->to_string()) : std::nullopt, c.duid_mac);
  EXPECT_EQ(m->options.has(opt::server_id), c.server_id);
  if (const Bytes* server = m->options.get(opt::server_id)) {
    ASSERT_TRUE(parse_duid(*server));
    // Both servers made a DUID-LLT from the veth's MAC.
    EXPECT_EQ(duid_mac(*server).value_or(MacAddress()).to_string(), "02:be:00:00:06:fe");
  }

  if (c.oro.empty()) {
    EXPECT_FALSE(m->options.has(opt::oro));
  } else {
    auto oro = parse_oro(*m->options.get(opt::oro));
    ASSERT_TRUE(oro);
    EXPECT_EQ(*oro, c.oro);
    EXPECT_TRUE(requests_option(m->options, c.oro.front()));
    EXPECT_FALSE(requests_option(m->options, opt::relay_msg));
  }
  // Clients send elapsed time (RFC 8415 §21.9); servers do not.
  const bool from_client = c.type != MessageType::advertise && c.type != MessageType::reply;
  EXPECT_EQ(m->options.has(opt::elapsed_time), from_client);
  if (from_client) {
    EXPECT_TRUE(parse_elapsed_time(*m->options.get(opt::elapsed_time)));
  }

  auto ias = ia_nas(m->options);
  ASSERT_TRUE(ias) << ias.error().what;
  if (c.iaid) {
    ASSERT_EQ(ias->size(), 1u);
    EXPECT_EQ(ias->front().iaid, *c.iaid);
    auto addresses = ia_addresses(ias->front());
    ASSERT_TRUE(addresses);
    if (c.address) {
      ASSERT_EQ(addresses->size(), 1u);
      EXPECT_EQ(addresses->front().address.to_string(), *c.address);
      EXPECT_LE(addresses->front().preferred_lifetime, addresses->front().valid_lifetime);
    } else {
      EXPECT_TRUE(addresses->empty());
    }
  } else {
    EXPECT_TRUE(ias->empty());
  }

  auto status = status_of(m->options);
  EXPECT_EQ(status ? std::optional(status->code) : std::nullopt, c.status);
  EXPECT_EQ(m->options.has(opt::rapid_commit), c.rapid_commit);

  std::vector<std::string> dns;
  if (const Bytes* v = m->options.get(opt::dns_servers)) {
    auto servers = parse_dns_servers(*v);
    ASSERT_TRUE(servers);
    for (const Ipv6Address& a : *servers) dns.push_back(a.to_string());
  }
  EXPECT_EQ(dns, c.dns);
  std::vector<std::string> domains;
  if (const Bytes* v = m->options.get(opt::domain_search)) {
    auto names = parse_domain_list(*v);
    ASSERT_TRUE(names) << names.error().what;
    domains = *names;
    auto again = encode_domain_list(domains);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *v);
  }
  EXPECT_EQ(domains, c.domains);
}

TEST_P(Dhcp6Capture, SourceAddressHoldsTheClientMac) {
  const Capture& c = GetParam();
  auto source = Ipv6Address::parse(c.source);
  ASSERT_TRUE(source);
  auto mac = mac_from_link_local(*source);
  ASSERT_TRUE(mac);
  EXPECT_EQ(link_local_from_mac(*mac), *source);
  if (c.source == kServer) {
    EXPECT_EQ(mac->to_string(), "02:be:00:00:06:fe");
  } else if (c.duid_mac) {
    EXPECT_EQ(mac->to_string(), *c.duid_mac);
  } else {
    EXPECT_EQ(mac->to_string().substr(0, 15), "02:be:00:00:06:");
  }
}

TEST_P(Dhcp6Capture, ReencodesByteForByte) {
  const Bytes data = payload();
  auto packet = parse_packet(data);
  ASSERT_TRUE(packet) << packet.error().what;
  auto bytes = encode_to_bytes(*packet);
  ASSERT_TRUE(bytes) << bytes.error().what;
  EXPECT_EQ(*bytes, data);

  // Typed options read back to the same bytes too.
  const Message& m = std::get<Message>(*packet);
  for (const auto& [code, value] : m.options.entries()) {
    EXPECT_TRUE(valid_option_value(OptionSpace::dhcp6, code, value)) << code;
    if (code == opt::ia_na) {
      auto ia = parse_ia_na(value);
      ASSERT_TRUE(ia);
      EXPECT_EQ(encode_ia_na(*ia), value);
      auto addresses = ia_addresses(*ia);
      ASSERT_TRUE(addresses);
      for (const IaAddress& a : *addresses) {
        EXPECT_EQ(encode_ia_address(a), *ia->options.get(opt::iaaddr));
      }
    }
    if (code == opt::client_id || code == opt::server_id) {
      auto duid = parse_duid(value);
      ASSERT_TRUE(duid);
      EXPECT_EQ(encode_duid(*duid), value);
    }
    if (code == opt::oro) {
      EXPECT_EQ(encode_oro(*parse_oro(value)), value);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RealClientsAndServers, Dhcp6Capture, ::testing::ValuesIn(captures()),
                         [](const auto& info) { return info.param.file; });

}  // namespace
}  // namespace berth::dhcp6
