// dnsmasq's command line and conf files (dnsmasq_compat/options.hpp).
#include "dnsmasq_compat/options.hpp"

#include <algorithm>
#include <array>

namespace berth::dnsmasq_compat {
namespace {

// The options of dnsmasq 2.90 (`dnsmasq --help`), sorted by name. A value
// written "[=...]" there is optional; conf-file, pid-file and log-queries
// take an optional value too (a bare --conf-file reads the default file).
constexpr auto kOptions = std::to_array<OptionSpec>({
    {"add-cpe-id", '\0', ArgKind::required},
    {"add-mac", '\0', ArgKind::optional},
    {"add-subnet", '\0', ArgKind::required},
    {"addn-hosts", 'H', ArgKind::required},
    {"address", 'A', ArgKind::required},
    {"alias", 'V', ArgKind::required},
    {"all-servers", '\0', ArgKind::none},
    {"auth-peer", '\0', ArgKind::required},
    {"auth-sec-servers", '\0', ArgKind::required},
    {"auth-server", '\0', ArgKind::required},
    {"auth-soa", '\0', ArgKind::required},
    {"auth-ttl", '\0', ArgKind::required},
    {"auth-zone", '\0', ArgKind::required},
    {"bind-dynamic", '\0', ArgKind::none},
    {"bind-interfaces", 'z', ArgKind::none},
    {"bogus-nxdomain", 'B', ArgKind::required},
    {"bogus-priv", 'b', ArgKind::none},
    {"bootp-dynamic", '3', ArgKind::optional},
    {"bridge-interface", '\0', ArgKind::required},
    {"caa-record", '\0', ArgKind::required},
    {"cache-rr", '\0', ArgKind::required},
    {"cache-size", 'c', ArgKind::required},
    {"clear-on-reload", '\0', ArgKind::none},
    {"cname", '\0', ArgKind::required},
    {"conf-dir", '7', ArgKind::required},
    {"conf-file", 'C', ArgKind::optional},
    {"conf-script", '\0', ArgKind::required},
    {"connmark-allowlist", '\0', ArgKind::required},
    {"connmark-allowlist-enable", '\0', ArgKind::optional},
    {"conntrack", '\0', ArgKind::none},
    {"dhcp-alternate-port", '\0', ArgKind::optional},
    {"dhcp-authoritative", 'K', ArgKind::none},
    {"dhcp-boot", 'M', ArgKind::required},
    {"dhcp-broadcast", '\0', ArgKind::optional},
    {"dhcp-circuitid", '\0', ArgKind::required},
    {"dhcp-client-update", '\0', ArgKind::none},
    {"dhcp-duid", '\0', ArgKind::required},
    {"dhcp-fqdn", '\0', ArgKind::none},
    {"dhcp-generate-names", '\0', ArgKind::optional},
    {"dhcp-host", 'G', ArgKind::required},
    {"dhcp-hostsdir", '\0', ArgKind::required},
    {"dhcp-hostsfile", '\0', ArgKind::required},
    {"dhcp-ignore", 'J', ArgKind::required},
    {"dhcp-ignore-clid", '\0', ArgKind::none},
    {"dhcp-ignore-names", '\0', ArgKind::optional},
    {"dhcp-lease-max", 'X', ArgKind::required},
    {"dhcp-leasefile", 'l', ArgKind::required},
    {"dhcp-luascript", '\0', ArgKind::required},
    {"dhcp-mac", '4', ArgKind::required},
    {"dhcp-match", '\0', ArgKind::required},
    {"dhcp-name-match", '\0', ArgKind::required},
    {"dhcp-no-override", '\0', ArgKind::none},
    {"dhcp-option", 'O', ArgKind::required},
    {"dhcp-option-force", '\0', ArgKind::required},
    {"dhcp-optsdir", '\0', ArgKind::required},
    {"dhcp-optsfile", '\0', ArgKind::required},
    {"dhcp-proxy", '\0', ArgKind::optional},
    {"dhcp-pxe-vendor", '\0', ArgKind::required},
    {"dhcp-range", 'F', ArgKind::required},
    {"dhcp-rapid-commit", '\0', ArgKind::none},
    {"dhcp-relay", '\0', ArgKind::required},
    {"dhcp-remoteid", '\0', ArgKind::required},
    {"dhcp-reply-delay", '\0', ArgKind::required},
    {"dhcp-script", '6', ArgKind::required},
    {"dhcp-scriptuser", '\0', ArgKind::required},
    {"dhcp-sequential-ip", '\0', ArgKind::none},
    {"dhcp-subscrid", '\0', ArgKind::required},
    {"dhcp-ttl", '\0', ArgKind::required},
    {"dhcp-userclass", 'j', ArgKind::required},
    {"dhcp-vendorclass", 'U', ArgKind::required},
    {"dns-forward-max", '0', ArgKind::required},
    {"dns-loop-detect", '\0', ArgKind::none},
    {"dns-rr", '\0', ArgKind::required},
    {"dnssec", '\0', ArgKind::none},
    {"dnssec-check-unsigned", '\0', ArgKind::none},
    {"dnssec-debug", '\0', ArgKind::none},
    {"dnssec-limits", '\0', ArgKind::required},
    {"dnssec-no-timecheck", '\0', ArgKind::none},
    {"dnssec-timestamp", '\0', ArgKind::required},
    {"domain", 's', ArgKind::required},
    {"domain-needed", 'D', ArgKind::none},
    {"dumpfile", '\0', ArgKind::required},
    {"dumpmask", '\0', ArgKind::required},
    {"dynamic-host", '\0', ArgKind::required},
    {"edns-packet-max", 'P', ArgKind::required},
    {"enable-dbus", '1', ArgKind::optional},
    {"enable-ra", '\0', ArgKind::none},
    {"enable-tftp", '\0', ArgKind::optional},
    {"enable-ubus", '\0', ArgKind::optional},
    {"except-interface", 'I', ArgKind::required},
    {"expand-hosts", 'E', ArgKind::none},
    {"fast-dns-retry", '\0', ArgKind::required},
    {"filter-", '\0', ArgKind::none},
    {"filter-", '\0', ArgKind::none},
    {"filter-rr", '\0', ArgKind::required},
    {"filterwin2k", 'f', ArgKind::none},
    {"group", 'g', ArgKind::required},
    {"help", 'w', ArgKind::none},
    {"host-record", '\0', ArgKind::required},
    {"hostsdir", '\0', ArgKind::required},
    {"ignore-address", '\0', ArgKind::required},
    {"interface", 'i', ArgKind::required},
    {"interface-name", '\0', ArgKind::required},
    {"ipset", '\0', ArgKind::required},
    {"keep-in-foreground", 'k', ArgKind::none},
    {"leasefile-ro", '9', ArgKind::none},
    {"listen-address", 'a', ArgKind::required},
    {"local", '\0', ArgKind::required},
    {"local-service", '\0', ArgKind::none},
    {"local-ttl", 'T', ArgKind::required},
    {"localise-queries", 'y', ArgKind::none},
    {"localmx", 'L', ArgKind::none},
    {"log-async", '\0', ArgKind::optional},
    {"log-debug", '\0', ArgKind::none},
    {"log-dhcp", '\0', ArgKind::none},
    {"log-facility", '8', ArgKind::required},
    {"log-queries", 'q', ArgKind::optional},
    {"max-cache-ttl", '\0', ArgKind::required},
    {"max-port", '\0', ArgKind::required},
    {"max-tcp-connections", '\0', ArgKind::required},
    {"max-ttl", '\0', ArgKind::required},
    {"min-cache-ttl", '\0', ArgKind::required},
    {"min-port", '\0', ArgKind::required},
    {"mx-host", 'm', ArgKind::required},
    {"mx-target", 't', ArgKind::required},
    {"naptr-record", '\0', ArgKind::required},
    {"neg-ttl", '\0', ArgKind::required},
    {"nftset", '\0', ArgKind::required},
    {"no-daemon", 'd', ArgKind::none},
    {"no-dhcp-interface", '2', ArgKind::required},
    {"no-dhcpv4-interface", '\0', ArgKind::required},
    {"no-dhcpv6-interface", '\0', ArgKind::required},
    {"no-hosts", 'h', ArgKind::none},
    {"no-ident", '\0', ArgKind::none},
    {"no-negcache", 'N', ArgKind::none},
    {"no-ping", '5', ArgKind::none},
    {"no-poll", 'n', ArgKind::none},
    {"no-resolv", 'R', ArgKind::none},
    {"no-round-robin", '\0', ArgKind::none},
    {"pid-file", 'x', ArgKind::optional},
    {"port", 'p', ArgKind::required},
    {"port-limit", '\0', ArgKind::required},
    {"proxy-dnssec", '\0', ArgKind::none},
    {"ptr-record", '\0', ArgKind::required},
    {"pxe-prompt", '\0', ArgKind::required},
    {"pxe-service", '\0', ArgKind::required},
    {"query-port", 'Q', ArgKind::required},
    {"quiet-dhcp", '\0', ArgKind::none},
    {"quiet-dhcp6", '\0', ArgKind::none},
    {"quiet-ra", '\0', ArgKind::none},
    {"quiet-tftp", '\0', ArgKind::none},
    {"ra-param", '\0', ArgKind::required},
    {"read-ethers", 'Z', ArgKind::none},
    {"rebind-domain-ok", '\0', ArgKind::required},
    {"rebind-localhost-ok", '\0', ArgKind::none},
    {"resolv-file", 'r', ArgKind::required},
    {"rev-server", '\0', ArgKind::required},
    {"script-arp", '\0', ArgKind::none},
    {"script-on-renewal", '\0', ArgKind::none},
    {"selfmx", 'e', ArgKind::none},
    {"server", 'S', ArgKind::required},
    {"servers-file", '\0', ArgKind::required},
    {"shared-network", '\0', ArgKind::required},
    {"srv-host", 'W', ArgKind::required},
    {"stop-dns-rebind", '\0', ArgKind::none},
    {"strict-order", 'o', ArgKind::none},
    {"strip-mac", '\0', ArgKind::none},
    {"strip-subnet", '\0', ArgKind::none},
    {"synth-domain", '\0', ArgKind::required},
    {"tag-if", '\0', ArgKind::required},
    {"test", '\0', ArgKind::none},
    {"tftp-lowercase", '\0', ArgKind::none},
    {"tftp-max", '\0', ArgKind::required},
    {"tftp-mtu", '\0', ArgKind::required},
    {"tftp-no-blocksize", '\0', ArgKind::none},
    {"tftp-no-fail", '\0', ArgKind::none},
    {"tftp-port-range", '\0', ArgKind::required},
    {"tftp-root", '\0', ArgKind::required},
    {"tftp-secure", '\0', ArgKind::none},
    {"tftp-single-port", '\0', ArgKind::none},
    {"tftp-unique-root", '\0', ArgKind::optional},
    {"trust-anchor", '\0', ArgKind::required},
    {"txt-record", 'Y', ArgKind::required},
    {"umbrella", '\0', ArgKind::optional},
    {"use-stale-cache", '\0', ArgKind::optional},
    {"user", 'u', ArgKind::required},
    {"version", 'v', ArgKind::none},
});

// Old spellings dnsmasq still reads, and the name they stand for.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kAliases{{
    {"dhcp-lease", "dhcp-leasefile"},
    {"dhcp-lease-file", "dhcp-leasefile"},
}};

constexpr int kMaxDepth = 16;
// Conf files read in one parse: a file naming itself twice would otherwise
// be read 2^16 times before the depth stops it.
constexpr int kMaxFiles = 256;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string canonical(std::string_view name) {
  for (const auto& [alias, real] : kAliases) {
    if (name == alias) return std::string(real);
  }
  return std::string(name);
}

class Parser {
 public:
  explicit Parser(const FileReader& files) : files_(files) {}

  void command_line(std::span<const std::string> args, std::string_view default_conf) {
    bool named_conf = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      const std::string origin = "argument " + std::to_string(i + 1);
      if (a.size() >= 2 && a[0] == '-' && a[1] == '-') {
        std::string_view body = std::string_view(a).substr(2);
        const size_t eq = body.find('=');
        const std::string name = canonical(body.substr(0, eq));
        if (name.empty()) throw OptionError(origin, "\"" + a + "\" is no option");
        const OptionSpec* spec = find_option(name);
        std::optional<std::string> value;
        if (eq != std::string_view::npos) {
          value = std::string(body.substr(eq + 1));
        } else if (spec != nullptr && spec->arg == ArgKind::required) {
          if (i + 1 >= args.size()) throw OptionError(origin, "--" + name + " needs a value");
          value = args[++i];
        }
        if (name == "conf-file") named_conf = true;
        add(name, value, origin, 0);
      } else if (a.size() >= 2 && a[0] == '-') {
        for (size_t j = 1; j < a.size(); ++j) {
          const OptionSpec* spec = find_short_option(a[j]);
          if (spec == nullptr) {
            throw OptionError(origin, std::string("-") + a[j] + " is no dnsmasq option");
          }
          // getopt: a short option's value is never optional but for -q.
          if (spec->arg == ArgKind::none || spec->short_name == 'q') {
            add(std::string(spec->name), std::nullopt, origin, 0);
            continue;
          }
          std::string value;
          if (j + 1 < a.size()) {
            value = a.substr(j + 1);
          } else if (i + 1 < args.size()) {
            value = args[++i];
          } else {
            throw OptionError(origin, std::string("-") + a[j] + " needs a value");
          }
          if (spec->name == "conf-file") named_conf = true;
          add(std::string(spec->name), value, origin, 0);
          break;
        }
      } else {
        throw OptionError(origin, "\"" + a + "\" is no option (dnsmasq takes no other arguments)");
      }
    }
    if (!named_conf && !default_conf.empty()) {
      if (auto text = files_.read(std::string(default_conf))) {
        conf_text(*text, std::string(default_conf), 1);
      }
    }
  }

  void conf_text(std::string_view text, const std::string& source, int depth) {
    size_t line_no = 0;
    while (!text.empty()) {
      ++line_no;
      const size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      line = strip_comment(trim(line));
      if (line.empty()) continue;
      const std::string origin = source + ":" + std::to_string(line_no);
      const size_t eq = line.find('=');
      const std::string name = canonical(trim(line.substr(0, eq)));
      if (name.empty()) throw OptionError(origin, "a line must start with an option name");
      std::optional<std::string> value;
      if (eq != std::string_view::npos) value = std::string(trim(line.substr(eq + 1)));
      add(name, value, origin, depth);
    }
  }

  std::vector<Setting> take() { return std::move(out_); }

 private:
  // dnsmasq: '#' at the start of a line, or after a blank outside quotes.
  static std::string_view strip_comment(std::string_view line) {
    if (!line.empty() && line.front() == '#') return {};
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '"') quoted = !quoted;
      if (!quoted && line[i] == '#' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
        return trim(line.substr(0, i));
      }
    }
    return line;
  }

  void add(const std::string& name, const std::optional<std::string>& value,
           const std::string& origin, int depth) {
    const OptionSpec* spec = find_option(name);
    if (spec != nullptr) {
      if (spec->arg == ArgKind::none && value) {
        throw OptionError(origin, name + " takes no value");
      }
      if (spec->arg == ArgKind::required && !value) {
        throw OptionError(origin, name + " needs a value");
      }
    }
    if (name == "conf-file") return follow_file(value.value_or(""), origin, depth);
    if (name == "conf-dir" && value) return follow_dir(*value, origin, depth);
    out_.push_back(Setting{.name = name,
                           .value = value.value_or(""),
                           .has_value = value.has_value(),
                           .known = spec != nullptr,
                           .origin = origin});
  }

  void check_depth(const std::string& origin, int depth) {
    if (depth >= kMaxDepth) {
      throw OptionError(origin, "conf files nested more than " + std::to_string(kMaxDepth) +
                                    " deep (a file including itself?)");
    }
    if (++files_read_ > kMaxFiles) {
      throw OptionError(origin, "more than " + std::to_string(kMaxFiles) +
                                    " conf files read (a file including itself?)");
    }
  }

  // --conf-file=PATH reads PATH; a bare --conf-file the default file; an
  // empty value (--conf-file=) nothing.
  void follow_file(const std::string& value, const std::string& origin, int depth) {
    check_depth(origin, depth);
    const std::string path = unquote(value);
    if (path.empty()) return;
    auto text = files_.read(path);
    if (!text) throw OptionError(origin, "conf-file " + path + " cannot be read");
    conf_text(*text, path, depth + 1);
  }

  // conf-dir=DIR[,.ext...][,*.ext...]: files ending in a ".ext" are left
  // out; with "*.ext" entries only files ending so are read. Hidden files,
  // "name~" and "#name#" are always left out, as dnsmasq does.
  void follow_dir(const std::string& value, const std::string& origin, int depth) {
    check_depth(origin, depth);
    const std::vector<std::string> parts = split_commas(value);
    if (parts.empty() || parts[0].empty()) throw OptionError(origin, "conf-dir needs a directory");
    std::vector<std::string> skip;
    std::vector<std::string> only;
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i].starts_with("*")) {
        only.push_back(parts[i].substr(1));
      } else {
        skip.push_back(parts[i]);
      }
    }
    auto names = files_.list(parts[0]);
    if (!names) throw OptionError(origin, "conf-dir " + parts[0] + " cannot be read");
    auto ends = [](const std::string& s, const std::string& suffix) { return s.ends_with(suffix); };
    for (const std::string& n : *names) {
      if (n.empty() || n.front() == '.' || n.back() == '~') continue;
      if (n.size() >= 2 && n.front() == '#' && n.back() == '#') continue;
      if (std::any_of(skip.begin(), skip.end(), [&](const auto& s) { return ends(n, s); })) {
        continue;
      }
      if (!only.empty() &&
          std::none_of(only.begin(), only.end(), [&](const auto& s) { return ends(n, s); })) {
        continue;
      }
      const std::string path = parts[0] + (parts[0].ends_with("/") ? "" : "/") + n;
      auto text = files_.read(path);
      if (!text) continue;  // a subdirectory or a file gone meanwhile, as dnsmasq
      conf_text(*text, path, depth + 1);
    }
  }

  const FileReader& files_;
  std::vector<Setting> out_;
  int files_read_ = 0;
};

}  // namespace

const OptionSpec* find_option(std::string_view long_name) {
  auto it = std::lower_bound(kOptions.begin(), kOptions.end(), long_name,
                             [](const OptionSpec& o, std::string_view n) { return o.name < n; });
  return it != kOptions.end() && it->name == long_name ? &*it : nullptr;
}

const OptionSpec* find_short_option(char letter) {
  if (letter == '\0') return nullptr;
  auto it = std::find_if(kOptions.begin(), kOptions.end(),
                         [&](const OptionSpec& o) { return o.short_name == letter; });
  return it != kOptions.end() ? &*it : nullptr;
}

std::vector<Setting> parse_command_line(std::span<const std::string> args, const FileReader& files,
                                        std::string_view default_conf) {
  Parser p(files);
  p.command_line(args, default_conf);
  return p.take();
}

std::vector<Setting> parse_conf_text(std::string_view text, const std::string& source,
                                     const FileReader& files) {
  Parser p(files);
  p.conf_text(text, source, 1);
  return p.take();
}

std::vector<std::string> split_commas(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : value) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.emplace_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.emplace_back(trim(cur));
  return out;
}

std::string unquote(std::string_view value) {
  value = trim(value);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return std::string(value);
}

}  // namespace berth::dnsmasq_compat
