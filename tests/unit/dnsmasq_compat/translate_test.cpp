// dnsmasq settings onto berth (dnsmasq_compat/translate.hpp), with the
// argument lists lxc-net, Incus and libvirt really pass
// (tests/data/dnsmasq_frontend, README there says where each came from).
#include "dnsmasq_compat/translate.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace berth::dnsmasq_compat {
namespace {

const std::string kData = std::string(BERTH_TEST_DATA_DIR) + "/dnsmasq_frontend/";

std::string read_fixture(const std::string& name) {
  std::ifstream in(kData + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The test's values for the fixtures' placeholders.
std::string fill(std::string text) {
  static const std::vector<std::pair<std::string, std::string>> kValues = {
      {"{BRIDGE}", "bt0"},
      {"{ADDR}", "198.18.0.1"},
      {"{RANGE_START}", "198.18.0.2"},
      {"{RANGE_END}", "198.18.0.254"},
      {"{NETMASK}", "255.255.255.0"},
      {"{LEASE_MAX}", "253"},
      {"{ADDR6}", "fd00:0:0:1::1"},
      {"{PREFIX6}", "64"},
      {"{RANGE6_START}", "fd00:0:0:1::2"},
      {"{RANGE6_END}", "fd00:0:0:1::ffff"},
      {"{DIR}", "/lab"},
      {"{DOMAIN}", "test"},
      {"{USER}", "nobody"},
      {"{GROUP}", "nogroup"},
  };
  for (const auto& [k, v] : kValues) {
    for (size_t at = text.find(k); at != std::string::npos; at = text.find(k, at + v.size())) {
      text.replace(at, k.size(), v);
    }
  }
  return text;
}

std::vector<std::string> fixture_args(const std::string& name) {
  std::vector<std::string> args;
  std::istringstream in(fill(read_fixture(name)));
  for (std::string line; std::getline(in, line);) {
    // The config checks that the script exists: one that does.
    if (line == "--dhcp-script=/lab/libvirt_leaseshelper") line = "--dhcp-script=/bin/true";
    args.push_back(line);
  }
  return args;
}

struct Files {
  std::map<std::string, std::string> files{{"/dev/null", ""}};
  std::map<std::string, std::vector<std::string>> dirs;
  FileReader reader() const {
    return FileReader{
        .read = [this](const std::string& p) -> std::optional<std::string> {
          auto it = files.find(p);
          return it == files.end() ? std::nullopt : std::optional(it->second);
        },
        .list = [this](const std::string& p) -> std::optional<std::vector<std::string>> {
          auto it = dirs.find(p);
          return it == dirs.end() ? std::nullopt : std::optional(it->second);
        },
    };
  }
};

HostInterfaces lab_host() {
  HostInterfaces h;
  h["bt0"].ipv4.push_back(*Ipv4Prefix::parse("198.18.0.1/24"));
  h["bt0"].ipv6.push_back(*Ipv6Prefix::parse("fd00:0:0:1::1/64"));
  h["lo"].ipv4.push_back(*Ipv4Prefix::parse("127.0.0.1/8"));
  return h;
}

Translation run(const std::vector<std::string>& args, const Files& files = {},
                const HostInterfaces& host = lab_host()) {
  const FileReader reader = files.reader();
  Paths paths{.state_dir = "/state", .run_dir = "/run/b", .etc_hosts = "/etc-hosts"};
  return translate(parse_command_line(args, reader, ""), host, reader, paths);
}

std::string error_of(const std::vector<std::string>& args, const Files& files = {}) {
  try {
    run(args, files);
  } catch (const TranslateError& e) {
    return e.what();
  }
  return "no error";
}

bool noticed(const Translation& t, const std::string& option) {
  for (const Notice& n : t.notices) {
    if (n.option == option) return true;
  }
  return false;
}

TEST(DnsmasqTranslate, LxcNetDefaults) {
  const Translation t = run(fixture_args("lxc-net.args"));
  ASSERT_EQ(t.config.bridges.size(), 1u);
  const config::BridgeConfig& b = t.config.bridges[0];
  EXPECT_EQ(b.name, "bt0");
  EXPECT_EQ(b.address.to_string(), "198.18.0.1/24");
  EXPECT_EQ(b.pool_start.to_string(), "198.18.0.2");
  EXPECT_EQ(b.pool_end.to_string(), "198.18.0.254");
  EXPECT_EQ(b.lease_time, 3600u);  // dnsmasq's default
  EXPECT_FALSE(b.create);          // lxc-net made it
  EXPECT_TRUE(b.authoritative);    // --dhcp-authoritative
  EXPECT_FALSE(b.nat);
  EXPECT_FALSE(t.config.firewall.enabled);  // lxc-net writes its own rules
  EXPECT_FALSE(t.config.daemon.resolved);
  EXPECT_EQ(t.config.daemon.user, "nobody");
  EXPECT_EQ(t.config.daemon.database, "/state/bt0/berth.db");
  EXPECT_EQ(t.config.daemon.control_socket, "/run/b/bt0/berthd.sock");
  EXPECT_EQ(t.pid_file, "/lab/dnsmasq.pid");
  EXPECT_EQ(t.lease_file, "/lab/dnsmasq.bt0.leases");
  EXPECT_EQ(t.config.daemon.lease_file, "/lab/dnsmasq.bt0.leases");
  EXPECT_TRUE(t.daemonize);  // lxc-net waits for dnsmasq to fork
  EXPECT_TRUE(t.config.dns.enabled);
  EXPECT_TRUE(noticed(t, "dhcp-lease-max"));
  EXPECT_FALSE(noticed(t, "strict-order"));
}

TEST(DnsmasqTranslate, LxcNetWithItsConfFileDomainAndIpv6) {
  Files f;  // LXC_DHCP_CONFILE=/lab/dnsmasq.conf
  f.files["/lab/dnsmasq.conf"] = fill(read_fixture("lxc-net-confile.conf"));
  const Translation t = run(fixture_args("lxc-net-full.args"), f);
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_EQ(b.domain, "test");
  ASSERT_TRUE(b.ipv6.has_value());
  EXPECT_EQ(b.ipv6->to_string(), "fd00:0:0:1::1/64");
  EXPECT_EQ(b.ipv6_mode, config::Ipv6Mode::slaac);  // ra-only
  // The conf file's dhcp-host lines: by name, and by MAC with a name.
  ASSERT_EQ(b.reservations.size(), 2u);
  EXPECT_EQ(b.reservations[0].match, config::ReservationConfig::Match::hostname);
  EXPECT_EQ(b.reservations[0].hostname, "c1");
  EXPECT_EQ(b.reservations[0].ip.to_string(), "198.18.0.10");
  EXPECT_EQ(b.reservations[1].mac.to_string(), "00:16:3e:00:00:02");
  EXPECT_EQ(b.reservations[1].name, "c2");
}

TEST(DnsmasqTranslate, IncusDefaultBridge) {
  Files f;
  f.files["/lab/dnsmasq.raw"] = fill(read_fixture("incus-raw.conf"));
  f.dirs["/lab/dnsmasq.hosts"] = {"c1.eth0", "c2.eth0", "p2_c3.eth0"};
  for (const char* n : {"c1.eth0", "c2.eth0", "p2_c3.eth0"}) {
    f.files[std::string("/lab/dnsmasq.hosts/") + n] =
        fill(read_fixture(std::string("incus.hosts/") + n));
  }
  const Translation t = run(fixture_args("incus.args"), f);
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_FALSE(t.daemonize);  // --keep-in-foreground: Incus keeps the process
  EXPECT_EQ(t.pid_file, "");
  EXPECT_EQ(b.domain, "test");
  EXPECT_TRUE(b.rapid_commit);
  EXPECT_EQ(b.ipv6_mode, config::Ipv6Mode::stateless);  // ra-stateless
  EXPECT_EQ(t.config.daemon.log_level, "warn");         // --quiet-dhcp
  // c2 and c3 have addresses; c1 only a name (Incus lets it take one from the pool).
  ASSERT_EQ(b.reservations.size(), 2u);
  EXPECT_EQ(b.reservations[0].ip.to_string(), "198.18.0.20");
  EXPECT_EQ(b.reservations[0].name, "c2");
  EXPECT_EQ(b.reservations[1].name, "c3");
  EXPECT_EQ(t.host_entries_skipped, 1u);
  // --interface-name _gateway.test,bt0: the bridge's own address.
  bool gateway = false;
  for (const auto& h : t.config.dns.hosts) {
    if (h.name == "_gateway.test" && h.ip.to_string() == "198.18.0.1") gateway = true;
  }
  EXPECT_TRUE(gateway);
  EXPECT_TRUE(noticed(t, "dhcp-option-force"));  // option6:dns-server: berth sends its own
  EXPECT_TRUE(noticed(t, "group"));
}

TEST(DnsmasqTranslate, IncusStatefulIpv6) {
  Files f;
  f.files["/lab/dnsmasq.raw"] = "\n";
  f.dirs["/lab/dnsmasq.hosts"] = {};
  const Translation t = run(fixture_args("incus-stateful.args"), f);
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_EQ(b.ipv6_mode, config::Ipv6Mode::stateful);
  EXPECT_TRUE(b.ipv6->contains(b.ipv6_pool_start));
  EXPECT_TRUE(b.ipv6->contains(b.ipv6_pool_end));
  EXPECT_LT(b.ipv6_pool_start, b.ipv6_pool_end);
}

TEST(DnsmasqTranslate, LibvirtDefaultNetwork) {
  Files f;
  f.files["/lab/default.conf"] = fill(read_fixture("libvirt-default.conf"));
  f.files["/lab/default.hostsfile"] = fill(read_fixture("libvirt.hostsfile"));
  f.files["/lab/default.addnhosts"] = fill(read_fixture("libvirt.addnhosts"));
  const Translation t = run(fixture_args("libvirt.args"), f);
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_EQ(t.pid_file, "/lab/default.pid");
  EXPECT_TRUE(t.daemonize);
  EXPECT_EQ(t.lease_file, "");  // --leasefile-ro: libvirt keeps its .status file
  EXPECT_EQ(t.config.daemon.lease_file, "");
  EXPECT_EQ(t.config.daemon.lease_script, "/bin/true");
  EXPECT_FALSE(t.config.daemon.lease_script_renewals);
  EXPECT_EQ(b.address.to_string(), "198.18.0.1/24");
  ASSERT_EQ(b.reservations.size(), 3u);
  EXPECT_EQ(b.reservations[0].mac.to_string(), "52:54:00:5a:02:01");
  EXPECT_EQ(b.reservations[0].ip.to_string(), "198.18.0.10");
  EXPECT_EQ(b.reservations[0].name, "vm1");
  EXPECT_EQ(b.reservations[1].name, "");
  EXPECT_EQ(b.reservations[2].name, "vm3");
  // addn-hosts: "198.18.0.30 web web.example" -> both names.
  std::vector<std::string> names;
  for (const auto& h : t.config.dns.hosts) {
    if (h.ip.to_string() == "198.18.0.30") names.push_back(h.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"web", "web.example"}));
}

TEST(DnsmasqTranslate, LibvirtIpv6Range) {
  Files f;
  f.files["/lab/default.conf"] = fill(read_fixture("libvirt-ipv6.conf"));
  f.files["/lab/default.hostsfile"] = "";
  f.files["/lab/default.addnhosts"] = "";
  const Translation t = run(fixture_args("libvirt.args"), f);
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_EQ(b.ipv6_mode, config::Ipv6Mode::stateful);
  EXPECT_EQ(b.ipv6_pool_start.to_string(), "fd00:0:0:1::2");
  EXPECT_EQ(b.ipv6_pool_end.to_string(), "fd00:0:0:1::ffff");
}

TEST(DnsmasqTranslate, DnsmasqDefaultsWhereBerthsDiffer) {
  const Translation t =
      run({"--interface=bt0", "--dhcp-range=198.18.0.50,198.18.0.60,12h", "--no-hosts"});
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_FALSE(b.authoritative) << "dnsmasq is not authoritative unless told";
  EXPECT_EQ(b.lease_time, 12u * 3600u);
  EXPECT_EQ(t.config.daemon.user, "");
  EXPECT_EQ(t.lease_file, "");
}

TEST(DnsmasqTranslate, ServersPortsAndOptions) {
  const Translation t =
      run({"-i", "bt0", "-F", "198.18.0.2,198.18.0.9", "--no-hosts", "--server=198.18.5.5#5353",
           "--server=/corp.example/198.18.6.6", "--no-resolv",
           "--dhcp-option=option:router,0.0.0.0", "--dhcp-option=42,198.18.7.7,198.18.7.8",
           "--dhcp-option-force=option:domain-search,a.example,b.example",
           "--dhcp-option=252,\"http://wpad/wpad.dat\"", "--cache-size=50", "-q"});
  const config::Config& c = t.config;
  ASSERT_EQ(c.dns.upstreams.size(), 1u);
  EXPECT_EQ(c.dns.upstreams[0].to_string(), "198.18.5.5:5353");
  ASSERT_EQ(c.dns.servers.size(), 1u);
  EXPECT_EQ(c.dns.servers[0].domain, "corp.example");
  EXPECT_EQ(c.dns.cache_size, 50u);
  EXPECT_EQ(c.daemon.log_level, "debug");
  const auto& opts = c.bridges[0].dhcp_options;
  ASSERT_EQ(opts.options.size(), 3u);
  EXPECT_EQ(opts.options[0].code, 3);
  EXPECT_EQ(opts.options[0].value, (Bytes{198, 18, 0, 1})) << "0.0.0.0 is the bridge";
  EXPECT_EQ(opts.options[1].code, 42);
  EXPECT_EQ(opts.options[1].value.size(), 8u);
  EXPECT_EQ(opts.options[2].code, 252);
  EXPECT_EQ(opts.options[2].type, dhcp4::ValueType::string);
  EXPECT_EQ(opts.search, (std::vector<std::string>{"a.example", "b.example"}));
}

TEST(DnsmasqTranslate, NetworkBootAndRecordsLibvirtMayWrite) {
  // libvirt's <tftp root=.../> and <bootp file=... server=.../>, <srv>, <txt>.
  const Translation t =
      run({"-i", "bt0", "-h", "-F", "198.18.0.2,198.18.0.9", "--enable-tftp",
           "--tftp-root=/srv/tftp-lab", "--dhcp-boot=pxelinux.0,boot,198.18.0.5",
           "--srv-host=_ldap._tcp.test,ldap.test,389,1,2", "--txt-record=t.test,\"v=1\",two"});
  const config::BridgeConfig& b = t.config.bridges.at(0);
  EXPECT_TRUE(b.boot.tftp);
  EXPECT_EQ(b.boot.filename, "pxelinux.0");
  EXPECT_EQ(b.boot.server_name, "boot");
  EXPECT_EQ(b.boot.next_server->to_string(), "198.18.0.5");
  EXPECT_EQ(t.config.tftp.root, "/srv/tftp-lab");
  ASSERT_EQ(t.config.dns.srvs.size(), 1u);
  EXPECT_EQ(t.config.dns.srvs[0].port, 389);
  EXPECT_EQ(t.config.dns.srvs[0].priority, 1);
  EXPECT_EQ(t.config.dns.srvs[0].weight, 2);
  ASSERT_EQ(t.config.dns.txts.size(), 1u);
  EXPECT_EQ(t.config.dns.txts[0].text, (std::vector<std::string>{"v=1", "two"}));
  EXPECT_NE(error_of({"-i", "bt0", "-h", "-F", "198.18.0.2,198.18.0.9", "--dhcp-boot=tag:efi,x"})
                .find("dhcp-boot"),
            std::string::npos);
}

TEST(DnsmasqTranslate, PortZeroTurnsDnsOff) {
  const Translation t = run({"-i", "bt0", "-F", "198.18.0.2,198.18.0.9", "-h", "--port=0"});
  EXPECT_FALSE(t.config.dns.enabled);
}

TEST(DnsmasqTranslate, EtcHostsIsServedUnlessNoHosts) {
  Files f;
  f.files["/etc-hosts"] = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n198.18.9.9 db\n";
  const Translation t = run({"-i", "bt0", "-F", "198.18.0.2,198.18.0.9"}, f);
  ASSERT_EQ(t.config.dns.hosts.size(), 2u);
  EXPECT_EQ(t.config.dns.hosts[1].name, "db");
  EXPECT_TRUE(noticed(t, "addn-hosts"));  // the IPv6 line
  EXPECT_TRUE(run({"-i", "bt0", "-F", "198.18.0.2,198.18.0.9", "-h"}, f).config.dns.hosts.empty());
}

TEST(DnsmasqTranslate, ListenAddressAloneNamesTheInterface) {
  const Translation t = run({"--listen-address=198.18.0.1", "-F", "198.18.0.2,198.18.0.9", "-h"});
  EXPECT_EQ(t.config.bridges.at(0).name, "bt0");
}

TEST(DnsmasqTranslate, UnsafeOrWrongOptionsAreRefusedByName) {
  const std::vector<std::string> base = {"-i", "bt0", "-h"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> a = base;
    a.insert(a.end(), more.begin(), more.end());
    return error_of(a);
  };
  EXPECT_EQ(with({"--dhcp-range=198.18.0.2,static"}),
            "argument 4: dhcp-range: mode static is not supported: berth would lease addresses "
            "from the range instead");
  EXPECT_NE(with({"-F", "198.18.0.2,198.18.0.9", "--dhcp-relay=198.18.0.1,198.18.3.3"})
                .find("argument 6: dhcp-relay:"),
            std::string::npos);
  EXPECT_NE(with({"-F", "tag:x,198.18.0.2,198.18.0.9"}).find("dhcp-range"), std::string::npos);
  EXPECT_NE(
      with({"-F", "198.18.0.2,198.18.0.9", "--dhcp-option=tag:x,3,198.18.0.1"}).find("dhcp-option"),
      std::string::npos);
  EXPECT_NE(with({"-F", "198.18.0.2,198.18.0.9", "--dhcp-host=52:54:00:00:00:01,ignore"})
                .find("dhcp-host: \"ignore\""),
            std::string::npos);
  EXPECT_NE(with({"-F", "198.18.0.2,198.18.0.9", "--made-up"}).find("no such dnsmasq option"),
            std::string::npos);
  EXPECT_NE(with({"-F", "198.18.9.2,198.18.9.9"}).find("no dhcp-range lies in a subnet of bt0"),
            std::string::npos);
  EXPECT_NE(with({"-F", "198.18.0.2,198.18.0.9", "-F", "198.18.9.2,198.18.9.9"})
                .find("lies in no subnet"),
            std::string::npos);
  EXPECT_NE(with({"-F", "198.18.0.9,198.18.0.2"}).find("before the start"), std::string::npos);
  EXPECT_NE(error_of({"-F", "198.18.0.2,198.18.0.9", "-h"}).find("interface"), std::string::npos);
  EXPECT_NE(error_of({"-i", "nosuch0", "-F", "198.18.0.2,198.18.0.9", "-h"})
                .find("nosuch0 has no IPv4 address"),
            std::string::npos);
  EXPECT_NE(with({"-F", "198.18.0.2,198.18.0.9", "--dhcp-hostsfile=/missing"})
                .find("/missing cannot be read"),
            std::string::npos);
}

TEST(DnsmasqTranslate, ConfigProblemsComeBackAsErrors) {
  // A reservation on the bridge's own address is skipped; two reservations
  // for one address keep the first.
  const Translation t = run(
      {"-i", "bt0", "-h", "-F", "198.18.0.2,198.18.0.9", "--dhcp-host=52:54:00:00:00:01,198.18.0.1",
       "--dhcp-host=52:54:00:00:00:02,198.18.0.5,a", "--dhcp-host=52:54:00:00:00:03,198.18.0.5,b"});
  ASSERT_EQ(t.config.bridges[0].reservations.size(), 1u);
  EXPECT_EQ(t.config.bridges[0].reservations[0].name, "a");
  EXPECT_EQ(t.host_entries_skipped, 2u);
  // A lease time berth refuses (under its minimum) is raised, said once.
  const Translation short_lease = run({"-i", "bt0", "-h", "-F", "198.18.0.2,198.18.0.9,30s"});
  EXPECT_EQ(short_lease.config.bridges[0].lease_time, 120u);
  EXPECT_TRUE(noticed(short_lease, "dhcp-range"));
}

TEST(DnsmasqTranslate, EachUnsupportedOptionIsNoticedOnce) {
  const Translation t = run({"-i", "bt0", "-h", "-F", "198.18.0.2,198.18.0.9", "--dhcp-lease-max=5",
                             "--dhcp-lease-max=6", "--filterwin2k"});
  size_t lease_max = 0;
  for (const Notice& n : t.notices) lease_max += n.option == "dhcp-lease-max";
  EXPECT_EQ(lease_max, 1u);
  EXPECT_TRUE(noticed(t, "filterwin2k"));
}

}  // namespace
}  // namespace berth::dnsmasq_compat
