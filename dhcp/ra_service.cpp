#include "dhcp/ra_service.hpp"

#include <algorithm>

#include "protocol/option_domain.hpp"

namespace berth::dhcp {
namespace {

using std::chrono::seconds;

constexpr seconds kMinMaxInterval{4};
constexpr seconds kMaxMaxInterval{1800};
constexpr seconds kMinOfMinInterval{3};
constexpr uint16_t kMaxRouterLifetime = 9000;
constexpr uint32_t kMinIpv6Mtu = 1280;  // RFC 8200 §5

// RFC 4862 §5.5.3 with RFC 4291 §2.5.1: interface identifiers are 64 bits,
// so hosts form addresses only in a /64.
constexpr uint8_t kSlaacPrefixLength = 64;

// RFC 8106 §5.1 and §5.2: by default at least 3 * MaxRtrAdvInterval, so
// that two lost RAs do not make hosts forget the server.
uint32_t dns_lifetime(const RaSettings& s) {
  return static_cast<uint32_t>(3 * s.max_interval.count());
}

Ipv6Prefix advertised_prefix(const RaSettings& s) {
  return Ipv6Prefix{s.prefix.network(), s.prefix.length};
}

}  // namespace

void RaCounters::drop(std::string_view reason) {
  auto it = dropped.find(reason);
  if (it == dropped.end()) {
    dropped.emplace(std::string(reason), 1);
  } else {
    ++it->second;
  }
}

std::optional<std::string> check_settings(const RaSettings& s) {
  if (s.max_interval < kMinMaxInterval || s.max_interval > kMaxMaxInterval) {
    return "ra interval must be 4 to 1800 seconds (RFC 4861 §6.2.1)";
  }
  if (s.router_lifetime != 0 &&
      (s.router_lifetime < s.max_interval.count() || s.router_lifetime > kMaxRouterLifetime)) {
    return "router lifetime must be 0 or from the ra interval to 9000 seconds (RFC 4861 §6.2.1)";
  }
  if (s.prefix.length > 128) return "prefix length over 128";
  const Ipv6Address network = s.prefix.network();
  if (network.is_link_local() || network.is_multicast() || network.is_unspecified()) {
    return "the advertised prefix must be global or unique local";
  }
  if (s.mode != RaMode::stateful && s.prefix.length != kSlaacPrefixLength) {
    return "SLAAC needs a /64 prefix (RFC 4862 §5.5.3); use mode stateful for another length";
  }
  if (s.dns && s.prefix.address == network) {
    return "the bridge address is the prefix's network address, which cannot be the DNS server";
  }
  if (s.preferred_lifetime > s.valid_lifetime) {
    return "preferred lifetime longer than valid lifetime (RFC 4862 §5.5.3)";
  }
  if (s.mtu && *s.mtu < kMinIpv6Mtu) return "MTU under 1280 (RFC 8200 §5)";
  Bytes wire;
  if (!s.domain.empty() && !append_wire_name(s.domain, wire)) {
    return "domain is not a DNS name the search list can carry";
  }
  if (s.mac.is_zero()) return "bridge MAC address unknown";
  return std::nullopt;
}

RaTime min_interval(const RaSettings& s) {
  const RaTime max = s.max_interval;
  return std::max<RaTime>(kMinOfMinInterval, max * 33 / 100);
}

RaService::RaService(RaSettings settings, uint64_t seed)
    : settings_(std::move(settings)), random_(seed) {}

RaTime RaService::random_between(RaTime low, RaTime high) {
  std::uniform_int_distribution<int64_t> pick(low.count(), high.count());
  return RaTime(pick(random_));
}

void RaService::start(RaTime now) {
  state_ = State::running;
  initial_left_ = kMaxInitialRtrAdvertisements;
  solicited_at_.reset();
  next_unsolicited_ = now;
  // Started again after a stop: still keep multicast RAs 3 s apart.
  if (last_multicast_) next_unsolicited_ = std::max(now, *last_multicast_ + kMinDelayBetweenRas);
}

void RaService::update(RaSettings settings, RaTime now) {
  const ndp::RouterAdvertisement before = advertisement();
  const Ipv6Prefix old_prefix = advertised_prefix(settings_);
  settings_ = std::move(settings);
  const Ipv6Prefix new_prefix = advertised_prefix(settings_);
  std::erase_if(withdrawn_, [&](const Withdrawn& w) { return w.prefix == new_prefix; });
  if (old_prefix != new_prefix) {
    withdrawn_.push_back(Withdrawn{old_prefix, kMaxInitialRtrAdvertisements});
  }
  if (advertisement() == before || state_ != State::running) return;
  initial_left_ = kMaxInitialRtrAdvertisements;
  RaTime at = now;
  if (last_multicast_) at = std::max(at, *last_multicast_ + kMinDelayBetweenRas);
  next_unsolicited_ = std::min(next_unsolicited_, at);
}

SolicitationOutcome RaService::on_solicitation(ByteView message, uint8_t hop_limit,
                                               const Ipv6Address& source, RaTime now) {
  if (state_ != State::running) return {};
  auto rs = ndp::validate_router_solicitation(message, hop_limit, source);
  if (!rs) {
    const std::optional<ndp::Invalid> reason = ndp::invalid_reason(rs.error());
    counters_.drop(reason ? to_string(*reason) : std::string_view("malformed"));
    return SolicitationOutcome{.invalid = reason, .what = rs.error().what};
  }
  ++counters_.solicitations;
  // RFC 4861 §6.2.6. An answer already scheduled is multicast, so it
  // answers this host as well.
  if (solicited_at_) {
    ++counters_.solicitations_coalesced;
    return SolicitationOutcome{.answer_at = solicited_at_};
  }
  const RaTime delay = random_between(RaTime(0), kMaxRaDelayTime);
  RaTime at = now + delay;
  // Rate limit: no multicast RA within MIN_DELAY_BETWEEN_RAS of the last.
  if (last_multicast_ && now < *last_multicast_ + kMinDelayBetweenRas) {
    at = *last_multicast_ + kMinDelayBetweenRas + delay;
  }
  if (at >= next_unsolicited_) {
    ++counters_.solicitations_coalesced;
    return SolicitationOutcome{.answer_at = next_unsolicited_};
  }
  solicited_at_ = at;
  return SolicitationOutcome{.answer_at = at};
}

std::optional<RaTime> RaService::next_wakeup() const {
  if (state_ != State::running) return std::nullopt;
  if (solicited_at_) return std::min(*solicited_at_, next_unsolicited_);
  return next_unsolicited_;
}

void RaService::schedule_unsolicited(RaTime now) {
  RaTime interval = random_between(min_interval(settings_), settings_.max_interval);
  // RFC 4861 §6.2.4: the first few RAs come faster, so that a host that
  // missed one (or was not up yet) learns of the router soon.
  if (initial_left_ > 0) interval = std::min(interval, kMaxInitialRtrAdvertInterval);
  next_unsolicited_ = now + interval;
}

std::optional<Advertisement> RaService::poll(RaTime now) {
  if (state_ != State::running) return std::nullopt;
  const bool unsolicited_due = next_unsolicited_ <= now;
  const bool solicited_due = solicited_at_ && *solicited_at_ <= now;
  if (!unsolicited_due && !solicited_due) return std::nullopt;
  Advertisement a{.message = advertisement(),
                  .kind = unsolicited_due ? RaKind::unsolicited : RaKind::solicited};
  // Every multicast RA answers every RS waiting, and resets the timer
  // (RFC 4861 §6.2.4).
  solicited_at_.reset();
  last_multicast_ = now;
  if (initial_left_ > 0) --initial_left_;
  schedule_unsolicited(now);
  for (Withdrawn& w : withdrawn_) --w.remaining;
  std::erase_if(withdrawn_, [](const Withdrawn& w) { return w.remaining <= 0; });
  return a;
}

Advertisement RaService::stop() {
  state_ = State::stopped;
  solicited_at_.reset();
  return Advertisement{.message = advertisement_for_stop(), .kind = RaKind::final};
}

ndp::RouterAdvertisement RaService::advertisement_for_stop() const {
  ndp::RouterAdvertisement ra = advertisement();
  // RFC 4861 §6.2.5: hosts drop us as a default router at once.
  ra.router_lifetime = 0;
  // berth's DNS server stops with it (RFC 8106 §5.1: lifetime 0 means the
  // address must no longer be used), as radvd does (tests/data/ndp).
  for (ndp::Rdnss& d : ra.rdnss) d.lifetime = 0;
  for (ndp::Dnssl& d : ra.dnssl) d.lifetime = 0;
  // The prefixes keep their lifetimes. §6.2.5 asks only for the router
  // lifetime; a stop is most often a restart or an upgrade, and a valid
  // lifetime of 0 would make every container's address expire two hours
  // later (RFC 4862 §5.5.3 e: hosts clamp it to two hours, not to 0), a
  // preferred lifetime of 0 would deprecate them at once, with nothing
  // better to move to. A removed bridge takes its link, and its hosts'
  // interest in the prefix, with it. radvd does the same (tests/data/ndp).
  return ra;
}

ndp::RouterAdvertisement RaService::advertisement() const {
  const RaSettings& s = settings_;
  ndp::RouterAdvertisement ra{
      .cur_hop_limit = s.cur_hop_limit,
      .managed = s.mode == RaMode::stateful,
      .other = s.mode != RaMode::slaac,
      .router_lifetime = s.router_lifetime,
      .source_link_layer = ndp::LinkLayerAddress::from_mac(s.mac),
      .mtu = s.mtu,
  };
  ra.prefixes.push_back(ndp::PrefixInformation{.prefix = advertised_prefix(s),
                                               .on_link = true,
                                               .autonomous = s.mode != RaMode::stateful,
                                               .valid_lifetime = s.valid_lifetime,
                                               .preferred_lifetime = s.preferred_lifetime});
  // A prefix no longer ours is advertised with lifetimes 0 for a few RAs,
  // so hosts stop using addresses in it (the problem RFC 8978 describes).
  for (const Withdrawn& w : withdrawn_) {
    ra.prefixes.push_back(ndp::PrefixInformation{.prefix = w.prefix,
                                                 .on_link = true,
                                                 .autonomous = true,
                                                 .valid_lifetime = 0,
                                                 .preferred_lifetime = 0});
  }
  if (s.dns)
    ra.rdnss.push_back(ndp::Rdnss{.lifetime = dns_lifetime(s), .servers = {s.prefix.address}});
  if (!s.domain.empty()) {
    ra.dnssl.push_back(ndp::Dnssl{.lifetime = dns_lifetime(s), .domains = {s.domain}});
  }
  return ra;
}

}  // namespace berth::dhcp
