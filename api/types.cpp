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

// A required string field.
std::variant<std::string, ApiError> required_string(const json& j, std::string_view key,
                                                    std::string_view why) {
  auto v = optional_string(j, key);
  if (auto* e = std::get_if<ApiError>(&v)) return *e;
  if (!std::get<0>(v)) return bad_request(field(key) + " is required: " + std::string(why));
  return *std::get<0>(std::move(v));
}

// An integer field in [low, high] that may be absent.
std::variant<std::optional<int64_t>, ApiError> optional_integer(const json& j, std::string_view key,
                                                                int64_t low, int64_t high,
                                                                std::string_view what) {
  auto it = j.find(key);
  if (it == j.end()) return std::optional<int64_t>();
  std::optional<int64_t> value;
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
      value = static_cast<int64_t>(it->get<uint64_t>());
    }
  } else if (it->is_number_integer()) {
    value = it->get<int64_t>();
  }
  if (!value || *value < low || *value > high) {
    return bad_request(field(key) + " must be " + std::string(what) + ", an integer from " +
                       std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

std::variant<std::optional<uint16_t>, ApiError> optional_port(const json& j, std::string_view key) {
  auto v = optional_integer(j, key, 1, 65535, "a port");
  if (auto* e = std::get_if<ApiError>(&v)) return *e;
  if (!std::get<0>(v)) return std::optional<uint16_t>();
  return std::optional<uint16_t>(static_cast<uint16_t>(*std::get<0>(v)));
}

// The bridge field every companion request has.
std::variant<std::string, ApiError> bridge_field(const json& j, std::string_view why) {
  auto bridge = required_string(j, "bridge", why);
  if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
  if (auto problem = interface_name_problem(field("bridge"), std::get<std::string>(bridge))) {
    return bad_request(*problem);
  }
  return bridge;
}

// "netns" or "pid", exactly one: the namespace of an attach or detach.
struct NamespaceRef {
  std::optional<std::string> netns;
  std::optional<int32_t> pid;
};

std::variant<NamespaceRef, ApiError> namespace_fields(const json& j) {
  const bool has_netns = j.contains("netns");
  const bool has_pid = j.contains("pid");
  if (has_netns == has_pid) {
    return bad_request(
        has_netns ? std::string("fields 'netns' and 'pid' cannot both be given: the namespace is "
                                "named by exactly one of them")
                  : std::string("one of the fields 'netns' (a name from `ip netns`) or 'pid' (a "
                                "process in the namespace) is required"));
  }
  NamespaceRef out;
  if (has_netns) {
    auto netns = optional_string(j, "netns");
    if (auto* e = std::get_if<ApiError>(&netns)) return *e;
    if (auto problem = netns_name_problem(field("netns"), *std::get<0>(netns))) {
      return bad_request(*problem);
    }
    out.netns = *std::get<0>(std::move(netns));
  } else {
    auto pid = optional_integer(j, "pid", 1, kMaxPid, "a process id");
    if (auto* e = std::get_if<ApiError>(&pid)) return *e;
    out.pid = static_cast<int32_t>(*std::get<0>(pid));
  }
  return out;
}

// "ifname": absent means "eth0".
std::variant<std::string, ApiError> ifname_field(const json& j) {
  auto ifname = optional_string(j, "ifname");
  if (auto* e = std::get_if<ApiError>(&ifname)) return *e;
  if (!std::get<0>(ifname)) return std::string("eth0");
  const std::string& name = *std::get<0>(ifname);
  if (name.empty()) {
    return bad_request(field("ifname") + " is empty; it names the interface inside the namespace");
  }
  if (auto problem = interface_name_problem(field("ifname"), name)) return bad_request(*problem);
  return name;
}

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

}  // namespace

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

std::optional<std::string> unicast_mac_problem(std::string_view what, std::string_view s) {
  auto mac = MacAddress::parse(s);
  if (!mac)
    return std::string(what) + " " + quote_text(s) + " is not a MAC address like 00:16:3e:aa:bb:cc";
  if (mac->is_zero()) return std::string(what) + " is 00:00:00:00:00:00, which no interface has";
  // IEEE 802: the least significant bit of the first byte marks a group address.
  if (mac->bytes()[0] & 0x01) {
    return std::string(what) + " is " + mac->to_string() +
           ", a multicast address; an interface needs a unicast one (an even first byte)";
  }
  return std::nullopt;
}

std::optional<std::string> netns_name_problem(std::string_view what, std::string_view s) {
  // NAME_MAX: the name is a file in /run/netns.
  constexpr size_t kMaxLength = 255;
  if (s.empty()) return std::string(what) + " is empty; it must name a network namespace";
  if (s.size() > kMaxLength) {
    return std::string(what) + " is " + std::to_string(s.size()) +
           " bytes long; a namespace name has at most 255";
  }
  if (s == "." || s == "..") {
    return std::string(what) + " " + quote_text(s) + " is not a namespace name";
  }
  for (char c : s) {
    if (c == '/' || c == '\0') {
      return std::string(what) + " " + quote_text(s) + " contains " +
             quote_text(std::string_view(&c, 1)) +
             "; give a name as `ip netns list` shows it (a file in /run/netns), not a path";
    }
  }
  return std::nullopt;
}

std::optional<std::string> forward_target_problem(std::string_view what, std::string_view s) {
  if (Ipv4Address::parse(s)) return reservable_ip_problem(what, s);
  if (is_dns_label(s)) return std::nullopt;
  return std::string(what) + " " + quote_text(s) +
         " is neither an IPv4 address like 10.0.3.10 nor a container name (a DNS label: "
         "letters, digits and '-', 1 to 63 of them, not starting or ending with '-')";
}

std::optional<std::string> forward_host_address_problem(std::string_view what, std::string_view s) {
  auto ip = Ipv4Address::parse(s);
  if (!ip) {
    return std::string(what) + " " + quote_text(s) + " is not an IPv4 address like 192.0.2.10";
  }
  if (*ip == Ipv4Address::broadcast() || (ip->value() >> 28) == 0xe) {
    return std::string(what) + " is " + ip->to_string() +
           ", which is not an address of the host; give one of its unicast addresses, or none "
           "for all of them";
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

std::variant<ForwardCreate, ApiError> forward_create_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the forward must be a JSON object such as {\"bridge\": \"berth0\", \"proto\": "
        "\"tcp\", \"host_port\": 8080, \"to\": \"web\", \"to_port\": 80}");
  }
  if (auto key =
          unknown_key(j, {"bridge", "proto", "host_address", "host_port", "to", "to_port"})) {
    return bad_request("unknown field " + quote_text(*key) +
                       " in the forward; its fields are bridge, proto, host_address, host_port, "
                       "to and to_port");
  }
  ForwardCreate f;
  auto bridge = bridge_field(j, "the bridge the forward's target is on");
  if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
  f.bridge = std::get<std::string>(std::move(bridge));

  auto proto = required_string(j, "proto", "\"tcp\" or \"udp\"");
  if (auto* e = std::get_if<ApiError>(&proto)) return *e;
  auto p = forward_proto_from_string(std::get<std::string>(proto));
  if (!p) {
    return bad_request(field("proto") + " " + quote_text(std::get<std::string>(proto)) +
                       " is neither \"tcp\" nor \"udp\"");
  }
  f.proto = *p;

  // null or absent: every address of the host; 0.0.0.0 says the same.
  if (auto it = j.find("host_address"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return bad_request(field("host_address") + " must be a string or null");
    const std::string text = it->get<std::string>();
    if (auto problem = forward_host_address_problem(field("host_address"), text)) {
      return bad_request(*problem);
    }
    const Ipv4Address a = must_parse_ip(text);
    if (!a.is_unspecified()) f.host_address = a;
  }

  auto host_port = optional_port(j, "host_port");
  if (auto* e = std::get_if<ApiError>(&host_port)) return *e;
  if (!std::get<0>(host_port)) {
    return bad_request(field("host_port") + " is required: the port on the host to forward");
  }
  f.host_port = *std::get<0>(host_port);

  auto to = required_string(j, "to", "the container's address or name");
  if (auto* e = std::get_if<ApiError>(&to)) return *e;
  if (auto problem = forward_target_problem(field("to"), std::get<std::string>(to))) {
    return bad_request(*problem);
  }
  f.to = std::get<std::string>(std::move(to));

  auto to_port = optional_port(j, "to_port");
  if (auto* e = std::get_if<ApiError>(&to_port)) return *e;
  f.to_port = std::get<0>(to_port).value_or(f.host_port);
  return f;
}

std::variant<Attach, ApiError> attach_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the attach request must be a JSON object such as {\"bridge\": \"berth0\", "
        "\"netns\": \"web\"}");
  }
  if (auto key = unknown_key(j, {"bridge", "netns", "pid", "ifname", "mac"})) {
    return bad_request("unknown field " + quote_text(*key) +
                       " in the attach request; its fields are bridge, netns, pid, ifname and mac");
  }
  Attach a;
  auto bridge = bridge_field(j, "the bridge to attach to");
  if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
  a.bridge = std::get<std::string>(std::move(bridge));
  auto ns = namespace_fields(j);
  if (auto* e = std::get_if<ApiError>(&ns)) return *e;
  a.netns = std::get<NamespaceRef>(ns).netns;
  a.pid = std::get<NamespaceRef>(ns).pid;
  auto ifname = ifname_field(j);
  if (auto* e = std::get_if<ApiError>(&ifname)) return *e;
  a.ifname = std::get<std::string>(std::move(ifname));
  if (auto it = j.find("mac"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return bad_request(field("mac") + " must be a string or null");
    const std::string text = it->get<std::string>();
    if (auto problem = unicast_mac_problem(field("mac"), text)) return bad_request(*problem);
    a.mac = *MacAddress::parse(text);
  }
  return a;
}

std::variant<Detach, ApiError> detach_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the detach request must be a JSON object such as {\"bridge\": \"berth0\", "
        "\"netns\": \"web\"}");
  }
  if (auto key = unknown_key(j, {"bridge", "netns", "pid", "ifname"})) {
    return bad_request("unknown field " + quote_text(*key) +
                       " in the detach request; its fields are bridge, netns, pid and ifname");
  }
  Detach d;
  auto bridge = bridge_field(j, "the bridge the interface is attached to");
  if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
  d.bridge = std::get<std::string>(std::move(bridge));
  auto ns = namespace_fields(j);
  if (auto* e = std::get_if<ApiError>(&ns)) return *e;
  d.netns = std::get<NamespaceRef>(ns).netns;
  d.pid = std::get<NamespaceRef>(ns).pid;
  auto ifname = ifname_field(j);
  if (auto* e = std::get_if<ApiError>(&ifname)) return *e;
  d.ifname = std::get<std::string>(std::move(ifname));
  return d;
}

void from_json(const json& j, ForwardCreate& f) {
  auto result = forward_create_from_json(j);
  if (auto* e = std::get_if<ApiError>(&result)) throw DecodeError(e->message);
  f = std::get<ForwardCreate>(std::move(result));
}

void from_json(const json& j, Attach& a) {
  auto result = attach_from_json(j);
  if (auto* e = std::get_if<ApiError>(&result)) throw DecodeError(e->message);
  a = std::get<Attach>(std::move(result));
}

void from_json(const json& j, Detach& d) {
  auto result = detach_from_json(j);
  if (auto* e = std::get_if<ApiError>(&result)) throw DecodeError(e->message);
  d = std::get<Detach>(std::move(result));
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

namespace {
json optional_ip_json(const std::optional<Ipv4Address>& a) {
  return a ? json(a->to_string()) : json(nullptr);
}

// The namespace of an attach or detach: "netns" or "pid".
void put_namespace(json& j, const std::optional<std::string>& netns,
                   const std::optional<int32_t>& pid) {
  if (netns) j["netns"] = *netns;
  if (pid) j["pid"] = *pid;
}
}  // namespace

void to_json(json& j, const ForwardCreate& f) {
  j = json{{"bridge", f.bridge}, {"proto", to_string(f.proto)}};
  if (f.host_address) j["host_address"] = f.host_address->to_string();
  j["host_port"] = f.host_port;
  j["to"] = f.to;
  j["to_port"] = f.to_port;
}

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
}

void to_json(json& j, const ForwardList& l) { j = json{{"forwards", l.forwards}}; }

void to_json(json& j, const Attach& a) {
  j = json{{"bridge", a.bridge}};
  put_namespace(j, a.netns, a.pid);
  j["ifname"] = a.ifname;
  if (a.mac) j["mac"] = a.mac->to_string();
}

void to_json(json& j, const Detach& d) {
  j = json{{"bridge", d.bridge}};
  put_namespace(j, d.netns, d.pid);
  j["ifname"] = d.ifname;
}

void to_json(json& j, const AttachResult& r) {
  j = json{{"bridge", r.bridge},
           {"host_ifname", r.host_ifname},
           {"ifname", r.ifname},
           {"mac", r.mac.to_string()}};
}

void to_json(json& j, const DetachResult& r) {
  j = json{{"bridge", r.bridge}, {"ifname", r.ifname}};
}

void to_json(json& j, const FirewallInfo& f) {
  j = json{{"enabled", f.enabled},
           {"in_sync", f.in_sync},
           {"wanted", f.wanted},
           {"kernel", f.kernel ? json(*f.kernel) : json(nullptr)}};
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
}

}  // namespace berth::api
