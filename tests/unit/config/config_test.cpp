#include "config/config.hpp"
#include "tests/unit/config/config_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>

#include <unistd.h>

#include "config/values.hpp"

namespace berth::config {
namespace {

using test::bridge_with;
using test::error_of;
using test::ip;
using test::kBridge;

BridgeConfig only_bridge(std::string_view text) {
  const Config c = parse_config(text, "test.toml");
  EXPECT_EQ(c.bridges.size(), 1u);
  return c.bridges.empty() ? BridgeConfig{} : c.bridges.front();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- ConfigError ------------------------------------------------------------

TEST(ConfigError, WhatHasFileLineColumnKeyAndMessage) {
  const ConfigError e("berth.toml", 7, 3, "bridge[0].pool", "bad pool");
  EXPECT_STREQ(e.what(), "berth.toml:7:3: bridge[0].pool: bad pool");
  EXPECT_EQ(e.file(), "berth.toml");
  EXPECT_EQ(e.line(), 7u);
  EXPECT_EQ(e.column(), 3u);
  EXPECT_EQ(e.key(), "bridge[0].pool");
  EXPECT_EQ(e.message(), "bad pool");
}

TEST(ConfigError, WhatOmitsUnknownPositionAndEmptyKey) {
  EXPECT_STREQ(ConfigError("f", 0, 0, "", "no bridge").what(), "f: no bridge");
  EXPECT_STREQ(ConfigError("f", 0, 0, "daemon", "m").what(), "f: daemon: m");
  EXPECT_STREQ(ConfigError("f", 4, 0, "", "m").what(), "f:4: m");
}

// ---- defaults and valid files -------------------------------------------------

TEST(Config, DefaultConfig) {
  const Config c = default_config();
  EXPECT_EQ(c.source, "<built-in defaults>");
  EXPECT_EQ(c.daemon.database, "/var/lib/berth/berth.db");
  EXPECT_EQ(c.daemon.log_level, "info");
  EXPECT_EQ(c.daemon.durability, Durability::fsync);
  EXPECT_EQ(c.daemon.commit_interval_us, 5000u);
  ASSERT_EQ(c.bridges.size(), 1u);
  const BridgeConfig& b = c.bridges[0];
  EXPECT_EQ(b.name, "berth0");
  EXPECT_EQ(b.address.address, ip("10.0.3.1"));
  EXPECT_EQ(b.address.length, 24);
  EXPECT_EQ(b.pool_start, ip("10.0.3.2"));
  EXPECT_EQ(b.pool_end, ip("10.0.3.254"));
  EXPECT_EQ(b.lease_time, 3600u);
  EXPECT_EQ(b.domain, "berth");
  EXPECT_FALSE(b.mtu.has_value());
  EXPECT_TRUE(b.create);
  EXPECT_TRUE(b.nat);  // as lxc-net: the default bridge reaches the outside
  EXPECT_EQ(c.daemon.user, "");
  EXPECT_TRUE(c.daemon.resolved);
}

TEST(Config, DaemonUserAndResolved) {
  const Config c = parse_config(
      std::string(kBridge) + "[daemon]\nuser = \"berth\"\nresolved = false\n", "t.toml");
  EXPECT_EQ(c.daemon.user, "berth");
  EXPECT_FALSE(c.daemon.resolved);
  try {
    (void)parse_config("[daemon]\nuser = \"a b\"\n" + std::string(kBridge), "t.toml");
    FAIL() << "a user with a space was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.toml:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("user"), std::string::npos) << e.what();
  }
}

TEST(Config, FullValidFile) {
  const Config c = parse_config(
      "[daemon]\n"
      "database = \"/tmp/b.db\"\n"
      "log_level = \"debug\"\n"
      "durability = \"process\"\n"
      "commit_interval_ms = 0\n"
      "\n"
      "[[bridge]]\n"
      "name = \"lxcbr0\"\n"
      "address = \"10.0.3.1/24\"\n"
      "pool = \"10.0.3.100 -10.0.3.200\"\n"
      "lease_time = \"45m\"\n"
      "domain = \"lxc.example\"\n"
      "mtu = 1400\n"
      "create = false\n"
      "\n"
      "[[bridge]]\n"
      "name = \"br1\"\n"
      "address = \"172.20.255.254/16\"\n",
      "full.toml");
  EXPECT_EQ(c.source, "full.toml");
  EXPECT_EQ(c.daemon.database, "/tmp/b.db");
  EXPECT_EQ(c.daemon.log_level, "debug");
  EXPECT_EQ(c.daemon.durability, Durability::process);
  EXPECT_EQ(c.daemon.commit_interval_us, 0u);
  ASSERT_EQ(c.bridges.size(), 2u);
  const BridgeConfig& a = c.bridges[0];
  EXPECT_EQ(a.name, "lxcbr0");
  EXPECT_EQ(a.address, (Ipv4Prefix{ip("10.0.3.1"), 24}));
  EXPECT_EQ(a.pool_start, ip("10.0.3.100"));
  EXPECT_EQ(a.pool_end, ip("10.0.3.200"));
  EXPECT_EQ(a.lease_time, 2700u);
  EXPECT_EQ(a.domain, "lxc.example");
  EXPECT_EQ(a.mtu, std::optional<uint16_t>(1400));
  EXPECT_FALSE(a.create);
  const BridgeConfig& b = c.bridges[1];
  EXPECT_EQ(b.name, "br1");
  EXPECT_EQ(b.address, (Ipv4Prefix{ip("172.20.255.254"), 16}));
  // Bridge at the top of its subnet: the pool is everything below it.
  EXPECT_EQ(b.pool_start, ip("172.20.0.1"));
  EXPECT_EQ(b.pool_end, ip("172.20.255.253"));
  EXPECT_EQ(b.lease_time, 3600u);
  EXPECT_EQ(b.domain, "berth");
  EXPECT_TRUE(b.create);
}

TEST(Config, MinimalFileTakesDefaults) {
  const Config c = parse_config(kBridge, "min.toml");
  EXPECT_EQ(c.daemon, DaemonConfig{});
  Config expected = default_config();
  expected.source = "min.toml";
  expected.bridges[0].nat = false;  // only the built-in default bridge has NAT on
  EXPECT_EQ(c, expected);
}

TEST(Config, InlineArrayOfTablesIsAccepted) {
  const Config c = parse_config(
      "bridge = [ { name = \"a\", address = \"10.1.0.1/24\" },\n"
      "           { name = \"b\", address = \"10.2.0.1/24\" } ]\n",
      "t");
  ASSERT_EQ(c.bridges.size(), 2u);
  EXPECT_EQ(c.bridges[1].name, "b");
}

TEST(Config, ToTomlRoundTrips) {
  Config c = parse_config(
      "[daemon]\ndurability = \"process\"\ncommit_interval_ms = 12\nlog_level = \"warn\"\ndatabase "
      "= \"/x/\\\"q\\\".db\"\n" +
          bridge_with("mtu = 9000\ncreate = false\nlease_time = \"infinite\"\n") +
          "[[bridge]]\nname = \"b2\"\naddress = \"192.168.5.77/26\"\n",
      "a");
  Config again = parse_config(to_toml(c), "b");
  again.source = c.source;
  EXPECT_EQ(again, c);
  EXPECT_EQ(again.daemon.database, "/x/\"q\".db");
  EXPECT_EQ(again.bridges[0].lease_time, kInfiniteLease);
}

TEST(Config, ExampleFileParses) {
  const Config c = load_config_file(BERTH_TEST_DATA_DIR "/../../examples/berth.toml");
  ASSERT_EQ(c.bridges.size(), 2u);
  EXPECT_EQ(c.bridges[0].name, "berth0");
  EXPECT_EQ(c.bridges[0].pool_start, ip("10.0.3.2"));
  EXPECT_EQ(c.bridges[0].lease_time, 3600u);
  EXPECT_EQ(c.bridges[1].name, "virbr1");
  EXPECT_EQ(c.bridges[1].mtu, std::optional<uint16_t>(9000));
  EXPECT_FALSE(c.bridges[1].create);
}

TEST(Config, DocsMatchSchema) {
  // docs/configuration.md is generated; regenerate it from
  // config_reference_markdown() when this fails.
  EXPECT_EQ(read_file(BERTH_TEST_DATA_DIR "/../../docs/configuration.md"),
            config_reference_markdown());
}

TEST(Config, ReferenceListsEveryKeyAndParsesItsExample) {
  const std::string md = config_reference_markdown();
  for (const char* key : {"`database`", "`log_level`", "`durability`", "`name`", "`address`",
                          "`pool`", "`lease_time`", "`domain`", "`mtu`", "`create`"}) {
    EXPECT_NE(md.find(std::string("| ") + key + " |"), std::string::npos) << key;
  }
  const size_t begin = md.find("```toml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = md.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  Config c = parse_config(md.substr(begin + 8, end - begin - 8), "md");
  c.source = default_config().source;
  EXPECT_EQ(c, default_config());
}

// ---- lease_time ---------------------------------------------------------------

TEST(Config, LeaseTimeForms) {
  const std::pair<const char*, uint32_t> cases[] = {
      {"lease_time = 7200", 7200},
      {"lease_time = 120", 120},
      {"lease_time = 4294967295", 0xffffffffu},
      {"lease_time = \"3600\"", 3600},
      {"lease_time = \"120s\"", 120},
      {"lease_time = \"45m\"", 2700},
      {"lease_time = \"12h\"", 43200},
      {"lease_time = \"1H\"", 3600},
      {"lease_time = \"2d\"", 172800},
      {"lease_time = \"infinite\"", 0xffffffffu},
  };
  for (const auto& [line, seconds] : cases) {
    EXPECT_EQ(only_bridge(bridge_with(line)).lease_time, seconds) << line;
  }
}

TEST(Config, LeaseTimeOutOfRange) {
  for (const char* line :
       {"lease_time = 119", "lease_time = \"90s\"", "lease_time = \"1m\"", "lease_time = 0"}) {
    const ConfigError e = error_of(bridge_with(line));
    EXPECT_EQ(e.line(), 4u) << line;
    EXPECT_EQ(e.key(), "bridge[0].lease_time");
    EXPECT_NE(e.message().find("shorter than the minimum of 120"), std::string::npos) << e.what();
  }
  for (const char* line : {"lease_time = 4294967296", "lease_time = \"49711d\"",
                           "lease_time = \"99999999999999999999999999d\""}) {
    const ConfigError e = error_of(bridge_with(line));
    EXPECT_EQ(e.line(), 4u) << line;
    EXPECT_NE(e.message().find("longer than the maximum"), std::string::npos) << e.what();
  }
  const ConfigError negative = error_of(bridge_with("lease_time = -5"));
  EXPECT_EQ(negative.message(), "lease time -5 is negative");
}

TEST(Config, LeaseTimeBadForms) {
  for (const char* line :
       {"lease_time = \"1w\"", "lease_time = \"h\"", "lease_time = \"\"", "lease_time = \"1.5h\"",
        "lease_time = \" 1h\"", "lease_time = \"12hh\"", "lease_time = \"Infinite\""}) {
    const ConfigError e = error_of(bridge_with(line));
    EXPECT_EQ(e.line(), 4u) << line;
    EXPECT_EQ(e.column(), 14u) << line;
    EXPECT_EQ(e.key(), "bridge[0].lease_time");
    EXPECT_NE(e.message().find("is not a number of seconds"), std::string::npos) << e.what();
  }
  const ConfigError e = error_of(bridge_with("lease_time = 1.5"));
  EXPECT_EQ(e.message(), "expected integer or string, got float");
}

// ---- pools --------------------------------------------------------------------

TEST(Config, PoolDefaults) {
  const std::tuple<const char*, const char*, const char*> cases[] = {
      {"10.0.3.1/24", "10.0.3.2", "10.0.3.254"},
      {"10.0.3.254/24", "10.0.3.1", "10.0.3.253"},
      {"10.0.3.100/24", "10.0.3.101", "10.0.3.254"},  // 154 above vs 99 below
      {"10.0.3.200/24", "10.0.3.1", "10.0.3.199"},
      {"10.0.3.128/24", "10.0.3.1", "10.0.3.127"},  // 127 below vs 126 above
      {"192.168.0.1/30", "192.168.0.2", "192.168.0.2"},
      {"192.168.0.2/30", "192.168.0.1", "192.168.0.1"},
      {"10.0.0.1/8", "10.0.0.2", "10.255.255.254"},
  };
  for (const auto& [address, first, last] : cases) {
    const auto prefix = Ipv4Prefix::parse(address);
    ASSERT_TRUE(prefix.has_value()) << address;
    const AddressRange pool = default_pool(*prefix);
    EXPECT_EQ(pool, (AddressRange{ip(first), ip(last)})) << address;
    const BridgeConfig b =
        only_bridge("[[bridge]]\nname = \"b\"\naddress = \"" + std::string(address) + "\"\n");
    EXPECT_EQ(b.pool_start, ip(first)) << address;
    EXPECT_EQ(b.pool_end, ip(last)) << address;
  }
}

TEST(Config, PoolMayComeBeforeAddress) {
  const BridgeConfig b = only_bridge(
      "[[bridge]]\npool = \"10.9.0.10-10.9.0.20\"\nname = \"b\"\naddress = \"10.9.0.1/24\"\n");
  EXPECT_EQ(b.pool_start, ip("10.9.0.10"));
  EXPECT_EQ(b.pool_end, ip("10.9.0.20"));
}

struct PoolCase {
  const char* pool;
  const char* message;
};

TEST(Config, PoolErrors) {
  const PoolCase cases[] = {
      {"10.0.4.2-10.0.4.9", "pool 10.0.4.2-10.0.4.9 is not inside the subnet 10.0.3.0/24"},
      {"10.0.3.200-10.0.4.9", "pool 10.0.3.200-10.0.4.9 is not inside the subnet 10.0.3.0/24"},
      {"10.0.3.20-10.0.3.2", "pool start 10.0.3.20 is after its end 10.0.3.2"},
      {"10.0.3.0-10.0.3.9", "pool 10.0.3.0-10.0.3.9 contains the network address 10.0.3.0"},
      {"10.0.3.9-10.0.3.255", "pool 10.0.3.9-10.0.3.255 contains the broadcast address 10.0.3.255"},
      {"10.0.3.1-10.0.3.20", "pool 10.0.3.1-10.0.3.20 contains the bridge's own address 10.0.3.1"},
      {"10.0.3.2", "pool '10.0.3.2' is not an address range like \"10.0.3.2-10.0.3.254\""},
      {"10.0.3.2-10.0.3",
       "pool '10.0.3.2-10.0.3' is not an address range like "
       "\"10.0.3.2-10.0.3.254\""},
  };
  for (const auto& c : cases) {
    const ConfigError e =
        error_of(std::string(kBridge) + "domain = \"x\"\npool = \"" + c.pool + "\"\n");
    EXPECT_EQ(e.file(), "test.toml");
    EXPECT_EQ(e.line(), 5u) << c.pool;
    EXPECT_EQ(e.column(), 8u) << c.pool;
    EXPECT_EQ(e.key(), "bridge[0].pool");
    EXPECT_EQ(e.message(), c.message);
  }
}

// ---- error kinds, each with its exact location --------------------------------

TEST(ConfigErrors, TomlSyntax) {
  const ConfigError e = error_of("[daemon]\nlog_level = \"info\n");
  EXPECT_EQ(e.file(), "test.toml");
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.key(), "");
  EXPECT_FALSE(e.message().empty());
  EXPECT_EQ(error_of("\n\na = = 1\n").line(), 3u);
  EXPECT_EQ(error_of(bridge_with("name = \"again\"\n")).line(), 4u);  // redefined key
}

TEST(ConfigErrors, DeepNestingIsAConfigError) {
  const std::string deep = "a = " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  const ConfigError e = error_of(deep);
  EXPECT_EQ(e.line(), 1u);
}

TEST(ConfigErrors, UnknownKeyWithSuggestion) {
  const ConfigError e = error_of(bridge_with("leas_time = \"1h\"\n"));
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.column(), 1u);
  EXPECT_EQ(e.key(), "bridge[0].leas_time");
  EXPECT_EQ(e.message(), "unknown key 'leas_time' in [[bridge]]; did you mean 'lease_time'?");
  EXPECT_STREQ(e.what(),
               "test.toml:4:1: bridge[0].leas_time: unknown key 'leas_time' in [[bridge]]; "
               "did you mean 'lease_time'?");

  const ConfigError d = error_of("[daemon]\n  durablity = \"fsync\"\n" + std::string(kBridge));
  EXPECT_EQ(d.line(), 2u);
  EXPECT_EQ(d.column(), 3u);
  EXPECT_EQ(d.key(), "daemon.durablity");
  EXPECT_EQ(d.message(), "unknown key 'durablity' in [daemon]; did you mean 'durability'?");

  // Transposed letters count as one edit.
  EXPECT_EQ(error_of(bridge_with("mut = 1500\n")).message(),
            "unknown key 'mut' in [[bridge]]; did you mean 'mtu'?");
}

TEST(ConfigErrors, UnknownKeyWithoutSuggestion) {
  // (`router` would now suggest `routes`.)
  const ConfigError e = error_of(bridge_with("gateway = true\n"));
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.key(), "bridge[0].gateway");
  EXPECT_EQ(e.message(), "unknown key 'gateway' in [[bridge]]");
}

TEST(ConfigErrors, UnknownKeyInSecondBridgeAndNestedTable) {
  const ConfigError e =
      error_of(bridge_with("[[bridge]]\nname = \"b\"\naddress = \"10.1.0.1/24\"\nxyzzy = 1\n"));
  EXPECT_EQ(e.line(), 7u);
  EXPECT_EQ(e.key(), "bridge[1].xyzzy");

  // (`options` would now suggest `option`.)
  const ConfigError t = error_of(bridge_with("[bridge.settings]\nrouter = 1\n"));
  EXPECT_EQ(t.line(), 4u);
  EXPECT_EQ(t.key(), "bridge[0].settings");
  EXPECT_EQ(t.message(), "unknown key 'settings' in [[bridge]]");
}

TEST(ConfigErrors, UnknownTopLevel) {
  const ConfigError t = error_of(std::string(kBridge) + "[deamon]\n");
  EXPECT_EQ(t.line(), 4u);
  EXPECT_EQ(t.key(), "deamon");
  EXPECT_EQ(t.message(), "unknown table [deamon]; did you mean [daemon]?");

  const ConfigError a = error_of("[[bridges]]\nname = \"x\"\n");
  EXPECT_EQ(a.line(), 1u);
  EXPECT_EQ(a.message(), "unknown table [[bridges]]; did you mean [[bridge]]?");

  const ConfigError k = error_of("verbose = true\n" + std::string(kBridge));
  EXPECT_EQ(k.line(), 1u);
  EXPECT_EQ(k.column(), 1u);
  EXPECT_EQ(k.key(), "verbose");
  EXPECT_EQ(k.message(), "unknown key 'verbose' at the top level");

  const ConfigError q = error_of("\"odd key\" = 1\n" + std::string(kBridge));
  EXPECT_EQ(q.key(), "\"odd key\"");
}

TEST(ConfigErrors, WrongTypes) {
  struct Case {
    std::string text;
    uint32_t line;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"[[bridge]]\nname = 5\naddress = \"10.0.3.1/24\"\n", 2, "bridge[0].name",
       "expected string, got integer"},
      {bridge_with("create = \"yes\"\n"), 4, "bridge[0].create", "expected boolean, got string"},
      {bridge_with("mtu = 1500.0\n"), 4, "bridge[0].mtu", "expected integer, got float"},
      {bridge_with("domain = [\"a\"]\n"), 4, "bridge[0].domain", "expected string, got array"},
      {"[daemon]\nlog_level = 3\n" + std::string(kBridge), 2, "daemon.log_level",
       "expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", got integer"},
      {"daemon = 3\n" + std::string(kBridge), 1, "daemon",
       "expected a table [daemon], got integer"},
      {"[bridge]\nname = \"b\"\n", 1, "bridge",
       "expected an array of tables [[bridge]], got table; write each bridge as [[bridge]]"},
      {"bridge = [1]\n", 1, "bridge[0]", "expected a table, got integer"},
  };
  for (const auto& c : cases) {
    const ConfigError e = error_of(c.text);
    EXPECT_EQ(e.line(), c.line) << c.text;
    EXPECT_EQ(e.key(), c.key) << c.text;
    EXPECT_EQ(e.message(), c.message) << c.text;
  }
}

TEST(ConfigErrors, OutOfRangeAndBadValues) {
  struct Case {
    std::string text;
    uint32_t line;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {bridge_with("mtu = 575\n"), 4, "bridge[0].mtu", "mtu 575 is out of range 576..65535"},
      {bridge_with("mtu = 65536\n"), 4, "bridge[0].mtu", "mtu 65536 is out of range 576..65535"},
      {"[[bridge]]\nname = \"b\"\naddress = \"10.0.3.1/31\"\n", 3, "bridge[0].address",
       "prefix length 31 is out of range 8..30"},
      {"[[bridge]]\nname = \"b\"\naddress = \"10.0.0.1/7\"\n", 3, "bridge[0].address",
       "prefix length 7 is out of range 8..30"},
      {"[[bridge]]\nname = \"b\"\naddress = \"10.0.3.0/24\"\n", 3, "bridge[0].address",
       "10.0.3.0 is the network address of 10.0.3.0/24; the bridge needs a host address such "
       "as 10.0.3.1"},
      {"[[bridge]]\nname = \"b\"\naddress = \"10.0.3.255/24\"\n", 3, "bridge[0].address",
       "10.0.3.255 is the broadcast address of 10.0.3.0/24; the bridge needs a host address "
       "such as 10.0.3.1"},
      {"[[bridge]]\nname = \"b\"\naddress = \"10.0.3.1\"\n", 3, "bridge[0].address",
       "address '10.0.3.1' is not an IPv4 address with a prefix length, like \"10.0.3.1/24\", "
       "or \"auto\""},
      {"[[bridge]]\nname = \"a-very-long-bridge\"\naddress = \"10.0.3.1/24\"\n", 2,
       "bridge[0].name",
       "interface name 'a-very-long-bridge' is 18 bytes long; Linux allows at most 15"},
      {"[[bridge]]\nname = \"br/0\"\naddress = \"10.0.3.1/24\"\n", 2, "bridge[0].name",
       "interface name 'br/0' contains '/', which Linux does not allow"},
      {"[[bridge]]\nname = \"..\"\naddress = \"10.0.3.1/24\"\n", 2, "bridge[0].name",
       "'..' is not a valid interface name"},
      {bridge_with("domain = \"-bad.example\"\n"), 4, "bridge[0].domain",
       "label '-bad' of domain starts or ends with '-'"},
      {bridge_with("domain = \"a..b\"\n"), 4, "bridge[0].domain",
       "domain 'a..b' has an empty label"},
      {"[daemon]\nlog_level = \"verbose\"\n" + std::string(kBridge), 2, "daemon.log_level",
       "log level 'verbose' is not one of trace, debug, info, warn, error"},
      {"[daemon]\ndurability = \"none\"\n" + std::string(kBridge), 2, "daemon.durability",
       "durability 'none' is not one of fsync, process"},
      {"[daemon]\ncommit_interval_ms = 101\n" + std::string(kBridge), 2,
       "daemon.commit_interval_ms", "commit_interval_ms 101 is not 0 to 100"},
      {"[daemon]\ndatabase = \"\"\n" + std::string(kBridge), 2, "daemon.database",
       "database path is empty"},
  };
  for (const auto& c : cases) {
    const ConfigError e = error_of(c.text);
    EXPECT_EQ(e.line(), c.line) << c.text;
    EXPECT_EQ(e.key(), c.key) << c.text;
    EXPECT_EQ(e.message(), c.message) << c.text;
  }
}

TEST(ConfigErrors, MissingRequiredKeyIsReportedAtTheTable) {
  const ConfigError e = error_of("[daemon]\n\n[[bridge]]\naddress = \"10.0.3.1/24\"\n");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.column(), 1u);
  EXPECT_EQ(e.key(), "bridge[0].name");
  EXPECT_EQ(e.message(), "missing required key 'name' in [[bridge]]");

  const ConfigError a = error_of(std::string(kBridge) + "\n[[bridge]]\nname = \"b1\"\n");
  EXPECT_EQ(a.line(), 5u);
  EXPECT_EQ(a.key(), "bridge[1].address");
  EXPECT_EQ(a.message(), "missing required key 'address' in [[bridge]]");
}

TEST(ConfigErrors, DuplicateBridgeNames) {
  const ConfigError e = error_of(std::string(kBridge) +
                                 "[[bridge]]\naddress = \"10.1.0.1/24\"\n  name = \"berth0\"\n");
  EXPECT_EQ(e.line(), 6u);
  EXPECT_EQ(e.column(), 10u);
  EXPECT_EQ(e.key(), "bridge[1].name");
  EXPECT_EQ(e.message(), "bridge name 'berth0' is already used by bridge[0]");
}

TEST(ConfigErrors, OverlappingSubnets) {
  const ConfigError e = error_of(std::string(kBridge) +
                                 "[[bridge]]\nname = \"b1\"\naddress = \"10.5.0.1/24\"\n"
                                 "[[bridge]]\nname = \"b2\"\naddress = \"10.0.0.1/16\"\n");
  EXPECT_EQ(e.line(), 9u);
  EXPECT_EQ(e.column(), 11u);
  EXPECT_EQ(e.key(), "bridge[2].address");
  EXPECT_EQ(e.message(), "subnet 10.0.0.0/16 overlaps subnet 10.0.3.0/24 of bridge[0] 'berth0'");
  // Adjacent subnets do not overlap.
  EXPECT_EQ(
      parse_config(std::string(kBridge) + "[[bridge]]\nname = \"b1\"\naddress = \"10.0.4.1/24\"\n",
                   "t")
          .bridges.size(),
      2u);
}

TEST(ConfigErrors, NoBridge) {
  for (const char* text : {"", "[daemon]\nlog_level = \"warn\"\n", "# nothing\n"}) {
    const ConfigError e = error_of(text);
    EXPECT_EQ(e.line(), 0u) << text;
    EXPECT_EQ(e.key(), "");
    EXPECT_STREQ(e.what(), "test.toml: no [[bridge]] configured");
  }
  const ConfigError empty = error_of("bridge = []\n");
  EXPECT_EQ(empty.line(), 1u);
  EXPECT_EQ(empty.message(), "no [[bridge]] configured");
}

TEST(ConfigErrors, UnreadableFile) {
  try {
    load_config_file("/nonexistent/berth.toml");
    FAIL() << "loaded a missing file";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/berth.toml");
    EXPECT_EQ(e.line(), 0u);
    EXPECT_STREQ(e.what(), "/nonexistent/berth.toml: cannot open: No such file or directory");
  }
  try {
    load_config_file(BERTH_TEST_DATA_DIR "/../../examples");
    FAIL() << "loaded a directory";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.message(), "cannot read: Is a directory");
  }
}

TEST(ConfigErrors, FileErrorsNameThePath) {
  char path[] = "/tmp/berth_config_testXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = std::string(kBridge) + "mtu = 1\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  try {
    load_config_file(path);
    ADD_FAILURE() << "accepted mtu = 1";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 4u);
    EXPECT_EQ(std::string(e.what()),
              std::string(path) + ":4:7: bridge[0].mtu: mtu 1 is out of range 576..65535");
  }
  std::remove(path);
}

}  // namespace
}  // namespace berth::config
