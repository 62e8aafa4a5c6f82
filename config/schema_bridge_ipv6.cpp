// The IPv6 keys of [[bridge]]: the bridge's IPv6 address, how clients get
// theirs (router advertisements, DHCPv6), the DHCPv6 pool and NAT66.
#include "config/schema.hpp"

namespace berth::config::schema {
namespace {

std::string v6_text(const Ipv6Address& a) { return a.to_string(); }

}  // namespace

std::optional<std::string> bridge_ipv6_problem(const Ipv6Prefix& p) {
  const std::string text = p.to_string();
  if (p.length != 64) {
    return "ipv6 " + quoted(text) +
           " needs prefix length 64: stateless address autoconfiguration (RFC 4862) works on "
           "/64 prefixes only";
  }
  const Ipv6Address& a = p.address;
  if (a.is_link_local() || a.is_multicast() || a.is_loopback() || a.is_v4_mapped() ||
      a.is_unspecified()) {
    return "ipv6 " + quoted(text) +
           " is not a unicast global or unique local address (link-local, multicast, loopback, "
           "unspecified and IPv4-mapped addresses cannot be a bridge's)";
  }
  if (a == p.network()) {
    return "ipv6 " + quoted(text) +
           " is the subnet-router anycast address of its prefix (RFC 4291 §2.6.1); use another "
           "host address, like " +
           v6_text(pool_offset(p, 1)) + "/64";
  }
  return std::nullopt;
}

Ipv6Address pool_offset(const Ipv6Prefix& p, uint64_t offset) {
  std::array<uint8_t, 16> b = p.network().to_bytes();
  for (size_t i = 0; i < 8; ++i) {
    b[15 - i] = static_cast<uint8_t>(offset >> (8 * i));
  }
  return Ipv6Address(b);
}

void set_default_ipv6_pool(BridgeConfig& bridge) {
  // <prefix>::1:0 to <prefix>::1:ffff: 65,536 addresses, easy to tell apart
  // from SLAAC's EUI-64 and privacy addresses.
  bridge.ipv6_pool_start = pool_offset(*bridge.ipv6, 0x10000);
  bridge.ipv6_pool_end = pool_offset(*bridge.ipv6, 0x1ffff);
}

void apply_ipv6(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  if (text == "auto") {
    d.value.ipv6_auto = true;
    return;
  }
  auto prefix = Ipv6Prefix::parse(text);
  if (!prefix) {
    v.fail("ipv6 " + quoted(text) + " is not an IPv6 address with a prefix length, like " +
           "\"fd42:1:2:3::1/64\", or \"auto\"");
  }
  if (auto problem = bridge_ipv6_problem(*prefix)) v.fail(std::move(*problem));
  d.value.ipv6 = *prefix;
}

void apply_ipv6_mode(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  auto mode = kIpv6ModeNames.value(text);
  if (!mode) {
    v.fail("ipv6_mode " + quoted(text) + " is not one of \"slaac\", \"stateless\", \"stateful\"");
  }
  d.value.ipv6_mode = *mode;
}

void apply_ipv6_pool(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  const size_t dash = text.find('-');
  std::optional<Ipv6Address> first, last;
  if (dash != std::string::npos) {
    first = Ipv6Address::parse(std::string_view(text).substr(0, dash));
    last = Ipv6Address::parse(std::string_view(text).substr(dash + 1));
  }
  if (!first || !last) {
    v.fail("ipv6_pool " + quoted(text) +
           " is not an address range like \"fd42:1:2:3::1:0-fd42:1:2:3::1:ffff\"");
  }
  if (*last < *first) {
    v.fail("ipv6_pool " + quoted(text) + " ends before it starts");
  }
  // Checked against the prefix and the mode in finish_bridge_ipv6().
  d.value.ipv6_pool_start = *first;
  d.value.ipv6_pool_end = *last;
}

void apply_ipv6_nat(const Value& v, BridgeDraft& d) { d.ipv6_nat = v.boolean(); }

void apply_ra_interval(const Value& v, BridgeDraft& d) {
  const int64_t seconds = v.integer();
  if (seconds < kMinRaInterval || seconds > kMaxRaInterval) {
    v.fail("ra_interval " + std::to_string(seconds) + " is out of range 4..1800 (RFC 4861 §6.2.1)");
  }
  d.value.ra_interval = static_cast<uint32_t>(seconds);
}

void finish_bridge_ipv6(BridgeDraft& d) {
  BridgeConfig& b = d.value;
  for (std::string_view key : {"ipv6_mode", "ipv6_pool", "ipv6_nat", "ra_interval"}) {
    if (!b.has_ipv6() && d.has(key)) {
      d.site_of(key).fail(std::string(key) + " needs ipv6 in the same bridge");
    }
  }
  if (d.has("ipv6_pool") && b.ipv6_mode != Ipv6Mode::stateful) {
    d.site_of("ipv6_pool")
        .fail("ipv6_pool needs ipv6_mode = \"stateful\": in \"" +
              std::string(to_string(b.ipv6_mode)) + "\" mode clients choose their own addresses");
  }
  if (d.has("ipv6_pool") && b.ipv6_auto) {
    d.site_of("ipv6_pool")
        .fail(
            "an ipv6_pool cannot be written with ipv6 = \"auto\": the prefix is only chosen "
            "when berthd starts");
  }
  b.ipv6_nat = d.ipv6_nat.value_or(b.ipv6_auto);
  if (!b.ipv6) return;
  if (!d.has("ipv6_pool")) {
    set_default_ipv6_pool(b);
    return;
  }
  const Ipv6Prefix& p = *b.ipv6;
  const Site& at = d.site_of("ipv6_pool");
  if (!p.contains(b.ipv6_pool_start) || !p.contains(b.ipv6_pool_end)) {
    at.fail("ipv6_pool " + v6_text(b.ipv6_pool_start) + "-" + v6_text(b.ipv6_pool_end) +
            " is not inside the bridge prefix " + p.network().to_string() + "/64");
  }
  if (b.ipv6_pool_start == p.network()) {
    at.fail("ipv6_pool starts at the subnet-router anycast address " + v6_text(p.network()));
  }
  if (!(p.address < b.ipv6_pool_start) && !(b.ipv6_pool_end < p.address)) {
    at.fail("ipv6_pool " + v6_text(b.ipv6_pool_start) + "-" + v6_text(b.ipv6_pool_end) +
            " holds the bridge's own address " + v6_text(p.address));
  }
}

}  // namespace berth::config::schema
