// Veth pairs between a bridge and another network namespace: attach_veth and
// detach_veth.
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "bridge/libnl.hpp"
#include "bridge/netlink.hpp"

namespace berth::bridge {

using namespace nl;

namespace {

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

}  // namespace

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
