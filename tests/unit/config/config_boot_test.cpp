// [bridge.boot] and [tftp]: values read, defaults, errors, round trip.
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

TEST(ConfigBoot, AbsentMeansNoBoot) {
  const Config c = parse_config(kBridge, "t");
  EXPECT_FALSE(c.bridges.at(0).boot.enabled());
  EXPECT_EQ(c.tftp, TftpConfig{});
}

TEST(ConfigBoot, ReadsEveryKey) {
  const Config c = parse_config(bridge_with("[bridge.boot]\n"
                                            "next_server = \"10.0.3.5\"\n"
                                            "server_name = \"boot\"\n"
                                            "filename = \"undionly.kpxe\"\n"
                                            "filename_efi = \"ipxe.efi\"\n"
                                            "filename_arm64 = \"grubaa64.efi\"\n"
                                            "ipxe_url = \"http://10.0.3.1/boot.ipxe\"\n"
                                            "tftp = true\n"
                                            "[tftp]\n"
                                            "root = \"/var/tftp\"\n"
                                            "max_transfers = 8\n"
                                            "timeout = 3\n"
                                            "retries = 2\n"
                                            "max_block_size = 8192\n"),
                                "t");
  const BootConfig& b = c.bridges.at(0).boot;
  EXPECT_TRUE(b.enabled());
  EXPECT_EQ(b.next_server, ip("10.0.3.5"));
  EXPECT_EQ(b.server_name, "boot");
  EXPECT_EQ(b.filename, "undionly.kpxe");
  EXPECT_EQ(b.filename_efi, "ipxe.efi");
  EXPECT_EQ(b.filename_arm64, "grubaa64.efi");
  EXPECT_EQ(b.ipxe_url, "http://10.0.3.1/boot.ipxe");
  EXPECT_TRUE(b.tftp);
  EXPECT_EQ(c.tftp.root, "/var/tftp");
  EXPECT_EQ(c.tftp.max_transfers, 8u);
  EXPECT_EQ(c.tftp.timeout, 3u);
  EXPECT_EQ(c.tftp.retries, 2u);
  EXPECT_EQ(c.tftp.max_block_size, 8192);
}

TEST(ConfigBoot, RoundTripsThroughToml) {
  const Config c = parse_config(bridge_with("[bridge.boot]\n"
                                            "filename = \"pxelinux.0\"\n"
                                            "filename_efi = \"ipxe.efi\"\n"
                                            "tftp = true\n"
                                            "[[bridge.reservation]]\n"
                                            "mac = \"00:16:3e:00:00:01\"\n"
                                            "ip = \"10.0.3.10\"\n"
                                            "[tftp]\n"
                                            "root = \"/boot/tftp\"\n"),
                                "t");
  Config back = parse_config(to_toml(c), "t");
  back.source = c.source;
  EXPECT_EQ(back, c);
  EXPECT_EQ(back.bridges.at(0).reservations.size(), 1u);
}

TEST(ConfigBoot, ErrorsNameFileLineAndKey) {
  struct Case {
    std::string text;
    uint32_t line;
    std::string key;
    std::string message_part;
  };
  const Case cases[] = {
      {bridge_with("[bridge.boot]\nnext_server = \"10.0.3\"\n"), 5, "bridge[0].boot.next_server",
       "is not an IPv4 address"},
      {bridge_with("[bridge.boot]\nnext_server = \"224.0.0.1\"\n"), 5, "bridge[0].boot.next_server",
       "not a unicast address"},
      {bridge_with("[bridge.boot]\nfilename = \"\"\n"), 5, "bridge[0].boot.filename", "is empty"},
      {bridge_with("[bridge.boot]\nfilename = \"" + std::string(128, 'a') + "\"\n"), 5,
       "bridge[0].boot.filename", "longer than 127 bytes"},
      {bridge_with("[bridge.boot]\nfilename_efi = \"a b\"\n"), 5, "bridge[0].boot.filename_efi",
       "printable ASCII"},
      {bridge_with("[bridge.boot]\nserver_name = \"" + std::string(64, 'a') + "\"\n"), 5,
       "bridge[0].boot.server_name", "longer than 63 bytes"},
      {bridge_with("[bridge.boot]\nipxe_url = \"ftp://x/y\"\n"), 5, "bridge[0].boot.ipxe_url",
       "not an http://"},
      {bridge_with("[bridge.boot]\nfilname = \"x\"\n"), 5, "bridge[0].boot.filname",
       "did you mean 'filename'?"},
      {bridge_with("[bridge.boot]\ntftp = 1\n"), 5, "bridge[0].boot.tftp", "boolean"},
      {bridge_with("boot = 3\n"), 4, "bridge[0].boot", "expected a table [bridge.boot]"},
      {bridge_with("[tftp]\nroot = \"srv\"\n"), 5, "tftp.root", "absolute path"},
      {bridge_with("[tftp]\nmax_block_size = 100\n"), 5, "tftp.max_block_size",
       "out of range 512..65464"},
      {bridge_with("[tftp]\ntimeout = 0\n"), 5, "tftp.timeout", "out of range 1..255"},
      {bridge_with("[tftp]\nmax_transfers = 0\n"), 5, "tftp.max_transfers", "out of range"},
      {bridge_with("[tftp]\nretrys = 3\n"), 5, "tftp.retrys", "did you mean 'retries'?"},
  };
  for (const Case& c : cases) {
    const ConfigError e = error_of(c.text);
    EXPECT_EQ(e.file(), "test.toml") << c.text;
    EXPECT_EQ(e.line(), c.line) << c.text;
    EXPECT_EQ(e.key(), c.key) << c.text;
    EXPECT_NE(e.message().find(c.message_part), std::string::npos) << c.text << "\n" << e.message();
  }
}

TEST(ConfigBoot, UnknownTopLevelSuggestsTftp) {
  const ConfigError e = error_of(bridge_with("[tfpt]\nroot = \"/x\"\n"));
  EXPECT_NE(e.message().find("did you mean [tftp]?"), std::string::npos) << e.message();
}

}  // namespace
}  // namespace berth::config
