// What the daemon asks of the host's links (STYLE 11: a driver with a
// no-op variant): NetlinkLinks does it through rtnetlink (bridge/netlink.hpp);
// NoLinks leaves the host alone and describes bridges as if they were
// there, for tests that run the daemon's wiring without root.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/netlink.hpp"

namespace berth::bridge {

class Links {
 public:
  virtual ~Links() = default;
  // See bridge/netlink.hpp for each; all throw NetlinkError.
  virtual LinkInfo ensure_bridge(const BridgeSpec& spec) = 0;
  virtual std::optional<LinkInfo> find_link(const std::string& name) = 0;
  virtual void enslave_uplink(const std::string& bridge, const std::string& uplink, bool force) = 0;
  virtual Attached attach_veth(const AttachSpec& spec) = 0;
  virtual void detach_veth(const std::string& bridge, int netns_fd, const std::string& ifname) = 0;
  // Every IPv4 prefix the host uses already (addresses on links, route
  // destinations but default routes), for address = "auto".
  virtual std::vector<Ipv4Prefix> used_ipv4_prefixes() = 0;
};

class NetlinkLinks final : public Links {
 public:
  LinkInfo ensure_bridge(const BridgeSpec& spec) override { return bridge::ensure_bridge(spec); }
  std::optional<LinkInfo> find_link(const std::string& name) override {
    return bridge::find_link(name);
  }
  void enslave_uplink(const std::string& bridge, const std::string& uplink, bool force) override {
    bridge::enslave_uplink(bridge, uplink, force);
  }
  Attached attach_veth(const AttachSpec& spec) override { return bridge::attach_veth(spec); }
  void detach_veth(const std::string& bridge, int netns_fd, const std::string& ifname) override {
    bridge::detach_veth(bridge, netns_fd, ifname);
  }
  std::vector<Ipv4Prefix> used_ipv4_prefixes() override;
};

// Changes nothing on the host: ensure_bridge records the bridge as the spec
// describes it (ifindex 1000, 1001, ... in order of first sight) and
// find_link reports what was recorded; uplinks and veths are refused.
class NoLinks final : public Links {
 public:
  LinkInfo ensure_bridge(const BridgeSpec& spec) override;
  std::optional<LinkInfo> find_link(const std::string& name) override;
  void enslave_uplink(const std::string& bridge, const std::string& uplink, bool force) override;
  Attached attach_veth(const AttachSpec& spec) override;
  void detach_veth(const std::string& bridge, int netns_fd, const std::string& ifname) override;
  std::vector<Ipv4Prefix> used_ipv4_prefixes() override;
  // Forgets a bridge, as if someone deleted it.
  void remove(const std::string& name) { links_.erase(name); }

 private:
  std::map<std::string, LinkInfo> links_;
  int next_ifindex_ = 1000;
};

}  // namespace berth::bridge
