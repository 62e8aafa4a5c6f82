// Router advertisement decisions for one bridge (RFC 4861 §6.2, RFC 4862,
// RFC 8106): what the RA says, when the next unsolicited one is due, when
// a Router Solicitation is answered, and the final RA. No sockets and no
// clock: the caller passes `now` (a monotonic clock) and the seed of the
// random delays, so tests are deterministic.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"
#include "protocol/ndp.hpp"

namespace berth::dhcp {

// Milliseconds of a monotonic clock since an arbitrary start.
using RaTime = std::chrono::milliseconds;

// How hosts on the bridge get their addresses: the config's ipv6_mode, one
// enum for the config, the RA and the DHCPv6 engines.
using RaMode = config::Ipv6Mode;

// RFC 4861 §10 (router constants).
inline constexpr int kMaxInitialRtrAdvertisements = 3;
inline constexpr RaTime kMaxInitialRtrAdvertInterval{16'000};
inline constexpr RaTime kMaxRaDelayTime{500};
inline constexpr RaTime kMinDelayBetweenRas{3'000};

struct RaSettings {
  // The bridge's IPv6 address with its prefix length ("fd42::1/64"): the
  // prefix advertised is its network; the address is the DNS server (RDNSS)
  // when `dns` is set, since berth's DNS listens there.
  Ipv6Prefix prefix;
  RaMode mode = RaMode::slaac;
  std::optional<uint32_t> mtu;  // the MTU option, when set
  bool dns = true;
  std::string domain;  // DNSSL when not empty (the bridge's domain)
  MacAddress mac;      // the bridge's: the source link-layer address option
  // AdvDefaultLifetime (RFC 4861 §6.2.1): 0 or MaxRtrAdvInterval..9000 s.
  uint16_t router_lifetime = 1800;
  // MaxRtrAdvInterval, 4..1800 s; MinRtrAdvInterval is derived from it.
  std::chrono::seconds max_interval{600};
  // AdvValidLifetime and AdvPreferredLifetime's defaults (RFC 4861 §6.2.1).
  uint32_t valid_lifetime = 2'592'000;
  uint32_t preferred_lifetime = 604'800;
  uint8_t cur_hop_limit = 64;  // AdvCurHopLimit: the value hosts use

  bool operator==(const RaSettings&) const = default;
};

// What is wrong with the settings for RFC 4861 §6.2.1 and RFC 4862, as a
// sentence naming the setting; nullopt when nothing is.
std::optional<std::string> check_settings(const RaSettings& s);

// MinRtrAdvInterval: 0.33 * MaxRtrAdvInterval, but never under 3 s
// (RFC 4861 §6.2.1).
RaTime min_interval(const RaSettings& s);

enum class RaKind : uint8_t { unsolicited, solicited, final };
inline constexpr EnumNames<RaKind, 3> kRaKindNames{{{
    {RaKind::unsolicited, "unsolicited"},
    {RaKind::solicited, "solicited"},
    {RaKind::final, "final"},
}}};
static_assert(kRaKindNames.complete());
constexpr std::string_view to_string(RaKind k) { return kRaKindNames.name(k); }

// An RA to multicast to ff02::1 now.
struct Advertisement {
  ndp::RouterAdvertisement message;
  RaKind kind = RaKind::unsolicited;
};

struct RaCounters {
  uint64_t solicitations = 0;  // valid RS received
  // RS answered by an RA already scheduled (rate limit or a pending answer).
  uint64_t solicitations_coalesced = 0;
  std::map<std::string, uint64_t, std::less<>> dropped;  // invalid RS, by ndp::Invalid name
  std::array<uint64_t, 3> sent{};                        // by RaKind, counted by the sender
  uint64_t send_failed = 0;

  void drop(std::string_view reason);
};

// What became of a Router Solicitation.
struct SolicitationOutcome {
  std::optional<ndp::Invalid> invalid;  // set when it was dropped
  std::string_view what;                // why, for a debug log
  std::optional<RaTime> answer_at;      // when the RA that answers it is due
};

class RaService {
 public:
  RaService(RaSettings settings, uint64_t seed);

  // The bridge starts advertising: the first RA is due at once, the next
  // kMaxInitialRtrAdvertisements - 1 at most 16 s apart (RFC 4861 §6.2.4).
  void start(RaTime now);
  // New settings. When they change what the RA says, the fast initial RAs
  // start again (RFC 4861 §6.2.4 allows it), and a prefix no longer
  // advertised is sent with lifetimes 0 in those RAs, so hosts deprecate
  // addresses in it at once (RFC 4862 §5.5.3: the valid lifetime then
  // becomes two hours at most).
  void update(RaSettings settings, RaTime now);

  // An RS, with what the socket saw of its IPv6 header. A valid one is
  // answered by a multicast RA after a random delay of at most 0.5 s, never
  // less than 3 s after the previous multicast RA, or by the unsolicited RA
  // when that is due earlier (RFC 4861 §6.2.6); an answer already pending
  // covers later RSs.
  SolicitationOutcome on_solicitation(ByteView message, uint8_t hop_limit,
                                      const Ipv6Address& source, RaTime now);

  // When poll() has something to send next; nullopt before start and after
  // stop.
  std::optional<RaTime> next_wakeup() const;
  // The RA due at `now`, if one is; it counts as sent at `now` and the next
  // one is scheduled.
  std::optional<Advertisement> poll(RaTime now);

  // Stops advertising and returns the final RA (RFC 4861 §6.2.5): router
  // lifetime 0, RDNSS and DNSSL lifetimes 0, the prefix's lifetimes as
  // they were (ra_service.cpp says why).
  Advertisement stop();

  // What an RA says now.
  ndp::RouterAdvertisement advertisement() const;
  bool started() const { return state_ == State::running; }
  const RaSettings& settings() const { return settings_; }
  RaCounters& counters() { return counters_; }
  const RaCounters& counters() const { return counters_; }

 private:
  enum class State { idle, running, stopped };
  struct Withdrawn {
    Ipv6Prefix prefix;
    int remaining = 0;  // RAs that still carry it
  };

  RaTime random_between(RaTime low, RaTime high);
  void schedule_unsolicited(RaTime now);
  ndp::RouterAdvertisement advertisement_for_stop() const;

  RaSettings settings_;
  std::mt19937_64 random_;
  State state_ = State::idle;
  RaTime next_unsolicited_{0};
  std::optional<RaTime> solicited_at_;
  std::optional<RaTime> last_multicast_;
  int initial_left_ = 0;  // fast initial RAs still to send
  std::vector<Withdrawn> withdrawn_;
  RaCounters counters_;
};

}  // namespace berth::dhcp
