// The bridge companion keys: address = "auto", mac, nat, nat_address,
// uplink, uplink_force, allow_bridges, [[bridge.forward]] and [firewall].
#include <gtest/gtest.h>
#include "tests/unit/config/config_test_util.hpp"

#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "config/values.hpp"

namespace berth::config {
namespace {

using test::bridge_with;
using test::error_of;
using test::ip;
using test::kBridge;

Ipv4Prefix prefix(const char* text) {
  auto p = Ipv4Prefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(Ipv4Prefix());
}

// A second bridge, for checks between bridges.
std::string second_bridge(std::string_view extra = "") {
  return "[[bridge]]\nname = \"br1\"\naddress = \"10.0.4.1/24\"\n" + std::string(extra);
}

struct ErrorCase {
  std::string text;
  uint32_t line;
  uint32_t column;  // 0: not checked
  std::string key;
  std::string message;
};

void expect_errors(std::initializer_list<ErrorCase> cases) {
  for (const auto& c : cases) {
    const ConfigError e = error_of(c.text);
    EXPECT_EQ(e.file(), "test.toml") << c.text;
    EXPECT_EQ(e.line(), c.line) << c.text;
    if (c.column != 0) {
      EXPECT_EQ(e.column(), c.column) << c.text;
    }
    EXPECT_EQ(e.key(), c.key) << c.text;
    EXPECT_EQ(e.message(), c.message) << c.text;
  }
}

// ---- defaults and values read -------------------------------------------------

TEST(ConfigCompanion, DefaultsAddNothing) {
  const Config c = parse_config(kBridge, "t");
  const BridgeConfig& b = c.bridges.at(0);
  EXPECT_FALSE(b.address_auto);
  EXPECT_FALSE(b.mac.has_value());
  EXPECT_FALSE(b.nat);
  EXPECT_FALSE(b.nat_address.has_value());
  EXPECT_EQ(b.uplink, "");
  EXPECT_FALSE(b.uplink_force);
  EXPECT_TRUE(b.allow_bridges.empty());
  EXPECT_TRUE(b.forwards.empty());
  EXPECT_TRUE(c.firewall.enabled);
  EXPECT_FALSE(c.firewall.keep_rules);
  EXPECT_EQ(c.firewall, FirewallConfig{});
  EXPECT_EQ(default_config().firewall, FirewallConfig{});
}

constexpr std::string_view kFull =
    "[[bridge]]\n"
    "name = \"berth0\"\n"
    "address = \"10.0.3.1/24\"\n"
    "mac = \"02:16:3E:AA:BB:CC\"\n"
    "nat = true\n"
    "nat_address = \"198.18.0.10\"\n"
    "uplink = \"eth1\"\n"
    "uplink_force = true\n"
    "allow_bridges = [\"br1\"]\n"
    "[[bridge.forward]]\n"
    "host_port = 8080\n"
    "to = \"web\"\n"
    "to_port = 80\n"
    "[[bridge.forward]]\n"
    "proto = \"udp\"\n"
    "host_address = \"198.18.0.10\"\n"
    "host_port = 5353\n"
    "to = \"10.0.3.20\"\n"
    "[[bridge]]\n"
    "name = \"br1\"\n"
    "address = \"auto\"\n"
    "nat = true\n"
    "[[bridge.forward]]\n"
    "proto = \"udp\"\n"
    "host_port = 8080\n"
    "to = \"db\"\n"
    "[firewall]\n"
    "enabled = true\n"
    "keep_rules = true\n";

TEST(ConfigCompanion, AllKeysAreRead) {
  const Config c = parse_config(kFull, "t");
  ASSERT_EQ(c.bridges.size(), 2u);
  const BridgeConfig& a = c.bridges[0];
  EXPECT_EQ(a.mac, MacAddress::parse("02:16:3e:aa:bb:cc"));
  EXPECT_TRUE(a.nat);
  EXPECT_EQ(a.nat_address, ip("198.18.0.10"));
  EXPECT_EQ(a.uplink, "eth1");
  EXPECT_TRUE(a.uplink_force);
  EXPECT_EQ(a.allow_bridges, std::vector<std::string>{"br1"});
  ASSERT_EQ(a.forwards.size(), 2u);
  const ForwardConfig& tcp = a.forwards[0];
  EXPECT_EQ(tcp.proto, ForwardConfig::Proto::tcp);  // the default
  EXPECT_FALSE(tcp.host_address.has_value());
  EXPECT_EQ(tcp.host_port, 8080);
  EXPECT_EQ(tcp.to, "web");
  EXPECT_FALSE(tcp.to_address().has_value());
  EXPECT_EQ(tcp.to_port, 80);
  const ForwardConfig& udp = a.forwards[1];
  EXPECT_EQ(udp.proto, ForwardConfig::Proto::udp);
  EXPECT_EQ(udp.host_address, ip("198.18.0.10"));
  EXPECT_EQ(udp.host_port, 5353);
  EXPECT_EQ(udp.to_address(), ip("10.0.3.20"));
  EXPECT_EQ(udp.to_port, 5353);  // to_port defaults to host_port
  const BridgeConfig& b = c.bridges[1];
  EXPECT_TRUE(b.address_auto);
  EXPECT_TRUE(b.nat);
  ASSERT_EQ(b.forwards.size(), 1u);
  EXPECT_EQ(b.forwards[0].to, "db");
  EXPECT_TRUE(c.firewall.enabled);
  EXPECT_TRUE(c.firewall.keep_rules);
  EXPECT_EQ(to_string(ForwardConfig::Proto::tcp), "tcp");
  EXPECT_EQ(to_string(ForwardConfig::Proto::udp), "udp");
}

TEST(ConfigCompanion, ToTomlRoundTrips) {
  Config c = parse_config(kFull, "a");
  const std::string text = to_toml(c);
  EXPECT_NE(text.find("address = \"auto\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[[bridge.forward]]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[firewall]\nenabled = true\nkeep_rules = true\n"), std::string::npos)
      << text;
  Config again = parse_config(text, "b");
  again.source = c.source;
  EXPECT_EQ(again, c);

  Config off = parse_config(bridge_with("[firewall]\nenabled = false\n"), "a");
  EXPECT_FALSE(off.firewall.enabled);
  Config off_again = parse_config(to_toml(off), "a");
  EXPECT_EQ(off_again, off);
}

// ---- address = "auto" ---------------------------------------------------------

TEST(ConfigCompanion, AutoAddressLeavesTheAddressUnset) {
  const Config c = parse_config(
      "[[bridge]]\nname = \"a\"\naddress = \"auto\"\n"
      "[[bridge]]\nname = \"b\"\naddress = \"auto\"\n"  // two auto bridges are fine
      "[[bridge]]\nname = \"c\"\naddress = \"10.0.0.1/8\"\n",
      "t");
  ASSERT_EQ(c.bridges.size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(c.bridges[i].address_auto);
    EXPECT_EQ(c.bridges[i].address, Ipv4Prefix{});
    EXPECT_EQ(c.bridges[i].pool_start, Ipv4Address());
    EXPECT_EQ(c.bridges[i].pool_end, Ipv4Address());
  }
  EXPECT_FALSE(c.bridges[2].address_auto);
}

TEST(ConfigCompanion, ResolveAutoAddressMatchesAWrittenAddress) {
  const char* chosen[] = {"10.42.7.1/24", "10.42.0.1/16", "10.42.7.200/24"};
  for (const char* text : chosen) {
    const std::string rest =
        "\"\nlease_time = \"2h\"\n[[bridge.forward]]\nhost_port = 80\nto = \"web\"\n";
    Config auto_config =
        parse_config(std::string("[[bridge]]\nname = \"b\"\naddress = \"auto") + rest, "t");
    Config written =
        parse_config(std::string("[[bridge]]\nname = \"b\"\naddress = \"") + text + rest, "t");
    resolve_auto_address(auto_config.bridges[0], prefix(text));
    EXPECT_TRUE(auto_config.bridges[0].address_auto);
    EXPECT_EQ(auto_config.bridges[0].address, prefix(text));
    written.bridges[0].address_auto = true;
    EXPECT_EQ(auto_config, written) << text;
  }
  BridgeConfig b;
  b.address_auto = true;
  resolve_auto_address(b, prefix("10.99.1.1/24"));
  EXPECT_EQ(b.pool_start, ip("10.99.1.2"));
  EXPECT_EQ(b.pool_end, ip("10.99.1.254"));
}

TEST(ConfigCompanion, ResolveAutoAddressRefusesNoBridgeAddress) {
  for (const char* bad : {"10.42.7.0/24", "10.42.7.255/24", "10.42.7.1/31", "10.0.0.1/4"}) {
    BridgeConfig b;
    b.name = "b";
    b.address_auto = true;
    EXPECT_THROW(resolve_auto_address(b, prefix(bad)), std::invalid_argument) << bad;
    EXPECT_EQ(b.address, Ipv4Prefix{}) << bad;
  }
}

TEST(ConfigCompanion, AutoBridgesSkipTheOverlapCheck) {
  // A written subnet and an auto one: the overlap check has nothing to compare.
  const Config c =
      parse_config(std::string(kBridge) + "[[bridge]]\nname = \"b\"\naddress = \"auto\"\n", "t");
  EXPECT_EQ(c.bridges.size(), 2u);
}

TEST(ConfigCompanion, AutoRefusesWhatNeedsTheSubnet) {
  const std::string autob = "[[bridge]]\nname = \"a\"\naddress = \"auto\"\n";
  expect_errors({
      {autob + "pool = \"10.0.3.2-10.0.3.9\"\n", 4, 8, "bridge[0].pool",
       "a pool cannot be written with address = \"auto\": the subnet is only chosen when berthd "
       "starts; write the bridge's address too, or leave the pool out"},
      // The pool may come before the address.
      {"[[bridge]]\nname = \"a\"\npool = \"10.0.3.2-10.0.3.9\"\naddress = \"auto\"\n", 3, 8,
       "bridge[0].pool",
       "a pool cannot be written with address = \"auto\": the subnet is only chosen when berthd "
       "starts; write the bridge's address too, or leave the pool out"},
      {autob + "[[bridge.reservation]]\nmac = \"00:16:3e:00:00:01\"\nip = \"10.0.3.5\"\n", 4, 0,
       "bridge[0].reservation",
       "reservations cannot be written with address = \"auto\": the subnet is only chosen when "
       "berthd starts; write the bridge's address to reserve addresses in its subnet"},
      {autob + "[[bridge.forward]]\nhost_port = 80\nto = \"10.0.3.5\"\n", 6, 6,
       "bridge[0].forward[0].to",
       "a forward to an address cannot be written with address = \"auto\": the subnet is only "
       "chosen when berthd starts; forward to the client's name instead"},
  });
  // nat_address cannot be checked against the subnet, so it is taken.
  const Config c = parse_config(autob + "nat = true\nnat_address = \"10.0.3.9\"\n", "t");
  EXPECT_EQ(c.bridges[0].nat_address, ip("10.0.3.9"));
}

TEST(ConfigCompanion, AddressErrorMentionsAuto) {
  expect_errors({
      {"[[bridge]]\nname = \"a\"\naddress = \"Auto\"\n", 3, 11, "bridge[0].address",
       "address 'Auto' is not an IPv4 address with a prefix length, like \"10.0.3.1/24\", or "
       "\"auto\""},
  });
}

// ---- mac ----------------------------------------------------------------------

TEST(ConfigCompanion, MacMustBeUnicastAndUnique) {
  expect_errors({
      {bridge_with("mac = \"02:16:3e\"\n"), 4, 7, "bridge[0].mac",
       "mac '02:16:3e' is not a MAC address like \"02:16:3e:aa:bb:cc\""},
      {bridge_with("mac = \"00:00:00:00:00:00\"\n"), 4, 7, "bridge[0].mac",
       "mac 00:00:00:00:00:00 is all zero"},
      {bridge_with("mac = \"01:00:5e:00:00:01\"\n"), 4, 7, "bridge[0].mac",
       "mac 01:00:5e:00:00:01 is a multicast address (lowest bit of the first byte set); a "
       "bridge needs a unicast MAC"},
      {bridge_with("mac = \"ff:ff:ff:ff:ff:ff\"\n"), 4, 7, "bridge[0].mac",
       "mac ff:ff:ff:ff:ff:ff is a multicast address (lowest bit of the first byte set); a "
       "bridge needs a unicast MAC"},
      {bridge_with("mac = 5\n"), 4, 7, "bridge[0].mac", "expected string, got integer"},
      {bridge_with("mac = \"02:00:00:00:00:01\"\n") +
           second_bridge("mac = \"02-00-00-00-00-01\"\n"),
       8, 7, "bridge[1].mac", "mac 02:00:00:00:00:01 is already the MAC of bridge[0] 'berth0'"},
  });
  // Locally administered and universal unicast addresses are both fine.
  EXPECT_EQ(parse_config(bridge_with("mac = \"00:16:3e:00:00:01\"\n"), "t").bridges[0].mac,
            MacAddress::parse("00:16:3e:00:00:01"));
}

// ---- nat and nat_address ------------------------------------------------------

TEST(ConfigCompanion, NatAddressNeedsNatAndAnOutsideAddress) {
  expect_errors({
      {bridge_with("nat_address = \"198.18.0.1\"\n"), 4, 15, "bridge[0].nat_address",
       "nat_address needs nat = true in the same bridge"},
      {bridge_with("nat = false\nnat_address = \"198.18.0.1\"\n"), 5, 15, "bridge[0].nat_address",
       "nat_address needs nat = true in the same bridge"},
      {bridge_with("nat = true\nnat_address = \"10.0.3.77\"\n"), 5, 15, "bridge[0].nat_address",
       "nat_address 10.0.3.77 is inside the bridge subnet 10.0.3.0/24; it must be an address "
       "of the host outside it, such as the uplink's"},
      {bridge_with("nat = true\nnat_address = \"10.0.3\"\n"), 5, 15, "bridge[0].nat_address",
       "nat_address '10.0.3' is not an IPv4 address"},
      {bridge_with("nat = true\nnat_address = \"0.0.0.0\"\n"), 5, 15, "bridge[0].nat_address",
       "nat_address 0.0.0.0 is not an address of the host; leave nat_address out instead"},
      {bridge_with("nat = true\nnat_address = \"239.1.1.1\"\n"), 5, 15, "bridge[0].nat_address",
       "nat_address 239.1.1.1 is not a unicast address"},
      {bridge_with("nat = \"yes\"\n"), 4, 7, "bridge[0].nat", "expected boolean, got string"},
  });
  // nat may come after nat_address in the table.
  const BridgeConfig b =
      parse_config(bridge_with("nat_address = \"198.18.0.1\"\nnat = true\n"), "t").bridges[0];
  EXPECT_TRUE(b.nat);
  EXPECT_EQ(b.nat_address, ip("198.18.0.1"));
}

// ---- uplink -------------------------------------------------------------------

TEST(ConfigCompanion, UplinkIsAFreeInterfaceName) {
  expect_errors({
      {bridge_with("uplink = \"enp0s31f6-uplink0\"\n"), 4, 10, "bridge[0].uplink",
       "interface name 'enp0s31f6-uplink0' is 17 bytes long; Linux allows at most 15"},
      {bridge_with("uplink = \"eth/1\"\n"), 4, 10, "bridge[0].uplink",
       "interface name 'eth/1' contains '/', which Linux does not allow"},
      {bridge_with("uplink = \"eth 1\"\n"), 4, 10, "bridge[0].uplink",
       "interface name 'eth 1' contains ' ', which Linux does not allow"},
      {bridge_with("uplink = \"\"\n"), 4, 10, "bridge[0].uplink", "interface name is empty"},
      {bridge_with("uplink = \"berth0\"\n"), 4, 10, "bridge[0].uplink",
       "uplink 'berth0' is this bridge's own name; an uplink is a host interface such as "
       "\"eth1\""},
      {bridge_with("uplink = \"br1\"\n") + second_bridge(), 4, 10, "bridge[0].uplink",
       "uplink 'br1' is the name of bridge[1] 'br1'; an uplink is a host interface such as "
       "\"eth1\", not a bridge"},
      {bridge_with("uplink = \"eth1\"\n") + second_bridge("uplink = \"eth1\"\n"), 8, 10,
       "bridge[1].uplink",
       "uplink 'eth1' is already the uplink of bridge[0] 'berth0'; an interface can be "
       "enslaved to one bridge only"},
      {bridge_with("uplink_force = true\n"), 4, 16, "bridge[0].uplink_force",
       "uplink_force is set but the bridge has no uplink"},
  });
  const Config c =
      parse_config(bridge_with("uplink = \"eth1\"\n") + second_bridge("uplink = \"eth2\"\n"), "t");
  EXPECT_EQ(c.bridges[0].uplink, "eth1");
  EXPECT_FALSE(c.bridges[0].uplink_force);
  EXPECT_EQ(c.bridges[1].uplink, "eth2");
}

// ---- allow_bridges ------------------------------------------------------------

TEST(ConfigCompanion, AllowBridgesNamesOtherConfiguredBridges) {
  expect_errors({
      {bridge_with("allow_bridges = [\"br1\", \"br9\"]\n") + second_bridge(), 4, 25,
       "bridge[0].allow_bridges[1]", "allow_bridges names 'br9', which is not a configured bridge"},
      {bridge_with("allow_bridges = [\"berth0\"]\n"), 4, 18, "bridge[0].allow_bridges[0]",
       "allow_bridges names this bridge itself ('berth0'); traffic within a bridge is always "
       "allowed"},
      {bridge_with("allow_bridges = [\"br1\", \"br1\"]\n") + second_bridge(), 4, 25,
       "bridge[0].allow_bridges[1]", "bridge 'br1' is listed twice in allow_bridges"},
      {bridge_with("allow_bridges = [\"br1\", 2]\n") + second_bridge(), 4, 25,
       "bridge[0].allow_bridges[1]", "expected a string, got integer"},
      {bridge_with("allow_bridges = \"br1\"\n") + second_bridge(), 4, 17, "bridge[0].allow_bridges",
       "expected array of strings, got string"},
      // A later bridge is checked against every name, earlier ones included.
      {bridge_with("") + second_bridge("allow_bridges = [\"nope\"]\n"), 7, 18,
       "bridge[1].allow_bridges[0]",
       "allow_bridges names 'nope', which is not a configured bridge"},
  });
  const Config c = parse_config(
      bridge_with("allow_bridges = [\"br1\"]\n") + second_bridge("allow_bridges = [\"berth0\"]\n"),
      "t");
  EXPECT_EQ(c.bridges[0].allow_bridges, std::vector<std::string>{"br1"});
  EXPECT_EQ(c.bridges[1].allow_bridges, std::vector<std::string>{"berth0"});
}

// ---- [[bridge.forward]] -------------------------------------------------------

std::string forward(std::string_view keys) {
  return bridge_with("[[bridge.forward]]\n" + std::string(keys));
}

TEST(ConfigCompanion, ForwardValues) {
  expect_errors({
      {forward("proto = \"sctp\"\nhost_port = 80\nto = \"web\"\n"), 5, 9,
       "bridge[0].forward[0].proto", "proto 'sctp' is not one of tcp, udp"},
      {forward("proto = \"TCP\"\nhost_port = 80\nto = \"web\"\n"), 5, 9,
       "bridge[0].forward[0].proto", "proto 'TCP' is not one of tcp, udp"},
      {forward("to = \"web\"\n"), 4, 1, "bridge[0].forward[0].host_port",
       "missing required key 'host_port' in [[bridge.forward]]"},
      {forward("host_port = 80\n"), 4, 1, "bridge[0].forward[0].to",
       "missing required key 'to' in [[bridge.forward]]"},
      {forward("host_port = 0\nto = \"web\"\n"), 5, 13, "bridge[0].forward[0].host_port",
       "host_port 0 is out of range 1..65535"},
      {forward("host_port = 65536\nto = \"web\"\n"), 5, 13, "bridge[0].forward[0].host_port",
       "host_port 65536 is out of range 1..65535"},
      {forward("host_port = \"80\"\nto = \"web\"\n"), 5, 13, "bridge[0].forward[0].host_port",
       "expected integer, got string"},
      {forward("host_port = 80\nto = \"web\"\nto_port = 0\n"), 7, 11,
       "bridge[0].forward[0].to_port", "to_port 0 is out of range 1..65535"},
      {forward("host_port = 80\nto = \"web\"\nto_port = 70000\n"), 7, 11,
       "bridge[0].forward[0].to_port", "to_port 70000 is out of range 1..65535"},
      {forward("host_port = 80\nto = \"web_1\"\n"), 6, 6, "bridge[0].forward[0].to",
       "to 'web_1' is neither an IPv4 address nor a client's name: name 'web_1' contains '_'; "
       "only letters, digits, '-' and '.' are allowed"},
      {forward("host_port = 80\nto = \"web.berth\"\n"), 6, 6, "bridge[0].forward[0].to",
       "to 'web.berth' is neither an IPv4 address nor a client's name: name 'web.berth' "
       "contains '.'; a single label like \"web\" is expected"},
      {forward("host_port = 80\nto = \"\"\n"), 6, 6, "bridge[0].forward[0].to",
       "to '' is neither an IPv4 address nor a client's name: name is empty"},
      {forward("host_port = 80\nto = \"web\"\nhost_address = \"198.18.0\"\n"), 7, 16,
       "bridge[0].forward[0].host_address", "host_address '198.18.0' is not an IPv4 address"},
      {forward("host_port = 80\nto = \"web\"\nhost_address = \"0.0.0.0\"\n"), 7, 16,
       "bridge[0].forward[0].host_address",
       "host_address 0.0.0.0 is not an address of the host; leave host_address out instead"},
      {forward("host_port = 80\nto = \"web\"\nhost_address = \"255.255.255.255\"\n"), 7, 16,
       "bridge[0].forward[0].host_address",
       "host_address 255.255.255.255 is not a unicast address"},
      {forward("host_port = 80\nto = \"web\"\nport = 80\n"), 7, 1, "bridge[0].forward[0].port",
       "unknown key 'port' in [[bridge.forward]]; did you mean 'proto'?"},
      {forward("host_port = 80\nto = \"web\"\nto_prt = 80\n"), 7, 1, "bridge[0].forward[0].to_prt",
       "unknown key 'to_prt' in [[bridge.forward]]; did you mean 'to_port'?"},
      {bridge_with("forward = 1\n"), 4, 11, "bridge[0].forward",
       "expected an array of tables [[bridge.forward]], got integer"},
  });
}

TEST(ConfigCompanion, ForwardTargetAddressIsAHostOfTheSubnet) {
  expect_errors({
      {forward("host_port = 80\nto = \"10.0.4.5\"\n"), 6, 6, "bridge[0].forward[0].to",
       "forward target 10.0.4.5 is outside the bridge subnet 10.0.3.0/24"},
      {forward("host_port = 80\nto = \"10.0.3.0\"\n"), 6, 6, "bridge[0].forward[0].to",
       "forward target 10.0.3.0 is the network or broadcast address of the subnet"},
      {forward("host_port = 80\nto = \"10.0.3.255\"\n"), 6, 6, "bridge[0].forward[0].to",
       "forward target 10.0.3.255 is the network or broadcast address of the subnet"},
      {forward("host_port = 80\nto = \"10.0.3.1\"\n"), 6, 6, "bridge[0].forward[0].to",
       "forward target 10.0.3.1 is the bridge's own address"},
      // Checked against the address even when that comes after the forward.
      {"[[bridge]]\nname = \"b\"\nforward = [{ host_port = 80, to = \"10.0.4.9\" }]\n"
       "address = \"10.0.3.1/24\"\n",
       3, 35, "bridge[0].forward[0].to",
       "forward target 10.0.4.9 is outside the bridge subnet 10.0.3.0/24"},
  });
  const BridgeConfig b =
      parse_config(forward("host_port = 80\nto = \"10.0.3.254\"\n"), "t").bridges[0];
  EXPECT_EQ(b.forwards.at(0).to_address(), ip("10.0.3.254"));
  // All-digit labels are names, not addresses.
  EXPECT_EQ(parse_config(forward("host_port = 80\nto = \"42\"\n"), "t").bridges[0].forwards[0].to,
            "42");
}

TEST(ConfigCompanion, ForwardsMayNotTakeTheSamePort) {
  const std::string first = forward("host_port = 8080\nto = \"web\"\n");  // lines 4-6
  expect_errors({
      // Within one bridge.
      {first + "[[bridge.forward]]\nhost_port = 8080\nto = \"db\"\n", 8, 13,
       "bridge[0].forward[1].host_port",
       "tcp port 8080 on every host address is already forwarded by bridge[0].forward[0]"},
      // Across bridges, naming the earlier one.
      {first + second_bridge("[[bridge.forward]]\nhost_port = 8080\nto = \"db\"\n"), 11, 13,
       "bridge[1].forward[0].host_port",
       "tcp port 8080 on every host address is already forwarded by bridge[0].forward[0]"},
      // A forward on every address takes the port on each address too.
      {first + second_bridge("[[bridge.forward]]\nhost_address = \"198.18.0.1\"\n"
                             "host_port = 8080\nto = \"db\"\n"),
       12, 13, "bridge[1].forward[0].host_port",
       "tcp port 8080 on 198.18.0.1 overlaps bridge[0].forward[0], which forwards tcp port "
       "8080 on every host address"},
      {forward("host_address = \"198.18.0.1\"\nhost_port = 53\nproto = \"udp\"\nto = \"a\"\n") +
           "[[bridge.forward]]\nproto = \"udp\"\nhost_address = \"198.18.0.1\"\nhost_port = 53\n"
           "to = \"b\"\nto_port = 5353\n",
       12, 13, "bridge[0].forward[1].host_port",
       "udp port 53 on 198.18.0.1 is already forwarded by bridge[0].forward[0]"},
  });
  // Another protocol, or another host address, is another forward.
  const Config c = parse_config(
      first + "[[bridge.forward]]\nproto = \"udp\"\nhost_port = 8080\nto = \"db\"\n" +
          second_bridge("[[bridge.forward]]\nhost_address = \"198.18.0.1\"\nhost_port = 9090\n"
                        "to = \"x\"\n[[bridge.forward]]\nhost_address = \"198.18.0.2\"\n"
                        "host_port = 9090\nto = \"y\"\n"),
      "t");
  EXPECT_EQ(c.bridges[0].forwards.size(), 2u);
  EXPECT_EQ(c.bridges[1].forwards.size(), 2u);
}

// ---- [firewall] ---------------------------------------------------------------

TEST(ConfigCompanion, FirewallTable) {
  const Config c =
      parse_config(bridge_with("[firewall]\nenabled = false\nkeep_rules = true\n"), "t");
  EXPECT_FALSE(c.firewall.enabled);
  EXPECT_TRUE(c.firewall.keep_rules);
  expect_errors({
      {bridge_with("[firewall]\nkeep_rule = true\n"), 5, 1, "firewall.keep_rule",
       "unknown key 'keep_rule' in [firewall]; did you mean 'keep_rules'?"},
      {bridge_with("[firewall]\nenabled = 1\n"), 5, 11, "firewall.enabled",
       "expected boolean, got integer"},
      {"firewall = true\n" + std::string(kBridge), 1, 0, "firewall",
       "expected a table [firewall], got boolean"},
      {bridge_with("[firwall]\n"), 4, 0, "firwall",
       "unknown table [firwall]; did you mean [firewall]?"},
  });
}

TEST(ConfigCompanion, WhatNeedsTheFirewallIsRefusedWithoutIt) {
  expect_errors({
      {"[firewall]\nenabled = false\n" + bridge_with("nat = true\n"), 6, 7, "bridge[0].nat",
       "nat = true needs the firewall, but [firewall] enabled = false (line 2)"},
      {bridge_with("nat = true\n[firewall]\nenabled = false\n"), 4, 7, "bridge[0].nat",
       "nat = true needs the firewall, but [firewall] enabled = false (line 6)"},
      {forward("host_port = 80\nto = \"web\"\n") + "[firewall]\nenabled = false\n", 4, 1,
       "bridge[0].forward[0]",
       "port forwards need the firewall, but [firewall] enabled = false (line 8)"},
  });
  // allow_bridges and nat = false say nothing the firewall must do.
  EXPECT_EQ(parse_config(bridge_with("nat = false\nallow_bridges = [\"br1\"]\n") + second_bridge() +
                             "[firewall]\nenabled = false\n",
                         "t")
                .bridges.size(),
            2u);
}

// ---- the example file and the reference -----------------------------------------

TEST(ConfigCompanion, ExampleShowsNatForwardsAndAllowBridges) {
  const Config c = load_config_file(BERTH_TEST_DATA_DIR "/../../examples/berth.toml");
  bool nat = false, forward = false, allow = false;
  for (const auto& b : c.bridges) {
    nat = nat || b.nat;
    forward = forward || !b.forwards.empty();
    allow = allow || !b.allow_bridges.empty();
  }
  EXPECT_TRUE(nat);
  EXPECT_TRUE(forward);
  EXPECT_TRUE(allow);
}

TEST(ConfigCompanion, ReferenceDescribesTheNewKeys) {
  const std::string md = config_reference_markdown();
  for (const char* heading : {"## [[bridge.forward]]\n", "## [firewall]\n"}) {
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  }
  for (const char* key : {"`mac`", "`nat`", "`nat_address`", "`uplink`", "`uplink_force`",
                          "`allow_bridges`", "`forward`", "`proto`", "`host_address`",
                          "`host_port`", "`to`", "`to_port`", "`enabled`", "`keep_rules`"}) {
    EXPECT_NE(md.find(std::string("| ") + key + " |"), std::string::npos) << key;
  }
  EXPECT_NE(md.find("\"auto\""), std::string::npos);
}

}  // namespace
}  // namespace berth::config
