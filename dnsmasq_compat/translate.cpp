// dnsmasq settings onto a berth configuration (dnsmasq_compat/translate.hpp).
#include "dnsmasq_compat/translate.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "config/values.hpp"
#include "leases/importers.hpp"
#include "protocol/dhcp4/option_values.hpp"

namespace berth::dnsmasq_compat {
namespace {

// Options that change nothing berth does: it binds each bridge address
// itself, never pings before offering, keeps no negative cache, asks the
// upstreams in order, never overloads sname/file with options, and answers
// both "web" and "web.<domain>". --test, --leasefile-ro, --no-hosts and
// --no-resolv are read elsewhere.
constexpr auto kNoOps = std::to_array<std::string_view>({
    "bind-dynamic",
    "bind-interfaces",
    "dhcp-no-override",
    "except-interface",
    "expand-hosts",
    "keep-in-foreground",
    "no-daemon",
    "no-ping",
    "no-poll",
    "strict-order",
    "enable-ra",
    "test",
    "leasefile-ro",
    "no-hosts",
    "no-resolv",
});

// Options without which berth would serve clients, addresses or ports that
// dnsmasq would not: refused, naming the option.
constexpr auto kUnsafe = std::to_array<std::pair<std::string_view, std::string_view>>({
    {"dhcp-relay", "berth-dnsmasq does not relay DHCP; it would answer the clients itself"},
    {"dhcp-proxy", "proxy DHCP is not supported; berth would lease addresses instead"},
    {"dhcp-ignore", "berth cannot ignore clients by tag; it would serve them"},
    {"dhcp-alternate-port", "berth serves DHCP on ports 67/68 only"},
    {"no-dhcp-interface", "berth serves DHCP on every interface it is given"},
    {"no-dhcpv4-interface", "berth serves DHCP on every interface it is given"},
    {"dhcp-mac", "tags are not supported, so options meant for some clients would reach all"},
    {"dhcp-vendorclass",
     "tags are not supported, so options meant for some clients would reach all"},
    {"dhcp-userclass", "tags are not supported, so options meant for some clients would reach all"},
    {"dhcp-match", "tags are not supported, so options meant for some clients would reach all"},
    {"tag-if", "tags are not supported, so options meant for some clients would reach all"},
    {"bootp-dynamic", "BOOTP clients are not served"},
    {"dhcp-sequential-ip", "berth does not hand out addresses in sequence"},
});

// What a known option berth does not carry out is logged with.
std::string_view unsupported_reason(std::string_view name) {
  if (name == "dhcp-lease-max") return "not enforced; the pool bounds the number of leases";
  if (name == "log-facility") return "logs go to syslog (or stderr with --no-daemon)";
  if (name == "domain-needed" || name == "bogus-priv") {
    return "not enforced; names not answered locally are forwarded";
  }
  if (name == "dhcp-fqdn") return "clients' names are kept as sent; duplicates are not refused";
  if (name == "no-negcache") return "not enforced; negative answers are cached (RFC 2308)";
  return "not supported by berth-dnsmasq; ignored";
}

// dnsmasq's names for the options of `dhcp-option=option:NAME,...`, with
// the type berth encodes their values in.
struct NamedOption {
  std::string_view name;
  uint8_t code;
  dhcp4::ValueType type;
};
constexpr auto kNamedOptions = std::to_array<NamedOption>({
    {"netmask", 1, dhcp4::ValueType::ip},
    {"time-offset", 2, dhcp4::ValueType::u32},
    {"router", 3, dhcp4::ValueType::ips},
    {"dns-server", 6, dhcp4::ValueType::ips},
    {"log-server", 7, dhcp4::ValueType::ips},
    {"lpr-server", 9, dhcp4::ValueType::ips},
    {"hostname", 12, dhcp4::ValueType::string},
    {"boot-file-size", 13, dhcp4::ValueType::u16},
    {"domain-name", 15, dhcp4::ValueType::string},
    {"swap-server", 16, dhcp4::ValueType::ip},
    {"root-path", 17, dhcp4::ValueType::string},
    {"extension-path", 18, dhcp4::ValueType::string},
    {"ip-forward-enable", 19, dhcp4::ValueType::boolean},
    {"policy-filter", 21, dhcp4::ValueType::ips},
    {"max-datagram-reassembly", 22, dhcp4::ValueType::u16},
    {"default-ttl", 23, dhcp4::ValueType::u8},
    {"mtu", 26, dhcp4::ValueType::u16},
    {"all-subnets-local", 27, dhcp4::ValueType::boolean},
    {"broadcast", 28, dhcp4::ValueType::ip},
    {"router-discovery", 31, dhcp4::ValueType::boolean},
    {"router-solicitation", 32, dhcp4::ValueType::ip},
    {"static-route", 33, dhcp4::ValueType::ips},
    {"trailer-encapsulation", 34, dhcp4::ValueType::boolean},
    {"arp-timeout", 35, dhcp4::ValueType::u32},
    {"ethernet-encap", 36, dhcp4::ValueType::boolean},
    {"tcp-ttl", 37, dhcp4::ValueType::u8},
    {"tcp-keepalive", 38, dhcp4::ValueType::u32},
    {"nis-domain", 40, dhcp4::ValueType::string},
    {"nis-server", 41, dhcp4::ValueType::ips},
    {"ntp-server", 42, dhcp4::ValueType::ips},
    {"vendor-encap", 43, dhcp4::ValueType::hex},
    {"netbios-ns", 44, dhcp4::ValueType::ips},
    {"netbios-dd", 45, dhcp4::ValueType::ips},
    {"netbios-nodetype", 46, dhcp4::ValueType::u8},
    {"netbios-scope", 47, dhcp4::ValueType::string},
    {"x-windows-fs", 48, dhcp4::ValueType::ips},
    {"x-windows-dm", 49, dhcp4::ValueType::ips},
    {"nis+-domain", 64, dhcp4::ValueType::string},
    {"nis+-server", 65, dhcp4::ValueType::ips},
    {"tftp-server", 66, dhcp4::ValueType::string},
    {"bootfile-name", 67, dhcp4::ValueType::string},
    {"mobile-ip-home", 68, dhcp4::ValueType::ips},
    {"smtp-server", 69, dhcp4::ValueType::ips},
    {"pop3-server", 70, dhcp4::ValueType::ips},
    {"nntp-server", 71, dhcp4::ValueType::ips},
    {"irc-server", 74, dhcp4::ValueType::ips},
    {"user-class", 77, dhcp4::ValueType::string},
    {"tzdb-timezone", 101, dhcp4::ValueType::string},
    {"domain-search", 119, dhcp4::ValueType::hex},
    {"classless-static-route", 121, dhcp4::ValueType::hex},
    {"vendor-id-encap", 125, dhcp4::ValueType::hex},
    {"server-ip-address", 150, dhcp4::ValueType::ips},
});

bool is_ipv4_list(const std::vector<std::string>& values) {
  return std::all_of(values.begin(), values.end(),
                     [](const std::string& v) { return Ipv4Address::parse(v).has_value(); });
}

// dnsmasq's hex form: "01:02:0a", one or two hex digits between colons.
bool is_hex_colon(std::string_view v) {
  if (v.find(':') == std::string_view::npos) return false;
  size_t run = 0;
  for (char c : v) {
    if (c == ':') {
      if (run == 0) return false;
      run = 0;
    } else if (std::isxdigit(static_cast<unsigned char>(c)) && run < 2) {
      ++run;
    } else {
      return false;
    }
  }
  return run > 0;
}

std::string join(const std::vector<std::string>& parts, size_t from, std::string_view sep) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (i > from) out += sep;
    out += parts[i];
  }
  return out;
}

std::optional<uint32_t> parse_u32(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// One v4 dhcp-range: [tag:T,][set:T,]START[,END][,MODE][,NETMASK[,BCAST]][,LEASE].
struct Range4 {
  Ipv4Address start;
  Ipv4Address end;
  std::optional<Ipv4Address> netmask;
  uint32_t lease_time = 3600;  // dnsmasq's default
  std::string origin;
};

// One v6 dhcp-range: START[,END][,constructor:IF][,MODES...][,PREFIXLEN][,LEASE].
struct Range6 {
  std::string start;  // as written: full address, or "::N" with a constructor
  std::string end;
  std::string constructor;  // interface whose prefix completes start/end
  bool ra_only = false;     // ra-only, ra-names alone: router advertisements, no DHCPv6
  bool stateless = false;   // ra-stateless
  std::string origin;
};

class Translator {
 public:
  Translator(const HostInterfaces& host, const FileReader& files, const Paths& paths)
      : host_(host), files_(files), paths_(paths) {}

  Translation run(const std::vector<Setting>& settings) {
    for (const Setting& s : settings) take(s);
    build();
    validate();
    return std::move(t_);
  }

 private:
  [[noreturn]] static void fail(const Setting& s, const std::string& message) {
    throw TranslateError(s.origin, s.name, message);
  }

  void notice(const Setting& s, std::string message) {
    if (!noticed_.insert(s.name).second) return;
    t_.notices.push_back(Notice{s.name, s.origin, std::move(message)});
  }

  void take(const Setting& s) {
    const std::string& n = s.name;
    if (!s.known) fail(s, "no such dnsmasq option");
    for (const auto& [name, why] : kUnsafe) {
      if (n == name) fail(s, std::string(why) + "; refusing to start");
    }
    if (n == "interface") {
      for (const std::string& i : split_commas(s.value)) {
        if (i.find_first_of("*?") != std::string::npos) {
          fail(s, "wildcard interface names are not supported; name each bridge");
        }
        if (auto problem = config::interface_name_problem(i)) fail(s, *problem);
        if (std::find(interfaces_.begin(), interfaces_.end(), i) == interfaces_.end()) {
          interfaces_.push_back(i);
        }
      }
    } else if (n == "listen-address") {
      for (const std::string& a : split_commas(s.value)) {
        if (auto v4 = Ipv4Address::parse(a)) {
          if ((v4->value() >> 24) == 127) {
            notice(s, "berth answers DNS on the bridge addresses only, not on loopback");
          } else {
            listen_.push_back({*v4, s});
          }
        } else if (!Ipv6Address::parse(a)) {
          fail(s, "\"" + a + "\" is not an address");
        }
      }
    } else if (n == "dhcp-range") {
      take_range(s);
    } else if (n == "dhcp-host") {
      host_lines_ += unquote(s.value) + "\n";
      host_origins_.push_back(s.origin);
    } else if (n == "dhcp-hostsfile" || n == "dhcp-hostsdir") {
      hosts_paths_.push_back({unquote(s.value), s});
    } else if (n == "addn-hosts" || n == "hostsdir") {
      addn_paths_.push_back({unquote(s.value), s});
    } else if (n == "no-hosts") {
      no_hosts_ = true;
    } else if (n == "dhcp-leasefile") {
      lease_file_ = unquote(s.value);
    } else if (n == "leasefile-ro") {
      leasefile_ro_ = true;
    } else if (n == "dhcp-authoritative") {
      authoritative_ = true;
    } else if (n == "dhcp-rapid-commit") {
      rapid_commit_ = true;
    } else if (n == "dhcp-ignore-clid") {
      ignore_client_id_ = true;
    } else if (n == "domain") {
      const std::vector<std::string> parts = split_commas(s.value);
      if (auto problem = config::dns_domain_problem(parts[0])) fail(s, *problem);
      if (!domain_.empty() && domain_ != parts[0]) {
        notice(s, "one domain per instance: " + domain_ + " is used");
      } else {
        domain_ = parts[0];
      }
    } else if (n == "server" || n == "local") {
      take_server(s, n == "local");
    } else if (n == "rev-server") {
      notice(s, "reverse zones are not forwarded separately; they go to the upstreams");
    } else if (n == "no-resolv") {
      no_resolv_ = true;
    } else if (n == "resolv-file") {
      const std::string path = unquote(s.value);
      if (path.empty() || path.front() != '/') fail(s, "must be an absolute path");
      t_.config.dns.resolv_conf = path;
    } else if (n == "interface-name") {
      const std::vector<std::string> parts = split_commas(s.value);
      if (parts.size() < 2) fail(s, "write NAME,INTERFACE");
      std::string iface = parts[1];
      if (const size_t slash = iface.find('/'); slash != std::string::npos) iface.resize(slash);
      interface_names_.push_back({parts[0], iface, s});
    } else if (n == "host-record") {
      const std::vector<std::string> parts = split_commas(s.value);
      bool any = false;
      for (size_t i = 1; i < parts.size(); ++i) {
        if (auto v4 = Ipv4Address::parse(parts[i])) {
          for (size_t j = 0; j < i; ++j) {
            t_.config.dns.hosts.push_back(config::HostRecord{parts[j], *v4});
          }
          any = true;
        }
      }
      if (!any) notice(s, "only IPv4 host records are served");
    } else if (n == "cname") {
      const std::vector<std::string> parts = split_commas(s.value);
      if (parts.size() < 2) fail(s, "write ALIAS,TARGET");
      const size_t target = parser_target(parts);
      for (size_t i = 0; i < target; ++i) {
        t_.config.dns.cnames.push_back(config::CnameRecord{parts[i], parts[target]});
      }
    } else if (n == "srv-host") {
      // srv-host=OWNER[,TARGET[,PORT[,PRIORITY[,WEIGHT]]]]
      const std::vector<std::string> parts = split_commas(s.value);
      if (parts.size() < 3)
        fail(s, "berth needs OWNER,TARGET,PORT (a \"no service\" SRV is not served)");
      config::SrvRecord r{.name = parts[0], .target = parts[1]};
      const uint32_t limits[] = {65535, 65535, 65535};
      uint16_t* fields[] = {&r.port, &r.priority, &r.weight};
      for (size_t i = 2; i < parts.size() && i < 5; ++i) {
        auto v = parse_u32(parts[i]);
        if (!v || *v > limits[i - 2]) fail(s, "\"" + parts[i] + "\" is not a number up to 65535");
        *fields[i - 2] = static_cast<uint16_t>(*v);
      }
      t_.config.dns.srvs.push_back(std::move(r));
    } else if (n == "txt-record") {
      const std::vector<std::string> parts = split_commas(s.value);
      config::TxtRecord r{.name = parts[0], .text = {}};
      for (size_t i = 1; i < parts.size(); ++i) r.text.push_back(unquote(parts[i]));
      if (r.text.empty()) r.text.emplace_back();
      t_.config.dns.txts.push_back(std::move(r));
    } else if (n == "dhcp-boot") {
      // dhcp-boot=[tag:T,]FILE[,SERVERNAME[,SERVERADDRESS]]
      std::vector<std::string> parts = split_commas(s.value);
      if (!parts.empty() && parts[0].starts_with("tag:")) {
        fail(s, "a boot file for some clients only is not supported; berth would send it to all");
      }
      boot_.filename = unquote(parts[0]);
      if (parts.size() > 1) boot_.server_name = unquote(parts[1]);
      if (parts.size() > 2) {
        auto a = Ipv4Address::parse(parts[2]);
        if (!a) fail(s, "\"" + parts[2] + "\" is not an IPv4 address");
        boot_.next_server = *a;
      }
    } else if (n == "enable-tftp") {
      boot_.tftp = true;
      if (s.has_value && !s.value.empty()) {
        notice(s, "TFTP is served on the bridges' addresses, whatever interfaces are named");
      }
    } else if (n == "tftp-root") {
      const std::vector<std::string> parts = split_commas(s.value);
      t_.config.tftp.root = unquote(parts[0]);
      if (parts.size() > 1) notice(s, "one root for every interface");
    } else if (n == "tftp-max") {
      auto v = parse_u32(s.value);
      if (!v) fail(s, "\"" + s.value + "\" is not a number");
      t_.config.tftp.max_transfers = *v;
    } else if (n == "dhcp-option" || n == "dhcp-option-force") {
      take_dhcp_option(s, n == "dhcp-option-force");
    } else if (n == "dhcp-script") {
      t_.config.daemon.lease_script = unquote(s.value);
      script_ = true;
    } else if (n == "script-on-renewal") {
      renewals_ = true;
    } else if (n == "pid-file") {
      t_.pid_file = unquote(s.value);
    } else if (n == "keep-in-foreground") {
      t_.daemonize = false;
    } else if (n == "no-daemon") {
      t_.daemonize = false;
      t_.log_stderr = true;
    } else if (n == "test") {
      t_.test_only = true;
    } else if (n == "user") {
      user_ = {unquote(s.value), s};
    } else if (n == "group") {
      notice(s, "berth runs with the primary group of --user");
    } else if (n == "port") {
      auto port = parse_u32(s.value);
      if (!port || *port > 65535) fail(s, "\"" + s.value + "\" is not a port");
      if (*port == 0) {
        t_.config.dns.enabled = false;
      } else {
        t_.config.dns.port = static_cast<uint16_t>(*port);
      }
    } else if (n == "cache-size") {
      auto size = parse_u32(s.value);
      if (!size) fail(s, "\"" + s.value + "\" is not a number");
      t_.config.dns.cache_size = *size;
    } else if (n == "local-ttl") {
      auto ttl = parse_u32(s.value);
      if (!ttl) fail(s, "\"" + s.value + "\" is not a number");
      t_.config.dns.local_ttl = *ttl;
    } else if (n == "quiet-dhcp" || n == "quiet-dhcp6" || n == "quiet-ra") {
      quiet_ = true;
    } else if (n == "log-queries" || n == "log-dhcp" || n == "log-debug") {
      verbose_ = true;
    } else if (n == "log-facility") {
      if (s.value == "-" || s.value == "stderr") {
        t_.log_stderr = true;
      } else {
        notice(s, std::string(unsupported_reason(n)));
      }
    } else if (std::find(kNoOps.begin(), kNoOps.end(), n) == kNoOps.end()) {
      notice(s, std::string(unsupported_reason(n)));
    }
  }

  // cname=ALIAS[,ALIAS...],TARGET[,TTL]: the last field is a TTL when numeric.
  static size_t parser_target(const std::vector<std::string>& parts) {
    if (parts.size() >= 3 && parse_u32(parts.back())) return parts.size() - 2;
    return parts.size() - 1;
  }

  void take_range(const Setting& s) {
    std::vector<std::string> parts = split_commas(s.value);
    // set:TAG only names the range's clients; tag:TAG restricts it.
    while (!parts.empty() && parts.front().starts_with("set:")) parts.erase(parts.begin());
    if (!parts.empty() && parts.front().starts_with("tag:")) {
      fail(s, "ranges restricted to a tag are not supported; berth would serve everyone from it");
    }
    if (!parts.empty() && parts.front().starts_with("interface:")) parts.erase(parts.begin());
    if (parts.empty() || parts[0].empty()) fail(s, "needs a start address");
    if (parts[0].find(':') != std::string::npos) return take_range6(s, parts);
    Range4 r;
    r.origin = s.origin;
    auto start = Ipv4Address::parse(parts[0]);
    if (!start) fail(s, "\"" + parts[0] + "\" is not an IPv4 address");
    r.start = *start;
    size_t i = 1;
    if (i < parts.size()) {
      if (parts[i] == "static" || parts[i] == "proxy") {
        fail(s, "mode " + parts[i] +
                    " is not supported: berth would lease addresses from the range instead");
      }
      auto end = Ipv4Address::parse(parts[i]);
      if (!end) fail(s, "\"" + parts[i] + "\" is not an IPv4 address");
      r.end = *end;
      ++i;
    } else {
      fail(s, "a range needs an end address (a single address is dnsmasq's static mode)");
    }
    if (i < parts.size() && (parts[i] == "static" || parts[i] == "proxy")) {
      fail(s, "mode " + parts[i] +
                  " is not supported: berth would lease addresses from the range instead");
    }
    if (i < parts.size()) {
      if (auto mask = Ipv4Address::parse(parts[i])) {
        r.netmask = *mask;
        ++i;
        if (i < parts.size() && Ipv4Address::parse(parts[i])) ++i;  // broadcast
      }
    }
    if (i < parts.size()) {
      auto lease = config::parse_lease_time(parts[i]);
      if (!lease) fail(s, "\"" + parts[i] + "\" is not a lease time");
      if (*lease < config::kMinLeaseTime) {
        notice(s, "lease times under 2 minutes are raised to 2 minutes, as dnsmasq does");
        *lease = config::kMinLeaseTime;
      }
      r.lease_time =
          *lease > config::kInfiniteLease ? config::kInfiniteLease : static_cast<uint32_t>(*lease);
      ++i;
    }
    if (i < parts.size()) fail(s, "unexpected \"" + parts[i] + "\"");
    if (r.end < r.start) fail(s, "the end address is before the start");
    ranges4_.push_back(r);
  }

  void take_range6(const Setting& s, const std::vector<std::string>& parts) {
    Range6 r;
    r.origin = s.origin;
    r.start = parts[0];
    bool have_end = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string& p = parts[i];
      if (p.starts_with("constructor:")) {
        r.constructor = p.substr(12);
      } else if (p == "ra-only" || p == "ra-names") {
        r.ra_only = r.ra_only || p == "ra-only";
        if (p == "ra-names") notice(s, "ra-names: SLAAC addresses are not given names");
      } else if (p == "ra-stateless") {
        r.stateless = true;
      } else if (p == "slaac" || p == "ra-advrouter" || p == "off-link") {
        if (p != "slaac") notice(s, p + " is not supported");
      } else if (!have_end && p.find(':') != std::string::npos) {
        r.end = p;
        have_end = true;
      } else if (parse_u32(p) && *parse_u32(p) <= 128 && i + 1 <= parts.size() && p.size() <= 3) {
        if (*parse_u32(p) != 64) fail(s, "berth serves /64 prefixes only");
      } else if (!config::parse_lease_time(p)) {
        fail(s, "unexpected \"" + p + "\"");
      }
    }
    if (!have_end && !r.ra_only && !r.stateless) r.ra_only = true;
    ranges6_.push_back(r);
  }

  void take_server(const Setting& s, bool local) {
    std::string v = unquote(s.value);
    if (const size_t at = v.find('@'); at != std::string::npos) {
      notice(s, "the source address or interface after '@' is ignored");
      v.resize(at);
    }
    if (v.starts_with("/")) {
      const size_t close = v.rfind('/');
      if (close == 0) fail(s, "write /DOMAIN/ADDRESS");
      const std::string domains = v.substr(1, close - 1);
      const std::string target = v.substr(close + 1);
      std::vector<std::string> names;
      size_t from = 0;
      while (from <= domains.size()) {
        const size_t slash = domains.find('/', from);
        names.push_back(domains.substr(from, slash - from));
        if (slash == std::string::npos) break;
        from = slash + 1;
      }
      if (target.empty() || local) {
        // local=/lxd/: answered from local data only. berth answers its own
        // domain itself; another domain is only noted.
        for (const std::string& d : names) local_domains_.push_back({d, s});
        return;
      }
      if (target == "#") {
        notice(s, "/DOMAIN/# goes to the usual upstreams, which berth does anyway");
        return;
      }
      auto up = config::parse_upstream(replace_hash(target));
      if (!up) fail(s, "\"" + target + "\" is not an upstream address");
      for (const std::string& d : names) {
        auto it = std::find_if(t_.config.dns.servers.begin(), t_.config.dns.servers.end(),
                               [&](const auto& x) { return x.domain == d; });
        if (it == t_.config.dns.servers.end()) {
          t_.config.dns.servers.push_back(config::DomainUpstreams{d, {*up}});
        } else {
          it->upstreams.push_back(*up);
        }
      }
      return;
    }
    if (local) fail(s, "write /DOMAIN/");
    auto up = config::parse_upstream(replace_hash(v));
    if (!up) fail(s, "\"" + v + "\" is not an upstream address");
    t_.config.dns.upstreams.push_back(*up);
  }

  // dnsmasq writes a port as "ADDRESS#PORT"; berth reads "ADDRESS:PORT"
  // (and "[V6]:PORT").
  static std::string replace_hash(const std::string& v) {
    const size_t hash = v.find('#');
    if (hash == std::string::npos) return v;
    const std::string addr = v.substr(0, hash);
    if (addr.find(':') != std::string::npos) return "[" + addr + "]:" + v.substr(hash + 1);
    return addr + ":" + v.substr(hash + 1);
  }

  void take_dhcp_option(const Setting& s, bool force) {
    std::vector<std::string> parts = split_commas(s.value);
    size_t i = 0;
    if (i < parts.size() &&
        (parts[i].starts_with("tag:") || parts[i].starts_with("encap:") ||
         parts[i].starts_with("vi-encap:") || parts[i].starts_with("vendor:"))) {
      fail(s, "\"" + parts[i] +
                  "\": options for some clients only are not supported; berth would send it to "
                  "every client");
    }
    if (i >= parts.size()) fail(s, "needs an option");
    std::string opt = parts[i++];
    if (opt.starts_with("option6:")) {
      notice(s, "DHCPv6 options are not supported; berth sends its own DNS server and domain");
      return;
    }
    std::optional<uint8_t> code;
    dhcp4::ValueType type = dhcp4::ValueType::hex;
    bool typed = false;
    if (opt.starts_with("option:")) {
      const std::string name = opt.substr(7);
      for (const NamedOption& o : kNamedOptions) {
        if (o.name == name) {
          code = o.code;
          type = o.type;
          typed = true;
        }
      }
      if (!code) fail(s, "unknown option name \"" + name + "\"");
    } else if (auto c = parse_u32(opt); c && *c >= 1 && *c <= 254) {
      code = static_cast<uint8_t>(*c);
      for (const NamedOption& o : kNamedOptions) {
        if (o.code == *c) {
          type = o.type;
          typed = true;
        }
      }
    } else {
      fail(s, "\"" + opt + "\" is no option code");
    }
    std::vector<std::string> values(parts.begin() + static_cast<ptrdiff_t>(i), parts.end());
    if (values.empty()) {
      // dnsmasq: an option without a value is sent empty, which stops
      // dnsmasq's default (option:router with no value sends no router).
      // berth cannot send an empty option: an empty router list is refused
      // rather than sending the bridge address anyway.
      fail(s, "an option without a value (no router, no DNS server) is not supported");
    }
    // 0.0.0.0 is "this server's address": the bridge address.
    for (std::string& v : values) {
      if (v == "0.0.0.0") v = "{bridge}";
    }
    if (*code == 119) {
      for (std::string& v : values) v = unquote(v);
      search_.insert(search_.end(), values.begin(), values.end());
      return;
    }
    if (*code == 121 || *code == 249) {
      fail(s, "write classless routes as berth's `routes`; raw option 121 is not translated");
    }
    if (!typed) {
      if (is_ipv4_list(values)) {
        type = dhcp4::ValueType::ips;
      } else if (values.size() == 1 && parse_u32(values[0])) {
        type = dhcp4::ValueType::u32;
      } else if (values.size() == 1 && is_hex_colon(values[0])) {
        type = dhcp4::ValueType::hex;
      } else {
        type = dhcp4::ValueType::string;
      }
    }
    if (auto problem = dhcp4::reserved_option_problem(*code)) {
      fail(s, "option " + std::to_string(*code) + ": " + std::string(*problem));
    }
    options_.push_back(PendingOption{*code, type, values, force, s});
  }

  struct PendingOption {
    uint8_t code;
    dhcp4::ValueType type;
    std::vector<std::string> values;
    bool force;
    Setting setting;
  };

  // ---- building the config -------------------------------------------------

  void build() {
    config::Config& c = t_.config;
    if (interfaces_.empty()) {
      // --listen-address alone names the interfaces holding those addresses.
      for (const auto& [addr, s] : listen_) {
        bool found = false;
        for (const auto& [name, a] : host_) {
          for (const Ipv4Prefix& p : a.ipv4) {
            if (p.address == addr) {
              found = true;
              if (std::find(interfaces_.begin(), interfaces_.end(), name) == interfaces_.end()) {
                interfaces_.push_back(name);
              }
            }
          }
        }
        if (!found) fail(s, addr.to_string() + " is the address of no interface");
      }
    }
    if (interfaces_.empty()) {
      throw TranslateError("command line", "interface",
                           "berth-dnsmasq serves the interfaces named by --interface or "
                           "--listen-address; serving every interface is not supported");
    }
    std::vector<bool> used(ranges4_.size(), false);
    for (const std::string& name : interfaces_) {
      config::BridgeConfig b;
      b.name = name;
      b.create = false;
      b.authoritative = authoritative_;
      b.rapid_commit = rapid_commit_;
      b.ignore_client_id = ignore_client_id_;
      b.domain = domain_.empty() ? std::string("berth") : domain_;
      b.lease_time = 3600;
      auto it = host_.find(name);
      if (it == host_.end() || it->second.ipv4.empty()) {
        throw TranslateError("command line", "interface",
                             name +
                                 " has no IPv4 address: the manager must create and address "
                                 "the bridge before starting dnsmasq");
      }
      bool have_pool = false;
      for (size_t r = 0; r < ranges4_.size(); ++r) {
        const Range4& range = ranges4_[r];
        for (const Ipv4Prefix& p : it->second.ipv4) {
          if (!p.contains(range.start) || !p.contains(range.end)) continue;
          if (!have_pool) {
            b.address = p;
            b.pool_start = range.start;
            b.pool_end = range.end;
            b.lease_time = range.lease_time;
            have_pool = true;
          } else if (p == b.address) {
            b.more_pools.push_back(config::PoolConfig{range.start, range.end, ""});
          } else {
            continue;
          }
          used[r] = true;
          break;
        }
      }
      if (!have_pool) {
        throw TranslateError("command line", "dhcp-range",
                             "no dhcp-range lies in a subnet of " + name +
                                 "; berth-dnsmasq does not serve DNS alone on an interface");
      }
      c.bridges.push_back(std::move(b));
    }
    for (size_t r = 0; r < ranges4_.size(); ++r) {
      if (!used[r]) {
        throw TranslateError(ranges4_[r].origin, "dhcp-range",
                             ranges4_[r].start.to_string() + "," + ranges4_[r].end.to_string() +
                                 " lies in no subnet of the interfaces served");
      }
    }
    for (auto& b : c.bridges) b.boot = boot_;
    for (const Range6& r : ranges6_) apply_range6(r);
    apply_options();
    apply_hosts();
    apply_addn_hosts();
    apply_names();

    const std::string& first = interfaces_.front();
    c.daemon.database = paths_.state_dir + "/" + first + "/berth.db";
    c.daemon.control_socket = paths_.run_dir + "/" + first + "/berthd.sock";
    c.daemon.resolved = false;  // dnsmasq registers nothing with resolved
    c.daemon.lease_script_renewals = renewals_;
    c.daemon.log_level = verbose_ ? "debug" : quiet_ ? "warn" : "info";
    if (user_) {
      if (script_) {
        // dnsmasq runs the script as root (it forks its helper before
        // dropping privileges): libvirt's leaseshelper writes under
        // /var/lib/libvirt. berth runs the script as its own user.
        notice(user_->second,
               "not applied: the dhcp-script must run as root, as dnsmasq runs it, so berth "
               "stays root");
      } else {
        c.daemon.user = user_->first;
      }
    }
    c.firewall.enabled = false;  // the manager keeps its own rules
    if (no_resolv_ && c.dns.upstreams.empty()) {
      // Nothing but the per-domain servers: no default upstream at all.
      c.dns.resolv_conf = "/dev/null";
    }
    if (!leasefile_ro_) {
      t_.lease_file = lease_file_;
      c.daemon.lease_file = lease_file_;  // kept current in dnsmasq's format
    }
    if (leasefile_ro_ && !lease_file_.empty()) {
      notice(Setting{.name = "leasefile-ro", .origin = "command line"},
             "the lease file is not written (--leasefile-ro)");
    }
  }

  config::BridgeConfig* bridge_of(Ipv4Address a) {
    for (auto& b : t_.config.bridges) {
      if (b.address.contains(a)) return &b;
    }
    return nullptr;
  }

  void apply_range6(const Range6& r) {
    const Setting s{.name = "dhcp-range", .origin = r.origin};
    // The interface: the constructor's, else the one whose prefix holds start.
    config::BridgeConfig* bridge = nullptr;
    std::optional<Ipv6Prefix> own;
    for (auto& b : t_.config.bridges) {
      auto it = host_.find(b.name);
      if (it == host_.end()) continue;
      for (const Ipv6Prefix& p : it->second.ipv6) {
        if (p.length != 64) continue;
        const bool match = !r.constructor.empty() ? r.constructor == b.name
                                                  : Ipv6Address::parse(r.start) &&
                                                        p.contains(*Ipv6Address::parse(r.start));
        if (match && !own) {
          bridge = &b;
          own = p;
        }
      }
    }
    if (bridge == nullptr) {
      fail(s, "no interface served has a /64 holding " +
                  (r.constructor.empty() ? r.start : "constructor:" + r.constructor));
    }
    bridge->ipv6 = own;
    if (r.ra_only) {
      bridge->ipv6_mode = config::Ipv6Mode::slaac;
      return;
    }
    if (r.stateless) {
      bridge->ipv6_mode = config::Ipv6Mode::stateless;
      return;
    }
    auto complete = [&](const std::string& text) -> Ipv6Address {
      auto a = Ipv6Address::parse(text);
      if (!a) fail(s, "\"" + text + "\" is not an IPv6 address");
      if (r.constructor.empty()) return *a;
      // constructor: the prefix from the interface, the low 64 bits from `text`.
      std::array<uint8_t, 16> bytes = own->network().to_bytes();
      for (size_t i = 8; i < 16; ++i) bytes[i] = a->to_bytes()[i];
      return Ipv6Address(bytes);
    };
    bridge->ipv6_mode = config::Ipv6Mode::stateful;
    bridge->ipv6_pool_start = complete(r.start);
    bridge->ipv6_pool_end = complete(r.end);
  }

  void apply_options() {
    for (auto& b : t_.config.bridges) {
      for (const PendingOption& o : options_) {
        std::vector<std::string> values = o.values;
        for (std::string& v : values) {
          if (v == "{bridge}") v = b.address.address.to_string();
        }
        if (o.type == dhcp4::ValueType::string) {
          for (std::string& v : values) v = unquote(v);
        }
        const std::string text = join(values, 0, ",");
        auto bytes = dhcp4::parse_typed_value(o.type, text);
        if (!bytes) {
          fail(o.setting,
               "option " + std::to_string(o.code) + ": " + std::string(bytes.error().what));
        }
        auto& list = b.dhcp_options.options;
        std::erase_if(list, [&](const auto& x) { return x.code == o.code; });
        list.push_back(dhcp4::ConfiguredOption{o.code, o.type, std::move(*bytes), o.force});
      }
      if (!search_.empty()) b.dhcp_options.search = search_;
    }
  }

  // dhcp-host lines, --dhcp-hostsfile (a file, or a directory of them as
  // LXD keeps) and --dhcp-hostsdir: reservations of the bridge whose subnet
  // holds the address.
  void apply_hosts() {
    std::vector<std::pair<std::string, std::string>> texts;  // source, text
    if (!host_lines_.empty()) texts.push_back({"dhcp-host", host_lines_});
    for (const auto& [path, s] : hosts_paths_) {
      if (auto names = files_.list(path)) {
        for (const std::string& n : *names) {
          if (n.empty() || n.front() == '.' || n.back() == '~') continue;
          const std::string file = path + (path.ends_with("/") ? "" : "/") + n;
          if (auto text = files_.read(file)) texts.push_back({file, *text});
        }
      } else if (auto text = files_.read(path)) {
        texts.push_back({path, *text});
      } else if (s.name == "dhcp-hostsfile") {
        // dnsmasq: a hosts file that cannot be read is an error at start-up.
        fail(s, path + " cannot be read");
      }
    }
    std::set<std::string> seen_keys;
    for (const auto& [source, text] : texts) {
      refuse_ignored_hosts(text, source);
      leases::ImportResult r = leases::import_dnsmasq_hosts(strip_host_prefix(text), "", source);
      t_.host_entries_skipped += r.problems.size();
      if (!r.problems.empty() && first_host_problem_.empty()) {
        first_host_problem_ = r.problems.front().source + ":" +
                              std::to_string(r.problems.front().line) + ": " +
                              r.problems.front().message;
      }
      for (const leases::Reservation& res : r.reservations) {
        config::BridgeConfig* b = bridge_of(res.ip);
        if (b == nullptr || res.ip == b->address.address) {
          ++t_.host_entries_skipped;
          if (first_host_problem_.empty()) {
            first_host_problem_ = source + ": " + res.ip.to_string() +
                                  " is in no subnet served (or is the bridge's own address)";
          }
          continue;
        }
        std::string key = std::string(to_string(res.match)) + ":" +
                          (res.match == leases::MatchKind::mac        ? res.mac.to_string()
                           : res.match == leases::MatchKind::hostname ? res.hostname_match
                                                                      : std::string());
        if (res.match == leases::MatchKind::client_id) {
          for (uint8_t byte : res.client_id) key += std::to_string(byte) + ".";
        }
        // A later file naming the same client again: dnsmasq keeps the first.
        if (!seen_keys.insert(b->name + "/" + key).second) continue;
        if (std::any_of(b->reservations.begin(), b->reservations.end(),
                        [&](const auto& x) { return x.ip == res.ip; })) {
          ++t_.host_entries_skipped;
          continue;
        }
        config::ReservationConfig rc;
        rc.match = res.match == leases::MatchKind::mac ? config::ReservationConfig::Match::mac
                   : res.match == leases::MatchKind::client_id
                       ? config::ReservationConfig::Match::client_id
                       : config::ReservationConfig::Match::hostname;
        rc.mac = res.mac;
        rc.client_id = res.client_id;
        rc.hostname = res.hostname_match;
        rc.ip = res.ip;
        rc.name = res.name;
        b->reservations.push_back(std::move(rc));
      }
    }
    if (t_.host_entries_skipped > 0) {
      t_.notices.push_back(
          Notice{"dhcp-host", "",
                 std::to_string(t_.host_entries_skipped) + " entr" +
                     (t_.host_entries_skipped == 1 ? "y is" : "ies are") +
                     " not a reservation (no IPv4 address, IPv6 only, or outside the subnets); "
                     "the first: " +
                     first_host_problem_});
    }
  }

  // dnsmasq hosts files may start entries with set:TAG (harmless: tags are
  // names) but never "ignore": that client must not be served.
  void refuse_ignored_hosts(std::string_view text, const std::string& source) {
    size_t line_no = 0;
    while (!text.empty()) {
      ++line_no;
      const size_t nl = text.find('\n');
      const std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      for (const std::string& f : split_commas(line)) {
        if (f == "ignore" || f.starts_with("tag:")) {
          throw TranslateError(
              source + ":" + std::to_string(line_no), "dhcp-host",
              "\"" + f + "\" is not supported: berth would serve the client anyway");
        }
      }
    }
  }

  // The importer reads "dhcp-host=" lines when any line has '='; inline
  // values come without it, and a hosts file never has it.
  static std::string strip_host_prefix(const std::string& text) {
    std::string out;
    size_t from = 0;
    while (from < text.size()) {
      size_t nl = text.find('\n', from);
      if (nl == std::string::npos) nl = text.size();
      std::string line = text.substr(from, nl - from);
      std::vector<std::string> fields = split_commas(line);
      std::erase_if(fields, [](const std::string& f) { return f.starts_with("set:"); });
      out += join(fields, 0, ",") + "\n";
      from = nl + 1;
    }
    return out;
  }

  // addn-hosts and /etc/hosts: "ADDRESS NAME [ALIAS...]"; IPv4 ones become
  // A records (with their PTR).
  void apply_addn_hosts() {
    std::vector<std::pair<std::string, const Setting*>> paths;
    if (!no_hosts_) paths.push_back({paths_.etc_hosts, nullptr});
    for (const auto& [path, s] : addn_paths_) {
      if (auto names = files_.list(path)) {
        for (const std::string& n : *names) {
          paths.push_back({path + (path.ends_with("/") ? "" : "/") + n, &s});
        }
      } else {
        paths.push_back({path, &s});
      }
    }
    size_t skipped = 0;
    std::set<std::string> seen;
    for (const auto& [path, s] : paths) {
      auto text = files_.read(path);
      if (!text) {
        if (s != nullptr) notice(*s, path + " cannot be read (yet); it is read again on SIGHUP");
        continue;
      }
      std::string_view rest = *text;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
          line = line.substr(0, hash);
        }
        std::vector<std::string> words;
        size_t i = 0;
        while (i < line.size()) {
          while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
          const size_t start = i;
          while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
          if (i > start) words.emplace_back(line.substr(start, i - start));
        }
        if (words.size() < 2) continue;
        auto v4 = Ipv4Address::parse(words[0]);
        if (!v4) {
          ++skipped;  // IPv6 or malformed
          continue;
        }
        for (size_t w = 1; w < words.size(); ++w) {
          std::string name = words[w];
          if (config::dns_name_problem(name, "name", true)) {
            ++skipped;
            continue;
          }
          if (!seen.insert(name + "/" + v4->to_string()).second) continue;
          t_.config.dns.hosts.push_back(config::HostRecord{name, *v4});
        }
      }
    }
    if (skipped > 0) {
      t_.notices.push_back(Notice{
          "addn-hosts", "",
          std::to_string(skipped) + " hosts entries are not served (IPv6 or not a DNS name)"});
    }
  }

  void apply_names() {
    for (const auto& entry : interface_names_) {
      // Named, not structured bindings: clang 14 cannot capture those.
      const std::string& name = std::get<0>(entry);
      const std::string& iface = std::get<1>(entry);
      const Setting& s = std::get<2>(entry);
      auto it = std::find_if(t_.config.bridges.begin(), t_.config.bridges.end(),
                             [&](const auto& b) { return b.name == iface; });
      if (it == t_.config.bridges.end()) {
        notice(s, iface + " is not served; its name is not answered");
        continue;
      }
      t_.config.dns.hosts.push_back(config::HostRecord{name, it->address.address});
    }
    for (const auto& entry : local_domains_) {
      const std::string& domain = entry.first;
      const Setting& s = entry.second;
      const bool ours = std::any_of(t_.config.bridges.begin(), t_.config.bridges.end(),
                                    [&](const auto& b) { return b.domain == domain; });
      if (!ours) notice(s, "/" + domain + "/ is not a bridge's domain: its names are forwarded");
    }
  }

  void validate() {
    try {
      config::Config checked = config::parse_config(config::to_toml(t_.config), "berth-dnsmasq");
      checked.source = "berth-dnsmasq";
      t_.config = std::move(checked);
    } catch (const config::ConfigError& e) {
      // A TOML-level problem (a value that is not UTF-8) names no key.
      throw TranslateError("the options together", e.key().empty() ? "options" : e.key(),
                           e.message());
    }
  }

  const HostInterfaces& host_;
  const FileReader& files_;
  const Paths& paths_;
  Translation t_;
  std::set<std::string> noticed_;

  std::vector<std::string> interfaces_;
  std::vector<std::pair<Ipv4Address, Setting>> listen_;
  std::vector<Range4> ranges4_;
  std::vector<Range6> ranges6_;
  std::string host_lines_;
  std::vector<std::string> host_origins_;
  std::vector<std::pair<std::string, Setting>> hosts_paths_;
  std::vector<std::pair<std::string, Setting>> addn_paths_;
  std::string first_host_problem_;
  bool no_hosts_ = false;
  std::string lease_file_;
  bool leasefile_ro_ = false;
  bool authoritative_ = false;  // dnsmasq's default: not authoritative
  bool rapid_commit_ = false;
  bool ignore_client_id_ = false;
  std::string domain_;
  std::vector<std::pair<std::string, Setting>> local_domains_;
  bool no_resolv_ = false;
  std::vector<std::tuple<std::string, std::string, Setting>> interface_names_;
  std::vector<PendingOption> options_;
  std::vector<std::string> search_;
  bool script_ = false;
  config::BootConfig boot_;  // dhcp-boot, enable-tftp
  bool renewals_ = false;    // dnsmasq's default: no script call on renewals
  std::optional<std::pair<std::string, Setting>> user_;
  bool quiet_ = false;
  bool verbose_ = false;
};

}  // namespace

Translation translate(const std::vector<Setting>& settings, const HostInterfaces& host,
                      const FileReader& files, const Paths& paths) {
  return Translator(host, files, paths).run(settings);
}

}  // namespace berth::dnsmasq_compat
