// Response bodies of the control API (types.hpp): berthd's encoding, and
// the lenient decoding clients use (a missing field or a wrong type throws
// DecodeError naming it; unknown fields are ignored).
#include <algorithm>
#include <utility>

#include "api/types.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

// --- lenient reading of response bodies -----------------------------------

const json& member(const json& j, std::string_view object, const char* key) {
  if (!j.is_object()) throw DecodeError(std::string(object) + " is not a JSON object");
  auto it = j.find(key);
  if (it == j.end()) {
    throw DecodeError(std::string(object) + " has no field '" + key + "'");
  }
  return *it;
}

std::string get_string(const json& j, std::string_view object, const char* key) {
  const json& v = member(j, object, key);
  if (!v.is_string()) {
    throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                      " is not a string");
  }
  return v.get<std::string>();
}

int64_t get_int(const json& j, std::string_view object, const char* key) {
  const json& v = member(j, object, key);
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                      " is out of range");
  }
  if (!v.is_number_integer()) {
    throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                      " is not an integer");
  }
  return v.get<int64_t>();
}

uint64_t get_count(const json& j, std::string_view object, const char* key) {
  const json& v = member(j, object, key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                    " is not a count");
}

template <class T>
std::vector<T> get_array(const json& j, std::string_view object, const char* key) {
  const json& v = member(j, object, key);
  if (!v.is_array()) {
    throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                      " is not an array");
  }
  std::vector<T> out;
  out.reserve(v.size());
  for (const json& e : v) out.push_back(e.get<T>());
  return out;
}

std::vector<std::string> get_strings(const json& j, std::string_view object, const char* key) {
  const json& v = member(j, object, key);
  if (!v.is_array() ||
      !std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); })) {
    throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                      " is not an array of strings");
  }
  return v.get<std::vector<std::string>>();
}

[[noreturn]] void bad_value(std::string_view object, const char* key, const std::string& value) {
  throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) + " is " +
                    quote_text(value) + ", which berthctl cannot read");
}

Ipv4Address get_ip(const json& j, std::string_view object, const char* key) {
  const std::string s = get_string(j, object, key);
  auto ip = Ipv4Address::parse(s);
  if (!ip) bad_value(object, key, s);
  return *ip;
}

// An address of either family (leases).
IpAddress get_ip_any(const json& j, std::string_view object, const char* key) {
  const std::string s = get_string(j, object, key);
  auto ip = IpAddress::parse(s);
  if (!ip) bad_value(object, key, s);
  return *ip;
}

MacAddress get_mac(const json& j, std::string_view object, const char* key) {
  const std::string s = get_string(j, object, key);
  auto mac = MacAddress::parse(s);
  if (!mac) bad_value(object, key, s);
  return *mac;
}

std::optional<Ipv4Address> get_optional_ip(const json& j, std::string_view object,
                                           const char* key) {
  if (member(j, object, key).is_null()) return std::nullopt;
  return get_ip(j, object, key);
}

bool get_bool(const json& j, std::string_view object, const char* key) {
  const json& v = member(j, object, key);
  if (!v.is_boolean()) {
    throw DecodeError("field '" + std::string(key) + "' of " + std::string(object) +
                      " is not true or false");
  }
  return v.get<bool>();
}

uint16_t get_port(const json& j, std::string_view object, const char* key) {
  const int64_t v = get_int(j, object, key);
  if (v < 1 || v > 65535) bad_value(object, key, std::to_string(v));
  return static_cast<uint16_t>(v);
}

Bytes get_hex(const json& j, std::string_view object, const char* key) {
  const std::string s = get_string(j, object, key);
  auto bytes = parse_hex_colon(s);
  if (!bytes) bad_value(object, key, s);
  return *bytes;
}

json optional_ip_json(const std::optional<Ipv4Address>& a) {
  return a ? json(a->to_string()) : json(nullptr);
}

}  // namespace

// --- to_json -------------------------------------------------------------------

void to_json(json& j, const ApiError& e) { j = json{{"error", e.message}, {"status", e.status}}; }

void to_json(json& j, const LeaseCounts& c) {
  j = json{{"bound", c.bound},
           {"released", c.released},
           {"expired", c.expired},
           {"declined", c.declined}};
}

void to_json(json& j, const Status& s) {
  j = json{{"version", s.version}, {"uptime_s", s.uptime_s},         {"bridges", s.bridges},
           {"leases", s.leases},   {"reservations", s.reservations}, {"database", s.database},
           {"config", s.config}};
}

void to_json(json& j, const BridgeInfo& b) {
  j = json{{"name", b.name},
           {"address", b.address.to_string()},
           {"pool_start", b.pool_start.to_string()},
           {"pool_end", b.pool_end.to_string()},
           {"pool_size", b.pool_size},
           {"leases_bound", b.leases_bound},
           {"domain", b.domain}};
}

void to_json(json& j, const LeaseInfo& l) {
  j = json{{"bridge", l.bridge},         {"ip", l.ip.to_string()},
           {"mac", l.mac.to_string()},   {"client_id", to_hex_colon(l.client_id)},
           {"hostname", l.hostname},     {"state", to_string(l.state)},
           {"expires_at", l.expires_at}, {"updated_at", l.updated_at}};
}

void to_json(json& j, const ReservationInfo& r) {
  j = json{{"id", r.id}, {"bridge", r.bridge}, {"match", to_string(r.match)}};
  switch (r.match) {
    case MatchKind::mac:
      j["mac"] = r.mac.to_string();
      break;
    case MatchKind::client_id:
      j["client_id"] = to_hex_colon(r.client_id);
      break;
    case MatchKind::hostname:
      j["hostname"] = r.hostname;
      break;
  }
  j["ip"] = r.ip.to_string();
  if (r.ipv6) j["ipv6"] = r.ipv6->to_string();
  if (!r.duid.empty()) j["duid"] = to_hex_colon(r.duid);
  j["name"] = r.name;
  j["source"] = to_string(r.source);
  if (!r.options.empty()) j["options"] = options_json(r.options);
}

json options_json(const std::vector<dhcp4::ConfiguredOption>& options) {
  json j = json::array();
  for (const auto& o : options) j.push_back(dhcp4::format_configured_option(o));
  return j;
}

void to_json(json& j, const ReservationChange& c) {
  j = json{{"reservation", c.reservation}, {"forgotten_leases", c.forgotten_leases}};
}

void to_json(json& j, const ReloadResult& r) {
  j = json{{"config", r.config},
           {"bridges", r.bridges},
           {"bridges_added", r.bridges_added},
           {"bridges_removed", r.bridges_removed},
           {"bridges_changed", r.bridges_changed}};
}

void to_json(json& j, const BridgeList& l) { j = json{{"bridges", l.bridges}}; }

void to_json(json& j, const LeaseList& l) { j = json{{"leases", l.leases}}; }

void to_json(json& j, const ReservationList& l) { j = json{{"reservations", l.reservations}}; }

void to_json(json& j, const ForwardInfo& f) {
  j = json{{"id", f.id},
           {"bridge", f.bridge},
           {"proto", to_string(f.proto)},
           {"host_address", optional_ip_json(f.host_address)},
           {"host_port", f.host_port},
           {"to", f.to},
           {"to_port", f.to_port},
           {"target", optional_ip_json(f.target)},
           {"source", to_string(f.source)}};
  if (f.target6) j["target6"] = f.target6->to_string();
}

void to_json(json& j, const ForwardList& l) { j = json{{"forwards", l.forwards}}; }

void to_json(json& j, const AttachResult& r) {
  j = json{{"bridge", r.bridge},
           {"host_ifname", r.host_ifname},
           {"ifname", r.ifname},
           {"mac", r.mac.to_string()}};
}

void to_json(json& j, const DetachResult& r) {
  j = json{{"bridge", r.bridge}, {"ifname", r.ifname}};
}

void to_json(json& j, const ForeignFinding& f) {
  j = json{{"table", f.table}, {"chain", f.chain}, {"finding", f.finding}, {"action", f.action}};
}

void to_json(json& j, const FirewallInfo& f) {
  j = json{{"enabled", f.enabled},
           {"in_sync", f.in_sync},
           {"wanted", f.wanted},
           {"kernel", f.kernel ? json(*f.kernel) : json(nullptr)},
           {"foreign", f.foreign}};
}

// --- from_json (responses) -------------------------------------------------

void from_json(const json& j, ApiError& e) {
  e.message = get_string(j, "the error", "error");
  const int64_t status = get_int(j, "the error", "status");
  if (status < 100 || status > 599) throw DecodeError("the error's status is not an HTTP status");
  e.status = static_cast<int>(status);
  e.allow.clear();
}

void from_json(const json& j, LeaseCounts& c) {
  constexpr std::string_view kObject = "the lease counts";
  c.bound = get_count(j, kObject, "bound");
  c.released = get_count(j, kObject, "released");
  c.expired = get_count(j, kObject, "expired");
  c.declined = get_count(j, kObject, "declined");
}

void from_json(const json& j, Status& s) {
  constexpr std::string_view kObject = "the status";
  s.version = get_string(j, kObject, "version");
  s.uptime_s = get_int(j, kObject, "uptime_s");
  s.bridges = get_count(j, kObject, "bridges");
  s.leases = member(j, kObject, "leases").get<LeaseCounts>();
  s.reservations = get_count(j, kObject, "reservations");
  s.database = get_string(j, kObject, "database");
  s.config = get_string(j, kObject, "config");
}

void from_json(const json& j, BridgeInfo& b) {
  constexpr std::string_view kObject = "a bridge";
  b.name = get_string(j, kObject, "name");
  const std::string address = get_string(j, kObject, "address");
  auto prefix = Ipv4Prefix::parse(address);
  if (!prefix) bad_value(kObject, "address", address);
  b.address = *prefix;
  b.pool_start = get_ip(j, kObject, "pool_start");
  b.pool_end = get_ip(j, kObject, "pool_end");
  b.pool_size = get_count(j, kObject, "pool_size");
  b.leases_bound = get_count(j, kObject, "leases_bound");
  b.domain = get_string(j, kObject, "domain");
}

void from_json(const json& j, LeaseInfo& l) {
  constexpr std::string_view kObject = "a lease";
  l.bridge = get_string(j, kObject, "bridge");
  l.ip = get_ip_any(j, kObject, "ip");
  l.mac = get_mac(j, kObject, "mac");
  l.client_id = get_hex(j, kObject, "client_id");
  l.hostname = get_string(j, kObject, "hostname");
  const std::string state = get_string(j, kObject, "state");
  auto s = lease_state_from_string(state);
  if (!s) bad_value(kObject, "state", state);
  l.state = *s;
  l.expires_at = get_int(j, kObject, "expires_at");
  l.updated_at = get_int(j, kObject, "updated_at");
}

void from_json(const json& j, ReservationInfo& r) {
  constexpr std::string_view kObject = "a reservation";
  r = ReservationInfo{};
  r.id = get_int(j, kObject, "id");
  r.bridge = get_string(j, kObject, "bridge");
  const std::string match = get_string(j, kObject, "match");
  auto kind = match_kind_from_string(match);
  if (!kind) bad_value(kObject, "match", match);
  r.match = *kind;
  switch (r.match) {
    case MatchKind::mac:
      r.mac = get_mac(j, kObject, "mac");
      break;
    case MatchKind::client_id:
      r.client_id = get_hex(j, kObject, "client_id");
      break;
    case MatchKind::hostname:
      r.hostname = get_string(j, kObject, "hostname");
      break;
  }
  r.ip = get_ip(j, kObject, "ip");
  if (j.contains("ipv6")) {
    const IpAddress v6 = get_ip_any(j, kObject, "ipv6");
    if (!v6.is_v6()) bad_value(kObject, "ipv6", v6.to_string());
    r.ipv6 = v6.v6();
  }
  if (j.contains("duid")) r.duid = get_hex(j, kObject, "duid");
  r.name = get_string(j, kObject, "name");
  const std::string source = get_string(j, kObject, "source");
  auto src = reservation_source_from_string(source);
  if (!src) bad_value(kObject, "source", source);
  r.source = *src;
  if (j.contains("options")) {
    for (const std::string& line : get_strings(j, kObject, "options")) {
      auto o = dhcp4::parse_configured_option(line);
      if (!o) bad_value(kObject, "options", line);
      r.options.push_back(std::move(*o));
    }
  }
}

void from_json(const json& j, ReservationChange& c) {
  c.reservation = member(j, "the reservation change", "reservation").get<ReservationInfo>();
  c.forgotten_leases = get_array<LeaseInfo>(j, "the reservation change", "forgotten_leases");
}

void from_json(const json& j, ReloadResult& r) {
  constexpr std::string_view kObject = "the reload result";
  r.config = get_string(j, kObject, "config");
  r.bridges = get_count(j, kObject, "bridges");
  r.bridges_added = get_strings(j, kObject, "bridges_added");
  r.bridges_removed = get_strings(j, kObject, "bridges_removed");
  r.bridges_changed = get_strings(j, kObject, "bridges_changed");
}

void from_json(const json& j, BridgeList& l) {
  l.bridges = get_array<BridgeInfo>(j, "the bridge list", "bridges");
}
void from_json(const json& j, LeaseList& l) {
  l.leases = get_array<LeaseInfo>(j, "the lease list", "leases");
}
void from_json(const json& j, ReservationList& l) {
  l.reservations = get_array<ReservationInfo>(j, "the reservation list", "reservations");
}

void from_json(const json& j, ForwardInfo& f) {
  constexpr std::string_view kObject = "a forward";
  f.id = get_int(j, kObject, "id");
  f.bridge = get_string(j, kObject, "bridge");
  const std::string proto = get_string(j, kObject, "proto");
  auto p = forward_proto_from_string(proto);
  if (!p) bad_value(kObject, "proto", proto);
  f.proto = *p;
  f.host_address = get_optional_ip(j, kObject, "host_address");
  f.host_port = get_port(j, kObject, "host_port");
  f.to = get_string(j, kObject, "to");
  f.to_port = get_port(j, kObject, "to_port");
  f.target = get_optional_ip(j, kObject, "target");
  if (j.contains("target6")) {
    const IpAddress v6 = get_ip_any(j, kObject, "target6");
    if (!v6.is_v6()) bad_value(kObject, "target6", v6.to_string());
    f.target6 = v6.v6();
  }
  const std::string source = get_string(j, kObject, "source");
  auto src = reservation_source_from_string(source);
  if (!src) bad_value(kObject, "source", source);
  f.source = *src;
}

void from_json(const json& j, ForwardList& l) {
  l.forwards = get_array<ForwardInfo>(j, "the forward list", "forwards");
}

void from_json(const json& j, AttachResult& r) {
  constexpr std::string_view kObject = "the attach result";
  r.bridge = get_string(j, kObject, "bridge");
  r.host_ifname = get_string(j, kObject, "host_ifname");
  r.ifname = get_string(j, kObject, "ifname");
  r.mac = get_mac(j, kObject, "mac");
}

void from_json(const json& j, DetachResult& r) {
  constexpr std::string_view kObject = "the detach result";
  r.bridge = get_string(j, kObject, "bridge");
  r.ifname = get_string(j, kObject, "ifname");
}

void from_json(const json& j, FirewallInfo& f) {
  constexpr std::string_view kObject = "the firewall";
  f.enabled = get_bool(j, kObject, "enabled");
  f.in_sync = get_bool(j, kObject, "in_sync");
  f.wanted = get_string(j, kObject, "wanted");
  if (member(j, kObject, "kernel").is_null()) {
    f.kernel.reset();
  } else {
    f.kernel = get_string(j, kObject, "kernel");
  }
  // Absent from berthd before issue 13.
  f.foreign.clear();
  if (j.contains("foreign")) f.foreign = get_array<ForeignFinding>(j, kObject, "foreign");
}

void from_json(const json& j, ForeignFinding& f) {
  constexpr std::string_view kObject = "a foreign finding";
  f.table = get_string(j, kObject, "table");
  f.chain = get_string(j, kObject, "chain");
  f.finding = get_string(j, kObject, "finding");
  f.action = get_string(j, kObject, "action");
}

}  // namespace berth::api
