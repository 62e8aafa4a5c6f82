#include "api/types.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace berth::api {

using nlohmann::json;

namespace {

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// --- strict reading of request bodies ------------------------------------

ApiError bad_request(std::string message) {
  return ApiError{.status = 400, .message = std::move(message), .allow = {}};
}

std::string field(std::string_view key) { return "field '" + std::string(key) + "'"; }

// The first key of `j` not in `known`, if any.
std::optional<std::string> unknown_key(const json& j,
                                       std::initializer_list<std::string_view> known) {
  for (const auto& item : j.items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end()) return item.key();
  }
  return std::nullopt;
}

// A string field that may be absent; an error when present with another type.
std::variant<std::optional<std::string>, ApiError> optional_string(const json& j,
                                                                   std::string_view key) {
  auto it = j.find(key);
  if (it == j.end()) return std::optional<std::string>();
  if (!it->is_string()) return bad_request(field(key) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

std::variant<bool, ApiError> optional_bool(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (!it->is_boolean()) return bad_request(field(key) + " must be true or false");
  return it->get<bool>();
}

// "name": absent, null or "" mean no name; anything else must be a label.
std::variant<std::optional<std::string>, ApiError> optional_name(const json& j) {
  auto it = j.find("name");
  if (it == j.end()) return std::optional<std::string>();
  if (it->is_null()) return std::optional<std::string>("");
  if (!it->is_string()) return bad_request(field("name") + " must be a string or null");
  std::string name = it->get<std::string>();
  if (!name.empty()) {
    if (auto problem = dns_label_problem(field("name"), name)) return bad_request(*problem);
  }
  return std::optional<std::string>(std::move(name));
}

Ipv4Address must_parse_ip(const std::string& s) { return *Ipv4Address::parse(s); }

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

MacAddress get_mac(const json& j, std::string_view object, const char* key) {
  const std::string s = get_string(j, object, key);
  auto mac = MacAddress::parse(s);
  if (!mac) bad_value(object, key, s);
  return *mac;
}

Bytes get_hex(const json& j, std::string_view object, const char* key) {
  const std::string s = get_string(j, object, key);
  auto bytes = parse_hex_colon(s);
  if (!bytes) bad_value(object, key, s);
  return *bytes;
}

}  // namespace

// --- enums -----------------------------------------------------------------

std::string_view to_string(LeaseState s) {
  switch (s) {
    case LeaseState::bound:
      return "bound";
    case LeaseState::released:
      return "released";
    case LeaseState::expired:
      return "expired";
    case LeaseState::declined:
      return "declined";
  }
  return "unknown";
}

std::optional<LeaseState> lease_state_from_string(std::string_view s) {
  for (auto v :
       {LeaseState::bound, LeaseState::released, LeaseState::expired, LeaseState::declined}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view to_string(MatchKind k) {
  switch (k) {
    case MatchKind::mac:
      return "mac";
    case MatchKind::client_id:
      return "client-id";
    case MatchKind::hostname:
      return "hostname";
  }
  return "unknown";
}

std::optional<MatchKind> match_kind_from_string(std::string_view s) {
  for (auto v : {MatchKind::mac, MatchKind::client_id, MatchKind::hostname}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view to_string(ReservationSource s) {
  return s == ReservationSource::api ? "api" : "config";
}

std::optional<ReservationSource> reservation_source_from_string(std::string_view s) {
  if (s == "api") return ReservationSource::api;
  if (s == "config") return ReservationSource::config;
  return std::nullopt;
}

// --- validation --------------------------------------------------------------

std::string quote_text(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
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

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_ascii_alnum(c) || c == '-'; });
}

std::optional<std::string> dns_label_problem(std::string_view what, std::string_view s) {
  if (is_dns_label(s)) return std::nullopt;
  return std::string(what) + " " + quote_text(s) +
         " is not a DNS label: letters, digits and '-', 1 to 63 of them, not starting or "
         "ending with '-'";
}

std::optional<std::string> interface_name_problem(std::string_view what, std::string_view s) {
  // IFNAMSIZ is 16 including the terminating NUL.
  constexpr size_t kMaxLength = 15;
  if (s.empty()) return std::string(what) + " is empty; it must name a bridge";
  if (s.size() > kMaxLength) {
    return std::string(what) + " " + quote_text(s) + " is " + std::to_string(s.size()) +
           " bytes long; a Linux interface name has at most 15";
  }
  if (s == "." || s == "..")
    return std::string(what) + " " + quote_text(s) + " is not an interface name";
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    // The kernel's isspace() also counts 0xa0 (Latin-1 no-break space).
    const bool space = c == ' ' || (byte >= 0x09 && byte <= 0x0d) || byte == 0xa0;
    if (c == '/' || c == ':' || c == '\0' || space) {
      return std::string(what) + " " + quote_text(s) + " contains " +
             quote_text(std::string_view(&c, 1)) +
             ", which Linux does not allow in an interface name";
    }
  }
  return std::nullopt;
}

std::optional<std::string> client_id_problem(std::string_view what, std::string_view s) {
  // RFC 2132 §9.14: the option's length is one byte.
  constexpr size_t kMaxLength = 255;
  if (s.empty()) return std::string(what) + " is empty; a client identifier has 1 to 255 bytes";
  auto bytes = parse_hex_colon(s);
  if (!bytes) {
    return std::string(what) + " " + quote_text(s) +
           " is not hex bytes separated by ':' like 01:00:16:3e:aa:bb:cc";
  }
  if (bytes->size() > kMaxLength) {
    return std::string(what) + " is " + std::to_string(bytes->size()) +
           " bytes long; a client identifier has at most 255";
  }
  return std::nullopt;
}

std::optional<std::string> mac_problem(std::string_view what, std::string_view s) {
  auto mac = MacAddress::parse(s);
  if (!mac)
    return std::string(what) + " " + quote_text(s) + " is not a MAC address like 00:16:3e:aa:bb:cc";
  if (mac->is_zero() || *mac == MacAddress::broadcast()) {
    return std::string(what) + " is " + mac->to_string() + ", which no client has";
  }
  return std::nullopt;
}

std::optional<std::string> reservable_ip_problem(std::string_view what, std::string_view s) {
  auto ip = Ipv4Address::parse(s);
  if (!ip)
    return std::string(what) + " " + quote_text(s) + " is not an IPv4 address like 10.0.3.10";
  if (ip->is_unspecified() || *ip == Ipv4Address::broadcast()) {
    return std::string(what) + " is " + ip->to_string() + ", which cannot be given to a client";
  }
  return std::nullopt;
}

// --- request bodies ------------------------------------------------------------

std::variant<ReservationCreate, ApiError> reservation_create_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the reservation must be a JSON object such as {\"bridge\": \"berth0\", \"mac\": "
        "\"00:16:3e:aa:bb:cc\", \"ip\": \"10.0.3.10\"}");
  }
  if (auto key =
          unknown_key(j, {"bridge", "mac", "client_id", "hostname", "ip", "name", "force"})) {
    return bad_request("unknown field " + quote_text(*key) +
                       " in the reservation; its fields are bridge, mac, client_id, hostname, ip, "
                       "name and force");
  }
  ReservationCreate r;

  auto bridge = optional_string(j, "bridge");
  if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
  if (!std::get<0>(bridge))
    return bad_request(field("bridge") + " is required: the bridge the reservation is for");
  if (auto problem = interface_name_problem(field("bridge"), *std::get<0>(bridge))) {
    return bad_request(*problem);
  }
  r.bridge = *std::get<0>(bridge);

  std::vector<std::string_view> keys;
  for (std::string_view key : {"mac", "client_id", "hostname"}) {
    if (j.contains(key)) keys.push_back(key);
  }
  if (keys.empty()) {
    return bad_request(
        "one of the fields 'mac', 'client_id' or 'hostname' is required: it says which client "
        "gets the address");
  }
  if (keys.size() > 1) {
    return bad_request("fields '" + std::string(keys[0]) + "' and '" + std::string(keys[1]) +
                       "' cannot both be given: a reservation matches its client by exactly one of "
                       "'mac', 'client_id' or 'hostname'");
  }
  auto key = optional_string(j, keys[0]);
  if (auto* e = std::get_if<ApiError>(&key)) return *e;
  const std::string& value = *std::get<0>(key);
  if (keys[0] == "mac") {
    if (auto problem = mac_problem(field("mac"), value)) return bad_request(*problem);
    r.match = MatchKind::mac;
    r.mac = *MacAddress::parse(value);
  } else if (keys[0] == "client_id") {
    if (auto problem = client_id_problem(field("client_id"), value)) return bad_request(*problem);
    r.match = MatchKind::client_id;
    r.client_id = *parse_hex_colon(value);
  } else {
    // The host name a client sends (option 12), matched without regard to
    // case; one label, as the importers require.
    if (auto problem = dns_label_problem(field("hostname"), value)) return bad_request(*problem);
    r.match = MatchKind::hostname;
    r.hostname = value;
  }

  auto ip = optional_string(j, "ip");
  if (auto* e = std::get_if<ApiError>(&ip)) return *e;
  if (!std::get<0>(ip)) return bad_request(field("ip") + " is required: the address to reserve");
  if (auto problem = reservable_ip_problem(field("ip"), *std::get<0>(ip))) {
    return bad_request(*problem);
  }
  r.ip = must_parse_ip(*std::get<0>(ip));

  auto name = optional_name(j);
  if (auto* e = std::get_if<ApiError>(&name)) return *e;
  r.name = std::get<0>(name).value_or("");

  auto force = optional_bool(j, "force");
  if (auto* e = std::get_if<ApiError>(&force)) return *e;
  r.force = std::get<bool>(force);
  return r;
}

std::variant<ReservationPatch, ApiError> reservation_patch_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the change must be a JSON object such as {\"ip\": \"10.0.3.11\"} or {\"name\": \"web\"}");
  }
  if (auto key = unknown_key(j, {"ip", "name", "force"})) {
    for (std::string_view fixed :
         {"id", "bridge", "match", "mac", "client_id", "hostname", "source"}) {
      if (*key == fixed) {
        return bad_request(field(*key) +
                           " of a reservation cannot be changed; remove the reservation and add a "
                           "new one");
      }
    }
    return bad_request("unknown field " + quote_text(*key) +
                       " in the change; its fields are ip, name and force");
  }
  ReservationPatch p;
  if (j.contains("ip")) {
    auto ip = optional_string(j, "ip");
    if (auto* e = std::get_if<ApiError>(&ip)) return *e;
    if (auto problem = reservable_ip_problem(field("ip"), *std::get<0>(ip))) {
      return bad_request(*problem);
    }
    p.ip = must_parse_ip(*std::get<0>(ip));
  }
  auto name = optional_name(j);
  if (auto* e = std::get_if<ApiError>(&name)) return *e;
  p.name = std::get<0>(name);
  auto force = optional_bool(j, "force");
  if (auto* e = std::get_if<ApiError>(&force)) return *e;
  p.force = std::get<bool>(force);
  if (!p.ip && !p.name) {
    return bad_request("the change has neither 'ip' nor 'name', so there is nothing to change");
  }
  return p;
}

void from_json(const json& j, ReservationCreate& r) {
  auto result = reservation_create_from_json(j);
  if (auto* e = std::get_if<ApiError>(&result)) throw DecodeError(e->message);
  r = std::get<ReservationCreate>(std::move(result));
}

void from_json(const json& j, ReservationPatch& p) {
  auto result = reservation_patch_from_json(j);
  if (auto* e = std::get_if<ApiError>(&result)) throw DecodeError(e->message);
  p = std::get<ReservationPatch>(std::move(result));
}

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
  j["name"] = r.name;
  j["source"] = to_string(r.source);
}

void to_json(json& j, const ReservationCreate& r) {
  j = json{{"bridge", r.bridge}};
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
  if (!r.name.empty()) j["name"] = r.name;
  if (r.force) j["force"] = true;
}

void to_json(json& j, const ReservationPatch& p) {
  j = json::object();
  if (p.ip) j["ip"] = p.ip->to_string();
  if (p.name) j["name"] = *p.name;
  if (p.force) j["force"] = true;
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
  l.ip = get_ip(j, kObject, "ip");
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
  r.name = get_string(j, kObject, "name");
  const std::string source = get_string(j, kObject, "source");
  auto src = reservation_source_from_string(source);
  if (!src) bad_value(kObject, "source", source);
  r.source = *src;
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

}  // namespace berth::api
