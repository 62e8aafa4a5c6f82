#include "leases/dnsmasq_lease_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "leases/importers.hpp"

namespace berth::leases {
namespace {

// 2026-12-06, a little before the expiries of the captured files.
constexpr int64_t kNow = 1796534000;

// tests/data/import/dnsmasq.real4.leases and dnsmasq.real6.leases were
// written by dnsmasq 2.90 (Debian) in a lab namespace, as
// tests/integration/test_harness_dnsmasq.py runs it: real4 with udhcpc -x
// hostname:web (client id 01:MAC), dhclient (no name, no client id) and a
// --dhcp-host=MAC,198.18.0.77,fixed,infinite for a third udhcpc; real6 with
// --dhcp-range=fd00:6:0:1::100,fd00:6:0:1::1ff,64,600 --enable-ra, udhcpc
// -x hostname:web and dhclient -6 sending the FQDN "six".
std::string read_data(const std::string& name) {
  const std::string path = std::string(BERTH_TEST_DATA_DIR) + "/import/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Lease v4(const char* addr, const char* hw, const char* client_id, std::string hostname,
         int64_t expires_at) {
  return Lease{.bridge = "br0",
               .ip = *IpAddress::parse(addr),
               .mac = *MacAddress::parse(hw),
               .client_id = *parse_hex_colon(client_id),
               .hostname = std::move(hostname),
               .state = LeaseState::bound,
               .expires_at = expires_at,
               .updated_at = kNow};
}

Lease v6(const char* addr, uint32_t iaid, const char* duid, std::string hostname,
         int64_t expires_at) {
  return Lease{.bridge = "br0",
               .ip = *IpAddress::parse(addr),
               .client_id = *parse_hex_colon(duid),
               .hostname = std::move(hostname),
               .state = LeaseState::bound,
               .expires_at = expires_at,
               .updated_at = kNow,
               .iaid = iaid};
}

TEST(DnsmasqLeaseFile, Ipv4LinesAsDnsmasqWritesThem) {
  const std::vector<Lease> leases = {
      v4("198.18.0.185", "02:62:74:00:00:01", "01:02:62:74:00:00:01", "web", 1796534625),
      v4("198.18.0.186", "02:62:74:00:00:02", "", "", 1796534625),
  };
  EXPECT_EQ(format_dnsmasq_leases(leases, {}, kNow),
            "1796534625 02:62:74:00:00:01 198.18.0.185 web 01:02:62:74:00:00:01\n"
            "1796534625 02:62:74:00:00:02 198.18.0.186 * *\n");
}

TEST(DnsmasqLeaseFile, NoLeasesNoDhcpv6IsAnEmptyFile) {
  EXPECT_EQ(format_dnsmasq_leases({}, {}, kNow), "");
  // dnsmasq serving DHCPv6 writes its DUID even without a lease.
  EXPECT_EQ(format_dnsmasq_leases({}, {0x00, 0x04, 0xab}, kNow), "duid 00:04:ab\n");
}

TEST(DnsmasqLeaseFile, InfiniteLeasesHaveExpiryZero) {
  Lease imported = v4("198.18.0.77", "02:62:74:00:00:03", "", "fixed", kInfiniteExpiry);
  Lease beyond = v4("198.18.0.78", "02:62:74:00:00:04", "", "", kInfiniteExpiry + 5);
  // Granted with lease_time = "infinite" (0xffffffff s, RFC 2131 §3.3).
  Lease granted = v4("198.18.0.79", "02:62:74:00:00:05", "", "", kNow + 0xffffffffLL);
  Lease finite = v4("198.18.0.80", "02:62:74:00:00:06", "", "", kNow + 0xfffffffeLL);
  EXPECT_EQ(format_dnsmasq_leases({imported, beyond, granted, finite}, {}, kNow),
            "0 02:62:74:00:00:03 198.18.0.77 fixed *\n"
            "0 02:62:74:00:00:04 198.18.0.78 * *\n"
            "0 02:62:74:00:00:05 198.18.0.79 * *\n" +
                std::to_string(kNow + 0xfffffffeLL) + " 02:62:74:00:00:06 198.18.0.80 * *\n");
}

TEST(DnsmasqLeaseFile, OnlyBoundLeasesAreWritten) {
  Lease bound = v4("198.18.0.10", "02:00:00:00:00:01", "", "a", kNow + 60);
  Lease released = v4("198.18.0.11", "02:00:00:00:00:02", "", "b", kNow + 60);
  released.state = LeaseState::released;
  Lease declined = v4("198.18.0.12", "02:00:00:00:00:03", "", "", kNow + 60);
  declined.state = LeaseState::declined;
  Lease expired = v4("198.18.0.13", "02:00:00:00:00:04", "", "d", kNow - 1);
  expired.state = LeaseState::expired;
  Lease ran_out = v4("198.18.0.14", "02:00:00:00:00:05", "", "e", kNow);  // bound, but due now
  Lease gone6 = v6("fd00:6:0:1::10f", 7, "00:01:02", "", kNow + 60);
  gone6.state = LeaseState::released;
  EXPECT_EQ(
      format_dnsmasq_leases({bound, released, declined, expired, ran_out, gone6}, {0x01}, kNow),
      "1796534060 02:00:00:00:00:01 198.18.0.10 a *\nduid 01\n");
}

TEST(DnsmasqLeaseFile, Dhcpv6LinesFollowTheServerDuidAsDnsmasqWritesThem) {
  // dnsmasq.real6.leases: both families, the server's DUID between them.
  const std::vector<Lease> leases = {
      v6("fd00:6:0:1::10e", 1946157058, "00:01:00:01:32:a7:ab:92:02:62:74:00:00:02", "six",
         1796534635),
      v4("198.18.0.185", "02:62:74:00:00:01", "01:02:62:74:00:00:01", "web", 1796534633),
  };
  const Bytes duid = *parse_hex_colon("00:01:00:01:32:a7:ab:91:9e:24:83:ec:06:d7");
  EXPECT_EQ(format_dnsmasq_leases(leases, duid, kNow), read_data("dnsmasq.real6.leases"));
  // Without DHCPv6 served, DHCPv6 leases are left out with the duid line.
  EXPECT_EQ(format_dnsmasq_leases(leases, {}, kNow),
            "1796534633 02:62:74:00:00:01 198.18.0.185 web 01:02:62:74:00:00:01\n");
  // No name, no DUID (never from berth's engine, but the file stays parseable).
  EXPECT_EQ(format_dnsmasq_leases({v6("fd00::5", 0, "", "", kNow + 1)}, {0xff}, kNow),
            "duid ff\n1796534001 0 fd00::5 * *\n");
}

TEST(DnsmasqLeaseFile, RoundTripThroughTheImporterIsByteForByte) {
  // The importer reads DHCPv4 lines only (it skips those after "duid"), so
  // the round trip covers files without DHCPv6.
  for (const char* name : {"dnsmasq.real4.leases"}) {
    const std::string text = read_data(name);
    const ImportResult imported = import_dnsmasq_leases(text, "br0", kNow, name);
    EXPECT_TRUE(imported.problems.empty()) << name;
    ASSERT_EQ(imported.leases.size(), 3u) << name;
    EXPECT_EQ(format_dnsmasq_leases(imported.leases, {}, kNow), text) << name;
  }
  // LXD's file (hand-written; dhcpcd's long client id), before any expiry.
  const std::string lxd = read_data("dnsmasq.lxcbr0.leases");
  const std::string v4_part = lxd.substr(0, lxd.find("duid "));
  const ImportResult imported = import_dnsmasq_leases(lxd, "lxcbr0", 1735500000);
  EXPECT_TRUE(imported.problems.empty());
  EXPECT_EQ(format_dnsmasq_leases(imported.leases, {}, 1735500000), v4_part);
}

TEST(DnsmasqLeaseFile, NamesThatWouldBreakTheLineAreLeftOut) {
  EXPECT_EQ(
      format_dnsmasq_leases({v4("198.18.0.9", "02:00:00:00:00:09", "", "a b", kNow + 1)}, {}, kNow),
      "1796534001 02:00:00:00:00:09 198.18.0.9 * *\n");
}

TEST(DnsmasqLeaseFile, NewestFirstThenBridgeAndAddress) {
  Lease a = v4("198.18.0.20", "02:00:00:00:00:01", "", "", kNow + 60);
  Lease b = v4("198.18.0.10", "02:00:00:00:00:02", "", "", kNow + 60);
  Lease c = v4("198.18.0.30", "02:00:00:00:00:03", "", "", kNow + 60);
  c.updated_at = kNow + 5;
  Lease d = v4("198.18.0.5", "02:00:00:00:00:04", "", "", kNow + 60);
  d.bridge = "br1";
  std::vector<Lease> leases = {a, d, b, c};
  sort_newest_first(leases);
  ASSERT_EQ(leases.size(), 4u);
  EXPECT_EQ(leases[0], c);
  EXPECT_EQ(leases[1], b);
  EXPECT_EQ(leases[2], a);
  EXPECT_EQ(leases[3], d);
}

}  // namespace
}  // namespace berth::leases
