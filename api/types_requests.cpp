// Request bodies of the control API (types.hpp): strict decoding, since
// anyone who can open the socket writes them, and the encoding clients
// send.
#include <algorithm>
#include <utility>

#include "api/types.hpp"

namespace berth::api {

using nlohmann::json;

ApiError bad_request(std::string message) {
  return ApiError{.status = 400, .message = std::move(message), .allow = {}};
}

std::string field(std::string_view key) { return "field '" + std::string(key) + "'"; }

namespace {

// --- strict reading of request bodies ------------------------------------

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

// "ipv6": absent (nothing said), null or "" (no IPv6 address), or an
// address that may be reserved (not unspecified, loopback, link-local or
// multicast; whether it is in the bridge's prefix the daemon checks).
std::variant<std::optional<std::optional<Ipv6Address>>, ApiError> optional_ipv6(const json& j) {
  using Said = std::optional<std::optional<Ipv6Address>>;
  auto it = j.find("ipv6");
  if (it == j.end()) return Said();
  if (it->is_null()) return Said(std::optional<Ipv6Address>());
  if (!it->is_string()) return bad_request(field("ipv6") + " must be a string or null");
  const std::string text = it->get<std::string>();
  if (text.empty()) return Said(std::optional<Ipv6Address>());
  if (auto problem = reservable_ipv6_problem(field("ipv6"), text)) return bad_request(*problem);
  auto ip = Ipv6Address::parse(text);
  return Said(*ip);
}

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

// The namespace of an attach or detach: "netns" or "pid".
void put_namespace(json& j, const std::optional<std::string>& netns,
                   const std::optional<int32_t>& pid) {
  if (netns) j["netns"] = *netns;
  if (pid) j["pid"] = *pid;
}

}  // namespace

namespace {

// "options": absent (nothing said), or a list of "[force:]CODE:TYPE:VALUE"
// lines (dhcp4::parse_configured_option); [] is no options.
std::variant<std::optional<std::vector<dhcp4::ConfiguredOption>>, ApiError> optional_options(
    const json& j) {
  auto it = j.find("options");
  if (it == j.end()) return std::nullopt;
  const std::string example = " such as [\"43:hex:01:04:c6:12:00:01\", \"force:66:string:boot\"]";
  if (!it->is_array()) return bad_request(field("options") + " must be a list" + example);
  std::vector<dhcp4::ConfiguredOption> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& line = (*it)[i];
    const std::string where = "'options[" + std::to_string(i) + "]'";
    if (!line.is_string()) return bad_request(where + " must be a string" + example);
    const std::string text = line.get<std::string>();
    auto o = dhcp4::parse_configured_option(text);
    if (!o) return bad_request(where + " " + quote_text(text) + ": " + std::string(o.error().what));
    for (const auto& before : out) {
      if (before.code == o->code) {
        return bad_request(where + " sets option " + std::to_string(o->code) + " a second time");
      }
    }
    out.push_back(std::move(*o));
  }
  return out;
}

}  // namespace

// --- request bodies ------------------------------------------------------------

std::variant<ReservationCreate, ApiError> reservation_create_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the reservation must be a JSON object such as {\"bridge\": \"berth0\", \"mac\": "
        "\"00:16:3e:aa:bb:cc\", \"ip\": \"10.0.3.10\"}");
  }
  if (auto key = unknown_key(j, {"bridge", "mac", "client_id", "hostname", "ip", "ipv6", "duid",
                                 "name", "options", "force"})) {
    return bad_request("unknown field " + quote_text(*key) +
                       " in the reservation; its fields are bridge, mac, client_id, hostname, ip, "
                       "ipv6, duid, name, options and force");
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

  auto ipv6 = optional_ipv6(j);
  if (auto* e = std::get_if<ApiError>(&ipv6)) return *e;
  r.ipv6 = std::get<0>(ipv6).value_or(std::nullopt);
  auto duid = optional_string(j, "duid");
  if (auto* e = std::get_if<ApiError>(&duid)) return *e;
  if (std::get<0>(duid) && !std::get<0>(duid)->empty()) {
    if (auto problem = duid_problem(field("duid"), *std::get<0>(duid))) {
      return bad_request(*problem);
    }
    r.duid = *parse_hex_colon(*std::get<0>(duid));
  }
  if (!r.duid.empty() && !r.ipv6) {
    return bad_request(field("duid") + " needs 'ipv6': it finds the DHCPv6 client to give it to");
  }
  if (r.ipv6 && r.duid.empty() && r.match != MatchKind::mac) {
    return bad_request(field("ipv6") +
                       " needs 'duid', or 'mac' as the client: a DHCPv6 client sends neither its "
                       "DHCPv4 client identifier nor a host name to match");
  }

  auto name = optional_name(j);
  if (auto* e = std::get_if<ApiError>(&name)) return *e;
  r.name = std::get<0>(name).value_or("");

  auto options = optional_options(j);
  if (auto* e = std::get_if<ApiError>(&options)) return *e;
  r.options = std::get<0>(options).value_or(std::vector<dhcp4::ConfiguredOption>{});

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
  if (auto key = unknown_key(j, {"ip", "ipv6", "name", "options", "force"})) {
    for (std::string_view fixed :
         {"id", "bridge", "match", "mac", "client_id", "hostname", "duid", "source"}) {
      if (*key == fixed) {
        return bad_request(field(*key) +
                           " of a reservation cannot be changed; remove the reservation and add a "
                           "new one");
      }
    }
    return bad_request("unknown field " + quote_text(*key) +
                       " in the change; its fields are ip, ipv6, name, options and force");
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
  auto ipv6 = optional_ipv6(j);
  if (auto* e = std::get_if<ApiError>(&ipv6)) return *e;
  p.ipv6 = std::get<0>(ipv6);
  auto name = optional_name(j);
  if (auto* e = std::get_if<ApiError>(&name)) return *e;
  p.name = std::get<0>(name);
  auto options = optional_options(j);
  if (auto* e = std::get_if<ApiError>(&options)) return *e;
  p.options = std::get<0>(std::move(options));
  auto force = optional_bool(j, "force");
  if (auto* e = std::get_if<ApiError>(&force)) return *e;
  p.force = std::get<bool>(force);
  if (!p.ip && !p.ipv6 && !p.name && !p.options) {
    return bad_request(
        "the change has none of 'ip', 'ipv6', 'name' and 'options', so there is nothing to "
        "change");
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
  if (r.ipv6) j["ipv6"] = r.ipv6->to_string();
  if (!r.duid.empty()) j["duid"] = to_hex_colon(r.duid);
  if (!r.name.empty()) j["name"] = r.name;
  if (!r.options.empty()) j["options"] = options_json(r.options);
  if (r.force) j["force"] = true;
}

void to_json(json& j, const ReservationPatch& p) {
  j = json::object();
  if (p.ip) j["ip"] = p.ip->to_string();
  if (p.ipv6) j["ipv6"] = *p.ipv6 ? json((*p.ipv6)->to_string()) : json(nullptr);
  if (p.name) j["name"] = *p.name;
  if (p.options) j["options"] = options_json(*p.options);
  if (p.force) j["force"] = true;
}

void to_json(json& j, const ForwardCreate& f) {
  j = json{{"bridge", f.bridge}, {"proto", to_string(f.proto)}};
  if (f.host_address) j["host_address"] = f.host_address->to_string();
  j["host_port"] = f.host_port;
  j["to"] = f.to;
  j["to_port"] = f.to_port;
}

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

}  // namespace berth::api
