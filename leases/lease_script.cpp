#include "leases/lease_script.hpp"

#include <algorithm>

namespace berth::leases {

namespace {

constexpr uint8_t kUserClass = 77;  // RFC 3004
constexpr uint8_t kMudUrl = 161;    // RFC 8520

std::string env_text(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (uint8_t b : bytes) out.push_back(b < 0x20 || b == 0x7f ? '?' : static_cast<char>(b));
  return out;
}

// RFC 3004 §4: one or more (length, data) entries. Clients that send a bare
// string (older Windows) are common, so a value that does not split exactly
// into entries is taken as one class, as dnsmasq does.
std::vector<std::string> user_classes_of(ByteView value) {
  std::vector<std::string> classes;
  size_t at = 0;
  while (at < value.size()) {
    const size_t len = value[at];
    if (len == 0 || len > value.size() - at - 1) {
      return {env_text(value)};
    }
    classes.push_back(env_text(value.subspan(at + 1, len)));
    at += 1 + len;
  }
  return classes;
}

bool counts(const std::optional<Lease>& l) {
  return l.has_value() && l->state == LeaseState::bound;
}

bool same_client(const Lease& a, const Lease& b) {
  if (a.ip.is_v6()) return a.client_id == b.client_id && a.iaid == b.iaid;  // DUID and IAID
  if (!a.client_id.empty() || !b.client_id.empty()) return a.client_id == b.client_id;
  return a.mac == b.mac;
}

ScriptCall make_call(ScriptAction action, const Lease& lease, const ScriptRequest* request,
                     const ScriptContext& ctx) {
  ScriptCall call;
  call.action = action;
  const bool v6 = lease.ip.is_v6();
  call.args = {std::string(to_string(action)),
               v6 ? to_hex_colon(lease.client_id) : lease.mac.to_string(), lease.ip.to_string()};
  if (!lease.hostname.empty()) call.args.push_back(lease.hostname);

  auto set = [&call](std::string_view name, std::string_view value) {
    call.env.push_back(std::string(name) + "=" + std::string(value));
  };
  if (!ctx.interface.empty()) set("DNSMASQ_INTERFACE", ctx.interface);
  set("DNSMASQ_LEASE_EXPIRES", std::to_string(lease.expires_at));
  set("DNSMASQ_TIME_REMAINING", std::to_string(std::max<int64_t>(0, lease.expires_at - ctx.now)));
  if (!lease.hostname.empty() && !ctx.domain.empty()) set("DNSMASQ_DOMAIN", ctx.domain);
  if (v6) {
    set("DNSMASQ_IAID", std::to_string(lease.iaid));
    if (!ctx.server_duid.empty()) set("DNSMASQ_SERVER_DUID", to_hex_colon(ctx.server_duid));
    if (lease.mac != MacAddress()) set("DNSMASQ_MAC", lease.mac.to_string());
  } else if (!lease.client_id.empty()) {
    set("DNSMASQ_CLIENT_ID", to_hex_colon(lease.client_id));
  }
  if (request == nullptr) return call;

  if (!request->supplied_hostname.empty()) {
    set("DNSMASQ_SUPPLIED_HOSTNAME", request->supplied_hostname);
  }
  if (!request->vendor_class.empty()) set("DNSMASQ_VENDOR_CLASS", request->vendor_class);
  for (size_t i = 0; i < request->user_classes.size(); ++i) {
    set("DNSMASQ_USER_CLASS" + std::to_string(i), request->user_classes[i]);
  }
  if (!request->requested_options.empty()) {
    std::string list;
    for (uint8_t code : request->requested_options) {
      if (!list.empty()) list += ',';
      list += std::to_string(code);
    }
    set("DNSMASQ_REQUESTED_OPTIONS", list);
  }
  if (!request->mud_url.empty()) set("DNSMASQ_MUD_URL", request->mud_url);
  if (request->relay) set("DNSMASQ_RELAY_ADDRESS", request->relay->to_string());
  // dnsmasq's tags of a transaction: the interface's name, and "known"
  // when a host entry (here: a reservation) matched.
  std::string tags = ctx.interface;
  if (request->known) tags += tags.empty() ? "known" : " known";
  if (!tags.empty()) set("DNSMASQ_TAGS", tags);
  return call;
}

}  // namespace

std::string_view to_string(ScriptAction a) {
  switch (a) {
    case ScriptAction::add:
      return "add";
    case ScriptAction::old:
      return "old";
    case ScriptAction::del:
      return "del";
  }
  return "?";
}

ScriptRequest script_request_of(const dhcp4::Message& msg) {
  ScriptRequest r;
  const dhcp4::OptionList& o = msg.options;
  if (const Bytes* name = o.get(dhcp4::opt::hostname)) {
    r.supplied_hostname = env_text(*name);
  } else if (const Bytes* fqdn = o.get(dhcp4::opt::client_fqdn)) {
    if (auto parsed = dhcp4::parse_client_fqdn(*fqdn)) {
      r.supplied_hostname = env_text(
          ByteView(reinterpret_cast<const uint8_t*>(parsed->name.data()), parsed->name.size()));
    }
  }
  if (const Bytes* v = o.get(dhcp4::opt::vendor_class)) r.vendor_class = env_text(*v);
  if (const Bytes* v = o.get(kUserClass)) r.user_classes = user_classes_of(*v);
  if (const Bytes* v = o.get(dhcp4::opt::parameter_request_list)) {
    r.requested_options.assign(v->begin(), v->end());
  }
  if (const Bytes* v = o.get(kMudUrl)) r.mud_url = env_text(*v);
  if (!msg.giaddr.is_unspecified()) r.relay = msg.giaddr;
  return r;
}

std::vector<ScriptCall> script_calls(const std::optional<Lease>& before,
                                     const std::optional<Lease>& after,
                                     const ScriptRequest* request, const ScriptContext& ctx) {
  const bool was = counts(before);
  const bool is = counts(after);
  std::vector<ScriptCall> calls;
  if (was && !is) {
    // The lease that went away, as it was, plus when it ended (released
    // and expired records carry the time the client lost it).
    Lease gone = *before;
    if (after) gone.expires_at = std::min(gone.expires_at, after->expires_at);
    calls.push_back(make_call(ScriptAction::del, gone, nullptr, ctx));
  } else if (!was && is) {
    calls.push_back(make_call(ScriptAction::add, *after, request, ctx));
  } else if (was && is) {
    if (!same_client(*before, *after)) {
      calls.push_back(make_call(ScriptAction::del, *before, nullptr, ctx));
      calls.push_back(make_call(ScriptAction::add, *after, request, ctx));
      return calls;
    }
    const bool renamed = before->hostname != after->hostname;
    const bool changed = renamed || before->mac != after->mac;
    const bool renewed = before->expires_at != after->expires_at;
    if (!changed && !(ctx.renewals && renewed)) return calls;
    ScriptCall call = make_call(ScriptAction::old, *after, request, ctx);
    // dnsmasq(8): a name that was removed is passed in DNSMASQ_OLD_HOSTNAME.
    if (renamed && !before->hostname.empty()) {
      call.env.push_back("DNSMASQ_OLD_HOSTNAME=" + before->hostname);
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

std::optional<ScriptCall> script_startup_call(const Lease& lease, const ScriptContext& ctx) {
  if (lease.state_at(ctx.now) != LeaseState::bound) return std::nullopt;
  ScriptContext quiet = ctx;
  quiet.interface.clear();  // dnsmasq(8): not set for "old" at start-up
  ScriptCall call = make_call(ScriptAction::old, lease, nullptr, quiet);
  call.env.push_back("DNSMASQ_DATA_MISSING=1");
  return call;
}

}  // namespace berth::leases
