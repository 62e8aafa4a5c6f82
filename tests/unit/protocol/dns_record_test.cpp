// DNS records of the control API: what makes one valid, the names it stands
// for, its value as text and its RDATA on the wire.
#include "protocol/dns/record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::dns {
namespace {

UserRecord a_record(std::string name, const char* ip) {
  UserRecord r;
  r.bridge = "br0";
  r.name = std::move(name);
  r.type = RecordType::a;
  r.address = IpAddress::parse(ip);
  return r;
}

UserRecord of_type(RecordType t) {
  UserRecord r;
  r.bridge = "br0";
  r.name = "x";
  r.type = t;
  return r;
}

std::string problem(const UserRecord& r) { return record_problem(r).value_or("(valid)"); }

TEST(DnsRecord, TypesParseInEitherCaseAndMapToWireTypes) {
  EXPECT_EQ(record_type_from_string("cname"), RecordType::cname);
  EXPECT_EQ(record_type_from_string("AAAA"), RecordType::aaaa);
  EXPECT_EQ(record_type_from_string("Srv"), RecordType::srv);
  EXPECT_EQ(record_type_from_string("MX"), std::nullopt);
  EXPECT_EQ(record_type_from_string("TXTTXT"), std::nullopt);
  EXPECT_EQ(record_type_from_string(""), std::nullopt);
  EXPECT_EQ(wire_type(RecordType::a), 1);
  EXPECT_EQ(wire_type(RecordType::cname), 5);
  EXPECT_EQ(wire_type(RecordType::txt), 16);
  EXPECT_EQ(wire_type(RecordType::aaaa), 28);
  EXPECT_EQ(wire_type(RecordType::srv), 33);
}

TEST(DnsRecord, EachTypeIsValidWithItsOwnFields) {
  EXPECT_EQ(record_problem(a_record("www", "198.18.0.60")), std::nullopt);
  UserRecord aaaa = of_type(RecordType::aaaa);
  aaaa.address = IpAddress::parse("fd00::60");
  EXPECT_EQ(record_problem(aaaa), std::nullopt);
  UserRecord cname = of_type(RecordType::cname);
  cname.target = "web";
  EXPECT_EQ(record_problem(cname), std::nullopt);
  UserRecord srv = of_type(RecordType::srv);
  srv.name = "_http._tcp.web";
  srv.target = "web";
  srv.priority = 10;
  srv.weight = 5;
  srv.port = 80;
  EXPECT_EQ(record_problem(srv), std::nullopt);
  UserRecord txt = of_type(RecordType::txt);
  txt.text = {"v=1", std::string(255, 'a')};
  EXPECT_EQ(record_problem(txt), std::nullopt);
}

TEST(DnsRecord, BadNamesAreRefusedWithTheReason) {
  EXPECT_NE(problem(a_record("", "198.18.0.1")).find("name is empty"), std::string::npos);
  EXPECT_NE(problem(a_record("bad name", "198.18.0.1")).find("letters, digits"), std::string::npos);
  EXPECT_NE(problem(a_record("a..b", "198.18.0.1")).find("empty label"), std::string::npos);
  EXPECT_NE(problem(a_record(".", "198.18.0.1")).find("root"), std::string::npos);
  EXPECT_NE(problem(a_record(std::string(64, 'a'), "198.18.0.1")).find("longer than 63"),
            std::string::npos);
  EXPECT_NE(problem(a_record(std::string(254, 'a'), "198.18.0.1")).find("253"), std::string::npos);
  EXPECT_EQ(record_problem(a_record("www.lab.", "198.18.0.1")), std::nullopt);
}

TEST(DnsRecord, AddressesMustBeOfTheRightFamilyAndSpecified) {
  EXPECT_NE(problem(a_record("x", "fd00::1")).find("IPv4"), std::string::npos);
  EXPECT_NE(problem(a_record("x", "0.0.0.0")).find("0.0.0.0"), std::string::npos);
  UserRecord none = of_type(RecordType::a);
  EXPECT_NE(problem(none).find("IPv4"), std::string::npos);
  UserRecord aaaa = of_type(RecordType::aaaa);
  aaaa.address = IpAddress::parse("198.18.0.1");
  EXPECT_NE(problem(aaaa).find("IPv6"), std::string::npos);
  aaaa.address = IpAddress::parse("::");
  EXPECT_NE(problem(aaaa).find("may not be ::"), std::string::npos);
}

TEST(DnsRecord, FieldsOfAnotherTypeAreRefused) {
  UserRecord r = a_record("x", "198.18.0.1");
  r.target = "web";
  EXPECT_NE(problem(r).find("no 'target'"), std::string::npos);
  r = a_record("x", "198.18.0.1");
  r.port = 80;
  EXPECT_NE(problem(r).find("only an SRV"), std::string::npos);
  r = a_record("x", "198.18.0.1");
  r.text = {"t"};
  EXPECT_NE(problem(r).find("only a TXT"), std::string::npos);
  UserRecord txt = of_type(RecordType::txt);
  txt.text = {"t"};
  txt.address = IpAddress::parse("198.18.0.1");
  EXPECT_NE(problem(txt).find("no 'address'"), std::string::npos);
}

TEST(DnsRecord, TargetsAndTextAreChecked) {
  UserRecord cname = of_type(RecordType::cname);
  EXPECT_NE(problem(cname).find("needs a 'target'"), std::string::npos);
  cname.target = "X.";  // itself, in another case and absolute
  cname.name = "x";
  EXPECT_NE(problem(cname).find("itself"), std::string::npos);
  cname.target = "bad target";
  EXPECT_NE(problem(cname).find("target 'bad target'"), std::string::npos);
  UserRecord txt = of_type(RecordType::txt);
  EXPECT_NE(problem(txt).find("one or more strings"), std::string::npos);
  txt.text = {"ok", std::string(256, 'b')};
  EXPECT_NE(problem(txt).find("TXT string 2 is 256 bytes"), std::string::npos);
  txt.text = std::vector<std::string>(kMaxTxtStrings + 1, "s");
  EXPECT_NE(problem(txt).find("at most 64 strings"), std::string::npos);
}

TEST(DnsRecord, NamesAreRelativeToTheBridgeDomainUnlessAbsolute) {
  const UserRecord www = a_record("WWW", "198.18.0.1");
  EXPECT_EQ(record_owner(www, "lab")->to_text(), "www.lab");
  EXPECT_EQ(record_owner(a_record("www.lab", "198.18.0.1"), "lab")->to_text(), "www.lab");
  EXPECT_EQ(record_owner(a_record("www.other.", "198.18.0.1"), "lab")->to_text(), "www.other");
  UserRecord global = www;
  global.bridge.clear();
  EXPECT_EQ(record_owner(global, "lab")->to_text(), "www");

  UserRecord cname = of_type(RecordType::cname);
  cname.target = "web";
  EXPECT_EQ(record_target(cname, "lab")->to_text(), "web.lab");
  cname.target = "web.example.org";
  EXPECT_EQ(record_target(cname, "lab")->to_text(), "web.example.org");
  EXPECT_EQ(record_target(www, "lab"), std::nullopt);
}

TEST(DnsRecord, ValueTextIsWhatBerthctlTakes) {
  EXPECT_EQ(record_value_text(a_record("x", "198.18.0.1")), "198.18.0.1");
  UserRecord srv = of_type(RecordType::srv);
  srv.priority = 10;
  srv.weight = 5;
  srv.port = 80;
  srv.target = "web";
  EXPECT_EQ(record_value_text(srv), "10 5 80 web");
  UserRecord txt = of_type(RecordType::txt);
  txt.text = {"v=1", "say \"hi\""};
  EXPECT_EQ(record_value_text(txt), "\"v=1\" \"say \\\"hi\\\"\"");
}

TEST(DnsRecord, TxtAndSrvRdataAreInWireForm) {
  EXPECT_EQ(txt_rdata({"v=1", "hello world"}),
            (std::vector<uint8_t>{3, 'v', '=', '1', 11, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r',
                                  'l', 'd'}));
  EXPECT_EQ(txt_rdata({""}), (std::vector<uint8_t>{0}));
  const auto target = Name::from_text("web.lab");
  ASSERT_TRUE(target);
  EXPECT_EQ(srv_rdata(10, 5, 0x1f90, *target),
            (std::vector<uint8_t>{0, 10, 0, 5, 0x1f, 0x90, 3, 'w', 'e', 'b', 3, 'l', 'a', 'b', 0}));
}

TEST(DnsRecord, ConflictsNameTheRecordTheyClashWith) {
  UserRecord a1 = a_record("www", "198.18.0.1");
  a1.id = 1;
  UserRecord cname = of_type(RecordType::cname);
  cname.id = 2;
  cname.name = "alias";
  cname.target = "web";
  const Name www = *record_owner(a1, "lab");
  const Name alias = *record_owner(cname, "lab");
  const std::vector<OwnedRecord> existing{{&a1, www}, {&cname, alias}};

  // The same A again, in another case.
  auto same = record_conflict(a_record("WWW", "198.18.0.1"), www, existing);
  ASSERT_TRUE(same);
  EXPECT_NE(same->find("the same record exists: record 1"), std::string::npos) << *same;
  // Another A at the name is fine.
  EXPECT_EQ(record_conflict(a_record("www", "198.18.0.2"), www, existing), std::nullopt);
  // A CNAME beside an A, an A beside a CNAME, a second CNAME.
  UserRecord c2 = of_type(RecordType::cname);
  c2.target = "db";
  auto beside = record_conflict(c2, www, existing);
  ASSERT_TRUE(beside);
  EXPECT_NE(beside->find("other records"), std::string::npos) << *beside;
  auto under = record_conflict(a_record("alias", "198.18.0.3"), alias, existing);
  ASSERT_TRUE(under);
  EXPECT_NE(under->find("is an alias"), std::string::npos) << *under;
  auto second = record_conflict(c2, alias, existing);
  ASSERT_TRUE(second);
  EXPECT_NE(second->find("already has a CNAME"), std::string::npos) << *second;
}

}  // namespace
}  // namespace berth::dns
