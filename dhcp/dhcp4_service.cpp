#include "dhcp/dhcp4_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "dhcp/boot.hpp"
#include "dhcp/dhcp4_options.hpp"

namespace berth::dhcp {

using dhcp4::Message;
using dhcp4::MessageType;
using leases::ClientKey;
using leases::Lease;
using leases::LeaseChange;
using leases::LeaseState;
namespace opt = dhcp4::opt;

void DhcpCounters::drop(std::string_view reason) {
  auto it = dropped.find(reason);
  if (it == dropped.end()) it = dropped.emplace(std::string(reason), 0).first;
  ++it->second;
}

std::string sanitize_hostname(std::string_view raw) {
  raw = raw.substr(0, raw.find('.'));
  std::string out;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      out.push_back(c);
    } else if (c == '_' || c == ' ') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::optional<std::string> reservation_problem(const leases::Reservation& r,
                                               const BridgeSettings& bridge) {
  const Ipv4Prefix& net = bridge.address;
  if (!net.contains(r.ip)) {
    return fmt::format("{} is outside {}'s subnet {}", r.ip.to_string(), bridge.name,
                       net.to_string());
  }
  if (r.ip == net.address)
    return fmt::format("{} is {}'s own address", r.ip.to_string(), bridge.name);
  if (r.ip == net.network() || r.ip == net.broadcast()) {
    return fmt::format("{} is the network or broadcast address of {}", r.ip.to_string(),
                       net.to_string());
  }
  return std::nullopt;
}

namespace {

std::string hostname_of(const Message& msg) {
  if (auto h = msg.options.get_text(opt::hostname)) return sanitize_hostname(*h);
  if (const Bytes* f = msg.options.get(opt::client_fqdn)) {
    auto fqdn = dhcp4::parse_client_fqdn(*f);
    if (fqdn.ok()) return sanitize_hostname(fqdn->name);
  }
  return {};
}

std::string describe(const BridgeSettings& s, MessageType type, Ipv4Address ip, const Message& msg,
                     std::string_view extra) {
  // One allocation: a line is made for every reply, logged or not.
  std::string line;
  line.reserve(64 + s.name.size() + extra.size());
  line += to_string(type);
  line += '(';
  line += s.name;
  line += ')';
  if (!ip.is_unspecified()) {
    line += ' ';
    line += ip.to_string();
  }
  line += ' ';
  line += msg.mac().to_string();
  if (!extra.empty()) {
    line += ' ';
    line += extra;
  }
  return line;
}

}  // namespace

ClientKey Dhcp4Service::client_of(const Bridge& b, const Message& msg) const {
  ClientKey key{.mac = msg.mac(), .client_id = {}, .hostname = {}};
  if (!b.settings.ignore_client_id) {
    if (const Bytes* id = msg.options.get(opt::client_identifier)) key.client_id = *id;
  }
  if (auto h = msg.options.get_text(opt::hostname)) key.hostname = *h;
  return key;
}

size_t Dhcp4Service::add_bridge(BridgeSettings settings, const std::vector<Lease>& stored) {
  auto b = std::make_unique<Bridge>(
      Bridge{.settings = settings,
             .table = leases::LeaseTable(settings.name, settings.pool_first, settings.pool_last)});
  b->table.set_pools(settings.pool_class, settings.more_pools);
  for (const Lease& l : stored) {
    if (l.bridge == settings.name && l.ip.is_v4() && settings.address.contains(l.ip.v4())) {
      b->table.put(l);
    }
  }
  bridges_.push_back(std::move(b));
  return bridges_.size() - 1;
}

void Dhcp4Service::remove_bridge(size_t bridge) {
  Bridge& b = *bridges_.at(bridge);
  b.retired = true;
  b.table = leases::LeaseTable(b.settings.name, b.settings.pool_first, b.settings.pool_last);
}

std::optional<size_t> Dhcp4Service::bridge_for_relay(Ipv4Address giaddr) const {
  for (size_t i = 0; i < bridges_.size(); ++i) {
    if (!bridges_[i]->retired && bridges_[i]->settings.address.contains(giaddr)) return i;
  }
  return std::nullopt;
}

void Dhcp4Service::set_reservations(size_t bridge, std::vector<leases::Reservation> reservations) {
  bridges_.at(bridge)->table.set_reservations(std::move(reservations));
}

Decision Dhcp4Service::forget(size_t bridge, Ipv4Address ip) {
  Decision d;
  Bridge& b = *bridges_.at(bridge);
  b.table.drop_offer(ip);
  if (const std::optional<Lease> l = b.table.at(ip)) {
    Lease gone = *l;
    apply(b, d, LeaseChange::erase(std::move(gone)));
  }
  return d;
}

void Dhcp4Service::update_settings(size_t bridge, const BridgeSettings& settings) {
  Bridge& b = *bridges_.at(bridge);
  BridgeSettings next = settings;
  next.address = b.settings.address;
  next.pool_first = b.settings.pool_first;
  next.pool_last = b.settings.pool_last;
  next.pool_class = b.settings.pool_class;
  next.more_pools = b.settings.more_pools;
  b.settings = std::move(next);
}

void Dhcp4Service::add_reservation(size_t bridge, leases::Reservation r) {
  bridges_.at(bridge)->table.add_reservation(std::move(r));
}

std::vector<Lease> Dhcp4Service::tick(int64_t now) {
  std::vector<Lease> expired;
  for (auto& b : bridges_) {
    if (b->retired) continue;
    b->table.expire_offers(now);
    auto e = b->table.expire_leases(now);
    expired.insert(expired.end(), e.begin(), e.end());
  }
  return expired;
}

Decision Dhcp4Service::handle(size_t bridge, const Message& msg, int64_t now) {
  Decision d;
  auto type = msg.type();
  if (msg.op != dhcp4::Op::request) {
    d.drop_reason = "not_bootrequest";
  } else if (msg.htype != 1 || msg.hlen != 6) {
    d.drop_reason = "hardware_type";
  } else if (!type) {
    d.drop_reason = "bootp";  // no option 53: plain BOOTP, not served
  } else if (!active(bridge)) {
    d.drop_reason = "unknown_bridge";
  }
  if (!d.drop_reason.empty()) {
    counters_.drop(d.drop_reason);
    return d;
  }
  auto t = static_cast<size_t>(*type);
  if (t < counters_.received.size()) ++counters_.received[t];

  Bridge& b = *bridges_[bridge];
  switch (*type) {
    case MessageType::discover:
      d = discover(b, msg, now);
      break;
    case MessageType::request:
      d = request(b, msg, now);
      break;
    case MessageType::release:
      d = release(b, msg, now);
      break;
    case MessageType::decline:
      d = decline(b, msg, now);
      break;
    case MessageType::inform:
      d = inform(b, msg);
      break;
    default:
      d.drop_reason = "unexpected_type";
      break;
  }
  if (!d.reply && !d.drop_reason.empty()) counters_.drop(d.drop_reason);
  if (d.reply) {
    if (auto rt = d.reply->message.type()) {
      auto i = static_cast<size_t>(*rt);
      if (i < counters_.sent.size()) ++counters_.sent[i];
    }
  }
  return d;
}

void Dhcp4Service::apply(Bridge& b, Decision& d, LeaseChange change) {
  const Ipv4Address ip = change.lease.ip.v4();
  std::optional<Lease> before;
  if (change.kind == LeaseChange::Kind::erase) {
    before = b.table.erase(ip);
  } else {
    before = b.table.put(change.lease);
  }
  d.undo.emplace_back(ip, std::move(before));
  d.commit.push_back(std::move(change));
}

void Dhcp4Service::commit_failed(size_t bridge, const Decision& d) {
  ++counters_.commit_failed;
  if (bridge >= bridges_.size()) return;
  leases::LeaseTable& table = bridges_[bridge]->table;
  for (auto it = d.undo.rbegin(); it != d.undo.rend(); ++it) {
    if (it->second) {
      table.put(*it->second);
    } else {
      table.erase(it->first);
    }
  }
}

Reply Dhcp4Service::make_reply(const Bridge& b, const Message& msg, MessageType type,
                               Ipv4Address yiaddr) const {
  const BridgeSettings& s = b.settings;
  Reply r;
  Message& m = r.message;
  m.op = dhcp4::Op::reply;
  m.htype = msg.htype;
  m.hlen = msg.hlen;
  m.xid = msg.xid;
  m.flags = msg.flags;
  m.giaddr = msg.giaddr;
  m.chaddr = msg.chaddr;
  m.yiaddr = yiaddr;
  // RFC 2131 Table 3: ciaddr is echoed in an ACK (RENEWING, INFORM), else 0.
  if (type == MessageType::ack) m.ciaddr = msg.ciaddr;

  m.set_type(type);
  m.options.set_ipv4(opt::server_identifier, s.address.address);
  if (type == MessageType::nak) {
    m.options.set_text(opt::message, "address not available");
  } else {
    const bool inform = type == MessageType::ack && yiaddr.is_unspecified();
    if (!inform) m.options.set_u32(opt::lease_time, s.lease_time);

    // Only what the client asked for (option 55), in the order it asked;
    // a client without a list gets the basics.
    static constexpr uint8_t kDefaultList[] = {opt::subnet_mask,       opt::router,
                                               opt::dns_servers,       opt::domain_name,
                                               opt::broadcast_address, opt::interface_mtu};
    ByteView wanted(kDefaultList);
    const Bytes* prl = msg.options.get(opt::parameter_request_list);
    if (prl) wanted = *prl;
    for (uint8_t code : wanted) {
      if (m.options.has(code)) continue;
      switch (code) {
        case opt::subnet_mask:
          m.options.set_ipv4(code, s.address.mask());
          break;
        case opt::router:
          m.options.set_ipv4(code, s.address.address);
          break;
        case opt::dns_servers:
          m.options.set_ipv4(code, s.address.address);
          break;
        case opt::domain_name:
          if (!s.domain.empty()) m.options.set_text(code, s.domain);
          break;
        case opt::broadcast_address:
          m.options.set_ipv4(code, s.address.broadcast());
          break;
        case opt::interface_mtu:
          if (s.mtu) m.options.set_u16(code, *s.mtu);
          break;
        case opt::renewal_time:
          if (!inform) m.options.set_u32(code, s.lease_time / 2);
          break;
        case opt::rebinding_time:
          if (!inform)
            m.options.set_u32(code, static_cast<uint32_t>(uint64_t{s.lease_time} * 7 / 8));
          break;
        default:
          break;
      }
    }
    add_boot_fields(s.boot, s.address.address, msg, m);
    add_configured_options(s.options, msg, wanted, b.table.reserved_options_for(client_of(b, msg)),
                           s.address.address, m.options);
  }
  // RFC 6842: echo the client identifier; RFC 3046 §2.2: echo relay agent
  // information, last.
  if (const Bytes* id = msg.options.get(opt::client_identifier))
    m.options.set(opt::client_identifier, *id);
  if (const Bytes* rai = msg.options.get(opt::relay_agent_information)) {
    m.options.set(opt::relay_agent_information, *rai);
  }

  // RFC 2131 §4.1: where the reply goes.
  if (!msg.giaddr.is_unspecified()) {
    r.delivery = Delivery::relay;
    r.dst_ip = msg.giaddr;
    r.dst_port = dhcp4::kServerPort;
    if (type == MessageType::nak) m.flags |= dhcp4::kFlagBroadcast;
  } else if (type == MessageType::nak) {
    r.delivery = Delivery::broadcast;
  } else if (!msg.ciaddr.is_unspecified()) {
    r.delivery = Delivery::unicast_ciaddr;
    r.dst_ip = msg.ciaddr;
    r.dst_mac = msg.mac();
  } else if (msg.broadcast_flag()) {
    r.delivery = Delivery::broadcast;
  } else {
    r.delivery = Delivery::unicast_chaddr;
    r.dst_ip = yiaddr;
    r.dst_mac = msg.mac();
  }
  if (r.delivery == Delivery::broadcast) {
    r.dst_ip = Ipv4Address::broadcast();
    r.dst_mac = MacAddress::broadcast();
  }
  // Option 57 counts the whole IP datagram the client accepts.
  if (auto max = msg.options.get_u16(opt::max_message_size); max && *max > 28) {
    r.max_size = std::clamp<size_t>(size_t{*max} - 28, dhcp4::kDefaultMaxMessageSize, 1472);
  }
  return r;
}

Decision Dhcp4Service::discover(Bridge& b, const Message& msg, int64_t now) {
  Decision d;
  ClientKey key = client_of(b, msg);
  auto ip = b.table.allocate(key, msg.options.get_ipv4(opt::requested_address), now,
                             client_classes(b.settings.options, msg));
  if (!ip) {
    ++counters_.pool_exhausted;
    if (now - b.last_exhausted_warning >= 60) {
      b.last_exhausted_warning = now;
      spdlog::warn("DHCPDISCOVER({}) {} no address available, pool {}-{} is exhausted",
                   b.settings.name, msg.mac().to_string(), b.settings.pool_first.to_string(),
                   b.settings.pool_last.to_string());
    }
    d.drop_reason = "pool_exhausted";
    return d;
  }
  if (b.settings.rapid_commit && msg.options.has(opt::rapid_commit)) {
    // RFC 4039 §4: commit and ACK at once, with option 80 in the ACK.
    d = ack(b, msg, *ip, now);
    d.reply->message.options.set(opt::rapid_commit, Bytes{});
    return d;
  }
  b.table.put_offer(*ip, key, now + b.settings.offer_hold);
  d.reply = make_reply(b, msg, MessageType::offer, *ip);
  d.reply->log_line = describe(b.settings, MessageType::offer, *ip, msg, hostname_of(msg));
  return d;
}

Decision Dhcp4Service::request(Bridge& b, const Message& msg, int64_t now) {
  ClientKey key = client_of(b, msg);
  auto server_id = msg.options.get_ipv4(opt::server_identifier);
  auto requested = msg.options.get_ipv4(opt::requested_address);
  const BridgeSettings& s = b.settings;

  if (server_id) {
    // SELECTING (§4.3.2): the client answers one server's offer.
    if (*server_id != s.address.address) {
      b.table.drop_offers_of(key);  // it chose another server
      spdlog::info("{}", describe(s, MessageType::request, requested.value_or(Ipv4Address()), msg,
                                  "chose server " + server_id->to_string()));
      return Decision{.drop_reason = "other_server"};
    }
    if (!requested) return nak(b, msg, "no requested address in SELECTING");
    // The offer stands only while the client is still who it was offered to:
    // a REQUEST that now matches a reservation elsewhere (a hostname sent in
    // one message but not the other), or no longer matches the reservation
    // the address was offered for, is NAKed and comes back through DISCOVER.
    const std::optional<Ipv4Address> r = b.table.reserved_address_for(key);
    const bool reserved_elsewhere = r && *r != *requested && !b.table.held_by_other(*r, key, now);
    if (b.table.offered_to(key, now) == requested && !b.table.held_by_other(*requested, key, now) &&
        !reserved_elsewhere) {
      return ack(b, msg, *requested, now);
    }
    // The offer timed out: still fine if the address is free for this client.
    const bool reserved_here = r && *r == *requested;
    if ((reserved_here || (!r && b.table.in_pool(*requested, client_classes(s.options, msg)))) &&
        !b.table.held_by_other(*requested, key, now)) {
      return ack(b, msg, *requested, now);
    }
    return nak(b, msg, "address not offered to this client");
  }

  // INIT-REBOOT asks for `requested`; RENEWING/REBINDING hold ciaddr.
  Ipv4Address ip;
  if (msg.ciaddr.is_unspecified()) {
    if (!requested) return Decision{.drop_reason = "request_without_address"};
    ip = *requested;
  } else {
    ip = msg.ciaddr;
  }
  // Not authoritative: say nothing about clients this server has no record of.
  const std::optional<leases::Lease> known = b.table.at(ip);
  if (!s.authoritative && !(known && key.matches(*known))) {
    return Decision{.drop_reason = "not_authoritative"};
  }
  if (!s.address.contains(ip)) return nak(b, msg, "wrong network");
  if (b.table.held_by_other(ip, key, now)) return nak(b, msg, "address held by another client");
  const std::optional<Ipv4Address> r = b.table.reserved_address_for(key);
  if (r && *r != ip && !b.table.held_by_other(*r, key, now)) {
    // The client has a reservation elsewhere: NAK so it comes back through
    // DISCOVER and is offered its reserved address.
    return nak(b, msg, "client has a reservation for " + r->to_string());
  }
  if (!b.table.in_pool(ip, client_classes(s.options, msg)) && r != ip) {
    return nak(b, msg, "address outside the pool");
  }
  // Ours, free or the client's own: ACK it.
  return ack(b, msg, ip, now);
}

Decision Dhcp4Service::ack(Bridge& b, const Message& msg, Ipv4Address ip, int64_t now) {
  Decision d;
  ClientKey key = client_of(b, msg);
  const std::optional<Lease> previous = b.table.find(key);
  std::string hostname = hostname_of(msg);
  if (hostname.empty() && previous) hostname = previous->hostname;
  if (previous && previous->ip != ip) apply(b, d, LeaseChange::erase(*previous));
  b.table.drop_offers_of(key);
  Lease lease{.bridge = b.settings.name,
              .ip = ip,
              .mac = key.mac,
              .client_id = key.client_id,
              .hostname = hostname,
              .state = LeaseState::bound,
              .expires_at = now + b.settings.lease_time,
              .updated_at = now};
  apply(b, d, LeaseChange::upsert(lease));
  d.reply = make_reply(b, msg, MessageType::ack, ip);
  d.reply->log_line = describe(b.settings, MessageType::ack, ip, msg, hostname);
  return d;
}

Decision Dhcp4Service::nak(Bridge& b, const Message& msg, std::string_view why) {
  Decision d;
  Ipv4Address asked = msg.options.get_ipv4(opt::requested_address).value_or(msg.ciaddr);
  d.reply = make_reply(b, msg, MessageType::nak, Ipv4Address());
  d.reply->log_line = describe(b.settings, MessageType::nak, asked, msg, why);
  return d;
}

Decision Dhcp4Service::release(Bridge& b, const Message& msg, int64_t now) {
  Decision d;
  auto server_id = msg.options.get_ipv4(opt::server_identifier);
  if (server_id && *server_id != b.settings.address.address) {
    d.drop_reason = "other_server";
    return d;
  }
  ClientKey key = client_of(b, msg);
  const std::optional<Lease> l = b.table.at(msg.ciaddr);
  if (!l || !key.matches(*l) || l->state_at(now) != LeaseState::bound) {
    d.drop_reason = "release_unknown_lease";
    return d;
  }
  Lease released = *l;
  released.state = LeaseState::released;
  released.expires_at = now;
  released.updated_at = now;
  // `l` points into the table, which apply() changes: log from the copy.
  spdlog::info("{}",
               describe(b.settings, MessageType::release, msg.ciaddr, msg, released.hostname));
  apply(b, d, LeaseChange::upsert(released));
  return d;
}

Decision Dhcp4Service::decline(Bridge& b, const Message& msg, int64_t now) {
  Decision d;
  auto server_id = msg.options.get_ipv4(opt::server_identifier);
  auto ip = msg.options.get_ipv4(opt::requested_address);
  if ((server_id && *server_id != b.settings.address.address) || !ip) {
    d.drop_reason = server_id ? "other_server" : "decline_without_address";
    return d;
  }
  ClientKey key = client_of(b, msg);
  const std::optional<Lease> l = b.table.at(*ip);
  bool theirs = (l && key.matches(*l)) || b.table.offered_to(key, now) == ip;
  if (!theirs) {
    d.drop_reason = "decline_unknown_lease";
    return d;
  }
  b.table.drop_offer(*ip);
  Lease quarantined{.bridge = b.settings.name,
                    .ip = *ip,
                    .mac = key.mac,
                    .client_id = key.client_id,
                    .hostname = {},
                    .state = LeaseState::declined,
                    .expires_at = now + b.settings.decline_quarantine,
                    .updated_at = now};
  apply(b, d, LeaseChange::upsert(quarantined));
  spdlog::warn("{}", describe(b.settings, MessageType::decline, *ip, msg,
                              fmt::format("address in use on the link, quarantined for {} s",
                                          b.settings.decline_quarantine)));
  return d;
}

Decision Dhcp4Service::inform(Bridge& b, const Message& msg) {
  Decision d;
  if (msg.ciaddr.is_unspecified()) {
    d.drop_reason = "inform_without_ciaddr";
    return d;
  }
  d.reply = make_reply(b, msg, MessageType::ack, Ipv4Address());
  d.reply->log_line = describe(b.settings, MessageType::inform, msg.ciaddr, msg, "");
  return d;
}

}  // namespace berth::dhcp
