// RaServer on a real link: a bridge in a throwaway network namespace with a
// veth into a second one, whose kernel is the client (accept_ra=2,
// autoconf=1). Checks that the peer forms an address in the advertised
// prefix by SLAAC and takes a default route via the bridge's link-local
// address, that an RS from the peer's kernel is heard and answered, and
// that the final RA removes the route. Needs root (skips otherwise); nothing
// touches the host's namespace (tests/unit/bridge/netns_child.hpp).
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bridge/netlink.hpp"
#include "server/ra_server.hpp"
#include "tests/unit/bridge/netlink_test_util.hpp"
#include "tests/unit/bridge/netns_child.hpp"

namespace berth::server {
namespace {

using test::Failures;
using test::NetnsFd;

constexpr const char* kBridge = "bt-ra0";
const MacAddress kPeerMac({0x02, 0xbe, 0x00, 0x00, 0x07, 0x02});

// Runs `fn` on a thread inside the namespace `netns_fd` (-1: this one), so
// /proc/thread-self/net, /proc/sys/net and new sockets are that namespace's.
template <class F>
auto in_netns(int netns_fd, F fn) {
  decltype(fn()) result{};
  std::thread([&] {
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) return;
    result = fn();
  }).join();
  return result;
}

bool write_sysctl(const std::string& name, const std::string& value) {
  std::ofstream out("/proc/sys/net/ipv6/conf/" + name);
  out << value;
  return static_cast<bool>(out.flush());
}

struct Inet6Address {
  Ipv6Address address;
  int prefix_length = 0;
  int scope = 0;  // 0x20: link
  int flags = 0;  // 0x40: tentative
  std::string ifname;
};

// /proc/thread-self/net/if_inet6 of the calling thread's namespace.
std::vector<Inet6Address> addresses() {
  std::vector<Inet6Address> out;
  std::ifstream in("/proc/thread-self/net/if_inet6");
  std::string hex, ifindex, length, scope, flags, name;
  while (in >> hex >> ifindex >> length >> scope >> flags >> name) {
    std::array<uint8_t, 16> b{};
    for (size_t i = 0; i < 16; ++i)
      b[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    out.push_back(Inet6Address{Ipv6Address(b), std::stoi(length, nullptr, 16),
                               std::stoi(scope, nullptr, 16), std::stoi(flags, nullptr, 16), name});
  }
  return out;
}

// The next hop of the default route on `ifname`, from
// /proc/thread-self/net/ipv6_route; nullopt when there is none.
std::optional<Ipv6Address> default_router(const std::string& ifname) {
  std::ifstream in("/proc/thread-self/net/ipv6_route");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string dest, dest_len, src, src_len, next_hop, metric, refcnt, use, flags, dev;
    if (!(fields >> dest >> dest_len >> src >> src_len >> next_hop >> metric >> refcnt >> use >>
          flags >> dev)) {
      continue;
    }
    if (dest != std::string(32, '0') || dest_len != "00" || dev != ifname) continue;
    std::array<uint8_t, 16> b{};
    for (size_t i = 0; i < 16; ++i) {
      b[i] = static_cast<uint8_t>(std::stoi(next_hop.substr(2 * i, 2), nullptr, 16));
    }
    return Ipv6Address(b);
  }
  return std::nullopt;
}

bool set_link_up(const std::string& ifname, bool up) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq req{};
  std::snprintf(req.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &req) == 0;
  if (ok) {
    req.ifr_flags = static_cast<short>(up ? (req.ifr_flags | IFF_UP) : (req.ifr_flags & ~IFF_UP));
    ok = ::ioctl(fd, SIOCSIFFLAGS, &req) == 0;
  }
  ::close(fd);
  return ok;
}

void add_ipv6_address(test::RawNetlink& nl, int ifindex, const Ipv6Prefix& p) {
  rtnl_addr* addr = rtnl_addr_alloc();
  nl_addr* local = nl_addr_build(AF_INET6, p.address.to_bytes().data(), 16);
  nl_addr_set_prefixlen(local, p.length);
  rtnl_addr_set_local(addr, local);
  rtnl_addr_set_ifindex(addr, ifindex);
  rtnl_addr_set_flags(addr, IFA_F_NODAD);
  const int err = rtnl_addr_add(nl.sock, addr, 0);
  nl_addr_put(local);
  rtnl_addr_put(addr);
  if (err < 0) throw std::runtime_error(std::string("cannot add address: ") + nl_geterror(err));
}

// Runs `io` until `done` holds or `limit` passes; whether it held.
bool run_until(boost::asio::io_context& io, std::chrono::milliseconds limit,
               const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
    // Nothing left to wait for (the server stopped): do not spin.
    if (io.stopped()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (done()) return true;
  }
  return false;
}

TEST(RaServerNetnsTest, PeerKernelConfiguresItselfFromOurAdvertisements) {
  test::run_in_new_netns([](Failures& f) {
    // Addresses usable at once on both sides: no DAD wait in a test.
    CHILD_EXPECT(f, write_sysctl("default/accept_dad", "0"));
    const NetnsFd peer(test::new_netns_fd());
    const bool peer_ready = in_netns(peer.fd, [] {
      return write_sysctl("all/forwarding", "0") && write_sysctl("default/accept_ra", "2") &&
             write_sysctl("default/autoconf", "1") && write_sysctl("default/accept_dad", "0");
    });
    CHILD_EXPECT(f, peer_ready);

    const bridge::LinkInfo br =
        bridge::ensure_bridge({.name = kBridge, .address = test::prefix(198, 18, 7, 1, 24)});
    test::RawNetlink nl;
    const Ipv6Prefix bridge_address = *Ipv6Prefix::parse("fd00:be:7::1/64");
    add_ipv6_address(nl, br.ifindex, bridge_address);
    bridge::attach_veth({.bridge = kBridge, .netns_fd = peer.fd, .mac = kPeerMac});

    // The bridge has carrier now, and with it a link-local address.
    std::optional<Ipv6Address> bridge_ll;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!bridge_ll && std::chrono::steady_clock::now() < deadline) {
      for (const Inet6Address& a : addresses()) {
        if (a.ifname == kBridge && a.scope == 0x20 && (a.flags & 0x40) == 0) bridge_ll = a.address;
      }
      if (!bridge_ll) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHILD_EXPECT(f, bridge_ll.has_value());
    if (!bridge_ll) return;

    boost::asio::io_context io;
    RaServer ra(io, kBridge, br.ifindex,
                dhcp::RaSettings{.prefix = bridge_address,
                                 .mode = dhcp::RaMode::slaac,
                                 .domain = "berth.test",
                                 .mac = br.mac});
    ra.start();

    const Ipv6Prefix advertised = *Ipv6Prefix::parse("fd00:be:7::/64");
    auto peer_configured = [&] {
      return in_netns(peer.fd, [&] {
        bool has_address = false;
        for (const Inet6Address& a : addresses()) {
          if (a.ifname == "eth0" && a.prefix_length == 64 && advertised.contains(a.address)) {
            has_address = true;
          }
        }
        return has_address && default_router("eth0") == bridge_ll;
      });
    };
    CHILD_EXPECT(f, run_until(io, std::chrono::seconds(8), peer_configured));

    // The peer's link goes down and up: its kernel solicits, we answer.
    CHILD_EXPECT(f, in_netns(peer.fd, [] { return set_link_up("eth0", false); }));
    CHILD_EXPECT(f, in_netns(peer.fd, [] { return set_link_up("eth0", true); }));
    CHILD_EXPECT(f, run_until(io, std::chrono::seconds(8), [&] {
                   return ra.counters().solicitations >= 1 &&
                          ra.counters().sent[static_cast<size_t>(dhcp::RaKind::solicited)] >= 1 &&
                          peer_configured();
                 }));
    CHILD_EXPECT(f, ra.counters().dropped.empty());
    CHILD_EXPECT(f, ra.counters().send_failed == 0);

    // The final RA: the peer no longer routes through us.
    ra.stop();
    CHILD_EXPECT(f, run_until(io, std::chrono::seconds(3), [&] {
                   return !in_netns(peer.fd, [] { return default_router("eth0").has_value(); });
                 }));
  });
}

}  // namespace
}  // namespace berth::server
