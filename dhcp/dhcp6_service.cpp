#include "dhcp/dhcp6_service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "dhcp/dhcp4_service.hpp"
#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"
#include "protocol/option_domain.hpp"

namespace berth::dhcp {

using dhcp6::IaNa;
using dhcp6::Message;
using dhcp6::MessageType;
using dhcp6::StatusCode;
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
};

namespace {

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
  if (d.drop_reason.empty() && msg.type != MessageType::information_request) {
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

  d = information_request(*bridges_[bridge], c);
  if (d.reply) {
    const auto sent = static_cast<size_t>(d.reply->message.type);
    if (sent < counters_.sent.size()) ++counters_.sent[sent];
  } else if (!d.drop_reason.empty()) {
    counters_.drop(d.drop_reason);
  }
  return d;
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

}  // namespace berth::dhcp
