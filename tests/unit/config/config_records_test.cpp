// [[bridge.reservation]] and [dns] with its record tables.
#include <gtest/gtest.h>
#include "tests/unit/config/config_test_util.hpp"

#include <string>

#include "config/config.hpp"

namespace berth::config {
namespace {

using test::bridge_with;
using test::error_of;
using test::ip;
using test::kBridge;

TEST(ConfigReservations, AllThreeKinds) {
  const Config c = parse_config(bridge_with("[[bridge.reservation]]\n"
                                            "mac = \"00:16:3E:AA:BB:CC\"\n"
                                            "ip = \"10.0.3.10\"\n"
                                            "name = \"web\"\n"
                                            "[[bridge.reservation]]\n"
                                            "client_id = \"01:00:16:3e:00:00:01\"\n"
                                            "ip = \"10.0.3.11\"\n"
                                            "[[bridge.reservation]]\n"
                                            "hostname = \"db\"\n"
                                            "ip = \"10.0.3.12\"\n"
                                            "name = \"database\"\n"),
                                "test.toml");
  ASSERT_EQ(c.bridges.size(), 1u);
  const auto& r = c.bridges[0].reservations;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].match, ReservationConfig::Match::mac);
  EXPECT_EQ(r[0].mac.to_string(), "00:16:3e:aa:bb:cc");
  EXPECT_EQ(r[0].ip.to_string(), "10.0.3.10");
  EXPECT_EQ(r[0].name, "web");
  EXPECT_EQ(r[1].match, ReservationConfig::Match::client_id);
  EXPECT_EQ(r[1].client_id, (std::vector<uint8_t>{1, 0, 0x16, 0x3e, 0, 0, 1}));
  EXPECT_TRUE(r[1].name.empty());
  EXPECT_EQ(r[2].match, ReservationConfig::Match::hostname);
  EXPECT_EQ(r[2].hostname, "db");
  // Round trip through to_toml.
  Config again = parse_config(to_toml(c), "again.toml");
  again.source = c.source;
  EXPECT_EQ(again, c);
}

TEST(ConfigReservations, ReservationBeforeAddressIsCheckedAgainstIt) {
  const Config c = parse_config(
      "[[bridge]]\nname = \"b\"\n"
      "reservation = [{ mac = \"00:16:3e:00:00:01\", ip = \"10.9.0.5\" }]\n"
      "address = \"10.9.0.1/16\"\n",
      "test.toml");
  EXPECT_EQ(c.bridges[0].reservations.at(0).ip.to_string(), "10.9.0.5");
}

TEST(ConfigReservations, Errors) {
  struct Case {
    std::string text;
    std::string key;
    std::string message_part;
    uint32_t line;
  };
  const std::string r = "[[bridge.reservation]]\n";  // line 4
  const Case cases[] = {
      {bridge_with(r + "ip = \"10.0.3.10\"\n"), "bridge[0].reservation[0]", "needs one of mac", 4},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nhostname = \"x\"\nip = \"10.0.3.10\"\n"),
       "bridge[0].reservation[0].hostname", "exactly one of", 6},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\n"), "bridge[0].reservation[0].ip",
       "missing required key 'ip'", 4},
      {bridge_with(r + "mac = \"zz:16:3e:00:00:01\"\nip = \"10.0.3.10\"\n"),
       "bridge[0].reservation[0].mac", "not a MAC address", 5},
      {bridge_with(r + "client_id = \"01\"\nip = \"10.0.3.10\"\n"),
       "bridge[0].reservation[0].client_id", "two hex bytes", 5},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.4.10\"\n"),
       "bridge[0].reservation[0].ip", "outside the bridge subnet", 6},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.1\"\n"),
       "bridge[0].reservation[0].ip", "bridge's own address", 6},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.255\"\n"),
       "bridge[0].reservation[0].ip", "broadcast", 6},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.10\"\nname = \"a.b\"\n"),
       "bridge[0].reservation[0].name", "single label", 7},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.10\"\n" + r +
                   "mac = \"00:16:3e:00:00:02\"\nip = \"10.0.3.10\"\n"),
       "bridge[0].reservation[1].ip", "already reserved by reservation[0]", 9},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.10\"\n" + r +
                   "mac = \"00:16:3E:00:00:01\"\nip = \"10.0.3.11\"\n"),
       "bridge[0].reservation[1]", "already has reservation[0]", 7},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.10\"\nname = \"w\"\n" + r +
                   "mac = \"00:16:3e:00:00:02\"\nip = \"10.0.3.11\"\nname = \"w\"\n"),
       "bridge[0].reservation[1].name", "already used", 11},
      {bridge_with(r + "mac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.10\"\nnme = \"w\"\n"),
       "bridge[0].reservation[0].nme", "did you mean 'name'", 7},
      {bridge_with("reservation = 3\n"), "bridge[0].reservation", "array of tables", 4},
  };
  for (const auto& c : cases) {
    const ConfigError e = error_of(c.text);
    EXPECT_EQ(e.key(), c.key) << c.text;
    EXPECT_NE(e.message().find(c.message_part), std::string::npos) << e.what();
    EXPECT_EQ(e.line(), c.line) << e.what();
  }
}

TEST(ConfigDns, DefaultsWithoutTable) {
  const Config c = parse_config(kBridge, "test.toml");
  EXPECT_TRUE(c.dns.enabled);
  EXPECT_EQ(c.dns.port, 53);
  EXPECT_TRUE(c.dns.upstreams.empty());
  EXPECT_EQ(c.dns.resolv_conf, "/etc/resolv.conf");
  EXPECT_EQ(c.dns.cache_size, 10000u);
  EXPECT_EQ(c.dns.local_ttl, 0u);
}

TEST(ConfigDns, FullTable) {
  const Config c = parse_config(bridge_with("[dns]\n"
                                            "port = 5353\n"
                                            "upstreams = [\"198.18.1.1\", \"198.18.1.2#5300\", "
                                            "\"[fd00::1]:53\", \"fd00::2\"]\n"
                                            "cache_size = 0\n"
                                            "local_ttl = 5\n"
                                            "workers = 2\n"
                                            "[[dns.server]]\n"
                                            "domain = \"corp.example\"\n"
                                            "upstreams = [\"198.18.2.1:5353\"]\n"
                                            "[[dns.host]]\n"
                                            "name = \"db.lab.example.\"\n"
                                            "ip = \"198.18.0.9\"\n"
                                            "[[dns.cname]]\n"
                                            "name = \"www.berth\"\n"
                                            "target = \"web.berth\"\n"
                                            "[[dns.srv]]\n"
                                            "name = \"_http._tcp.web.berth\"\n"
                                            "target = \"web.berth\"\n"
                                            "port = 80\n"
                                            "priority = 1\n"
                                            "[[dns.txt]]\n"
                                            "name = \"info.berth\"\n"
                                            "text = [\"v=1\", \"hello world\"]\n"
                                            "[[dns.txt]]\n"
                                            "name = \"one.berth\"\n"
                                            "text = \"single\"\n"),
                                "test.toml");
  const DnsConfig& d = c.dns;
  EXPECT_EQ(d.port, 5353);
  ASSERT_EQ(d.upstreams.size(), 4u);
  EXPECT_EQ(d.upstreams[0].to_string(), "198.18.1.1:53");
  EXPECT_EQ(d.upstreams[1].to_string(), "198.18.1.2:5300");
  EXPECT_EQ(d.upstreams[2].to_string(), "[fd00::1]:53");
  EXPECT_TRUE(d.upstreams[3].ipv6);
  EXPECT_EQ(d.cache_size, 0u);
  EXPECT_EQ(d.local_ttl, 5u);
  EXPECT_EQ(d.workers, 2u);
  ASSERT_EQ(d.servers.size(), 1u);
  EXPECT_EQ(d.servers[0].domain, "corp.example");
  EXPECT_EQ(d.servers[0].upstreams.at(0).port, 5353);
  ASSERT_EQ(d.hosts.size(), 1u);
  EXPECT_EQ(d.hosts[0].name, "db.lab.example");  // final dot dropped
  EXPECT_EQ(d.cnames.at(0).target, "web.berth");
  EXPECT_EQ(d.srvs.at(0).port, 80);
  EXPECT_EQ(d.srvs.at(0).priority, 1);
  EXPECT_EQ(d.txts.at(0).text, (std::vector<std::string>{"v=1", "hello world"}));
  EXPECT_EQ(d.txts.at(1).text, (std::vector<std::string>{"single"}));
  Config again = parse_config(to_toml(c), "again.toml");
  again.source = c.source;
  EXPECT_EQ(again, c);
}

TEST(ConfigDns, Errors) {
  struct Case {
    std::string text;
    std::string key;
    std::string message_part;
  };
  const Case cases[] = {
      {"[dns]\nport = 0\n", "dns.port", "out of range"},
      {"[dns]\nupstreams = [\"resolver.example\"]\n", "dns.upstreams", "not an IP address"},
      {"[dns]\nupstreams = [\"198.18.1.1:99999\"]\n", "dns.upstreams", "not an IP address"},
      {"[dns]\nupstreams = [\"198.18.1.1\", 5]\n", "dns.upstreams[1]", "expected a string"},
      {"[dns]\nupstreams = \"198.18.1.1\"\n", "dns.upstreams", "expected array of strings"},
      {"[dns]\nresolv_conf = \"resolv.conf\"\n", "dns.resolv_conf", "absolute path"},
      {"[dns]\ncahce_size = 3\n", "dns.cahce_size", "did you mean 'cache_size'"},
      {"[[dns.host]]\nname = \"a..b\"\nip = \"198.18.0.1\"\n", "dns.host[0].name", "empty label"},
      // "_gateway.lxd" (dnsmasq's interface-name under LXD/Incus) is a host name.
      {"[[dns.host]]\nname = \"a*b\"\nip = \"198.18.0.1\"\n", "dns.host[0].name", "contains"},
      {"[[dns.host]]\nname = \"ab\"\nip = \"198.18.0\"\n", "dns.host[0].ip", "not an IPv4"},
      {"[[dns.srv]]\nname = \"_x._tcp.a\"\ntarget = \"a\"\n", "dns.srv[0].port",
       "missing required key 'port'"},
      {"[[dns.server]]\ndomain = \"x.example\"\nupstreams = []\n", "dns.server[0].upstreams",
       "is empty"},
      {"[dns]\nworkers = 65\n", "dns.workers", "out of range"},
      {"[dnss]\n", "dnss", "did you mean [dns]"},
  };
  for (const auto& c : cases) {
    const ConfigError e = error_of(bridge_with(c.text));
    EXPECT_EQ(e.key(), c.key) << c.text;
    EXPECT_NE(e.message().find(c.message_part), std::string::npos) << e.what();
    EXPECT_GT(e.line(), 3u) << e.what();
  }
}

TEST(ConfigValues, ParseUpstream) {
  EXPECT_FALSE(parse_upstream("").has_value());
  EXPECT_FALSE(parse_upstream("198.18.1.1:0").has_value());
  EXPECT_FALSE(parse_upstream("[fd00::1").has_value());
  EXPECT_FALSE(parse_upstream("[fd00::1]x").has_value());
  auto u = parse_upstream(" 198.18.1.1 ");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->address, "198.18.1.1");
  EXPECT_EQ(u->port, 53);
  auto v6 = parse_upstream("fd00::53");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->port, 53);
}

}  // namespace
}  // namespace berth::config
