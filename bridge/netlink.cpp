#include "bridge/netlink.hpp"

#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <string_view>

namespace berth::bridge {
namespace {

// libnl objects are reference counted C objects; each owner holds one
// reference and drops it through the matching put/free call.
struct SocketFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using Socket = std::unique_ptr<nl_sock, SocketFree>;
using Link = std::unique_ptr<rtnl_link, LinkPut>;
using Addr = std::unique_ptr<rtnl_addr, AddrPut>;
using NlAddr = std::unique_ptr<nl_addr, NlAddrPut>;
using Cache = std::unique_ptr<nl_cache, CacheFree>;

// libnl returns negative NLE_* codes; nl_geterror() names them.
std::string describe(int nl_error) {
  std::string text = nl_geterror(nl_error);
  const int code = nl_error < 0 ? -nl_error : nl_error;
  if (code == NLE_PERM || code == NLE_NOACCESS) text += " (are you root?)";
  return text;
}

// Linux's own rule for interface names (dev_valid_name in net/core/dev.c).
void check_interface_name(const std::string& name) {
  if (name.empty()) throw NetlinkError("a bridge name must not be empty");
  if (name.size() >= IFNAMSIZ) {
    throw NetlinkError("bridge name \"" + name + "\" is too long: Linux allows at most " +
                       std::to_string(IFNAMSIZ - 1) + " characters");
  }
  if (name == "." || name == "..") {
    throw NetlinkError("\"" + name + "\" is not a valid interface name");
  }
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) {
      throw NetlinkError("bridge name \"" + name +
                         "\" is not a valid interface name (no '/', ':' or spaces)");
    }
  }
}

Socket open_socket() {
  Socket sock(nl_socket_alloc());
  if (!sock) throw NetlinkError("cannot allocate a netlink socket: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    throw NetlinkError("cannot open a route netlink socket: " + describe(err));
  }
  return sock;
}

// The kernel's current view of the link, or null when there is no such link.
Link get_link(nl_sock* sock, const std::string& name) {
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &raw);
  Link link(raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return nullptr;
  if (err < 0) throw NetlinkError("cannot look up interface " + name + ": " + describe(err));
  if (!link) throw NetlinkError("cannot look up interface " + name + ": empty netlink answer");
  return link;
}

std::vector<Ipv4Prefix> ipv4_addresses(nl_sock* sock, int ifindex, const std::string& name) {
  nl_cache* raw = nullptr;
  const int err = rtnl_addr_alloc_cache(sock, &raw);
  Cache cache(raw);
  if (err < 0) {
    throw NetlinkError("cannot list the addresses of " + name + ": " + describe(err));
  }
  std::vector<Ipv4Prefix> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    // Objects in a route/addr cache are rtnl_addr (libnl's documented usage).
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_family(addr) != AF_INET || rtnl_addr_get_ifindex(addr) != ifindex) continue;
    const nl_addr* local = rtnl_addr_get_local(addr);
    if (local == nullptr || nl_addr_get_len(local) != 4) continue;
    std::array<uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), nl_addr_get_binary_addr(local), bytes.size());
    const int length = rtnl_addr_get_prefixlen(addr);
    if (length < 0 || length > 32) continue;
    out.push_back(Ipv4Prefix{.address = Ipv4Address::from_bytes(ByteView(bytes)),
                             .length = static_cast<uint8_t>(length)});
  }
  return out;
}

LinkInfo link_info(nl_sock* sock, rtnl_link* link, const std::string& name) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(link);
  info.mtu = rtnl_link_get_mtu(link);
  info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
  if (const nl_addr* mac = rtnl_link_get_addr(link); mac != nullptr && nl_addr_get_len(mac) == 6) {
    std::array<uint8_t, 6> bytes{};
    std::memcpy(bytes.data(), nl_addr_get_binary_addr(mac), bytes.size());
    info.mac = MacAddress(bytes);
  }
  info.addresses = ipv4_addresses(sock, info.ifindex, name);
  return info;
}

void create_bridge(nl_sock* sock, const BridgeSpec& spec) {
  Link bridge(rtnl_link_bridge_alloc());
  if (!bridge) throw NetlinkError("cannot create bridge " + spec.name + ": out of memory");
  rtnl_link_set_name(bridge.get(), spec.name.c_str());
  if (spec.mtu) rtnl_link_set_mtu(bridge.get(), *spec.mtu);
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

void change_link(nl_sock* sock, rtnl_link* link, rtnl_link* changes, const std::string& what) {
  if (int err = rtnl_link_change(sock, link, changes, 0); err < 0) {
    throw NetlinkError("cannot " + what + ": " + describe(err));
  }
}

void set_mtu(nl_sock* sock, rtnl_link* link, const BridgeSpec& spec) {
  if (!spec.mtu || rtnl_link_get_mtu(link) == *spec.mtu) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change bridge " + spec.name + ": out of memory");
  rtnl_link_set_mtu(changes.get(), *spec.mtu);
  change_link(sock, link, changes.get(),
              "set the MTU of bridge " + spec.name + " to " + std::to_string(*spec.mtu));
}

void bring_up(nl_sock* sock, rtnl_link* link, const std::string& name) {
  if ((rtnl_link_get_flags(link) & IFF_UP) != 0) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change bridge " + name + ": out of memory");
  rtnl_link_set_flags(changes.get(), IFF_UP);
  change_link(sock, link, changes.get(), "bring bridge " + name + " up");
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
  add_address(sock.get(), ifindex, spec);
  bring_up(sock.get(), link.get(), spec.name);

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

}  // namespace berth::bridge
