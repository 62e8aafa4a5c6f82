// Records of the control API in the name table: each type answered, a CNAME
// to a client's name followed to its address, TXT and SRV in wire form,
// NODATA for a name with another type and NXDOMAIN for none.
#include <gtest/gtest.h>

#include <variant>

#include "dns/name_table.hpp"
#include "tests/unit/dns/name_table_test_util.hpp"

namespace berth::dns {
namespace {

using test::a_of;
using test::aaaa_of;
using test::ask;

UserRecord rec(std::string name, RecordType t, std::string bridge = "br0") {
  UserRecord r;
  r.bridge = std::move(bridge);
  r.name = std::move(name);
  r.type = t;
  return r;
}

NameTableSpec spec() {
  NameTableSpec s;
  s.bridges = {{"br0", *Ipv4Prefix::parse("198.18.0.1/24"), "lab"},
               {"br1", *Ipv4Prefix::parse("198.18.1.1/24"), "other"}};
  s.host_name = "myhost";
  s.local_ttl = 7;
  s.names = {{0, "web", *Ipv4Address::parse("198.18.0.50"), false}};
  UserRecord a = rec("www", RecordType::a);
  a.address = IpAddress::parse("198.18.0.60");
  UserRecord a2 = a;
  a2.address = IpAddress::parse("198.18.0.61");
  UserRecord aaaa = rec("www6", RecordType::aaaa);
  aaaa.address = IpAddress::parse("fd00::60");
  UserRecord cname = rec("alias", RecordType::cname);
  cname.target = "web";
  UserRecord srv = rec("_http._tcp.web", RecordType::srv);
  srv.priority = 10;
  srv.weight = 5;
  srv.port = 80;
  srv.target = "web";
  UserRecord txt = rec("info", RecordType::txt);
  txt.text = {"v=1", "hello world"};
  UserRecord global = rec("global.example.", RecordType::a, "");
  global.address = IpAddress::parse("198.19.0.9");
  UserRecord unserved = rec("ghost", RecordType::a, "br9");
  unserved.address = IpAddress::parse("198.18.0.99");
  s.records = {a, a2, aaaa, cname, srv, txt, global, unserved};
  return s;
}

TEST(DnsApiRecords, AddressRecordsAnswerInTheBridgeDomain) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto a = ask(*t, "WWW.lab", dns::type::A);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->msg.header.aa);
  EXPECT_EQ(a_of(a->msg), (std::vector<std::string>{"198.18.0.60", "198.18.0.61"}));
  EXPECT_EQ(a->msg.answers[0].ttl, 7u);
  auto aaaa = ask(*t, "www6.lab", dns::type::AAAA);
  ASSERT_TRUE(aaaa);
  EXPECT_EQ(aaaa_of(aaaa->msg), std::vector<std::string>{"fd00::60"});
  // Without a bridge the name is absolute.
  auto global = ask(*t, "global.example", dns::type::A);
  ASSERT_TRUE(global);
  EXPECT_EQ(a_of(global->msg), std::vector<std::string>{"198.19.0.9"});
  // Another bridge's domain does not get it.
  auto other = ask(*t, "www.other", dns::type::A, 1);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->msg.header.rcode, dns::rcode::NXDOMAIN);
}

TEST(DnsApiRecords, ACnameToAClientNameCarriesTheTargetsAddress) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto c = ask(*t, "alias.lab", dns::type::A);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->msg.answers.size(), 2u);
  EXPECT_EQ(c->msg.answers[0].type, dns::type::CNAME);
  EXPECT_EQ(c->msg.answers[0].name.to_text(), "alias.lab");
  EXPECT_EQ(std::get<dns::Name>(c->msg.answers[0].rdata).to_text(), "web.lab");
  EXPECT_EQ(c->msg.answers[1].name.to_text(), "web.lab");
  EXPECT_EQ(a_of(c->msg), std::vector<std::string>{"198.18.0.50"});
}

TEST(DnsApiRecords, SrvAndTxtAreInWireForm) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto srv = ask(*t, "_http._tcp.web.lab", dns::type::SRV);
  ASSERT_TRUE(srv);
  ASSERT_EQ(srv->msg.answers.size(), 1u);
  const auto& s = std::get<dns::Srv>(srv->msg.answers[0].rdata);
  EXPECT_EQ(s.priority, 10);
  EXPECT_EQ(s.weight, 5);
  EXPECT_EQ(s.port, 80);
  EXPECT_EQ(s.target.to_text(), "web.lab");
  auto txt = ask(*t, "info.lab", dns::type::TXT);
  ASSERT_TRUE(txt);
  ASSERT_EQ(txt->msg.answers.size(), 1u);
  EXPECT_EQ(
      std::get<dns::RawRdata>(txt->msg.answers[0].rdata),
      (dns::RawRdata{3, 'v', '=', '1', 11, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}));
}

TEST(DnsApiRecords, AnotherTypeIsNodataAndNoNameIsNxdomain) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto nodata = ask(*t, "www.lab", dns::type::TXT);
  ASSERT_TRUE(nodata);
  EXPECT_EQ(nodata->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(nodata->msg.answers.empty());
  ASSERT_EQ(nodata->msg.authority.size(), 1u);
  EXPECT_EQ(nodata->msg.authority[0].type, dns::type::SOA);
  auto txt_a = ask(*t, "info.lab", dns::type::A);
  ASSERT_TRUE(txt_a);
  EXPECT_EQ(txt_a->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(txt_a->msg.answers.empty());
  auto nx = ask(*t, "nothing.lab", dns::type::A);
  ASSERT_TRUE(nx);
  EXPECT_EQ(nx->msg.header.rcode, dns::rcode::NXDOMAIN);
  // A record of a bridge that is not served is left out.
  auto ghost = ask(*t, "ghost.lab", dns::type::A);
  ASSERT_TRUE(ghost);
  EXPECT_EQ(ghost->msg.header.rcode, dns::rcode::NXDOMAIN);
}

TEST(DnsApiRecords, ACnameBesideAClientsNameIsNotServed) {
  NameTableSpec s = spec();
  UserRecord clash = rec("web", RecordType::cname);
  clash.target = "www";
  s.records.push_back(clash);
  auto t = NameTable::build(s, nullptr, nullptr);
  auto web = ask(*t, "web.lab", dns::type::A);
  ASSERT_TRUE(web);
  ASSERT_EQ(web->msg.answers.size(), 1u);
  EXPECT_EQ(a_of(web->msg), std::vector<std::string>{"198.18.0.50"});
}

}  // namespace
}  // namespace berth::dns
