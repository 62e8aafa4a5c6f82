// Request and response types of berthd's control API (REST and JSON over a
// Unix socket), shared by the server and berthctl. Pure code, no I/O.
//
// Two kinds of decoding:
// - request bodies (ReservationCreate, ReservationPatch, ForwardCreate,
//   Attach, Detach) come from anyone who can open the socket: *_from_json()
//   validates every field, refuses unknown ones and returns an ApiError with
//   a sentence naming the field, never throwing;
// - response bodies come from berthd: from_json() throws DecodeError on a
//   missing field or a wrong type and ignores fields it does not know, so an
//   older berthctl keeps working against a newer berthd.
//
// types_validation.cpp holds the validators, types_requests.cpp the request
// bodies' JSON, types_responses.cpp the responses'.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "leases/lease.hpp"
#include "leases/reservation.hpp"
#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"

namespace berth::api {

// A refused request: the HTTP status and a sentence for the user.
struct ApiError {
  int status = 400;
  std::string message;
  // For 405 only: the methods the path accepts ("GET, POST"), sent as the
  // Allow header (RFC 9110 §15.5.6); not part of the JSON body.
  std::string allow;

  bool operator==(const ApiError&) const = default;
};

// A 400 with `message`, and how messages name a body's field ("field 'ip'"),
// for every reader of request bodies.
ApiError bad_request(std::string message);
std::string field(std::string_view key);

// A response body berthctl cannot read (missing field, wrong type).
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A lease's state and how a reservation recognises its client are the
// store's enums, names included, so the API and the database spell them
// alike. In JSON: "bound", "released", "expired", "declined"; "mac",
// "client_id", "hostname" (and "client-id" is read, as older berthd wrote).
using leases::lease_state_from_string;
using leases::LeaseState;
using leases::match_kind_from_string;
using leases::MatchKind;
using leases::to_string;

// Where a reservation comes from: the API (stored in the database) or the
// config file. In JSON: "api", "config".
enum class ReservationSource { api, config };
inline constexpr EnumNames<ReservationSource, 2> kReservationSourceNames{{{
    {ReservationSource::api, "api"},
    {ReservationSource::config, "config"},
}}};
static_assert(kReservationSourceNames.complete());

constexpr std::string_view to_string(ReservationSource s) {
  return kReservationSourceNames.name(s);
}
constexpr std::optional<ReservationSource> reservation_source_from_string(std::string_view s) {
  return kReservationSourceNames.value(s);
}

struct LeaseCounts {
  uint64_t bound = 0;
  uint64_t released = 0;
  uint64_t expired = 0;
  uint64_t declined = 0;

  bool operator==(const LeaseCounts&) const = default;
};

// GET /v1/status
struct Status {
  std::string version;
  int64_t uptime_s = 0;
  uint64_t bridges = 0;
  LeaseCounts leases;
  uint64_t reservations = 0;
  std::string database;  // path of the SQLite file
  std::string config;    // file the running config came from, or "<built-in defaults>"

  bool operator==(const Status&) const = default;
};

// One entry of GET /v1/bridges.
struct BridgeInfo {
  std::string name;
  Ipv4Prefix address;  // the bridge's own address and subnet
  Ipv4Address pool_start;
  Ipv4Address pool_end;  // inclusive
  uint64_t pool_size = 0;
  uint64_t leases_bound = 0;
  std::string domain;

  bool operator==(const BridgeInfo&) const = default;
};

// One entry of GET /v1/leases.
struct LeaseInfo {
  std::string bridge;
  IpAddress ip;  // IPv4, or IPv6 for a DHCPv6 binding
  MacAddress mac;
  Bytes client_id;  // empty when the client sent none; JSON: hex with ':' ("" when none)
  std::string hostname;
  LeaseState state = LeaseState::bound;
  int64_t expires_at = 0;  // UTC seconds
  int64_t updated_at = 0;  // UTC seconds

  bool operator==(const LeaseInfo&) const = default;
};

// One entry of GET /v1/reservations. Only the key of `match` is in the JSON.
struct ReservationInfo {
  int64_t id = 0;  // 0 for reservations from the config file
  std::string bridge;
  MatchKind match = MatchKind::mac;
  MacAddress mac;        // when match == mac
  Bytes client_id;       // when match == client_id; JSON: hex with ':'
  std::string hostname;  // when match == hostname
  Ipv4Address ip;
  std::optional<Ipv6Address> ipv6;  // JSON: absent when none
  Bytes duid;                       // JSON: hex with ':'; absent when empty
  std::string name;                 // DNS name; empty when none
  ReservationSource source = ReservationSource::api;
  // DHCPv4 options for this client only; JSON: "[force:]CODE:TYPE:VALUE"
  // lines, absent when none.
  std::vector<dhcp4::ConfiguredOption> options;

  bool operator==(const ReservationInfo&) const = default;
};

// Body of POST /v1/reservations. Exactly one of "mac", "client_id",
// "hostname" says which client; `force` forgets a lease another client holds
// on `ip` instead of answering 409.
struct ReservationCreate {
  std::string bridge;
  MatchKind match = MatchKind::mac;
  MacAddress mac;
  Bytes client_id;
  std::string hostname;
  Ipv4Address ip;
  std::optional<Ipv6Address> ipv6;               // DHCPv6 address and AAAA of `name`
  Bytes duid;                                    // finds the DHCPv6 client; empty: by `mac`
  std::string name;                              // empty: no DNS name
  std::vector<dhcp4::ConfiguredOption> options;  // sent to this client only
  bool force = false;

  bool operator==(const ReservationCreate&) const = default;
};

// Body of PATCH /v1/reservations/{id}: what to change; at least one of ip,
// ipv6 and name. A name of "" (or null in JSON) removes the reservation's
// name; an ipv6 of "" (or null) its IPv6 address.
struct ReservationPatch {
  std::optional<Ipv4Address> ip;
  std::optional<std::optional<Ipv6Address>> ipv6;  // set: change it (to none when empty)
  std::optional<std::string> name;
  std::optional<std::vector<dhcp4::ConfiguredOption>> options;  // set: replaces the list
  bool force = false;

  bool operator==(const ReservationPatch&) const = default;
};

// Response of POST and PATCH /v1/reservations and DELETE
// /v1/reservations/{id}: the reservation (as it is now, or as it was when
// deleted) and the leases the change forgot (the client's other dynamic
// lease, or with `force` the lease another client held on the address).
struct ReservationChange {
  ReservationInfo reservation;
  std::vector<LeaseInfo> forgotten_leases;

  bool operator==(const ReservationChange&) const = default;
};

// Response of POST /v1/reload.
struct ReloadResult {
  std::string config;  // the file read
  uint64_t bridges = 0;
  std::vector<std::string> bridges_added;
  std::vector<std::string> bridges_removed;
  std::vector<std::string> bridges_changed;

  bool operator==(const ReloadResult&) const = default;
};

// Responses of the list endpoints: {"bridges": [...]}, {"leases": [...]},
// {"reservations": [...]}.
struct BridgeList {
  std::vector<BridgeInfo> bridges;
  bool operator==(const BridgeList&) const = default;
};
struct LeaseList {
  std::vector<LeaseInfo> leases;
  bool operator==(const LeaseList&) const = default;
};
struct ReservationList {
  std::vector<ReservationInfo> reservations;
  bool operator==(const ReservationList&) const = default;
};

// --- bridge companion: port forwards, veth attach, firewall ----------------

// A port forward's protocol. In JSON: "tcp", "udp".
enum class ForwardProto { tcp, udp };
inline constexpr EnumNames<ForwardProto, 2> kForwardProtoNames{{{
    {ForwardProto::tcp, "tcp"},
    {ForwardProto::udp, "udp"},
}}};
static_assert(kForwardProtoNames.complete());

constexpr std::string_view to_string(ForwardProto p) { return kForwardProtoNames.name(p); }
constexpr std::optional<ForwardProto> forward_proto_from_string(std::string_view s) {
  return kForwardProtoNames.value(s);
}

// Where a forward or a reservation comes from: the API (stored in the
// database) or the config file.
using ForwardSource = ReservationSource;

// Body of POST /v1/forwards: traffic to the host's `host_address` (any of
// its addresses when absent) on `host_port` goes to `to` (an address in the
// bridge's subnet, or a container's name, followed as its lease moves) on
// `to_port` (host_port when absent).
struct ForwardCreate {
  std::string bridge;
  ForwardProto proto = ForwardProto::tcp;
  std::optional<Ipv4Address> host_address;
  uint16_t host_port = 0;
  std::string to;
  uint16_t to_port = 0;

  bool operator==(const ForwardCreate&) const = default;
};

// One entry of GET /v1/forwards; also the answer of POST and DELETE.
struct ForwardInfo {
  int64_t id = 0;  // 0 for forwards from the config file
  std::string bridge;
  ForwardProto proto = ForwardProto::tcp;
  std::optional<Ipv4Address> host_address;  // JSON null: any address of the host
  uint16_t host_port = 0;
  std::string to;
  uint16_t to_port = 0;
  // Where the forward sends traffic now: `to` itself, or the address its
  // name has; JSON null while the name has none.
  std::optional<Ipv4Address> target;
  // The IPv6 address it sends traffic to as well (a forward on every host
  // address to a name with an IPv6 address); absent from JSON when none.
  std::optional<Ipv6Address> target6;
  ForwardSource source = ForwardSource::api;

  bool operator==(const ForwardInfo&) const = default;
};

struct ForwardList {
  std::vector<ForwardInfo> forwards;
  bool operator==(const ForwardList&) const = default;
};

// Body of POST /v1/attach (and the request itself): a veth pair from
// `bridge` into a network namespace, named by `netns` (as `ip netns` names
// them, /run/netns/NAME) or by a process in it (`pid`): exactly one of the
// two. `ifname` is the name inside the namespace, `mac` its MAC (the kernel
// picks one when absent).
struct Attach {
  std::string bridge;
  std::optional<std::string> netns;
  std::optional<int32_t> pid;
  std::string ifname = "eth0";
  std::optional<MacAddress> mac;

  bool operator==(const Attach&) const = default;
};

// Body of POST /v1/detach: removes the interface `ifname` of the namespace,
// a veth whose other end is on `bridge`.
struct Detach {
  std::string bridge;
  std::optional<std::string> netns;
  std::optional<int32_t> pid;
  std::string ifname = "eth0";

  bool operator==(const Detach&) const = default;
};

// Answer of POST /v1/attach (201).
struct AttachResult {
  std::string bridge;
  std::string host_ifname;  // the host's end, enslaved to the bridge
  std::string ifname;       // the end inside the namespace
  MacAddress mac;           // of the end inside the namespace

  bool operator==(const AttachResult&) const = default;
};

// Answer of POST /v1/detach (200).
struct DetachResult {
  std::string bridge;
  std::string ifname;

  bool operator==(const DetachResult&) const = default;
};

// A chain in another table (or another firewall) that drops what berth's
// bridges forward, and what berthd does about it.
struct ForeignFinding {
  std::string table;    // "ip filter"
  std::string chain;    // "FORWARD"
  std::string finding;  // "policy drop"
  std::string action;   // "accept rules for berth0 in DOCKER-USER", "none (foreign = false)"

  bool operator==(const ForeignFinding&) const = default;
};

// Answer of GET /v1/firewall: the table berthd wants (`nft list` form) and
// the kernel's (null when the table is absent); in_sync when they match.
// `foreign`: what stands in the way outside table inet berth.
struct FirewallInfo {
  bool enabled = true;
  bool in_sync = false;
  std::string wanted;
  std::optional<std::string> kernel;
  std::vector<ForeignFinding> foreign;

  bool operator==(const FirewallInfo&) const = default;
};

// The largest pid the kernel hands out (PID_MAX_LIMIT, 2^22).
inline constexpr int32_t kMaxPid = 4194304;

// Validation shared by the router and berthctl. Each returns nullopt when
// the value is fine, else a sentence naming `field`.
// RFC 1123 §2.1 label: letters, digits, '-', 1..63, no '-' at either end.
bool is_dns_label(std::string_view s);
std::optional<std::string> dns_label_problem(std::string_view field, std::string_view s);
// A Linux interface name: 1..15 bytes, not "." or "..", no '/', ':',
// whitespace or NUL.
std::optional<std::string> interface_name_problem(std::string_view field, std::string_view s);
// A client identifier (option 61) as hex bytes with ':', 1..255 bytes.
std::optional<std::string> client_id_problem(std::string_view field, std::string_view s);
// An IPv6 address a client can be given: not unspecified, loopback,
// link-local or multicast (the daemon checks the bridge's prefix).
std::optional<std::string> reservable_ipv6_problem(std::string_view field, std::string_view s);
// A DHCPv6 DUID as hex bytes with ':' (RFC 8415 §11: 3..130 bytes, known
// types in their layout).
std::optional<std::string> duid_problem(std::string_view field, std::string_view s);
// A MAC a client can have: six bytes, not all zero, not broadcast.
std::optional<std::string> mac_problem(std::string_view field, std::string_view s);
// A dotted quad a client can be given: not 0.0.0.0 nor 255.255.255.255.
std::optional<std::string> reservable_ip_problem(std::string_view field, std::string_view s);
// A MAC an interface can have: six bytes, not all zero, not multicast
// (nor broadcast).
std::optional<std::string> unicast_mac_problem(std::string_view field, std::string_view s);
// A network namespace's name as `ip netns` keeps it in /run/netns: 1..255
// bytes, no '/' or NUL, not "." or "..".
std::optional<std::string> netns_name_problem(std::string_view field, std::string_view s);
// A forward's target: a dotted quad a container can have, or a DNS label.
std::optional<std::string> forward_target_problem(std::string_view field, std::string_view s);
// A host address a forward can listen on: a dotted quad, not broadcast or
// multicast (0.0.0.0 is "any").
std::optional<std::string> forward_host_address_problem(std::string_view field, std::string_view s);

// `s` in single quotes for a message, cut after 64 bytes, bytes outside
// printable ASCII as \xNN: request text never garbles a log or a terminal.
std::string quote_text(std::string_view s);

// Request bodies: strict (see the top of this file).
std::variant<ReservationCreate, ApiError> reservation_create_from_json(const nlohmann::json& j);
std::variant<ReservationPatch, ApiError> reservation_patch_from_json(const nlohmann::json& j);
std::variant<ForwardCreate, ApiError> forward_create_from_json(const nlohmann::json& j);
std::variant<Attach, ApiError> attach_from_json(const nlohmann::json& j);
std::variant<Detach, ApiError> detach_from_json(const nlohmann::json& j);

void to_json(nlohmann::json& j, const ApiError& e);
void to_json(nlohmann::json& j, const LeaseCounts& c);
void to_json(nlohmann::json& j, const Status& s);
void to_json(nlohmann::json& j, const BridgeInfo& b);
void to_json(nlohmann::json& j, const LeaseInfo& l);
// A reservation's "options": its "[force:]CODE:TYPE:VALUE" lines.
nlohmann::json options_json(const std::vector<dhcp4::ConfiguredOption>& options);
void to_json(nlohmann::json& j, const ReservationInfo& r);
void to_json(nlohmann::json& j, const ReservationCreate& r);
void to_json(nlohmann::json& j, const ReservationPatch& p);
void to_json(nlohmann::json& j, const ReservationChange& c);
void to_json(nlohmann::json& j, const ReloadResult& r);
void to_json(nlohmann::json& j, const BridgeList& l);
void to_json(nlohmann::json& j, const LeaseList& l);
void to_json(nlohmann::json& j, const ReservationList& l);
void to_json(nlohmann::json& j, const ForwardCreate& f);
void to_json(nlohmann::json& j, const ForwardInfo& f);
void to_json(nlohmann::json& j, const ForwardList& l);
void to_json(nlohmann::json& j, const Attach& a);
void to_json(nlohmann::json& j, const Detach& d);
void to_json(nlohmann::json& j, const AttachResult& r);
void to_json(nlohmann::json& j, const DetachResult& r);
void to_json(nlohmann::json& j, const ForeignFinding& f);
void to_json(nlohmann::json& j, const FirewallInfo& f);

// Response bodies: throw DecodeError naming the field.
void from_json(const nlohmann::json& j, ApiError& e);
void from_json(const nlohmann::json& j, LeaseCounts& c);
void from_json(const nlohmann::json& j, Status& s);
void from_json(const nlohmann::json& j, BridgeInfo& b);
void from_json(const nlohmann::json& j, LeaseInfo& l);
void from_json(const nlohmann::json& j, ReservationInfo& r);
void from_json(const nlohmann::json& j, ReservationChange& c);
void from_json(const nlohmann::json& j, ReloadResult& r);
void from_json(const nlohmann::json& j, BridgeList& l);
void from_json(const nlohmann::json& j, LeaseList& l);
void from_json(const nlohmann::json& j, ReservationList& l);
void from_json(const nlohmann::json& j, ForwardInfo& f);
void from_json(const nlohmann::json& j, ForwardList& l);
void from_json(const nlohmann::json& j, AttachResult& r);
void from_json(const nlohmann::json& j, DetachResult& r);
void from_json(const nlohmann::json& j, ForeignFinding& f);
void from_json(const nlohmann::json& j, FirewallInfo& f);

// Strict like the request decoders, but throwing DecodeError: for tests and
// for tools that read a request body they wrote.
void from_json(const nlohmann::json& j, ReservationCreate& r);
void from_json(const nlohmann::json& j, ReservationPatch& p);
void from_json(const nlohmann::json& j, ForwardCreate& f);
void from_json(const nlohmann::json& j, Attach& a);
void from_json(const nlohmann::json& j, Detach& d);

}  // namespace berth::api
