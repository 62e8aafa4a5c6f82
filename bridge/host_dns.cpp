#include "bridge/host_dns.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>

namespace berth::bridge {

namespace {

// "3.0.10.in-addr.arpa": the first `octets` octets of `a`, lowest first.
std::string zone4(Ipv4Address a, size_t octets) {
  const std::array<uint8_t, 4> b = a.to_bytes();
  std::string zone = "in-addr.arpa";
  for (size_t i = 0; i < octets; ++i) zone = std::to_string(b[i]) + "." + zone;
  return zone;
}

uint8_t nibble(const std::array<uint8_t, 16>& b, size_t i) {
  return i % 2 == 0 ? b[i / 2] >> 4 : b[i / 2] & 0x0f;
}

// The first `nibbles` nibbles of `b` under ip6.arpa, lowest first.
std::string zone6(const std::array<uint8_t, 16>& b, size_t nibbles) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string zone;
  for (size_t i = nibbles; i-- > 0;) {
    zone += kHex[nibble(b, i)];
    zone += '.';
  }
  return zone + "ip6.arpa";
}

}  // namespace

std::vector<std::string> reverse_zones(const Ipv4Prefix& subnet) {
  const size_t length = std::min<size_t>(subnet.length, 32);
  const Ipv4Address network(subnet.address.value() &
                            (length == 0 ? 0 : ~uint32_t{0} << (32 - length)));
  if (length >= 24) return {zone4(network, 3)};
  if (length % 8 == 0) return {zone4(network, length / 8)};
  const size_t zone_length = (length / 8 + 1) * 8;
  const size_t count = size_t{1} << (zone_length - length);
  if (count > kMaxReverseZones) return {zone4(network, length / 8)};
  std::vector<std::string> zones;
  const uint32_t step = uint32_t{1} << (32 - zone_length);
  for (size_t i = 0; i < count; ++i) {
    zones.push_back(
        zone4(Ipv4Address(network.value() + static_cast<uint32_t>(i) * step), zone_length / 8));
  }
  return zones;
}

std::vector<std::string> reverse_zones(const Ipv6Prefix& prefix) {
  const size_t length = std::min<size_t>(prefix.length, 128);
  const std::array<uint8_t, 16> network = prefix.network().to_bytes();
  if (length % 4 == 0) return {zone6(network, length / 4)};
  const size_t nibbles = length / 4 + 1;
  const size_t count = size_t{1} << (nibbles * 4 - length);
  std::vector<std::string> zones;
  for (size_t i = 0; i < count; ++i) {
    std::array<uint8_t, 16> b = network;
    const size_t at = nibbles - 1;  // the last nibble of the zone; its low bits vary
    b[at / 2] = static_cast<uint8_t>(b[at / 2] | (at % 2 == 0 ? i << 4 : i));
    zones.push_back(zone6(b, nibbles));
  }
  return zones;
}

ResolvedLink resolved_link_of(const LinkDns& link) {
  ResolvedLink r;
  r.ifindex = link.ifindex;
  const std::array<uint8_t, 4> v4 = link.address.address.to_bytes();
  r.servers.push_back(
      ResolvedServer{.family = AF_INET, .address = {v4.begin(), v4.end()}, .port = link.dns_port});
  if (link.ipv6) {
    const std::array<uint8_t, 16>& v6 = link.ipv6->address.to_bytes();
    r.servers.push_back(ResolvedServer{
        .family = AF_INET6, .address = {v6.begin(), v6.end()}, .port = link.dns_port});
  }
  if (!link.domain.empty()) r.domains.push_back(link.domain);
  for (std::string& z : reverse_zones(link.address)) r.domains.push_back(std::move(z));
  if (link.ipv6) {
    for (std::string& z : reverse_zones(*link.ipv6)) r.domains.push_back(std::move(z));
  }
  return r;
}

ResolvedPlan plan_resolved(const std::map<int, ResolvedLink>& registered,
                           const std::vector<ResolvedLink>& wanted) {
  ResolvedPlan plan;
  std::set<int> wanted_links;
  for (const ResolvedLink& w : wanted) {
    wanted_links.insert(w.ifindex);
    auto it = registered.find(w.ifindex);
    if (it == registered.end() || !(it->second == w)) plan.set.push_back(w);
  }
  for (const auto& [ifindex, link] : registered) {
    if (!wanted_links.contains(ifindex)) plan.revert.push_back(ifindex);
  }
  return plan;
}

InterfacePlan plan_interfaces(const std::map<std::string, bool>& known,
                              const std::vector<std::string>& wanted) {
  InterfacePlan plan;
  const std::set<std::string> wanted_names(wanted.begin(), wanted.end());
  for (const std::string& name : wanted_names) {
    if (!known.contains(name)) plan.check.push_back(name);
  }
  for (const auto& [name, ours] : known) {
    if (wanted_names.contains(name)) continue;
    (ours ? plan.remove : plan.forget).push_back(name);
  }
  return plan;
}

}  // namespace berth::bridge
