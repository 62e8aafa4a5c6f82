#include "server/ra_socket.hpp"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "server/received_message.hpp"

namespace berth::server {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_int(int fd, int level, int name, int value, const std::string& what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) fail(what);
}

in6_addr in6(const Ipv6Address& a) {
  in6_addr out{};
  std::memcpy(out.s6_addr, a.to_bytes().data(), 16);
  return out;
}

const Ipv6Address kAllNodes({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
const Ipv6Address kAllRouters({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});

}  // namespace

IcmpRaSocket::IcmpRaSocket(boost::asio::io_context& io, int ifindex, const std::string& ifname)
    : sd_(io), ifindex_(ifindex), ifname_(ifname), buffer_(65536) {
  const int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) fail("cannot open ICMPv6 socket for " + ifname + " (are you root?)");
  sd_.assign(fd);
  // Only RSs reach user space; the kernel handles the rest of ICMPv6.
  icmp6_filter filter{};
  ICMP6_FILTER_SETBLOCKALL(&filter);
  ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filter);
  if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0) {
    fail("cannot set ICMPv6 filter on " + ifname);
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size())) < 0) {
    fail("cannot bind ICMPv6 socket to " + ifname);
  }
  set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "cannot ask for hop limits on " + ifname);
  set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "cannot set hop limit on " + ifname);
  set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "cannot set hop limit on " + ifname);
  // Our own RAs are not for this host's stack.
  set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "cannot turn off loopback on " + ifname);
  set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "cannot send multicast on " + ifname);
  // Hosts send RSs to all routers; a bridge with forwarding off has not
  // joined that group by itself.
  ipv6_mreq join{};
  join.ipv6mr_multiaddr = in6(kAllRouters);
  join.ipv6mr_interface = static_cast<unsigned>(ifindex);
  if (::setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &join, sizeof join) < 0) {
    fail("cannot join ff02::2 on " + ifname);
  }
}

IcmpRaSocket::~IcmpRaSocket() { *open_ = false; }

void IcmpRaSocket::start(Handler handler) {
  handler_ = std::move(handler);
  arm();
}

void IcmpRaSocket::stop() {
  *open_ = false;
  boost::system::error_code ignored;
  sd_.close(ignored);
}

void IcmpRaSocket::arm() {
  sd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this, open = open_](const boost::system::error_code& ec) {
                   if (ec == boost::asio::error::operation_aborted || !*open) return;
                   if (ec) {
                     spdlog::error("ICMPv6 socket on {}: {}", ifname_, ec.message());
                     return;
                   }
                   drain();
                   arm();
                 });
}

void IcmpRaSocket::drain() {
  // Bounded so a flood on one bridge cannot starve the io thread.
  for (int i = 0; i < 64; ++i) {
    ReceivedMessage<sockaddr_in6, sizeof(int)> m(sd_.native_handle(), buffer_);
    if (m.size() < 0) {
      if (receive_failed(errno)) {
        ++receive_errors_;
        spdlog::debug("ICMPv6 socket on {}: recvmsg: {}", ifname_, std::strerror(errno));
      }
      return;
    }
    const int value = m.control<int>(IPPROTO_IPV6, IPV6_HOPLIMIT).value_or(0);
    const uint8_t hop_limit = value >= 0 && value <= 255 ? static_cast<uint8_t>(value) : 0;
    handler_(ByteView(buffer_.data(), static_cast<size_t>(m.size())),
             Ipv6Address::from_bytes(ByteView(m.from().sin6_addr.s6_addr, 16)), hop_limit);
  }
}

bool IcmpRaSocket::send_all_nodes(ByteView message) {
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = in6(kAllNodes);
  to.sin6_scope_id = static_cast<uint32_t>(ifindex_);
  const ssize_t n = ::sendto(sd_.native_handle(), message.data(), message.size(), 0,
                             reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n != static_cast<ssize_t>(message.size())) {
    spdlog::debug("ICMPv6 socket on {}: sendto: {}", ifname_, std::strerror(errno));
    return false;
  }
  return true;
}

dhcp::RaTime SteadyRaTimer::now() const {
  return std::chrono::duration_cast<dhcp::RaTime>(
      std::chrono::steady_clock::now().time_since_epoch());
}

SteadyRaTimer::~SteadyRaTimer() { ++*generation_; }

void SteadyRaTimer::wait_until(dhcp::RaTime at, std::function<void()> fire) {
  const uint64_t mine = ++*generation_;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(at)));
  timer_.async_wait([fire = std::move(fire), generation = generation_,
                     mine](const boost::system::error_code& ec) {
    if (!ec && *generation == mine) fire();
  });
}

void SteadyRaTimer::cancel() {
  ++*generation_;
  timer_.cancel();
}

std::unique_ptr<RaSocket> SystemRaNetwork::open(int ifindex, const std::string& ifname) {
  return std::make_unique<IcmpRaSocket>(io_, ifindex, ifname);
}

std::unique_ptr<RaTimer> SystemRaNetwork::timer() { return std::make_unique<SteadyRaTimer>(io_); }

}  // namespace berth::server
