#include "leases/importers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::leases {

void PrintTo(const ImportProblem& p, std::ostream* os) {
  *os << p.source << ":" << p.line << ": " << p.message;
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// 2025-01-01T00:00:00Z, the "now" of every import here.
constexpr int64_t kNow = 1735689600;

std::string data_path(const std::string& relative) {
  return std::string(BERTH_TEST_DATA_DIR) + "/import/" + relative;
}

std::string read_data(const std::string& relative) {
  std::ifstream in(data_path(relative), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data file " + data_path(relative));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Ipv4Address ip(const char* s) {
  auto a = Ipv4Address::parse(s);
  if (!a) throw std::invalid_argument(s);
  return *a;
}
MacAddress mac(const char* s) {
  auto m = MacAddress::parse(s);
  if (!m) throw std::invalid_argument(s);
  return *m;
}
Bytes hex(const char* s) {
  auto b = parse_hex_colon(s);
  if (!b) throw std::invalid_argument(s);
  return *b;
}
Bytes text_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Lease lease(const std::string& bridge, const char* addr, const char* hw, Bytes client_id,
            std::string hostname, LeaseState state, int64_t expires_at) {
  return Lease{.bridge = bridge,
               .ip = ip(addr),
               .mac = mac(hw),
               .client_id = std::move(client_id),
               .hostname = std::move(hostname),
               .state = state,
               .expires_at = expires_at,
               .updated_at = kNow};
}

Reservation by_mac(const std::string& bridge, const char* hw, const char* addr, std::string name) {
  return Reservation{.bridge = bridge,
                     .match = MatchKind::mac,
                     .mac = mac(hw),
                     .ip = ip(addr),
                     .name = std::move(name)};
}
Reservation by_client_id(const std::string& bridge, Bytes id, const char* addr, std::string name) {
  return Reservation{.bridge = bridge,
                     .match = MatchKind::client_id,
                     .client_id = std::move(id),
                     .ip = ip(addr),
                     .name = std::move(name)};
}
Reservation by_hostname(const std::string& bridge, const std::string& host, const char* addr) {
  return Reservation{.bridge = bridge,
                     .match = MatchKind::hostname,
                     .hostname_match = host,
                     .ip = ip(addr),
                     .name = host};
}

MATCHER_P2(ProblemAt, line, text,
           "problem at line " + std::to_string(line) + " containing \"" + std::string(text) +
               "\"") {
  return arg.line == static_cast<uint32_t>(line) && arg.message.find(text) != std::string::npos;
}

void expect_source(const ImportResult& r, const std::string& source) {
  for (const ImportProblem& p : r.problems) EXPECT_EQ(p.source, source) << p.message;
}

// ---------------------------------------------------------------------------
// dnsmasq lease file

TEST(ImportDnsmasqLeases, ReadsEveryFieldOfARealFileAndSkipsDhcpv6) {
  const ImportResult r = import_dnsmasq_leases(read_data("dnsmasq.lxcbr0.leases"), "lxcbr0", kNow,
                                               "dnsmasq.lxcbr0.leases");
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_THAT(r.reservations, IsEmpty());
  EXPECT_THAT(
      r.leases,
      ElementsAre(
          lease("lxcbr0", "10.0.3.23", "00:16:3e:5a:1b:01", hex("01:00:16:3e:5a:1b:01"), "web",
                LeaseState::bound, 1735693200),
          lease("lxcbr0", "10.0.3.87", "00:16:3e:5a:1b:02", {}, "", LeaseState::bound, 1735690800),
          // Expiry 0: infinite.
          lease("lxcbr0", "10.0.3.5", "00:16:3e:5a:1b:03",
                hex("ff:5a:1b:03:00:00:01:00:01:2c:8f:11:22:00:16:3e:5a:1b:03"), "db",
                LeaseState::bound, kInfiniteExpiry),
          lease("lxcbr0", "10.0.3.140", "00:16:3e:5a:1b:04", hex("01:00:16:3e:5a:1b:04"), "old-box",
                LeaseState::expired, 1735600000)));
}

TEST(ImportDnsmasqLeases, ExpiryAtNowIsExpiredAndInfiniteNeverExpires) {
  const ImportResult r = import_dnsmasq_leases(
      "1735689600 02:00:00:00:00:01 198.18.0.2 * *\n"
      "1735689601 02:00:00:00:00:02 198.18.0.3 * *\n"
      "0 02:00:00:00:00:03 198.18.0.4 * *\n",
      "br0", kNow);
  ASSERT_EQ(r.leases.size(), 3u);
  EXPECT_EQ(r.leases[0].state, LeaseState::expired);
  EXPECT_EQ(r.leases[1].state, LeaseState::bound);
  EXPECT_EQ(r.leases[2].state, LeaseState::bound);
  EXPECT_EQ(r.leases[2].expires_at, kInfiniteExpiry);
  EXPECT_EQ(r.leases[2].state_at(int64_t{1} << 40), LeaseState::bound);
}

TEST(ImportDnsmasqLeases, ReportsEveryBadLineWithItsNumberAndGoesOn) {
  const std::string text =
      "# written by hand\n"                                        // 1
      "\n"                                                         // 2
      "1735693200 00:16:3e:00:00:01 10.0.3.2 a\n"                  // 3
      "17356x3200 00:16:3e:00:00:02 10.0.3.3 * *\n"                // 4
      "-1 00:16:3e:00:00:02 10.0.3.3 * *\n"                        // 5
      "1735693200 00:16:3e:00:00 10.0.3.3 * *\n"                   // 6
      "1735693200 06-00:16:3e:00:00:02 10.0.3.3 * *\n"             // 7
      "1735693200 00:16:3e:00:00:02 10.0.3.256 * *\n"              // 8
      "1735693200 00:16:3e:00:00:02 0.0.0.0 * *\n"                 // 9
      "1735693200 00:16:3e:00:00:02 10.0.3.3 * 01:zz\n"            // 10
      "1735693200 00:16:3e:00:00:02 10.0.3.3 web_1 *\r\n"          // 11
      "1735693200 00:16:3e:00:00:03 10.0.3.3 * *\n"                // 12
      "1735693200 00:16:3e:00:00:02 10.0.3.4 * *\n"                // 13
      "1735693200 1234 fd42::5 * 00:01\n"                          // 14
      "99999999999999999999 00:16:3e:00:00:05 10.0.3.5 * *\n"      // 15
      "duid 00:01:00:01:2c:8f:10:aa:00:16:3e:00:00:01\n"           // 16
      "1735693200 1234 fd42::5 * 00:01\n"                          // 17
      "1735693200 T99 fd42::6\n"                                   // 18
      "1735693200 00:16:3e:00:00:04 10.0.3.4 host-4 01:02:03:04";  // 19, no final newline
  const ImportResult r = import_dnsmasq_leases(text, "lxcbr0", kNow, "leases");
  expect_source(r, "leases");
  EXPECT_THAT(
      r.problems,
      ElementsAre(ProblemAt(3, "expected 5 fields"), ProblemAt(4, "bad expiry time"),
                  ProblemAt(5, "bad expiry time '-1'"), ProblemAt(6, "bad MAC address"),
                  ProblemAt(7, "is not an Ethernet MAC (type 06)"),
                  ProblemAt(8, "bad IPv4 address '10.0.3.256'"),
                  ProblemAt(9, "address 0.0.0.0 cannot be given to a client"),
                  ProblemAt(10, "bad client id '01:zz'"),
                  ProblemAt(11, "host name 'web_1' is not a DNS label"),
                  ProblemAt(12, "address 10.0.3.3 was already imported from leases:11"),
                  ProblemAt(13, "MAC 00:16:3e:00:00:02 was already imported from leases:11"),
                  ProblemAt(14, "IPv6 lease 'fd42::5' before the \"duid\" line"),
                  ProblemAt(15, "bad expiry time")));
  EXPECT_THAT(r.problems[8].message, ::testing::HasSubstr("imported without a name"));
  // The bad name on line 11 costs the lease its name only; DHCPv6 lines after
  // "duid", even malformed ones, are skipped without a word.
  EXPECT_THAT(r.leases,
              ElementsAre(lease("lxcbr0", "10.0.3.3", "00:16:3e:00:00:02", {}, "",
                                LeaseState::bound, 1735693200),
                          lease("lxcbr0", "10.0.3.4", "00:16:3e:00:00:04", hex("01:02:03:04"),
                                "host-4", LeaseState::bound, 1735693200)));
}

TEST(ImportDnsmasqLeases, EmptyTextImportsNothing) {
  const ImportResult r = import_dnsmasq_leases("", "br0", kNow);
  EXPECT_THAT(r.leases, IsEmpty());
  EXPECT_THAT(r.problems, IsEmpty());
}

TEST(ImportDnsmasqLeases, ProblemValuesAreCutAndEscaped) {
  const std::string long_mac(500, 'x');
  const ImportResult r = import_dnsmasq_leases(
      "1 " + long_mac + " 10.0.3.2 * *\n1 02:00:00:00:00:01 10.0.3.\x01 * *\n", "br0", kNow,
      "<text>");
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].message, "bad MAC address '" + std::string(64, 'x') + "...'");
  EXPECT_EQ(r.problems[0].source, "<text>");
  EXPECT_EQ(r.problems[1].message, "bad IPv4 address '10.0.3.\\x01'");
}

// ---------------------------------------------------------------------------
// dnsmasq dhcp-host entries

TEST(ImportDnsmasqHosts, ReadsTheDhcpHostLinesOfADnsmasqConf) {
  const ImportResult r = import_dnsmasq_hosts(read_data("dnsmasq.conf"), "lxcbr0", "dnsmasq.conf");
  const std::string b = "lxcbr0";
  EXPECT_THAT(r.leases, IsEmpty());
  EXPECT_THAT(r.reservations,
              ElementsAre(by_mac(b, "00:16:3e:5a:1b:01", "10.0.3.10", "web"),
                          // Two MACs, one address.
                          by_mac(b, "00:16:3e:5a:1b:02", "10.0.3.11", "db"),
                          by_mac(b, "00:16:3e:5a:1b:12", "10.0.3.11", "db"),
                          by_client_id(b, hex("01:00:16:3e:5a:1b:03"), "10.0.3.12", "build"),
                          // A quoted client id is text, commas included.
                          by_client_id(b, text_bytes("printer, 1st floor"), "10.0.3.13", "printer"),
                          by_hostname(b, "lap", "10.0.3.14"),
                          // id:* adds no client-id reservation; tag: is ignored.
                          by_mac(b, "00:16:3e:5a:1b:05", "10.0.3.15", "gpu-1"),
                          // The IPv6 address next to an IPv4 one is dropped.
                          by_mac(b, "00:16:3e:5a:1b:07", "10.0.3.17", "dual"),
                          // "01-" is the Ethernet hardware type.
                          by_mac(b, "00:16:3e:5a:1b:08", "10.0.3.18", "Mail"),
                          // The bad name is dropped, the address kept.
                          by_mac(b, "00:16:3e:5a:1b:09", "10.0.3.19", "")));
  expect_source(r, "dnsmasq.conf");
  EXPECT_THAT(
      r.problems,
      ElementsAre(ProblemAt(24, "wildcard hardware address '00:16:3e:5a:1b:*'"),
                  ProblemAt(25, "only an IPv6 address '[fd42:4a5b:6c7d::6]'"),
                  ProblemAt(26, "host name 'old_name' is not a DNS label"),
                  ProblemAt(27, "address 10.0.3.10 was already imported from dnsmasq.conf:14")));
  EXPECT_THAT(r.problems[2].message, ::testing::HasSubstr("imported without a name"));
}

TEST(ImportDnsmasqHosts, ReadsAHostsFile) {
  const ImportResult r =
      import_dnsmasq_hosts(read_data("dnsmasq.hostsfile"), "br-lab", "dnsmasq.hostsfile");
  const std::string b = "br-lab";
  EXPECT_THAT(r.reservations,
              ElementsAre(by_mac(b, "52:54:00:aa:00:01", "192.168.50.10", "nas"),
                          by_mac(b, "52:54:00:aa:00:02", "192.168.50.11", "pihole"),
                          by_client_id(b, hex("ff:00:00:00:01:00:01:2b:3c:4d:5e:52:54:00:aa:00:03"),
                                       "192.168.50.12", "laptop"),
                          by_mac(b, "52:54:00:aa:00:04", "192.168.50.20", "thermostat"),
                          by_hostname(b, "camera", "192.168.50.21"),
                          by_mac(b, "52:54:00:aa:00:05", "192.168.50.22", "plug-1"),
                          by_mac(b, "52:54:00:aa:00:06", "192.168.50.23", "")));
  expect_source(r, "dnsmasq.hostsfile");
  EXPECT_THAT(
      r.problems,
      ElementsAre(
          ProblemAt(11, "address 192.168.50.23 was already imported from dnsmasq.hostsfile:10"),
          ProblemAt(12, "MAC 52:54:00:aa:00:01 was already imported from dnsmasq.hostsfile:3"),
          ProblemAt(13, "no IPv4 address")));
}

TEST(ImportDnsmasqHosts, EveryEntryFormAndEveryProblem) {
  const std::string too_long(64, 'n');
  const std::string text = R"(00:16:3e:00:00:01,00:16:3e:00:00:02,10.0.3.2,pair
id:client-a,10.0.3.3
id:"x\"y,z" , 10.0.3.4 , quoted
00:16:3e:00:00:03 , id:01:02:03 , 10.0.3.5, both, 1h
Lap,10.0.3.6
lap,10.0.3.7
00:16:3e:00:00:02,00:16:3e:00:00:04,10.0.3.8,half
id:01:02:03,10.0.3.9
00:16:3e:00:00:05,10.0.3.9,10.0.3.10
00:16:3e:00:00:05,10.0.3.9,a,b
00:16:3e:00:00:05,10.0.3.300
00:16:3e:00:00:05,[fd42::5,x
id:"open,10.0.3.11
10.0.3.12
00:16:3e:00:00:05,x1
00:16:3e:00:00:05,10.0.3.12,ignore
00:16:3e:00:00:*,10.0.3.12
06-00:16:3e:00:00:05,10.0.3.12
00:16:3e:00:00:05:06,10.0.3.12
bad_host,10.0.3.12
id:,10.0.3.12
id:01:zz,10.0.3.12
00:16:3e:00:00:05,255.255.255.255
00:16:3e:00:00:05,id:a,id:b,10.0.3.12
00:16:3e:00:00:05,10.0.3.12,)" +
                           too_long + R"(
00:16:3e:00:00:06,set:red,tag:blue,net:green,10.0.3.13,infinite,300,45m,2d,1W
00-16-3e-00-00-07,10.0.3.14,"quoted-name",
)";
  const ImportResult r = import_dnsmasq_hosts(text, "br0");
  const std::string b = "br0";
  EXPECT_THAT(r.reservations,
              ElementsAre(by_mac(b, "00:16:3e:00:00:01", "10.0.3.2", "pair"),
                          by_mac(b, "00:16:3e:00:00:02", "10.0.3.2", "pair"),
                          // No ':' in the id: the bytes of the text.
                          by_client_id(b, text_bytes("client-a"), "10.0.3.3", ""),
                          by_client_id(b, text_bytes("x\"y,z"), "10.0.3.4", "quoted"),
                          // A MAC and a client id: either finds the address.
                          by_mac(b, "00:16:3e:00:00:03", "10.0.3.5", "both"),
                          by_client_id(b, hex("01:02:03"), "10.0.3.5", "both"),
                          by_hostname(b, "Lap", "10.0.3.6"),
                          // The MAC seen before is skipped, the new one kept.
                          by_mac(b, "00:16:3e:00:00:04", "10.0.3.8", "half"),
                          by_mac(b, "00:16:3e:00:00:05", "10.0.3.12", ""),
                          by_mac(b, "00:16:3e:00:00:06", "10.0.3.13", ""),
                          by_mac(b, "00:16:3e:00:00:07", "10.0.3.14", "quoted-name")));
  expect_source(r, "<text>");
  EXPECT_THAT(r.problems,
              ElementsAre(ProblemAt(6, "host name 'lap' was already imported from <text>:5"),
                          ProblemAt(7, "MAC 00:16:3e:00:00:02 was already imported from <text>:1"),
                          ProblemAt(8, "client id 01:02:03 was already imported from <text>:4"),
                          ProblemAt(9, "more than one IPv4 address"),
                          ProblemAt(10, "more than one host name ('a', 'b')"),
                          ProblemAt(11, "bad IPv4 address '10.0.3.300'"),
                          ProblemAt(12, "bad IPv6 address '[fd42::5'"),
                          ProblemAt(13, "unterminated double quote"),
                          ProblemAt(14, "no MAC address, client id or host name"),
                          ProblemAt(15, "no IPv4 address"), ProblemAt(16, "'ignore' entries"),
                          ProblemAt(17, "wildcard hardware address '00:16:3e:00:00:*'"),
                          ProblemAt(18, "'06-00:16:3e:00:00:05' is not an Ethernet MAC (type 06)"),
                          ProblemAt(19, "bad MAC address '00:16:3e:00:00:05:06'"),
                          ProblemAt(20, "host name 'bad_host' is not a DNS label"),
                          ProblemAt(21, "empty client id"), ProblemAt(22, "bad client id '01:zz'"),
                          ProblemAt(23, "address 255.255.255.255 cannot be given to a client"),
                          ProblemAt(24, "more than one client id"),
                          ProblemAt(25, "host name '" + too_long + "' is not a DNS label")));
  // A name that was the only key skips the entry; next to a MAC it is dropped.
  EXPECT_THAT(r.problems[14].message, ::testing::HasSubstr("; skipped"));
  EXPECT_THAT(r.problems[19].message, ::testing::HasSubstr("imported without a name"));
}

TEST(ImportDnsmasqHosts, ConfFileCommentsQuotesAndOtherOptions) {
  const std::string text = R"(dhcp-range=10.0.3.2,10.0.3.254
  dhcp-host=00:16:3e:00:00:01,10.0.3.2,a # trailing comment
dhcp-host=id:"has # hash",10.0.3.3,b
dhcp-host=00:16:3e:00:00:02,10.0.3.4,c#not-a-comment
# dhcp-host=00:16:3e:00:00:03,10.0.3.5,commented
bind-interfaces
dhcp-hostsfile=/etc/dnsmasq.hosts
00:16:3e:00:00:04,10.0.3.6,not-an-option
dhcp-host = 00:16:3e:00:00:05 , 10.0.3.7 , spaced
)";
  const ImportResult r = import_dnsmasq_hosts(text, "br0", "x.conf");
  const std::string b = "br0";
  EXPECT_THAT(r.reservations,
              ElementsAre(by_mac(b, "00:16:3e:00:00:01", "10.0.3.2", "a"),
                          by_client_id(b, text_bytes("has # hash"), "10.0.3.3", "b"),
                          by_mac(b, "00:16:3e:00:00:02", "10.0.3.4", ""),
                          by_mac(b, "00:16:3e:00:00:05", "10.0.3.7", "spaced")));
  EXPECT_THAT(r.problems, ElementsAre(ProblemAt(4, "host name 'c#not-a-comment'")));
}

// ---------------------------------------------------------------------------
// LXD

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("berth-import-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  std::filesystem::path path_;
};

TEST(ImportLxdHostsDir, ReadsOneFilePerInstance) {
  const std::filesystem::path dir = data_path("lxd/lxdbr0/dnsmasq.hosts");
  const ImportResult r = import_lxd_hosts_dir(dir, "lxdbr0");
  EXPECT_THAT(r.leases, IsEmpty());
  // Files are read in name order: builder, c1, web.
  EXPECT_THAT(r.reservations,
              ElementsAre(by_mac("lxdbr0", "00:16:3e:ab:cd:ef", "10.115.32.10", "c1"),
                          by_mac("lxdbr0", "00:16:3e:12:34:56", "10.115.32.20", "web")));
  ASSERT_THAT(r.problems, ElementsAre(ProblemAt(1, "no IPv4 address")));
  EXPECT_EQ(r.problems[0].source, (dir / "builder").string());
}

TEST(ImportLxdHostsDir, DuplicatesAcrossFilesNameTheFirstFile) {
  TempDir dir;
  dir.write("a", "00:16:3e:00:00:01,198.18.0.2,a\n");
  dir.write("b", "00:16:3e:00:00:02,198.18.0.2,b\n");
  dir.write("c", "00:16:3e:00:00:01,198.18.0.3,c\n");
  dir.write("d", "\n# nothing here\n");
  std::filesystem::create_directory(dir.path() / "subdir");
  const ImportResult r = import_lxd_hosts_dir(dir.path(), "br0");
  EXPECT_THAT(r.reservations, ElementsAre(by_mac("br0", "00:16:3e:00:00:01", "198.18.0.2", "a")));
  const std::string first = (dir.path() / "a").string() + ":1";
  ASSERT_THAT(
      r.problems,
      ElementsAre(ProblemAt(1, "address 198.18.0.2 was already imported from " + first),
                  ProblemAt(1, "MAC 00:16:3e:00:00:01 was already imported from " + first)));
  EXPECT_EQ(r.problems[0].source, (dir.path() / "b").string());
  EXPECT_EQ(r.problems[1].source, (dir.path() / "c").string());
}

TEST(ImportLxdHostsDir, MissingDirectoryIsOneProblem) {
  const std::filesystem::path dir = data_path("lxd/no-such-bridge/dnsmasq.hosts");
  const ImportResult r = import_lxd_hosts_dir(dir, "br0");
  EXPECT_THAT(r.reservations, IsEmpty());
  ASSERT_THAT(r.problems, ElementsAre(ProblemAt(0, "cannot read the directory")));
  EXPECT_EQ(r.problems[0].source, dir.string());
}

// ---------------------------------------------------------------------------
// libvirt

TEST(ImportLibvirtStatus, ReadsEveryFieldOfARealFile) {
  const ImportResult r =
      import_libvirt_status(read_data("virbr0.status"), "virbr0", kNow, "virbr0.status");
  EXPECT_THAT(r.reservations, IsEmpty());
  EXPECT_THAT(
      r.leases,
      ElementsAre(lease("virbr0", "192.168.122.45", "52:54:00:3c:7e:10",
                        hex("01:52:54:00:3c:7e:10"), "fedora39", LeaseState::bound, 1735693200),
                  lease("virbr0", "192.168.122.112", "52:54:00:9a:01:bb",
                        hex("ff:00:9a:01:bb:00:01:00:01:2c:8f:20:31:52:54:00:9a:01:bb"), "",
                        LeaseState::expired, 1735600000),
                  // No expiry-time: libvirt's infinite lease.
                  lease("virbr0", "192.168.122.7", "52:54:00:11:22:33", {}, "win11",
                        LeaseState::bound, kInfiniteExpiry)));
  expect_source(r, "virbr0.status");
  EXPECT_THAT(r.problems, ElementsAre(ProblemAt(0, "entry 4: IPv6 lease 'fd00:122::45'")));
}

TEST(ImportLibvirtStatus, EveryBadEntryIsAProblemNamingIt) {
  const std::string text = R"([
  {"ip-address": "10.0.4.2", "mac-address": "02:00:00:00:00:01", "expiry-time": 0},
  "not an object",
  {"mac-address": "02:00:00:00:00:02"},
  {"ip-address": 167773187, "mac-address": "02:00:00:00:00:02"},
  {"ip-address": "10.0.4.300", "mac-address": "02:00:00:00:00:02"},
  {"ip-address": "10.0.4.3"},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00"},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "client-id": "0x12"},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "client-id": 12},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "expiry-time": -5},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "expiry-time": 1.5},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "expiry-time": "1735693200"},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "hostname": ["x"]},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:02", "hostname": "my.host",
   "expiry-time": 1735600000},
  {"ip-address": "10.0.4.3", "mac-address": "02:00:00:00:00:03"},
  {"ip-address": "10.0.4.4", "mac-address": "02:00:00:00:00:01"},
  {"ip-address": "0.0.0.0", "mac-address": "02:00:00:00:00:05"}
])";
  const ImportResult r = import_libvirt_status(text, "virbr1", kNow, "virbr1.status");
  EXPECT_THAT(r.leases, ElementsAre(lease("virbr1", "10.0.4.2", "02:00:00:00:00:01", {}, "",
                                          LeaseState::bound, kInfiniteExpiry),
                                    lease("virbr1", "10.0.4.3", "02:00:00:00:00:02", {}, "",
                                          LeaseState::expired, 1735600000)));
  expect_source(r, "virbr1.status");
  EXPECT_THAT(
      r.problems,
      ElementsAre(ProblemAt(0, "entry 2: not a JSON object"),
                  ProblemAt(0, "entry 3: no \"ip-address\""),
                  ProblemAt(0, "entry 4: \"ip-address\" is not a string"),
                  ProblemAt(0, "entry 5: bad IPv4 address '10.0.4.300'"),
                  ProblemAt(0, "entry 6: no \"mac-address\""),
                  ProblemAt(0, "entry 7: bad MAC address '02:00:00:00:00'"),
                  ProblemAt(0, "entry 8: bad client id '0x12'"),
                  ProblemAt(0, "entry 9: \"client-id\" is not a string"),
                  ProblemAt(0, "entry 10: \"expiry-time\" is not a number of seconds"),
                  ProblemAt(0, "entry 11: \"expiry-time\" is not a number of seconds"),
                  ProblemAt(0, "entry 12: \"expiry-time\" is not a number of seconds"),
                  ProblemAt(0, "entry 13: \"hostname\" is not a string"),
                  ProblemAt(0, "entry 14: host name 'my.host' is not a DNS label"),
                  ProblemAt(0, "entry 15: address 10.0.4.3 was already imported from entry 14"),
                  ProblemAt(0, "entry 16: MAC 02:00:00:00:00:01 was already imported from entry 1"),
                  ProblemAt(0, "entry 17: address 0.0.0.0 cannot be given to a client")));
}

TEST(ImportLibvirtStatus, BadJsonIsOneProblem) {
  for (const char* text : {"[", "[{\"ip-address\": \"10.0.4.2\",}]", "[\"\xff\"]"}) {
    const ImportResult r = import_libvirt_status(text, "virbr0", kNow);
    EXPECT_THAT(r.leases, IsEmpty());
    EXPECT_THAT(r.problems, ElementsAre(ProblemAt(0, "not valid JSON"))) << text;
  }
  const ImportResult object = import_libvirt_status("{\"ip-address\": \"10.0.4.2\"}", "v", kNow);
  EXPECT_THAT(object.problems, ElementsAre(ProblemAt(0, "not a JSON array of leases")));
}

TEST(ImportLibvirtStatus, EmptyFileOrArrayImportsNothing) {
  for (const char* text : {"", " \n", "[]", "[\n]\n"}) {
    const ImportResult r = import_libvirt_status(text, "virbr0", kNow);
    EXPECT_THAT(r.leases, IsEmpty()) << text;
    EXPECT_THAT(r.problems, IsEmpty()) << text;
  }
}

}  // namespace
}  // namespace berth::leases
