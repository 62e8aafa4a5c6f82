#include "dhcp/dhcp6_service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "dhcp/dhcp4_service.hpp"
#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"
#include "protocol/option_domain.hpp"

namespace berth::dhcp {

using dhcp6::IaAddress;
using dhcp6::IaNa;
using dhcp6::Message;
using dhcp6::MessageType;
using dhcp6::StatusCode;
using leases::BindingKey;
using leases::Client6;
using leases::Lease;
using leases::LeaseChange;
using leases::LeaseState;
namespace opt = dhcp6::opt;

void Dhcp6Counters::drop(std::string_view reason) {
  auto it = dropped.find(reason);
  if (it == dropped.end()) it = dropped.emplace(std::string(reason), 0).first;
  ++it->second;
}

std::optional<std::string> reservation_problem(const leases::Reservation6& r,
                                               const Dhcp6Settings& bridge) {
  if (r.match == leases::MatchKind::hostname) {
    return std::string("a DHCPv6 reservation matches a DUID or a MAC, not a hostname");
  }
  if (r.match == leases::MatchKind::client_id && !dhcp6::parse_duid(r.duid)) {
    return fmt::format("{} is not a DUID", to_hex_colon(r.duid));
  }
  if (r.ip.is_unspecified() || r.ip.is_multicast() || !bridge.prefix.contains(r.ip)) {
    return fmt::format("{} is outside {}'s prefix {}", r.ip.to_string(), bridge.name,
                       bridge.prefix.to_string());
  }
  if (r.ip == bridge.prefix.address) {
    return fmt::format("{} is {}'s own address", r.ip.to_string(), bridge.name);
  }
  return std::nullopt;
}

// One message being answered, and what was read from it once.
struct Dhcp6Service::Context {
  const Message& msg;
  Ipv6Address source;
  int64_t now = 0;
  Bytes duid;  // the client id; empty for an INFORMATION-REQUEST without one
  std::optional<MacAddress> mac;
  std::string hostname;  // from the client FQDN option
  std::vector<IaNa> ias;

  Client6 client(uint32_t iaid) const { return Client6{.key = {duid, iaid}, .mac = mac}; }
};

namespace {

struct Lifetimes {
  uint32_t preferred, valid, t1, t2;
};

Lifetimes lifetimes(const Dhcp6Settings& s) {
  Lifetimes l{.preferred = std::min(s.preferred_lifetime, s.valid_lifetime),
              .valid = s.valid_lifetime,
              .t1 = s.t1,
              .t2 = s.t2};
  // RFC 8415 §21.4: 0.5 and 0.8 times the shortest preferred lifetime.
  if (l.t1 == 0) l.t1 = l.preferred / 2;
  if (l.t2 == 0) l.t2 = static_cast<uint32_t>(uint64_t{l.preferred} * 4 / 5);
  l.t1 = std::min(l.t1, l.t2);
  return l;
}

Bytes ia_with_status(uint32_t iaid, StatusCode code, std::string_view text) {
  IaNa ia{.iaid = iaid, .t1 = 0, .t2 = 0, .options = {}};
  ia.options.add(opt::status_code, dhcp6::encode_status(code, text));
  return dhcp6::encode_ia_na(ia);
}

// An IA_NA holding `ip` with the bridge's lifetimes, and the client's other
// addresses with lifetimes 0: no longer its to use (§18.3.4).
Bytes ia_with_address(uint32_t iaid, const Lifetimes& l, const Ipv6Address& ip,
                      const std::vector<IaAddress>& stale) {
  IaNa ia{.iaid = iaid, .t1 = l.t1, .t2 = l.t2, .options = {}};
  ia.options.add(opt::iaaddr, dhcp6::encode_ia_address({.address = ip,
                                                        .preferred_lifetime = l.preferred,
                                                        .valid_lifetime = l.valid,
                                                        .options = {}}));
  for (const IaAddress& a : stale) {
    if (a.address == ip) continue;
    ia.options.add(
        opt::iaaddr,
        dhcp6::encode_ia_address(
            {.address = a.address, .preferred_lifetime = 0, .valid_lifetime = 0, .options = {}}));
  }
  return dhcp6::encode_ia_na(ia);
}

std::vector<IaAddress> hints_of(const IaNa& ia) {
  auto a = dhcp6::ia_addresses(ia);
  return a ? std::move(*a) : std::vector<IaAddress>{};
}

// The addresses to return with lifetimes 0: the client's, and the one its
// binding just moved from, which it may still hold though it did not say.
std::vector<IaAddress> with_moved(std::vector<IaAddress> stale,
                                  const std::optional<Ipv6Address>& moved) {
  if (moved && std::none_of(stale.begin(), stale.end(),
                            [&](const IaAddress& a) { return a.address == *moved; })) {
    stale.push_back(
        IaAddress{.address = *moved, .preferred_lifetime = 0, .valid_lifetime = 0, .options = {}});
  }
  return stale;
}

// berth delegates no prefixes: each IA_PD is answered NoPrefixAvail
// (RFC 8415 §18.3.1, §18.3.2). IA_PD has IA_NA's layout.
void refuse_prefixes(const Message& msg, Message& reply) {
  for (ByteView pd : msg.options.all(opt::ia_pd)) {
    if (pd.size() < 12) continue;  // a parsed message has none such
    IaNa ia{.iaid = static_cast<uint32_t>(pd[0]) << 24 | static_cast<uint32_t>(pd[1]) << 16 |
                    static_cast<uint32_t>(pd[2]) << 8 | pd[3],
            .t1 = 0,
            .t2 = 0,
            .options = {}};
    ia.options.add(opt::status_code,
                   dhcp6::encode_status(StatusCode::no_prefix_avail, "no prefixes delegated"));
    reply.options.add(opt::ia_pd, dhcp6::encode_ia_na(ia));
  }
}

// RFC 4704 §4: flags, then the name in wire format (partial or whole).
std::string hostname_of(const Message& msg) {
  const Bytes* fqdn = msg.options.get(opt::client_fqdn);
  if (fqdn == nullptr || fqdn->empty()) return {};
  auto name = decode_fqdn_name(ByteView(*fqdn).subspan(1), /*wire_format=*/true);
  return name ? sanitize_hostname(*name) : std::string();
}

// RFC 8415 §16: what each message must and must not carry, as a drop
// reason; empty when the message is acceptable.
std::string_view check_identifiers(const Message& msg, const Bytes& our_duid) {
  const Bytes* client = msg.options.get(opt::client_id);
  const Bytes* server = msg.options.get(opt::server_id);
  if (client && !dhcp6::parse_duid(*client)) return "bad_client_id";
  switch (msg.type) {
    case MessageType::solicit:
    case MessageType::confirm:
    case MessageType::rebind:
      if (!client) return "no_client_id";
      if (server) return "unexpected_server_id";
      return {};
    case MessageType::request:
    case MessageType::renew:
    case MessageType::release:
    case MessageType::decline:
      if (!client) return "no_client_id";
      if (!server) return "no_server_id";
      if (*server != our_duid) return "other_server";
      return {};
    case MessageType::information_request:
      if (server && *server != our_duid) return "other_server";
      if (msg.options.has(opt::ia_na) || msg.options.has(opt::ia_ta) ||
          msg.options.has(opt::ia_pd)) {
        return "ia_in_information_request";
      }
      return {};
    default:
      return "not_for_server";  // ADVERTISE, REPLY, RECONFIGURE, relay messages
  }
}

std::string describe(const Dhcp6Settings& s, MessageType type, const Bytes& duid,
                     std::string_view what) {
  std::string line = fmt::format("DHCPv6 {}({})", to_string(type), s.name);
  if (!duid.empty()) line += " " + to_hex_colon(duid);
  if (!what.empty()) {
    line += " ";
    line += what;
  }
  return line;
}

}  // namespace

Dhcp6Service::Dhcp6Service(Bytes server_duid) : server_duid_(std::move(server_duid)) {}

size_t Dhcp6Service::add_bridge(Dhcp6Settings settings, const std::vector<Lease>& stored) {
  auto b = std::make_unique<Bridge>(
      Bridge{.settings = settings,
             .table = leases::LeaseTable6(settings.name, settings.pool_first, settings.pool_last),
             .retired = false});
  for (const Lease& l : stored) {
    if (l.bridge == settings.name && l.ip.is_v6()) b->table.put(l);
  }
  b->table.set_reservations(settings.reservations);
  bridges_.push_back(std::move(b));
  return bridges_.size() - 1;
}

void Dhcp6Service::remove_bridge(size_t bridge) {
  Bridge& b = *bridges_.at(bridge);
  b.retired = true;
  b.table = leases::LeaseTable6(b.settings.name, b.settings.pool_first, b.settings.pool_last);
}

bool Dhcp6Service::active(size_t bridge) const {
  return bridge < bridges_.size() && !bridges_[bridge]->retired;
}

void Dhcp6Service::set_reservations(size_t bridge, std::vector<leases::Reservation6> reservations) {
  Bridge& b = *bridges_.at(bridge);
  b.settings.reservations = reservations;
  b.table.set_reservations(std::move(reservations));
}

std::vector<Lease> Dhcp6Service::tick(int64_t now) {
  std::vector<Lease> expired;
  for (auto& b : bridges_) {
    if (b->retired) continue;
    b->table.expire_offers(now);
    auto e = b->table.expire_leases(now);
    expired.insert(expired.end(), e.begin(), e.end());
  }
  return expired;
}

Dhcp6Decision Dhcp6Service::handle(size_t bridge, const Message& msg, const Ipv6Address& source,
                                   int64_t now) {
  Dhcp6Decision d;
  const auto type = static_cast<size_t>(msg.type);
  if (type < counters_.received.size()) ++counters_.received[type];
  if (!active(bridge)) {
    d.drop_reason = "unknown_bridge";
  } else if (bridges_[bridge]->settings.mode == Dhcp6Mode::slaac) {
    d.drop_reason = "dhcpv6_disabled";
  } else {
    d.drop_reason = check_identifiers(msg, server_duid_);
  }
  if (d.drop_reason.empty() && msg.type != MessageType::information_request &&
      bridges_[bridge]->settings.mode != Dhcp6Mode::stateful) {
    d.drop_reason = "stateless_only";  // RFC 8415 §6.1: no addresses here
  }
  auto ias = dhcp6::ia_nas(msg.options);
  if (d.drop_reason.empty() && !ias) d.drop_reason = "bad_ia_na";
  if (!d.drop_reason.empty()) {
    counters_.drop(d.drop_reason);
    return d;
  }

  Context c{.msg = msg, .source = source, .now = now};
  if (const Bytes* id = msg.options.get(opt::client_id)) c.duid = *id;
  c.mac = mac_from_link_local(source);
  if (!c.mac) c.mac = dhcp6::duid_mac(c.duid);
  c.hostname = hostname_of(msg);
  c.ias = std::move(*ias);

  d = dispatch(*bridges_[bridge], c);
  if (d.reply) {
    const auto sent = static_cast<size_t>(d.reply->message.type);
    if (sent < counters_.sent.size()) ++counters_.sent[sent];
  } else if (!d.drop_reason.empty()) {
    counters_.drop(d.drop_reason);
  }
  return d;
}

Dhcp6Decision Dhcp6Service::dispatch(Bridge& b, Context& c) {
  switch (c.msg.type) {
    case MessageType::information_request:
      return information_request(b, c);
    case MessageType::solicit:
      return solicit(b, c);
    case MessageType::request:
      return request(b, c);
    case MessageType::renew:
    case MessageType::rebind:
      return renew(b, c);
    case MessageType::release:
      return release(b, c);
    case MessageType::decline:
      return decline(b, c);
    case MessageType::confirm:
      return confirm(b, c);
    default:
      return Dhcp6Decision{.drop_reason = "not_for_server"};
  }
}

void Dhcp6Service::apply(Bridge& b, Dhcp6Decision& d, LeaseChange change) {
  const Ipv6Address ip = change.lease.ip.v6();
  std::optional<Lease> before;
  if (change.kind == LeaseChange::Kind::erase) {
    before = b.table.erase(ip);
  } else {
    before = b.table.put(change.lease);
  }
  d.undo.emplace_back(ip, std::move(before));
  d.commit.push_back(std::move(change));
}

void Dhcp6Service::commit_failed(size_t bridge, const Dhcp6Decision& d) {
  ++counters_.commit_failed;
  if (bridge >= bridges_.size()) return;
  leases::LeaseTable6& table = bridges_[bridge]->table;
  for (auto it = d.undo.rbegin(); it != d.undo.rend(); ++it) {
    if (it->second) {
      table.put(*it->second);
    } else {
      table.erase(it->first);
    }
  }
}

std::optional<Ipv6Address> Dhcp6Service::bind(Bridge& b, Dhcp6Decision& d, const Context& c,
                                              uint32_t iaid, const Ipv6Address& ip) {
  const BindingKey key{c.duid, iaid};
  std::string hostname = c.hostname;
  if (const leases::Reservation6* r = b.table.reservation_at(ip); r && !r->name.empty()) {
    hostname = r->name;
  }
  std::optional<Ipv6Address> moved_from;
  if (const Lease* previous = b.table.find(key)) {
    if (hostname.empty()) hostname = previous->hostname;
    if (previous->ip.v6() != ip) {
      moved_from = previous->ip.v6();
      apply(b, d, LeaseChange::erase(*previous));
    }
  }
  b.table.drop_offers_of(key);
  Lease lease{.bridge = b.settings.name,
              .ip = ip,
              .mac = c.mac.value_or(MacAddress()),
              .client_id = c.duid,
              .hostname = std::move(hostname),
              .state = LeaseState::bound,
              .expires_at = c.now + lifetimes(b.settings).valid,
              .updated_at = c.now,
              .iaid = iaid};
  apply(b, d, LeaseChange::upsert(std::move(lease)));
  return moved_from;
}

Message Dhcp6Service::reply_to(const Context& c, MessageType type) const {
  Message m{.type = type, .transaction_id = c.msg.transaction_id, .options = {}};
  if (!c.duid.empty()) m.options.add(opt::client_id, c.duid);
  m.options.add(opt::server_id, server_duid_);
  return m;
}

void Dhcp6Service::finish(const Bridge& b, const Context& c, Message reply, Dhcp6Decision& d,
                          bool with_configuration, std::string_view what) const {
  const Dhcp6Settings& s = b.settings;
  // RFC 8415 §18.3: the options the client asked for (ORO); a client that
  // sent no ORO gets them all.
  auto wanted = [&](uint16_t code) {
    return !c.msg.options.has(opt::oro) || dhcp6::requests_option(c.msg.options, code);
  };
  if (with_configuration && !s.dns_servers.empty() && wanted(opt::dns_servers)) {
    reply.options.add(opt::dns_servers, dhcp6::encode_dns_servers(s.dns_servers));
  }
  if (with_configuration && !s.domains.empty() && wanted(opt::domain_search)) {
    if (auto list = dhcp6::encode_domain_list(s.domains)) {
      reply.options.add(opt::domain_search, std::move(*list));
    }
  }
  const MessageType type = reply.type;
  d.reply = Dhcp6Reply{.message = std::move(reply),
                       .destination = c.source,
                       .port = dhcp6::kClientPort,
                       .log_line = describe(s, type, c.duid, what)};
}

Dhcp6Decision Dhcp6Service::information_request(Bridge& b, Context& c) {
  Dhcp6Decision d;
  finish(b, c, reply_to(c, MessageType::reply), d, /*with_configuration=*/true,
         "to " + c.source.to_string());
  return d;
}

// RFC 8415 §18.3.1: an ADVERTISE, or with rapid commit (§21.14) a REPLY
// whose bindings are committed first. Each IA_NA gets an address or
// NoAddrsAvail; when none gets one, the answer is that status alone.
Dhcp6Decision Dhcp6Service::solicit(Bridge& b, Context& c) {
  Dhcp6Decision d;
  const bool rapid = b.settings.rapid_commit && c.msg.options.has(opt::rapid_commit);
  Message reply = reply_to(c, rapid ? MessageType::reply : MessageType::advertise);
  const Lifetimes l = lifetimes(b.settings);
  std::string given;
  for (const IaNa& ia : c.ias) {
    auto ip = b.table.allocate(c.client(ia.iaid), c.now);
    if (!ip) {
      ++counters_.pool_exhausted;
      reply.options.add(opt::ia_na, ia_with_status(ia.iaid, StatusCode::no_addrs_avail,
                                                   "no addresses available"));
      continue;
    }
    std::vector<IaAddress> stale;
    if (rapid) {
      stale = with_moved(stale, bind(b, d, c, ia.iaid, *ip));
    } else {
      b.table.put_offer(*ip, {c.duid, ia.iaid}, c.now + b.settings.offer_hold);
    }
    reply.options.add(opt::ia_na, ia_with_address(ia.iaid, l, *ip, stale));
    given += (given.empty() ? "" : " ") + ip->to_string();
  }
  if (given.empty()) {
    // Nothing to give (no IA_NA, or an exhausted pool): ADVERTISE with the
    // status only, even to a rapid-commit SOLICIT.
    Message none = reply_to(c, MessageType::advertise);
    none.options.add(opt::status_code,
                     dhcp6::encode_status(StatusCode::no_addrs_avail, "no addresses available"));
    finish(b, c, std::move(none), d, /*with_configuration=*/false, "no addresses available");
    return d;
  }
  refuse_prefixes(c.msg, reply);
  if (rapid) reply.options.add(opt::rapid_commit, Bytes{});
  finish(b, c, std::move(reply), d, /*with_configuration=*/true, given);
  return d;
}

// RFC 8415 §18.3.2: each IA_NA is bound to the address the allocator
// gives it (the ADVERTISE's, when the offer stands), or NoAddrsAvail.
Dhcp6Decision Dhcp6Service::request(Bridge& b, Context& c) {
  Dhcp6Decision d;
  Message reply = reply_to(c, MessageType::reply);
  const Lifetimes l = lifetimes(b.settings);
  std::string given;
  for (const IaNa& ia : c.ias) {
    auto ip = b.table.allocate(c.client(ia.iaid), c.now);
    if (!ip) {
      ++counters_.pool_exhausted;
      reply.options.add(opt::ia_na, ia_with_status(ia.iaid, StatusCode::no_addrs_avail,
                                                   "no addresses available"));
      continue;
    }
    const auto moved = bind(b, d, c, ia.iaid, *ip);
    reply.options.add(opt::ia_na,
                      ia_with_address(ia.iaid, l, *ip, with_moved(hints_of(ia), moved)));
    given += (given.empty() ? "" : " ") + ip->to_string();
  }
  if (c.ias.empty()) {
    reply.options.add(opt::status_code,
                      dhcp6::encode_status(StatusCode::no_addrs_avail, "no IA_NA in request"));
  }
  refuse_prefixes(c.msg, reply);
  finish(b, c, std::move(reply), d, /*with_configuration=*/true, given);
  return d;
}

// RFC 8415 §18.3.4 (RENEW) and §18.3.5 (REBIND). A binding found is
// extended, moved to the client's reservation if it has a new one; the
// client's other addresses come back with lifetimes 0. No binding: RENEW
// answers NoBinding; REBIND binds the client's address again when it may
// have it (a server that lost its table), else returns it with lifetimes 0.
Dhcp6Decision Dhcp6Service::renew(Bridge& b, Context& c) {
  Dhcp6Decision d;
  const bool rebind = c.msg.type == MessageType::rebind;
  Message reply = reply_to(c, MessageType::reply);
  const Lifetimes l = lifetimes(b.settings);
  std::string given;
  for (const IaNa& ia : c.ias) {
    const Client6 client = c.client(ia.iaid);
    const std::vector<IaAddress> hints = hints_of(ia);
    std::optional<Ipv6Address> ip;
    if (b.table.find(client.key) != nullptr) {
      ip = b.table.allocate(client, c.now);
    } else if (rebind) {
      for (const IaAddress& a : hints) {
        const leases::Reservation6* r = b.table.reservation_at(a.address);
        const bool ours =
            r != nullptr ? b.table.reservation_for(client) == r : b.table.in_pool(a.address);
        if (ours && !b.table.held_by_other(a.address, client, c.now)) {
          ip = a.address;
          break;
        }
      }
      if (!ip && hints.empty()) {
        reply.options.add(opt::ia_na,
                          ia_with_status(ia.iaid, StatusCode::no_binding, "no binding"));
        continue;
      }
    } else {
      reply.options.add(opt::ia_na, ia_with_status(ia.iaid, StatusCode::no_binding, "no binding"));
      continue;
    }
    if (!ip) {
      IaNa stale{.iaid = ia.iaid, .t1 = 0, .t2 = 0, .options = {}};
      for (const IaAddress& a : hints) {
        stale.options.add(opt::iaaddr, dhcp6::encode_ia_address({.address = a.address,
                                                                 .preferred_lifetime = 0,
                                                                 .valid_lifetime = 0,
                                                                 .options = {}}));
      }
      if (!rebind) {
        ++counters_.pool_exhausted;
        stale.options.add(opt::status_code, dhcp6::encode_status(StatusCode::no_addrs_avail,
                                                                 "no addresses available"));
      }
      reply.options.add(opt::ia_na, dhcp6::encode_ia_na(stale));
      continue;
    }
    const auto moved = bind(b, d, c, ia.iaid, *ip);
    reply.options.add(opt::ia_na, ia_with_address(ia.iaid, l, *ip, with_moved(hints, moved)));
    given += (given.empty() ? "" : " ") + ip->to_string();
  }
  finish(b, c, std::move(reply), d, /*with_configuration=*/true, given);
  return d;
}

// RFC 8415 §18.3.7 (RELEASE) and §18.3.8 (DECLINE): each address the
// client's IA holds is released, or quarantined; an IA with none of its
// addresses bound here is answered NoBinding. The REPLY says Success.
Dhcp6Decision Dhcp6Service::release(Bridge& b, Context& c) {
  Dhcp6Decision d;
  const bool declining = c.msg.type == MessageType::decline;
  Message reply = reply_to(c, MessageType::reply);
  std::string done;
  for (const IaNa& ia : c.ias) {
    const BindingKey key{c.duid, ia.iaid};
    bool any = false;
    for (const IaAddress& a : hints_of(ia)) {
      const Lease* l = b.table.at(a.address);
      const bool theirs =
          l != nullptr && BindingKey::of(*l) == key && l->state != LeaseState::declined;
      const bool offered = declining && b.table.offered_to(key, c.now) == a.address;
      if (!theirs && !offered) continue;
      Lease changed = theirs ? *l
                             : Lease{.bridge = b.settings.name,
                                     .ip = a.address,
                                     .mac = c.mac.value_or(MacAddress()),
                                     .client_id = c.duid,
                                     .iaid = ia.iaid};
      changed.state = declining ? LeaseState::declined : LeaseState::released;
      changed.expires_at = declining ? c.now + b.settings.decline_quarantine : c.now;
      changed.updated_at = c.now;
      if (declining) {
        changed.hostname.clear();
        b.table.drop_offer(a.address);
      }
      apply(b, d, LeaseChange::upsert(std::move(changed)));
      any = true;
      done += (done.empty() ? "" : " ") + a.address.to_string();
    }
    if (!any) {
      reply.options.add(opt::ia_na, ia_with_status(ia.iaid, StatusCode::no_binding, "no binding"));
    }
  }
  reply.options.add(
      opt::status_code,
      dhcp6::encode_status(StatusCode::success, declining ? "addresses quarantined" : "released"));
  if (declining && !done.empty()) {
    done += fmt::format(" in use on the link, quarantined for {} s", b.settings.decline_quarantine);
  }
  finish(b, c, std::move(reply), d, /*with_configuration=*/false, done);
  return d;
}

Dhcp6Decision Dhcp6Service::decline(Bridge& b, Context& c) { return release(b, c); }

// RFC 8415 §18.3.3: are the client's addresses on this link? A CONFIRM
// without addresses gets no answer.
Dhcp6Decision Dhcp6Service::confirm(Bridge& b, Context& c) {
  Dhcp6Decision d;
  size_t count = 0;
  bool on_link = true;
  for (const IaNa& ia : c.ias) {
    for (const IaAddress& a : hints_of(ia)) {
      ++count;
      on_link = on_link && b.settings.prefix.contains(a.address);
    }
  }
  if (count == 0) {
    d.drop_reason = "confirm_without_addresses";
    return d;
  }
  Message reply = reply_to(c, MessageType::reply);
  reply.options.add(opt::status_code,
                    on_link ? dhcp6::encode_status(StatusCode::success, "all addresses on link")
                            : dhcp6::encode_status(StatusCode::not_on_link, "not on link"));
  finish(b, c, std::move(reply), d, /*with_configuration=*/true,
         on_link ? "on link" : "not on link");
  return d;
}

}  // namespace berth::dhcp
