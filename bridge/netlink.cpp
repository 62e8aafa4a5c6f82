#include "bridge/netlink.hpp"

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <string_view>
#include <thread>

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
// A plain file descriptor, closed when it goes out of scope.
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
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
// `role` says what the name is for in the messages ("bridge name", ...).
void check_interface_name(const std::string& name, const std::string& role = "bridge name") {
  if (name.empty()) throw NetlinkError("a " + role + " must not be empty");
  if (name.size() >= IFNAMSIZ) {
    throw NetlinkError(role + " \"" + name + "\" is too long: Linux allows at most " +
                       std::to_string(IFNAMSIZ - 1) + " characters");
  }
  if (name == "." || name == "..") {
    throw NetlinkError("\"" + name + "\" is not a valid interface name");
  }
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) {
      throw NetlinkError(role + " \"" + name +
                         "\" is not a valid interface name (no '/', ':' or spaces)");
    }
  }
}

// The kernel refuses these for an Ethernet device (is_valid_ether_addr);
// saying so up front names the setting instead of EADDRNOTAVAIL.
void check_unicast_mac(const MacAddress& mac, const std::string& what) {
  if (mac.is_zero()) throw NetlinkError(what + " must not be 00:00:00:00:00:00");
  if ((mac.bytes()[0] & 0x01) != 0) {
    throw NetlinkError(what + " " + mac.to_string() +
                       " is a multicast address (the lowest bit of the first byte is set)");
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

// A netlink socket belongs to the namespace it was created in, whichever
// thread uses it later. So a short-lived thread enters the target namespace,
// opens the socket and ends; the calling thread never leaves its namespace.
Socket open_socket_in(int netns_fd) {
  if (netns_fd < 0) {
    throw NetlinkError("no network namespace given (file descriptor " + std::to_string(netns_fd) +
                       ")");
  }
  Socket sock;
  std::string error;
  std::thread worker([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      const int e = errno;
      error = "cannot enter the network namespace of file descriptor " + std::to_string(netns_fd) +
              ": " + std::strerror(e);
      if (e == EINVAL || e == EBADF) error += " (is it an open network namespace file?)";
      if (e == EPERM) error += " (are you root?)";
      return;
    }
    try {
      sock = open_socket();
    } catch (const NetlinkError& e) {
      error = e.what();
    }
  });
  worker.join();
  if (!error.empty()) throw NetlinkError(error);
  return sock;
}

// True when `netns_fd` is the namespace the calling thread is in.
bool is_current_netns(int netns_fd) {
  struct stat ours {};
  struct stat theirs {};
  if (::stat("/proc/thread-self/ns/net", &ours) != 0 || ::fstat(netns_fd, &theirs) != 0) {
    return false;
  }
  return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
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

Link get_link(nl_sock* sock, int ifindex) {
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock, ifindex, nullptr, &raw);
  Link link(raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return nullptr;
  if (err < 0) {
    throw NetlinkError("cannot look up interface #" + std::to_string(ifindex) + ": " +
                       describe(err));
  }
  return link;
}

std::string link_kind(rtnl_link* link) {
  const char* type = rtnl_link_get_type(link);
  return type != nullptr ? std::string(type) : std::string();
}

std::string link_name(rtnl_link* link) {
  const char* name = rtnl_link_get_name(link);
  return name != nullptr ? std::string(name) : std::string();
}

std::optional<Ipv4Prefix> ipv4_prefix_of(const nl_addr* a, int length) {
  if (a == nullptr || nl_addr_get_family(a) != AF_INET || length < 0 || length > 32) {
    return std::nullopt;
  }
  if (nl_addr_get_len(a) != 4) {
    // A route to 0.0.0.0/0 carries no destination bytes at all.
    if (length == 0) return Ipv4Prefix{};
    return std::nullopt;
  }
  std::array<uint8_t, 4> bytes{};
  std::memcpy(bytes.data(), nl_addr_get_binary_addr(a), bytes.size());
  return Ipv4Prefix{.address = Ipv4Address::from_bytes(ByteView(bytes)),
                    .length = static_cast<uint8_t>(length)};
}

Cache link_cache(nl_sock* sock) {
  nl_cache* raw = nullptr;
  const int err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw);
  Cache cache(raw);
  if (err < 0) throw NetlinkError("cannot list the network interfaces: " + describe(err));
  return cache;
}

Cache route_cache(nl_sock* sock) {
  nl_cache* raw = nullptr;
  const int err = rtnl_route_alloc_cache(sock, AF_INET, 0, &raw);
  Cache cache(raw);
  if (err < 0) throw NetlinkError("cannot list the IPv4 routes: " + describe(err));
  return cache;
}

void sort_unique(std::vector<Ipv4Prefix>& v) {
  std::sort(v.begin(), v.end(), [](const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return a.address != b.address ? a.address < b.address : a.length < b.length;
  });
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// IPv4 addresses of link `ifindex`, or of every link when ifindex is 0.
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
    if (rtnl_addr_get_family(addr) != AF_INET) continue;
    if (ifindex != 0 && rtnl_addr_get_ifindex(addr) != ifindex) continue;
    const nl_addr* local = rtnl_addr_get_local(addr);
    if (local == nullptr || nl_addr_get_len(local) != 4) continue;
    if (auto p = ipv4_prefix_of(local, rtnl_addr_get_prefixlen(addr))) out.push_back(*p);
  }
  return out;
}

LinkInfo link_info(nl_sock* sock, rtnl_link* link, const std::string& name) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(link);
  info.name = link_name(link);
  info.kind = link_kind(link);
  info.master = rtnl_link_get_master(link);
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

NlAddr mac_nl_addr(const MacAddress& mac) {
  NlAddr out(nl_addr_build(AF_LLC, mac.bytes().data(), mac.bytes().size()));
  if (!out) throw NetlinkError("cannot build MAC address " + mac.to_string() + ": out of memory");
  return out;
}

MacAddress mac_of(rtnl_link* link) {
  const nl_addr* mac = rtnl_link_get_addr(link);
  if (mac == nullptr || nl_addr_get_len(mac) != 6) return MacAddress();
  return MacAddress::from_bytes(
      ByteView(static_cast<const uint8_t*>(nl_addr_get_binary_addr(mac)), 6));
}

void create_bridge(nl_sock* sock, const BridgeSpec& spec) {
  Link bridge(rtnl_link_bridge_alloc());
  if (!bridge) throw NetlinkError("cannot create bridge " + spec.name + ": out of memory");
  rtnl_link_set_name(bridge.get(), spec.name.c_str());
  if (spec.mtu) rtnl_link_set_mtu(bridge.get(), *spec.mtu);
  if (spec.mac) {
    NlAddr mac = mac_nl_addr(*spec.mac);
    rtnl_link_set_addr(bridge.get(), mac.get());
  }
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

void set_mac(nl_sock* sock, rtnl_link* link, const BridgeSpec& spec) {
  if (!spec.mac || mac_of(link) == *spec.mac) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change bridge " + spec.name + ": out of memory");
  NlAddr mac = mac_nl_addr(*spec.mac);
  rtnl_link_set_addr(changes.get(), mac.get());
  change_link(sock, link, changes.get(),
              "set the MAC address of bridge " + spec.name + " to " + spec.mac->to_string());
}

void bring_up(nl_sock* sock, rtnl_link* link, const std::string& name) {
  if ((rtnl_link_get_flags(link) & IFF_UP) != 0) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change " + name + ": out of memory");
  rtnl_link_set_flags(changes.get(), IFF_UP);
  change_link(sock, link, changes.get(), "bring " + name + " up");
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

// "a veth interface", "a physical or untyped interface": for messages.
std::string describe_kind(rtnl_link* link) {
  const std::string kind = link_kind(link);
  return kind.empty() ? "a physical or untyped interface" : "a " + kind + " interface";
}

// The bridge `name` in the current namespace; throws when it is missing or
// is not a bridge.
Link require_bridge(nl_sock* sock, const std::string& name) {
  check_interface_name(name);
  Link link = get_link(sock, name);
  if (!link) throw NetlinkError("bridge " + name + " does not exist");
  if (link_kind(link.get()) != "bridge") {
    throw NetlinkError("interface " + name + " is not a bridge (it is " +
                       describe_kind(link.get()) + ")");
  }
  return link;
}

// The id under which the current namespace knows the namespace `netns_fd`
// (RTM_GETNSID), as IFLA_LINK_NETNSID reports it; nullopt when it has none.
// libnl has no call for this, so it is one request on a plain socket.
std::optional<int32_t> nsid_of(int netns_fd) {
  const OwnedFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (sock.fd < 0) {
    throw NetlinkError(std::string("cannot open a route netlink socket: ") + std::strerror(errno));
  }

  // nlmsghdr, rtgenmsg padded to 4 bytes, one u32 attribute NETNSA_FD.
  constexpr size_t kHeader = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtgenmsg));
  constexpr size_t kLength = kHeader + RTA_LENGTH(sizeof(uint32_t));
  std::array<uint8_t, kLength> request{};
  nlmsghdr hdr{};
  hdr.nlmsg_len = kLength;
  hdr.nlmsg_type = RTM_GETNSID;
  hdr.nlmsg_flags = NLM_F_REQUEST;
  hdr.nlmsg_seq = 1;
  std::memcpy(request.data(), &hdr, sizeof hdr);
  rtgenmsg gen{};
  gen.rtgen_family = AF_UNSPEC;
  std::memcpy(request.data() + NLMSG_HDRLEN, &gen, sizeof gen);
  rtattr attr{};
  attr.rta_len = RTA_LENGTH(sizeof(uint32_t));
  attr.rta_type = NETNSA_FD;
  std::memcpy(request.data() + kHeader, &attr, sizeof attr);
  const uint32_t value = static_cast<uint32_t>(netns_fd);
  std::memcpy(request.data() + kHeader + RTA_LENGTH(0), &value, sizeof value);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock.fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    throw NetlinkError(std::string("cannot ask for a namespace id: ") + std::strerror(errno));
  }
  std::array<uint8_t, 4096> reply{};
  ssize_t n = 0;
  do {
    n = ::recv(sock.fd, reply.data(), reply.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw NetlinkError(std::string("cannot read a namespace id: ") + std::strerror(errno));
  }
  const size_t size = static_cast<size_t>(n);
  if (size < NLMSG_HDRLEN) throw NetlinkError("cannot read a namespace id: short netlink answer");
  std::memcpy(&hdr, reply.data(), sizeof hdr);
  if (hdr.nlmsg_len < NLMSG_HDRLEN || hdr.nlmsg_len > size) {
    throw NetlinkError("cannot read a namespace id: malformed netlink answer");
  }
  if (hdr.nlmsg_type == NLMSG_ERROR) {
    nlmsgerr err{};
    if (hdr.nlmsg_len < NLMSG_HDRLEN + sizeof err) {
      throw NetlinkError("cannot read a namespace id: malformed netlink error");
    }
    std::memcpy(&err, reply.data() + NLMSG_HDRLEN, sizeof err);
    throw NetlinkError(std::string("cannot read a namespace id: ") + std::strerror(-err.error));
  }
  if (hdr.nlmsg_type != RTM_NEWNSID) {
    throw NetlinkError("cannot read a namespace id: unexpected netlink answer");
  }
  size_t at = kHeader;
  while (at + RTA_LENGTH(0) <= hdr.nlmsg_len) {
    std::memcpy(&attr, reply.data() + at, sizeof attr);
    if (attr.rta_len < RTA_LENGTH(0) || at + attr.rta_len > hdr.nlmsg_len) break;
    if (attr.rta_type == NETNSA_NSID && attr.rta_len >= RTA_LENGTH(sizeof(int32_t))) {
      int32_t id = 0;
      std::memcpy(&id, reply.data() + at + RTA_LENGTH(0), sizeof id);
      if (id < 0) return std::nullopt;  // NETNSA_NSID_NOT_ASSIGNED
      return id;
    }
    at += RTA_ALIGN(attr.rta_len);
  }
  return std::nullopt;
}

// "vb" and 8 random hex digits: fits IFNAMSIZ and is recognisably berth's.
std::string generated_host_ifname() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  uint32_t bits = random();
  std::string name = "vb";
  for (int i = 0; i < 8; ++i) {
    name += kHex[bits & 0xf];
    bits >>= 4;
  }
  return name;
}

// One RTM_NEWLINK: a veth whose host end is a port of the bridge and up, and
// whose peer is created directly inside the target namespace with its final
// name and MAC (it is brought up by a second request, see below).
int create_veth(nl_sock* sock, const AttachSpec& spec, const std::string& host_ifname,
                int bridge_ifindex, uint32_t mtu) {
  Link veth(rtnl_link_veth_alloc());
  if (!veth) throw NetlinkError("cannot create a veth pair: out of memory");
  rtnl_link_set_name(veth.get(), host_ifname.c_str());
  rtnl_link_set_master(veth.get(), bridge_ifindex);
  rtnl_link_set_mtu(veth.get(), mtu);
  rtnl_link_set_flags(veth.get(), IFF_UP);
  // The veth object holds the peer; get_peer adds a reference of ours.
  const Link peer_ref(rtnl_link_veth_get_peer(veth.get()));
  rtnl_link* peer = peer_ref.get();
  if (peer == nullptr) throw NetlinkError("cannot create a veth pair: no peer object");
  rtnl_link_set_name(peer, spec.ifname.c_str());
  rtnl_link_set_ns_fd(peer, spec.netns_fd);
  rtnl_link_set_mtu(peer, mtu);
  // Not IFF_UP here: the kernel configures the peer before the pair is tied
  // together, and a veth without its peer refuses to open (ENOTCONN).
  if (spec.mac) {
    NlAddr mac = mac_nl_addr(*spec.mac);
    rtnl_link_set_addr(peer, mac.get());
  }
  return rtnl_link_add(sock, veth.get(), NLM_F_CREATE | NLM_F_EXCL);
}

void delete_link_object(nl_sock* sock, rtnl_link* link, const std::string& name) {
  const int err = rtnl_link_delete(sock, link);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return;
  if (err < 0) throw NetlinkError("cannot delete interface " + name + ": " + describe(err));
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

std::vector<Ipv4Prefix> host_ipv4_addresses() {
  Socket sock = open_socket();
  std::vector<Ipv4Prefix> out = ipv4_addresses(sock.get(), 0, "the host");
  sort_unique(out);
  return out;
}

std::vector<Ipv4Prefix> host_ipv4_routes() {
  Socket sock = open_socket();
  Cache cache = route_cache(sock.get());
  std::vector<Ipv4Prefix> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);  // a route cache holds rtnl_route
    if (rtnl_route_get_family(route) != AF_INET) continue;
    const nl_addr* dst = rtnl_route_get_dst(route);
    if (dst == nullptr) continue;
    const auto p = ipv4_prefix_of(dst, static_cast<int>(nl_addr_get_prefixlen(dst)));
    if (!p || p->length == 0) continue;
    out.push_back(Ipv4Prefix{.address = p->network(), .length = p->length});
  }
  sort_unique(out);
  return out;
}

std::vector<std::string> default_route_interfaces() {
  Socket sock = open_socket();
  Cache routes = route_cache(sock.get());
  Cache links = link_cache(sock.get());
  std::vector<std::string> out;
  for (nl_object* obj = nl_cache_get_first(routes.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    if (rtnl_route_get_family(route) != AF_INET) continue;
    const nl_addr* dst = rtnl_route_get_dst(route);
    if (dst != nullptr && nl_addr_get_prefixlen(dst) != 0) continue;
    const int hops = rtnl_route_get_nnexthops(route);
    for (int i = 0; i < hops; ++i) {
      rtnl_nexthop* hop = rtnl_route_nexthop_n(route, i);
      if (hop == nullptr) continue;
      const int ifindex = rtnl_route_nh_get_ifindex(hop);
      if (ifindex <= 0) continue;
      std::array<char, IFNAMSIZ> name{};
      if (rtnl_link_i2name(links.get(), ifindex, name.data(), name.size()) == nullptr) continue;
      out.emplace_back(name.data());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<Ipv4Prefix> choose_auto_subnet(std::string_view bridge_name,
                                             const std::vector<Ipv4Prefix>& in_use) {
  // FNV-1a, 32 bits: fixed across compilers and runs, unlike std::hash.
  uint32_t hash = 2166136261u;
  for (char c : bridge_name) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  const uint32_t start = (hash ^ (hash >> 16)) & 0xffffu;
  auto overlaps = [](const Ipv4Prefix& a, const Ipv4Prefix& b) {
    const uint8_t length = std::min<uint8_t>(std::min<uint8_t>(a.length, b.length), 32);
    const Ipv4Prefix shorter{.address = a.address, .length = length};
    return shorter.contains(b.address);
  };
  for (uint32_t i = 0; i < 0x10000u; ++i) {
    const uint32_t xy = (start + i) & 0xffffu;
    const Ipv4Prefix candidate{.address = Ipv4Address(0x0a000000u | xy << 8 | 1u), .length = 24};
    const bool taken = std::any_of(in_use.begin(), in_use.end(),
                                   [&](const Ipv4Prefix& p) { return overlaps(candidate, p); });
    if (!taken) return candidate;
  }
  return std::nullopt;
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

Attached attach_veth(const AttachSpec& spec) {
  check_interface_name(spec.ifname, "interface name");
  if (!spec.host_ifname.empty()) check_interface_name(spec.host_ifname, "host interface name");
  if (spec.mac) check_unicast_mac(*spec.mac, "the MAC address for " + spec.ifname);
  Socket sock = open_socket();
  Link bridge = require_bridge(sock.get(), spec.bridge);
  const int bridge_ifindex = rtnl_link_get_ifindex(bridge.get());
  const uint32_t mtu = rtnl_link_get_mtu(bridge.get());
  Socket inside = open_socket_in(spec.netns_fd);
  if (get_link(inside.get(), spec.ifname)) {
    throw NetlinkError("cannot attach to bridge " + spec.bridge + ": interface " + spec.ifname +
                       " already exists in the target network namespace");
  }

  const bool generated = spec.host_ifname.empty();
  std::string host_ifname;
  // A generated name that someone took meanwhile is replaced by another.
  for (int attempt = 0;; ++attempt) {
    host_ifname = generated ? generated_host_ifname() : spec.host_ifname;
    if (get_link(sock.get(), host_ifname)) {
      if (generated && attempt < 16) continue;
      throw NetlinkError("cannot attach to bridge " + spec.bridge + ": host interface " +
                         host_ifname + " already exists");
    }
    const int err = create_veth(sock.get(), spec, host_ifname, bridge_ifindex, mtu);
    if (err == 0) break;
    if (err == -NLE_EXIST) {
      if (get_link(inside.get(), spec.ifname)) {
        throw NetlinkError("cannot attach to bridge " + spec.bridge + ": interface " + spec.ifname +
                           " already exists in the target network namespace");
      }
      if (generated && attempt < 16) continue;
    }
    throw NetlinkError("cannot create veth pair " + host_ifname + " / " + spec.ifname +
                       " on bridge " + spec.bridge + ": " + describe(err));
  }

  // Read both ends back; if that fails the pair is removed again.
  try {
    Link host = get_link(sock.get(), host_ifname);
    if (!host) throw NetlinkError("host end " + host_ifname + " disappeared right after creation");
    Link peer = get_link(inside.get(), spec.ifname);
    if (!peer) {
      throw NetlinkError("interface " + spec.ifname +
                         " disappeared from the target network namespace right after creation");
    }
    if (rtnl_link_get_master(host.get()) != bridge_ifindex) {
      throw NetlinkError("host end " + host_ifname + " is not a port of bridge " + spec.bridge);
    }
    if (rtnl_link_get_link(peer.get()) != rtnl_link_get_ifindex(host.get())) {
      throw NetlinkError("interface " + spec.ifname +
                         " in the target network namespace is not the peer of " + host_ifname);
    }
    bring_up(inside.get(), peer.get(), spec.ifname + " in the target network namespace");
    return Attached{.host_ifname = host_ifname,
                    .ifname = spec.ifname,
                    .mac = mac_of(peer.get()),
                    .host_ifindex = rtnl_link_get_ifindex(host.get())};
  } catch (const NetlinkError& e) {
    try {
      delete_link(host_ifname);
    } catch (const NetlinkError&) {
      // The first failure is the one worth reporting.
    }
    throw NetlinkError("cannot attach to bridge " + spec.bridge + ": " + e.what());
  }
}

void detach_veth(const std::string& bridge, int netns_fd, const std::string& ifname) {
  check_interface_name(ifname, "interface name");
  Socket sock = open_socket();
  Link br = require_bridge(sock.get(), bridge);
  Socket inside = open_socket_in(netns_fd);
  Link in = get_link(inside.get(), ifname);
  if (!in) {
    throw NetlinkError("cannot detach " + ifname + " from bridge " + bridge +
                       ": there is no interface " + ifname + " in that network namespace");
  }
  if (link_kind(in.get()) != "veth") {
    throw NetlinkError("cannot detach " + ifname + " from bridge " + bridge + ": it is " +
                       describe_kind(in.get()) + ", not a veth");
  }
  const std::string refused = "cannot detach " + ifname + " from bridge " + bridge + ": ";

  // The peer's ifindex (IFLA_LINK) is an index in the peer's namespace;
  // the host end must point back at `in` from exactly that namespace.
  const int in_ifindex = rtnl_link_get_ifindex(in.get());
  const int peer_ifindex = rtnl_link_get_link(in.get());
  Link host = peer_ifindex > 0 ? get_link(sock.get(), peer_ifindex) : nullptr;
  bool same_pair =
      host && link_kind(host.get()) == "veth" && rtnl_link_get_link(host.get()) == in_ifindex;
  if (same_pair) {
    int32_t host_sees = -1;
    if (rtnl_link_get_link_netnsid(host.get(), &host_sees) == 0) {
      same_pair = nsid_of(netns_fd) == std::optional<int32_t>(host_sees);
    } else {
      same_pair = is_current_netns(netns_fd);  // the peer lives next to the host end
    }
  }
  if (!same_pair) throw NetlinkError(refused + "its veth peer is not in this namespace");

  const std::string host_ifname = link_name(host.get());
  const int master = rtnl_link_get_master(host.get());
  if (master != rtnl_link_get_ifindex(br.get())) {
    std::string where = "not a port of any bridge";
    if (master != 0) {
      Link other = get_link(sock.get(), master);
      where = "a port of " + (other ? link_name(other.get()) : "#" + std::to_string(master));
    }
    throw NetlinkError(refused + "its peer " + host_ifname + " is " + where);
  }
  delete_link_object(sock.get(), host.get(), host_ifname);
}

}  // namespace berth::bridge
