#include "config/schema.hpp"

#include <algorithm>
#include <array>

namespace berth::config::schema {
namespace {

constexpr bool is_bare_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A key as it would be written in TOML: bare when possible, quoted otherwise.
std::string key_text(std::string_view key) {
  if (is_bare_key(key)) return std::string(key);
  std::string out = quoted(key);  // 'escaped'
  out.front() = '"';
  out.back() = '"';
  return out;
}

uint32_t checked_index(uint64_t v) { return v > UINT32_MAX ? 0 : static_cast<uint32_t>(v); }

// ---- [daemon] ---------------------------------------------------------------

void apply_database(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty()) v.fail("database path is empty");
  if (path.find('\0') != std::string::npos) v.fail("database path contains a NUL byte");
  d.value.database = path;
}

constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};

void apply_log_level(const Value& v, DaemonDraft& d) {
  const std::string& level = v.string();
  if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end()) {
    v.fail("log level " + quoted(level) + " is not one of trace, debug, info, warn, error");
  }
  d.value.log_level = level;
}

void apply_durability(const Value& v, DaemonDraft& d) {
  const std::string& mode = v.string();
  if (mode == "fsync") {
    d.value.durability = Durability::fsync;
  } else if (mode == "process") {
    d.value.durability = Durability::process;
  } else {
    v.fail("durability " + quoted(mode) + " is not one of fsync, process");
  }
}

constexpr std::array<KeyRow<DaemonDraft>, 3> kDaemonRows = {{
    {"database", "string", "`\"/var/lib/berth/berth.db\"`", false, false,
     "SQLite file holding leases and reservations; its directory is created if missing.",
     apply_database},
    {"log_level", "one of \"trace\", \"debug\", \"info\", \"warn\", \"error\"", "`\"info\"`", false,
     true, "Least severe message that is logged.", apply_log_level},
    {"durability", "one of \"fsync\", \"process\"", "`\"fsync\"`", false, false,
     "\"fsync\": an acknowledged lease survives a host crash (SQLite synchronous=FULL). "
     "\"process\": it survives a crash of berthd but not of the host (synchronous=NORMAL), "
     "for more leases per second.",
     apply_durability},
}};

const Section<DaemonDraft> kDaemonSection = {
    "daemon",    "[daemon]",
    false,       "Settings of berthd itself. The whole table is optional; every key has a default.",
    kDaemonRows, nullptr};

// ---- [[bridge]] -------------------------------------------------------------

void apply_name(const Value& v, BridgeDraft& d) {
  const std::string& name = v.string();
  if (auto problem = interface_name_problem(name)) v.fail(std::move(*problem));
  d.value.name = name;
}

void apply_address(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  auto prefix = Ipv4Prefix::parse(text);
  if (!prefix) {
    v.fail("address " + quoted(text) + " is not an IPv4 address with a prefix length, " +
           "like \"10.0.3.1/24\"");
  }
  if (auto problem = bridge_address_problem(*prefix)) v.fail(std::move(*problem));
  d.value.address = *prefix;
}

void apply_pool(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  auto range = parse_address_range(text);
  if (!range) {
    v.fail("pool " + quoted(text) + " is not an address range like \"10.0.3.2-10.0.3.254\"");
  }
  // Checked against the address in finish_bridge(), which may come later in the table.
  d.pool = *range;
}

void apply_lease_time(const Value& v, BridgeDraft& d) {
  uint64_t seconds = 0;
  if (v.node().is_integer()) {
    const int64_t n = v.integer();
    if (n < 0) v.fail("lease time " + std::to_string(n) + " is negative");
    seconds = static_cast<uint64_t>(n);
  } else if (v.node().is_string()) {
    const std::string& text = v.string();
    auto parsed = parse_lease_time(text);
    if (!parsed) {
      v.fail("lease time " + quoted(text) +
             " is not a number of seconds with an optional unit s, m, h or d, or \"infinite\"");
    }
    seconds = *parsed;
  } else {
    v.wrong_type();
  }
  if (seconds < kMinLeaseTime) {
    v.fail("lease time of " + std::to_string(seconds) +
           " seconds is shorter than the minimum of 120 seconds");
  }
  if (seconds > kInfiniteLease) {
    v.fail("lease time is longer than the maximum of 4294967295 seconds (\"infinite\")");
  }
  d.value.lease_time = static_cast<uint32_t>(seconds);
}

void apply_domain(const Value& v, BridgeDraft& d) {
  const std::string& domain = v.string();
  if (auto problem = dns_domain_problem(domain)) v.fail(std::move(*problem));
  d.value.domain = domain;
}

void apply_mtu(const Value& v, BridgeDraft& d) {
  const int64_t mtu = v.integer();
  if (mtu < kMinMtu || mtu > UINT16_MAX) {
    v.fail("mtu " + std::to_string(mtu) + " is out of range 576..65535");
  }
  d.value.mtu = static_cast<uint16_t>(mtu);
}

void apply_create(const Value& v, BridgeDraft& d) { d.value.create = v.boolean(); }
void apply_authoritative(const Value& v, BridgeDraft& d) { d.value.authoritative = v.boolean(); }
void apply_ignore_client_id(const Value& v, BridgeDraft& d) {
  d.value.ignore_client_id = v.boolean();
}
void apply_rapid_commit(const Value& v, BridgeDraft& d) { d.value.rapid_commit = v.boolean(); }
void apply_decline_quarantine(const Value& v, BridgeDraft& d) {
  const int64_t seconds = v.integer();
  if (seconds < 0 || seconds > 7 * 24 * 3600) {
    v.fail("decline_quarantine " + std::to_string(seconds) + " is out of range 0..604800");
  }
  d.value.decline_quarantine = static_cast<uint32_t>(seconds);
}

void finish_bridge(BridgeDraft& d) {
  if (!d.pool) {
    d.pool = default_pool(d.value.address);
  } else if (auto problem = pool_problem(d.value.address, *d.pool)) {
    d.site_of("pool").fail(std::move(*problem));
  }
  d.value.pool_start = d.pool->first;
  d.value.pool_end = d.pool->last;
}

constexpr std::array<KeyRow<BridgeDraft>, 11> kBridgeRows = {{
    {"name", "string", "required", true, false,
     "Interface name of the bridge: 1 to 15 bytes, no '/', ':' or whitespace.", apply_name},
    {"address", "string", "required", true, false,
     "The bridge's own address and subnet, like \"10.0.3.1/24\"; prefix length 8 to 30. "
     "DNS listens here; it is the router and DNS server handed to clients.",
     apply_address},
    {"pool", "string", "the larger run of hosts beside `address`", false, true,
     "Addresses handed out dynamically, \"FIRST-LAST\" inclusive, like \"10.0.3.2-10.0.3.254\". "
     "Must lie inside the subnet and leave out its network, broadcast and the bridge's own "
     "address. Without it: the hosts of the subnet on the larger side of `address` "
     "(10.0.3.1/24 gives 10.0.3.2-10.0.3.254).",
     apply_pool},
    {"lease_time", "integer or string", "`3600`", false, true,
     "Lease length: seconds as an integer, or a string with a unit as dnsmasq writes it "
     "(\"45m\", \"12h\", \"2d\", \"90s\"), or \"infinite\". At least 120 seconds.",
     apply_lease_time},
    {"domain", "string", "`\"berth\"`", false, true,
     "DNS domain of the bridge's clients: `web` also answers as `web.<domain>`.", apply_domain},
    {"mtu", "integer", "unset", false, false,
     "MTU from 576 to 65535, set on the bridge and sent to clients (DHCP option 26). "
     "Unset: the bridge keeps its MTU and the option is not sent.",
     apply_mtu},
    {"create", "boolean", "`true`", false, false,
     "Create the bridge if it does not exist; when false, someone else must create it.",
     apply_create},
    {"authoritative", "boolean", "`true`", false, true,
     "NAK a request for an address that is not ours on this bridge, so a client that moved "
     "here recovers at once (dnsmasq's dhcp-authoritative). When false, berthd stays silent "
     "about clients it has no record of.",
     apply_authoritative},
    {"ignore_client_id", "boolean", "`false`", false, true,
     "Identify clients by MAC only, ignoring DHCP option 61: cloned VMs often share a client "
     "identifier.",
     apply_ignore_client_id},
    {"rapid_commit", "boolean", "`false`", false, true,
     "Answer a DISCOVER that carries option 80 with an ACK at once (RFC 4039).",
     apply_rapid_commit},
    {"decline_quarantine", "integer", "`600`", false, true,
     "Seconds an address a client declined (DHCPDECLINE: in use on the link) is kept out of "
     "the pool; 0 to 604800.",
     apply_decline_quarantine},
}};

const Section<BridgeDraft> kBridgeSection = {
    "bridge",
    "[[bridge]]",
    true,
    "One table per bridge served. At least one is required; names must be unique and subnets "
    "must not overlap.",
    kBridgeRows,
    finish_bridge};

}  // namespace

Site Site::at(std::string_view file, std::string key, const toml::source_region& region) {
  return Site{file, std::move(key), checked_index(region.begin.line),
              checked_index(region.begin.column)};
}

Site Site::member(std::string_view child, const toml::source_region& region) const {
  std::string path = key.empty() ? key_text(child) : key + "." + key_text(child);
  Site s = at(file, std::move(path), region);
  if (s.line == 0) {
    // Nodes made by the parser for dotted keys may carry no position; fall
    // back to the table's.
    s.line = line;
    s.column = column;
  }
  return s;
}

void Site::fail(std::string message) const {
  throw ConfigError(std::string(file), line, column, key, std::move(message));
}

std::optional<std::string_view> closest_key(std::string_view key,
                                            std::span<const std::string_view> candidates) {
  constexpr size_t kMaxDistance = 2;
  std::optional<std::string_view> best;
  size_t best_distance = kMaxDistance + 1;
  for (std::string_view c : candidates) {
    const size_t d = edit_distance(key, c, kMaxDistance);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
  }
  return "unknown";
}

const std::string& Value::string() const {
  if (const auto* s = node_.as_string()) return s->get();
  wrong_type();
}

int64_t Value::integer() const {
  if (const auto* i = node_.as_integer()) return i->get();
  wrong_type();
}

bool Value::boolean() const {
  if (const auto* b = node_.as_boolean()) return b->get();
  wrong_type();
}

void Value::wrong_type() const {
  fail("expected " + std::string(type_) + ", got " + std::string(type_name(node_.type())));
}

bool Draft::has(std::string_view key) const {
  return std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.first == key; });
}

const Site& Draft::site_of(std::string_view key) const {
  for (const auto& g : given) {
    if (g.first == key) return g.second;
  }
  return table;
}

const Section<DaemonDraft>& daemon_section() { return kDaemonSection; }
const Section<BridgeDraft>& bridge_section() { return kBridgeSection; }

std::vector<std::pair<const toml::key*, const toml::node*>> entries_in_file_order(
    const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
  });
  return entries;
}

}  // namespace berth::config::schema
