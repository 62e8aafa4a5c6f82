// Bridges and their own links: ensure_bridge, find_link, delete_link and
// uplinks. Veth pairs are in veth.cpp, what the host uses in host_networks.cpp.
#include "bridge/netlink.hpp"

#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <string>
#include <string_view>

#include "bridge/libnl.hpp"

namespace berth::bridge {

using namespace nl;

namespace {

void create_bridge(nl_sock* sock, const BridgeSpec& spec) {
  Link bridge(rtnl_link_bridge_alloc());
  if (!bridge) throw NetlinkError("cannot create bridge " + spec.name + ": out of memory");
  rtnl_link_set_name(bridge.get(), spec.name.c_str());
  if (spec.mtu) rtnl_link_set_mtu(bridge.get(), *spec.mtu);
  // A bridge created with an address keeps it; one left to the kernel takes
  // the lowest MAC of its ports whenever a port comes or goes, and clients
  // that learnt the old one (from a router advertisement's source
  // link-layer option, say) lose their router.
  NlAddr mac = mac_nl_addr(spec.mac ? *spec.mac : persistent_mac(spec.name));
  rtnl_link_set_addr(bridge.get(), mac.get());
  const int err = rtnl_link_add(sock, bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
  // Someone else created it between our lookup and now: the checks that
  // follow treat it like a bridge we found.
  if (err == -NLE_EXIST) return;
  if (err == -NLE_OPNOTSUPP) {
    throw NetlinkError("cannot create bridge " + spec.name + ": " + describe(err) +
                       " (is the bridge kernel module available?)");
  }
  if (err < 0) throw NetlinkError("cannot create bridge " + spec.name + ": " + describe(err));
}

void refuse_non_bridge(rtnl_link* link, const std::string& name) {
  const char* type = rtnl_link_get_type(link);
  if (type != nullptr && std::string_view(type) == "bridge") return;
  const std::string kind =
      type != nullptr ? std::string("a ") + type + " interface" : "a physical or untyped interface";
  throw NetlinkError("interface " + name + " exists but is not a bridge (it is " + kind +
                     "); choose another bridge name or remove that interface");
}

void set_mtu(nl_sock* sock, rtnl_link* link, const BridgeSpec& spec) {
  if (!spec.mtu || rtnl_link_get_mtu(link) == *spec.mtu) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change bridge " + spec.name + ": out of memory");
  rtnl_link_set_mtu(changes.get(), *spec.mtu);
  change_link(sock, link, changes.get(),
              "set the MTU of bridge " + spec.name + " to " + std::to_string(*spec.mtu));
}

void set_mac(nl_sock* sock, rtnl_link* link, const BridgeSpec& spec) {
  if (!spec.mac || mac_of(link) == *spec.mac) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change bridge " + spec.name + ": out of memory");
  NlAddr mac = mac_nl_addr(*spec.mac);
  rtnl_link_set_addr(changes.get(), mac.get());
  change_link(sock, link, changes.get(),
              "set the MAC address of bridge " + spec.name + " to " + spec.mac->to_string());
}

NlAddr ipv4_nl_addr(Ipv4Address a, uint8_t length) {
  const auto bytes = a.to_bytes();
  NlAddr out(nl_addr_build(AF_INET, bytes.data(), bytes.size()));
  if (!out) throw NetlinkError("cannot build address " + a.to_string() + ": out of memory");
  nl_addr_set_prefixlen(out.get(), length);
  return out;
}

void add_address(nl_sock* sock, int ifindex, const BridgeSpec& spec) {
  const std::string what = "add address " + spec.address.to_string() + " to bridge " + spec.name;
  for (const Ipv4Prefix& have : ipv4_addresses(sock, ifindex, spec.name)) {
    if (have == spec.address) return;
    // Adding the same address with another length would give the host two
    // connected routes for it; the user has to pick one.
    if (have.address == spec.address.address) {
      throw NetlinkError("cannot " + what + ": the bridge already has " + have.to_string() +
                         " (same address, different prefix length); remove it or change the "
                         "configured address");
    }
  }
  Addr addr(rtnl_addr_alloc());
  if (!addr) throw NetlinkError("cannot " + what + ": out of memory");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  // The setters take their own reference; ours is dropped by NlAddr.
  NlAddr local = ipv4_nl_addr(spec.address.address, spec.address.length);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) {
    throw NetlinkError("cannot " + what + ": " + describe(err));
  }
  rtnl_addr_set_prefixlen(addr.get(), spec.address.length);
  // RFC 3021: /31 and /32 have no broadcast address.
  if (spec.address.length <= 30) {
    NlAddr brd = ipv4_nl_addr(spec.address.broadcast(), 32);
    if (int err = rtnl_addr_set_broadcast(addr.get(), brd.get()); err < 0) {
      throw NetlinkError("cannot " + what + ": " + describe(err));
    }
  }
  const int err = rtnl_addr_add(sock, addr.get(), 0);
  if (err == -NLE_EXIST) return;  // added concurrently; identical by the kernel's rules
  if (err < 0) throw NetlinkError("cannot " + what + ": " + describe(err));
}

}  // namespace

MacAddress persistent_mac(std::string_view bridge_name) {
  // FNV-1a (64 bits) over the machine id and the name, as systemd's
  // MACAddressPolicy=persistent does with its own hash: the same bridge
  // gets the same MAC on this host, other hosts get others.
  std::string machine_id;
  if (std::ifstream in("/etc/machine-id"); in) std::getline(in, machine_id);
  uint64_t h = 0xcbf29ce484222325ull;
  for (std::string_view part :
       {std::string_view(machine_id), std::string_view("berth"), bridge_name}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    h ^= 0xff;  // a separator, so ("ab", "c") and ("a", "bc") differ
    h *= 0x100000001b3ull;
  }
  std::array<uint8_t, 6> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(h >> (8 * i));
  b[0] = static_cast<uint8_t>((b[0] & 0xfe) | 0x02);  // unicast, locally administered
  return MacAddress(b);
}

LinkInfo ensure_bridge(const BridgeSpec& spec) {
  check_interface_name(spec.name);
  if (spec.address.length == 0 || spec.address.length > 32 ||
      spec.address.address.is_unspecified()) {
    throw NetlinkError("bridge " + spec.name +
                       " needs an address with a prefix length of 1 to 32, not " +
                       spec.address.to_string());
  }
  if (spec.mtu && *spec.mtu < 68) {
    // RFC 791: every IPv4 host must accept 68-byte datagrams.
    throw NetlinkError("MTU " + std::to_string(*spec.mtu) + " for bridge " + spec.name +
                       " is below the IPv4 minimum of 68");
  }
  if (spec.mac) check_unicast_mac(*spec.mac, "the MAC address of bridge " + spec.name);

  Socket sock = open_socket();
  Link link = get_link(sock.get(), spec.name);
  if (!link) {
    if (!spec.create) {
      throw NetlinkError("bridge " + spec.name + " does not exist and create = false");
    }
    create_bridge(sock.get(), spec);
    link = get_link(sock.get(), spec.name);
    if (!link) {
      throw NetlinkError("bridge " + spec.name + " disappeared right after it was created");
    }
  }
  refuse_non_bridge(link.get(), spec.name);

  const int ifindex = rtnl_link_get_ifindex(link.get());
  set_mtu(sock.get(), link.get(), spec);
  set_mac(sock.get(), link.get(), spec);
  add_address(sock.get(), ifindex, spec);
  if (spec.ipv6) ensure_bridge_ipv6(sock.get(), ifindex, spec.name, *spec.ipv6);
  bring_up(sock.get(), link.get(), "bridge " + spec.name);

  Link after = get_link(sock.get(), spec.name);
  if (!after) throw NetlinkError("bridge " + spec.name + " disappeared while it was being set up");
  return link_info(sock.get(), after.get(), spec.name);
}

std::optional<LinkInfo> find_link(const std::string& name) {
  // A name the kernel could never have given out names no link.
  if (name.empty() || name.size() >= IFNAMSIZ) return std::nullopt;
  Socket sock = open_socket();
  Link link = get_link(sock.get(), name);
  if (!link) return std::nullopt;
  return link_info(sock.get(), link.get(), name);
}

void delete_link(const std::string& name) {
  check_interface_name(name, "interface name");
  Socket sock = open_socket();
  Link link = get_link(sock.get(), name);
  if (!link) return;
  delete_link_object(sock.get(), link.get(), name);
}

void enslave_uplink(const std::string& bridge, const std::string& uplink, bool force) {
  check_interface_name(uplink, "uplink name");
  Socket sock = open_socket();
  Link br = require_bridge(sock.get(), bridge);
  Link link = get_link(sock.get(), uplink);
  if (!link) {
    throw NetlinkError("uplink " + uplink + " for bridge " + bridge + " does not exist");
  }
  if (link_kind(link.get()) == "bridge") {
    throw NetlinkError("uplink " + uplink + " for bridge " + bridge +
                       " is itself a bridge; a bridge cannot be a port of another bridge");
  }
  const int bridge_ifindex = rtnl_link_get_ifindex(br.get());
  const int master = rtnl_link_get_master(link.get());
  if (master != 0 && master != bridge_ifindex) {
    Link other = get_link(sock.get(), master);
    const std::string other_name =
        other ? link_name(other.get()) : "interface #" + std::to_string(master);
    throw NetlinkError("uplink " + uplink + " for bridge " + bridge + " is already a port of " +
                       other_name);
  }
  if (master == 0 && !force) {
    const std::vector<std::string> defaults = default_route_interfaces();
    if (std::find(defaults.begin(), defaults.end(), uplink) != defaults.end()) {
      throw NetlinkError("uplink " + uplink + " carries the host's IPv4 default route; " +
                         "making it a port of bridge " + bridge +
                         " would cut the host off through it (set uplink_force = true to do it "
                         "anyway)");
    }
  }
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change uplink " + uplink + ": out of memory");
  if (master == 0) rtnl_link_set_master(changes.get(), bridge_ifindex);
  rtnl_link_set_flags(changes.get(), IFF_UP);
  change_link(sock.get(), link.get(), changes.get(),
              "make " + uplink + " an uplink port of bridge " + bridge);
}

}  // namespace berth::bridge
