// [daemon] lease_script: what berthd runs when a DHCPv4 lease changes, in
// dnsmasq's --dhcp-script contract (dnsmasq(8)), so scripts written for
// dnsmasq (libvirt's leaseshelper, Incus hooks) work unchanged:
//
//   argv: SCRIPT add|old|del MAC IP [HOSTNAME]       (DHCPv4)
//         SCRIPT add|old|del DUID IPV6 [HOSTNAME]    (DHCPv6: DUID in hex
//         with ':', and DNSMASQ_IAID, DNSMASQ_SERVER_DUID, DNSMASQ_MAC)
//   env:  DNSMASQ_INTERFACE, DNSMASQ_LEASE_EXPIRES, DNSMASQ_TIME_REMAINING,
//         DNSMASQ_DOMAIN, DNSMASQ_CLIENT_ID, DNSMASQ_SUPPLIED_HOSTNAME,
//         DNSMASQ_VENDOR_CLASS, DNSMASQ_USER_CLASS0.., DNSMASQ_REQUESTED_OPTIONS,
//         DNSMASQ_MUD_URL, DNSMASQ_RELAY_ADDRESS, DNSMASQ_TAGS,
//         DNSMASQ_OLD_HOSTNAME, DNSMASQ_DATA_MISSING
//
// Pure: from a lease's state before and after a committed change (and the
// request that caused it, when there was one) to the calls to make. The
// running (serialised, with a timeout) is server/lease_script_runner.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "leases/lease.hpp"
#include "protocol/address.hpp"
#include "protocol/dhcp4/message.hpp"

namespace berth::leases {

// What the client's request said that the lease does not keep; dnsmasq
// passes these only with the transaction that caused the change.
struct ScriptRequest {
  std::string supplied_hostname;           // option 12 as sent (else option 81's name)
  std::string vendor_class;                // option 60
  std::vector<std::string> user_classes;   // option 77, RFC 3004 entries
  std::vector<uint8_t> requested_options;  // option 55, in the client's order
  std::string mud_url;                     // option 161 (RFC 8520)
  std::optional<Ipv4Address> relay;        // giaddr, when relayed
  bool known = false;                      // the client has a reservation (tag "known")
};

// Reads the request's options. Bytes that cannot stand in an environment
// variable (NUL, other control characters) become '?'.
ScriptRequest script_request_of(const dhcp4::Message& msg);

// Where the change happened.
struct ScriptContext {
  std::string interface;  // the bridge; empty: DNSMASQ_INTERFACE is not set
  std::string domain;     // the bridge's domain (DNSMASQ_DOMAIN when the lease has a name)
  int64_t now = 0;        // UTC seconds
  bool renewals = true;   // "old" also when only the expiry moved (--script-on-renewal)
  Bytes server_duid;      // DHCPv6 leases: DNSMASQ_SERVER_DUID
};

enum class ScriptAction { add, old, del };
std::string_view to_string(ScriptAction a);

struct ScriptCall {
  ScriptAction action = ScriptAction::add;
  // Without the script's path: action, MAC, IP and the hostname when there is one.
  std::vector<std::string> args;
  // NAME=value entries, DNSMASQ_* only; the runner adds berthd's own environment.
  std::vector<std::string> env;
};

// The calls for one committed change at one address, in order. `before`:
// what the address held (nullopt: nothing); `after`: what it holds now
// (nullopt: the record was erased). A lease counts while its state is bound:
// nothing → bound is "add", bound → not bound (released, expired, declined,
// erased) is "del", bound → bound of the same client (same client
// identifier, or same MAC when neither has one) is "old" when the MAC or
// hostname changed, or (with ctx.renewals) the expiry; bound → bound of
// another client is "del" then "add". `request` is null for changes no
// packet caused (expiry, berthctl lease forget).
std::vector<ScriptCall> script_calls(const std::optional<Lease>& before,
                                     const std::optional<Lease>& after,
                                     const ScriptRequest* request, const ScriptContext& ctx);

// DHCPv6 leases (an IPv6 `ip`, the DUID as client_id) are reported as
// dnsmasq does: the DUID where a DHCPv4 call has the MAC, the IAID and
// server DUID in the environment, DNSMASQ_MAC when the client's MAC is
// known, no DNSMASQ_CLIENT_ID.
//
// The "old" call dnsmasq makes for each lease it reads at start-up: no
// interface, DNSMASQ_DATA_MISSING=1. nullopt for a lease that is not bound
// as of ctx.now (dnsmasq reports those "del"; berthd's expiry does).
std::optional<ScriptCall> script_startup_call(const Lease& lease, const ScriptContext& ctx);

}  // namespace berth::leases
