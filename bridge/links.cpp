#include "bridge/links.hpp"

#include <algorithm>

namespace berth::bridge {

std::vector<Ipv4Prefix> NetlinkLinks::used_ipv4_prefixes() {
  std::vector<Ipv4Prefix> used = host_ipv4_addresses();
  for (const Ipv4Prefix& r : host_ipv4_routes()) used.push_back(r);
  return used;
}

LinkInfo NoLinks::ensure_bridge(const BridgeSpec& spec) {
  auto it = links_.find(spec.name);
  if (it == links_.end()) {
    if (!spec.create) throw NetlinkError("no bridge named " + spec.name + " (create = false)");
    LinkInfo info;
    info.ifindex = next_ifindex_++;
    info.name = spec.name;
    info.kind = "bridge";
    info.mtu = spec.mtu.value_or(1500);
    info.up = true;
    it = links_.emplace(spec.name, std::move(info)).first;
  }
  LinkInfo& info = it->second;
  if (spec.mac) info.mac = *spec.mac;
  if (spec.mtu) info.mtu = *spec.mtu;
  if (std::find(info.addresses.begin(), info.addresses.end(), spec.address) ==
      info.addresses.end()) {
    info.addresses.push_back(spec.address);
  }
  return info;
}

std::optional<LinkInfo> NoLinks::find_link(const std::string& name) {
  auto it = links_.find(name);
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

void NoLinks::enslave_uplink(const std::string& bridge, const std::string& uplink, bool) {
  throw NetlinkError("cannot enslave " + uplink + " to " + bridge + ": no host links here");
}

Attached NoLinks::attach_veth(const AttachSpec& spec) {
  throw NetlinkError("cannot attach a veth to " + spec.bridge + ": no host links here");
}

void NoLinks::detach_veth(const std::string& bridge, int, const std::string& ifname) {
  throw NetlinkError("cannot detach " + ifname + " from " + bridge + ": no host links here");
}

std::vector<Ipv4Prefix> NoLinks::used_ipv4_prefixes() {
  std::vector<Ipv4Prefix> used;
  for (const auto& [name, info] : links_) {
    used.insert(used.end(), info.addresses.begin(), info.addresses.end());
  }
  return used;
}

}  // namespace berth::bridge
