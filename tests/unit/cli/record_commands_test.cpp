// `berthctl record add` arguments to a record, and the lines it prints.
#include "cli/record_commands.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::cli {
namespace {

dns::UserRecord parsed(const std::string& type, std::vector<std::string> values) {
  auto r = record_from_args("br0", "x", type, values);
  if (auto* e = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << type << ": " << *e;
    return {};
  }
  return std::get<dns::UserRecord>(r);
}

std::string refused(const std::string& type, std::vector<std::string> values,
                    const std::string& name = "x") {
  auto r = record_from_args("br0", name, type, values);
  if (!std::holds_alternative<std::string>(r)) {
    ADD_FAILURE() << type << " was accepted";
    return {};
  }
  return std::get<std::string>(r);
}

TEST(RecordArgs, EachTypeTakesItsValues) {
  EXPECT_EQ(parsed("a", {"198.18.0.60"}).address, IpAddress::parse("198.18.0.60"));
  EXPECT_EQ(parsed("AAAA", {"fd00::60"}).address, IpAddress::parse("fd00::60"));
  EXPECT_EQ(parsed("CNAME", {"web"}).target, "web");
  const auto srv = parsed("srv", {"10", "5", "80", "web"});
  EXPECT_EQ(srv.priority, 10);
  EXPECT_EQ(srv.weight, 5);
  EXPECT_EQ(srv.port, 80);
  EXPECT_EQ(srv.target, "web");
  EXPECT_EQ(parsed("TXT", {"v=1", "hello world"}).text,
            (std::vector<std::string>{"v=1", "hello world"}));
  EXPECT_EQ(parsed("A", {"198.18.0.60"}).bridge, "br0");
}

TEST(RecordArgs, BadArgumentsAreSentences) {
  EXPECT_NE(refused("MX", {"10", "mail"}).find("is not one of"), std::string::npos);
  EXPECT_NE(refused("A", {"1.2.3.4", "5.6.7.8"}).find("takes one ADDRESS; 2 values were given"),
            std::string::npos);
  EXPECT_NE(refused("A", {"nope"}).find("not an IP address"), std::string::npos);
  EXPECT_NE(refused("A", {"fd00::1"}).find("IPv4"), std::string::npos);
  EXPECT_NE(refused("SRV", {"1", "2"}).find("PRIORITY WEIGHT PORT TARGET"), std::string::npos);
  EXPECT_NE(refused("SRV", {"1", "2", "70000", "web"}).find("port '70000'"), std::string::npos);
  EXPECT_NE(refused("SRV", {"-1", "2", "3", "web"}).find("priority"), std::string::npos);
  EXPECT_NE(refused("TXT", {}).find("one or more strings"), std::string::npos);
  EXPECT_NE(refused("TXT", {std::string(256, 'a')}).find("at most 255"), std::string::npos);
  EXPECT_NE(refused("A", {"198.18.0.1"}, "bad name").find("letters, digits"), std::string::npos);
  EXPECT_NE(refused("CNAME", {"x"}).find("itself"), std::string::npos);
}

TEST(RecordArgs, DescribeAndTableShowTheFullNameAndValue) {
  api::RecordInfo info{.record = parsed("SRV", {"10", "5", "80", "web"}),
                       .fqdn = "_http._tcp.web.lab"};
  info.record.id = 4;
  EXPECT_EQ(describe(info), "record 4 on br0: _http._tcp.web.lab SRV 10 5 80 web");
  api::RecordInfo global{.record = parsed("TXT", {"v=1"}), .fqdn = "x"};
  global.record.id = 5;
  global.record.bridge.clear();
  const std::string table = render_records(api::RecordList{.records = {info, global}});
  EXPECT_NE(table.find("ID"), std::string::npos);
  EXPECT_NE(table.find("_http._tcp.web.lab"), std::string::npos);
  EXPECT_NE(table.find("10 5 80 web"), std::string::npos);
  EXPECT_NE(table.find("\"v=1\""), std::string::npos);
  EXPECT_NE(table.find(" - "), std::string::npos) << table;  // no bridge
}

}  // namespace
}  // namespace berth::cli
