#include "leases/importers.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace berth::leases {
namespace {

constexpr std::string_view kBlank = " \t\r\v\f";

std::string_view trim(std::string_view s) {
  const size_t first = s.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

bool is_blank(char c) { return kBlank.find(c) != std::string_view::npos; }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A value for a message: in single quotes, cut after 64 bytes, with anything
// outside printable ASCII as \xNN, so a hostile file cannot flood or garble
// the report.
std::string shown(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

// RFC 1123 §2.1 host name label.
bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_ascii_alnum(c) || c == '-'; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string bad_name_message(std::string_view name, std::string_view consequence) {
  return "host name " + shown(name) +
         " is not a DNS label (letters, digits and '-', at most 63); " + std::string(consequence);
}

// An address a client can be given: not 0.0.0.0 nor 255.255.255.255.
bool is_usable(Ipv4Address a) { return !a.is_unspecified() && a != Ipv4Address::broadcast(); }

// Calls fn(number, line) for each line of `text`, numbered from 1; a final
// line without '\n' counts.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  uint32_t number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    fn(++number, text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string line_origin(const std::string& source, uint32_t line) {
  return source + ":" + std::to_string(line);
}

// What one import has collected so far, with the first origin of every
// address and client key so that later duplicates are reported against it.
class ImportBatch {
 public:
  void problem(const std::string& source, uint32_t line, std::string message) {
    result_.problems.push_back(
        ImportProblem{.source = source, .line = line, .message = std::move(message)});
  }

  // `origin` names the lease in messages ("file:12", "entry 3"); `prefix`
  // starts each message about it ("" or "entry 3: ").
  void add_lease(Lease lease, const std::string& source, uint32_t line, const std::string& origin,
                 const std::string& prefix) {
    if (auto it = ips_.find(lease.ip); it != ips_.end()) {
      problem(source, line,
              prefix + "address " + lease.ip.to_string() + " was already imported from " +
                  it->second + "; skipped");
      return;
    }
    if (auto it = macs_.find(lease.mac); it != macs_.end()) {
      problem(source, line,
              prefix + "MAC " + lease.mac.to_string() + " was already imported from " + it->second +
                  "; skipped");
      return;
    }
    ips_.emplace(lease.ip, origin);
    macs_.emplace(lease.mac, origin);
    result_.leases.push_back(std::move(lease));
  }

  // The reservations of one entry share one address. The entry is skipped
  // when an earlier entry has that address; a client key (MAC, client id,
  // host name) an earlier reservation has skips that reservation only.
  void add_entry(std::vector<Reservation> entry, const std::string& source, uint32_t line) {
    if (entry.empty()) return;
    const std::string origin = line_origin(source, line);
    const Ipv4Address ip = entry.front().ip;
    if (auto it = ips_.find(ip); it != ips_.end()) {
      problem(
          source, line,
          "address " + ip.to_string() + " was already imported from " + it->second + "; skipped");
      return;
    }
    bool added = false;
    for (Reservation& r : entry) {
      const std::string* earlier = nullptr;
      std::string key;
      switch (r.match) {
        case MatchKind::mac:
          key = "MAC " + r.mac.to_string();
          earlier = remember(macs_, r.mac, origin);
          break;
        case MatchKind::client_id:
          key = "client id " + to_hex_colon(r.client_id);
          earlier = remember(client_ids_, r.client_id, origin);
          break;
        case MatchKind::hostname:
          key = "host name " + shown(r.hostname_match);
          earlier = remember(hostnames_, lower(r.hostname_match), origin);
          break;
      }
      if (earlier != nullptr) {
        problem(source, line, key + " was already imported from " + *earlier + "; skipped");
        continue;
      }
      result_.reservations.push_back(std::move(r));
      added = true;
    }
    if (added) ips_.emplace(ip, origin);
  }

  ImportResult take() { return std::move(result_); }

 private:
  // Records `key` unless present; returns the earlier origin when present.
  template <typename Map, typename Key>
  static const std::string* remember(Map& map, const Key& key, const std::string& origin) {
    auto [it, inserted] = map.emplace(key, origin);
    return inserted ? nullptr : &it->second;
  }

  ImportResult result_;
  std::unordered_map<IpAddress, std::string> ips_;
  std::unordered_map<MacAddress, std::string> macs_;
  std::map<Bytes, std::string> client_ids_;
  std::map<std::string, std::string> hostnames_;  // lower-case
};

Lease make_lease(const std::string& bridge, Ipv4Address ip, MacAddress mac, Bytes client_id,
                 std::string hostname, int64_t expires_at, int64_t now) {
  Lease l{.bridge = bridge,
          .ip = ip,
          .mac = mac,
          .client_id = std::move(client_id),
          .hostname = std::move(hostname),
          .state = LeaseState::bound,
          .expires_at = expires_at,
          .updated_at = now};
  l.state = l.state_at(now);
  return l;
}

// ---------------------------------------------------------------------------
// dnsmasq lease file

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (true) {
    pos = line.find_first_not_of(kBlank, pos);
    if (pos == std::string_view::npos) break;
    size_t end = line.find_first_of(kBlank, pos);
    if (end == std::string_view::npos) end = line.size();
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return fields;
}

// A non-negative decimal number of seconds that fits int64_t.
std::optional<int64_t> parse_seconds(std::string_view s) {
  if (s.empty() || !is_ascii_digit(s.front())) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// dnsmasq writes a non-Ethernet hardware address as "TT-hh:hh:...", TT the
// ARP hardware type in hex.
std::string bad_mac_message(std::string_view text) {
  if (text.size() > 3 && text[2] == '-' && text.find(':') != std::string_view::npos) {
    return "hardware address " + shown(text) + " is not an Ethernet MAC (type " +
           std::string(text.substr(0, 2)) + ")";
  }
  return "bad MAC address " + shown(text);
}

// ---------------------------------------------------------------------------
// dnsmasq dhcp-host entries

// One comma-separated part of a dhcp-host value, with double quotes removed.
struct HostToken {
  std::string text;
  bool quoted = false;
};

// dnsmasq's escapes inside double quotes.
char unescape(char c) {
  switch (c) {
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 'e':
      return '\033';
    case 'b':
      return '\b';
    default:
      return c;
  }
}

bool is_known_escape(char c) {
  return c == '\\' || c == '"' || c == 't' || c == 'n' || c == 'r' || c == 'e' || c == 'b';
}

// As dnsmasq reads its files: '#' starts a comment at the start of a line or
// after a blank, outside double quotes.
std::string_view strip_comment(std::string_view line) {
  bool in_quote = false;
  bool after_blank = true;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quote && c == '\\') {
      ++i;  // the escaped character cannot end the quote
    } else if (c == '"') {
      in_quote = !in_quote;
    } else if (!in_quote && after_blank && c == '#') {
      return line.substr(0, i);
    }
    after_blank = is_blank(c);
  }
  return line;
}

// Splits at commas outside double quotes; blanks around a part are dropped,
// blanks inside quotes kept. Nothing when a quote is left open.
std::optional<std::vector<HostToken>> split_host_entry(std::string_view value) {
  std::vector<HostToken> tokens(1);
  size_t kept = 0;  // length of tokens.back().text without trailing unquoted blanks
  bool in_quote = false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    HostToken& t = tokens.back();
    if (in_quote) {
      if (c == '"') {
        in_quote = false;
      } else if (c == '\\' && i + 1 < value.size() && is_known_escape(value[i + 1])) {
        t.text.push_back(unescape(value[++i]));
      } else {
        t.text.push_back(c);
      }
      kept = t.text.size();
    } else if (c == '"') {
      in_quote = true;
      t.quoted = true;
    } else if (c == ',') {
      t.text.resize(kept);
      tokens.emplace_back();
      kept = 0;
    } else if (is_blank(c)) {
      if (!t.text.empty()) t.text.push_back(c);
    } else {
      t.text.push_back(c);
      kept = t.text.size();
    }
  }
  if (in_quote) return std::nullopt;
  tokens.back().text.resize(kept);
  return tokens;
}

// A dnsmasq lease time: "infinite", or seconds with an optional unit.
bool is_lease_time(std::string_view s) {
  if (s == "infinite") return true;
  if (!s.empty() && std::string_view("smhdwSMHDW").find(s.back()) != std::string_view::npos) {
    s.remove_suffix(1);
  }
  return !s.empty() && std::all_of(s.begin(), s.end(), is_ascii_digit);
}

// Digits and dots with at least one dot: meant as an IPv4 address.
bool looks_like_ipv4(std::string_view s) {
  return s.find('.') != std::string_view::npos &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_ascii_digit(c) || c == '.'; });
}

std::string two_names(std::string_view first, std::string_view second) {
  return "more than one host name (" + shown(first) + ", " + shown(second) + ")";
}

// One dhcp-host value (the part after '='), imported into `batch` or
// reported as a problem.
void import_host_entry(std::string_view value, const std::string& bridge, const std::string& source,
                       uint32_t line, ImportBatch& batch) {
  auto fail = [&](std::string message) { batch.problem(source, line, std::move(message)); };
  auto tokens = split_host_entry(value);
  if (!tokens) return fail("unterminated double quote");

  std::vector<MacAddress> macs;
  std::optional<Bytes> client_id;
  std::optional<Ipv4Address> ip;
  std::string ipv6;  // the first, for the message
  std::string name;
  bool ignore = false;
  for (const HostToken& token : *tokens) {
    const std::string_view t = token.text;
    if (t.empty() && !token.quoted) continue;
    if (t.starts_with("id:")) {
      const std::string_view id = t.substr(3);
      if (id == "*" && !token.quoted) continue;  // "ignore the client id": MAC only
      if (client_id) return fail("more than one client id");
      if (id.empty()) return fail("empty client id");
      if (!token.quoted && id.find(':') != std::string_view::npos) {
        auto bytes = parse_hex_colon(id);
        if (!bytes) return fail("bad client id " + shown(id) + " (hex bytes separated by ':')");
        client_id = std::move(*bytes);
      } else {
        client_id = Bytes(id.begin(), id.end());
      }
      continue;
    }
    if (token.quoted) {  // only a client id or a name can be quoted text
      if (!name.empty()) return fail(two_names(name, t));
      name = t;
      continue;
    }
    if (t.starts_with("set:") || t.starts_with("tag:") || t.starts_with("net:")) continue;
    if (t.front() == '[') {
      if (t.size() < 3 || t.back() != ']') return fail("bad IPv6 address " + shown(t));
      if (ipv6.empty()) ipv6 = t;
      continue;
    }
    if (auto mac = MacAddress::parse(t)) {
      macs.push_back(*mac);
      continue;
    }
    if (t.find('*') != std::string_view::npos) {
      return fail("wildcard hardware address " + shown(t) + " cannot be a reservation");
    }
    if (t.find(':') != std::string_view::npos) {
      // "01-" is Ethernet's ARP hardware type, as in "01-00:16:3e:aa:bb:cc".
      if (t.size() == 20 && t.starts_with("01-")) {
        if (auto mac = MacAddress::parse(t.substr(3))) {
          macs.push_back(*mac);
          continue;
        }
      }
      return fail(bad_mac_message(t));
    }
    if (auto a = Ipv4Address::parse(t)) {
      if (ip) return fail("more than one IPv4 address");
      if (!is_usable(*a)) return fail("address " + a->to_string() + " cannot be given to a client");
      ip = *a;
      continue;
    }
    if (looks_like_ipv4(t)) return fail("bad IPv4 address " + shown(t));
    if (is_lease_time(t)) continue;  // berth's lease time comes from its own config
    if (t == "ignore") {
      ignore = true;
      continue;
    }
    if (!name.empty()) return fail(two_names(name, t));
    name = t;
  }

  if (ignore) return fail("'ignore' entries (never answer this client) are not imported");
  if (!ip) {
    if (!ipv6.empty()) {
      return fail("only an IPv6 address " + shown(ipv6) + "; berth serves DHCPv4 only");
    }
    return fail("no IPv4 address");
  }
  if (macs.empty() && !client_id && name.empty()) {
    return fail("no MAC address, client id or host name");
  }
  if (!name.empty() && !is_dns_label(name)) {
    if (macs.empty() && !client_id) return fail(bad_name_message(name, "skipped"));
    fail(bad_name_message(name, "imported without a name"));
    name.clear();
  }

  std::vector<Reservation> entry;
  auto base = [&] { return Reservation{.bridge = bridge, .ip = *ip, .name = name}; };
  for (const MacAddress& mac : macs) {
    Reservation r = base();
    r.match = MatchKind::mac;
    r.mac = mac;
    entry.push_back(std::move(r));
  }
  if (client_id) {
    Reservation r = base();
    r.match = MatchKind::client_id;
    r.client_id = std::move(*client_id);
    entry.push_back(std::move(r));
  }
  if (entry.empty()) {
    Reservation r = base();
    r.match = MatchKind::hostname;
    r.hostname_match = name;
    entry.push_back(std::move(r));
  }
  batch.add_entry(std::move(entry), source, line);
}

// "key=value" with a dnsmasq option name as key.
std::optional<std::pair<std::string_view, std::string_view>> conf_option(std::string_view line) {
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const std::string_view key = trim(line.substr(0, eq));
  if (key.empty() || !is_ascii_alnum(key.front()) ||
      !std::all_of(key.begin(), key.end(), [](char c) { return is_ascii_alnum(c) || c == '-'; })) {
    return std::nullopt;
  }
  return std::pair{key, trim(line.substr(eq + 1))};
}

enum class HostsFormat { detect, conf, hostsfile };

void import_hosts_text(std::string_view text, const std::string& bridge, const std::string& source,
                       HostsFormat format, ImportBatch& batch) {
  if (format == HostsFormat::detect) {
    format = HostsFormat::hostsfile;
    for_each_line(text, [&](uint32_t, std::string_view line) {
      if (conf_option(strip_comment(line))) format = HostsFormat::conf;
    });
  }
  for_each_line(text, [&](uint32_t number, std::string_view raw) {
    const std::string_view line = trim(strip_comment(raw));
    if (line.empty()) return;
    if (format == HostsFormat::hostsfile) {
      import_host_entry(line, bridge, source, number, batch);
    } else if (auto option = conf_option(line); option && option->first == "dhcp-host") {
      import_host_entry(option->second, bridge, source, number, batch);
    }
  });
}

// ---------------------------------------------------------------------------
// libvirt status file

using nlohmann::json;

// The string member `key` of `object`: nullptr with *error set when missing
// or not a string.
const std::string* string_member(const json& object, const char* key, std::string* error) {
  auto it = object.find(key);
  if (it == object.end()) {
    *error = std::string("no \"") + key + "\"";
    return nullptr;
  }
  if (!it->is_string()) {
    *error = std::string("\"") + key + "\" is not a string";
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

}  // namespace

ImportResult import_dnsmasq_leases(std::string_view text, const std::string& bridge, int64_t now,
                                   const std::string& source) {
  ImportBatch batch;
  bool after_duid = false;
  for_each_line(text, [&](uint32_t number, std::string_view raw) {
    auto fail = [&](std::string message) { batch.problem(source, number, std::move(message)); };
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') return;
    const auto fields = split_fields(line);
    // dnsmasq writes the DHCPv4 leases, then "duid SERVER-DUID", then the
    // DHCPv6 leases as "EXPIRY IAID IPV6 HOSTNAME CLIENT-DUID".
    if (fields[0] == "duid") {
      after_duid = true;
      return;
    }
    const bool ipv6 = fields.size() >= 3 && fields[2].find(':') != std::string_view::npos;
    if (ipv6 && after_duid) return;
    if (fields.size() != 5) {
      return fail("expected 5 fields (EXPIRY MAC IP HOSTNAME CLIENT-ID), found " +
                  std::to_string(fields.size()));
    }
    if (ipv6) return fail("IPv6 lease " + shown(fields[2]) + " before the \"duid\" line");
    const auto expiry = parse_seconds(fields[0]);
    if (!expiry) return fail("bad expiry time " + shown(fields[0]));
    const auto mac = MacAddress::parse(fields[1]);
    if (!mac) return fail(bad_mac_message(fields[1]));
    const auto ip = Ipv4Address::parse(fields[2]);
    if (!ip) return fail("bad IPv4 address " + shown(fields[2]));
    if (!is_usable(*ip)) return fail("address " + ip->to_string() + " cannot be given to a client");
    Bytes client_id;
    if (fields[4] != "*") {
      auto bytes = parse_hex_colon(fields[4]);
      if (!bytes || bytes->empty()) return fail("bad client id " + shown(fields[4]));
      client_id = std::move(*bytes);
    }
    std::string hostname;
    if (fields[3] != "*") {
      if (is_dns_label(fields[3])) {
        hostname = fields[3];
      } else {
        fail(bad_name_message(fields[3], "imported without a name"));
      }
    }
    const int64_t expires_at = *expiry == 0 ? kInfiniteExpiry : *expiry;
    batch.add_lease(
        make_lease(bridge, *ip, *mac, std::move(client_id), std::move(hostname), expires_at, now),
        source, number, line_origin(source, number), "");
  });
  return batch.take();
}

ImportResult import_dnsmasq_hosts(std::string_view text, const std::string& bridge,
                                  const std::string& source) {
  ImportBatch batch;
  import_hosts_text(text, bridge, source, HostsFormat::detect, batch);
  return batch.take();
}

ImportResult import_lxd_hosts_dir(const std::filesystem::path& dir, const std::string& bridge) {
  namespace fs = std::filesystem;
  ImportBatch batch;
  std::error_code ec;
  std::vector<fs::path> files;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  if (ec) {
    batch.problem(dir.string(), 0, "cannot read the directory: " + ec.message());
    return batch.take();
  }
  // Sorted, so that which of two duplicates wins does not depend on the
  // order the file system lists them in.
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      batch.problem(file.string(), 0, "cannot open the file");
      continue;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    import_hosts_text(text, bridge, file.string(), HostsFormat::hostsfile, batch);
  }
  return batch.take();
}

ImportResult import_libvirt_status(std::string_view text, const std::string& bridge, int64_t now,
                                   const std::string& source) {
  ImportBatch batch;
  // libvirt leaves the file empty until the first lease.
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return batch.take();
  const json doc = json::parse(text.begin(), text.end(), /* cb= */ nullptr,
                               /* allow_exceptions= */ false);
  if (doc.is_discarded()) {
    batch.problem(source, 0, "not valid JSON");
    return batch.take();
  }
  if (!doc.is_array()) {
    batch.problem(source, 0, "not a JSON array of leases");
    return batch.take();
  }
  size_t index = 0;
  for (const json& entry : doc) {
    const std::string origin = "entry " + std::to_string(++index);
    const std::string prefix = origin + ": ";
    auto fail = [&](const std::string& message) { batch.problem(source, 0, prefix + message); };
    if (!entry.is_object()) {
      fail("not a JSON object");
      continue;
    }
    std::string error;
    const std::string* ip_text = string_member(entry, "ip-address", &error);
    if (ip_text == nullptr) {
      fail(error);
      continue;
    }
    if (ip_text->find(':') != std::string::npos) {
      fail("IPv6 lease " + shown(*ip_text) + " is not imported; berth serves DHCPv4 only");
      continue;
    }
    const auto ip = Ipv4Address::parse(*ip_text);
    if (!ip) {
      fail("bad IPv4 address " + shown(*ip_text));
      continue;
    }
    if (!is_usable(*ip)) {
      fail("address " + ip->to_string() + " cannot be given to a client");
      continue;
    }
    const std::string* mac_text = string_member(entry, "mac-address", &error);
    if (mac_text == nullptr) {
      fail(error);
      continue;
    }
    const auto mac = MacAddress::parse(*mac_text);
    if (!mac) {
      fail(bad_mac_message(*mac_text));
      continue;
    }
    Bytes client_id;
    if (entry.contains("client-id")) {
      const std::string* id_text = string_member(entry, "client-id", &error);
      if (id_text == nullptr) {
        fail(error);
        continue;
      }
      auto bytes = parse_hex_colon(*id_text);
      if (!bytes) {
        fail("bad client id " + shown(*id_text));
        continue;
      }
      client_id = std::move(*bytes);
    }
    // Absent: libvirt's helper writes no expiry for an infinite lease.
    int64_t expires_at = kInfiniteExpiry;
    if (auto e = entry.find("expiry-time"); e != entry.end()) {
      std::optional<int64_t> seconds;
      if (e->is_number_unsigned()) {
        const auto v = e->get<uint64_t>();
        if (v <= static_cast<uint64_t>(INT64_MAX)) seconds = static_cast<int64_t>(v);
      } else if (e->is_number_integer()) {
        const auto v = e->get<int64_t>();
        if (v >= 0) seconds = v;
      }
      if (!seconds) {
        fail("\"expiry-time\" is not a number of seconds");
        continue;
      }
      if (*seconds != 0) expires_at = *seconds;
    }
    std::string hostname;
    if (entry.contains("hostname")) {
      const std::string* name = string_member(entry, "hostname", &error);
      if (name == nullptr) {
        fail(error);
        continue;
      }
      if (is_dns_label(*name)) {
        hostname = *name;
      } else {
        fail(bad_name_message(*name, "imported without a name"));
      }
    }
    batch.add_lease(
        make_lease(bridge, *ip, *mac, std::move(client_id), std::move(hostname), expires_at, now),
        source, 0, origin, prefix);
  }
  return batch.take();
}

}  // namespace berth::leases
