#include "server/dhcp6_socket.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "protocol/dhcp6/message.hpp"
#include "server/received_message.hpp"

namespace berth::server {
namespace asio = boost::asio;

namespace {

asio::ip::address_v6 to_asio(const Ipv6Address& a, int ifindex) {
  asio::ip::address_v6::bytes_type bytes{};
  for (size_t i = 0; i < 16; ++i) bytes[i] = a.to_bytes()[i];
  // A link-local (or link-scoped multicast) address means nothing without
  // its link; a global one needs no scope.
  const bool scoped = a.is_link_local() || (a.is_multicast() && (a.to_bytes()[1] & 0x0f) == 2);
  return asio::ip::address_v6(bytes, scoped ? static_cast<unsigned long>(ifindex) : 0);
}

}  // namespace

Dhcp6Socket::Dhcp6Socket(asio::io_context& io, int ifindex, const std::string& ifname)
    : socket_(io), ifindex_(ifindex), ifname_(ifname), buffer_(65536) {
  try {
    socket_.open(asio::ip::udp::v6());
    socket_.set_option(asio::ip::v6_only(true));
    socket_.set_option(asio::socket_base::reuse_address(true));
    socket_.set_option(asio::socket_base::receive_buffer_size(1 << 20));
    if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                     static_cast<socklen_t>(ifname.size())) != 0) {
      throw boost::system::system_error(errno, boost::system::system_category(), "SO_BINDTODEVICE");
    }
    socket_.bind(asio::ip::udp::endpoint(asio::ip::address_v6::any(), dhcp6::kServerPort));
    socket_.set_option(asio::ip::multicast::join_group(to_asio(dhcp6::kAllRelayAgentsAndServers, 0),
                                                       static_cast<unsigned long>(ifindex)));
    socket_.set_option(asio::ip::multicast::outbound_interface(static_cast<unsigned int>(ifindex)));
    socket_.set_option(asio::ip::multicast::enable_loopback(false));
    const int on = 1;
    if (::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) !=
        0) {
      throw boost::system::system_error(errno, boost::system::system_category(),
                                        "IPV6_RECVPKTINFO");
    }
    socket_.non_blocking(true);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot open the DHCPv6 socket (UDP port 547) on " + ifname + ": " +
                             e.code().message() +
                             (e.code().value() == EADDRINUSE
                                  ? " (another DHCPv6 server, such as dnsmasq, serves this link?)"
                                  : ""));
  }
}

void Dhcp6Socket::start(Handler handler) {
  handler_ = std::move(handler);
  arm();
}

void Dhcp6Socket::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void Dhcp6Socket::arm() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    // Drain what is queued, bounded so the other sockets get their turn.
    for (int i = 0; !ec && i < 64 && !stopped_; ++i) {
      // recvmsg for the destination (IPV6_PKTINFO), which receive_from
      // does not give.
      ReceivedMessage<sockaddr_in6, sizeof(in6_pktinfo)> m(socket_.native_handle(), buffer_);
      if (m.size() < 0) {
        if (receive_failed(errno)) {
          spdlog::debug("{}: DHCPv6 recvmsg: {}", ifname_, std::strerror(errno));
        }
        break;  // drained
      }
      if (m.from().sin6_family != AF_INET6) continue;
      const auto info = m.control<in6_pktinfo>(IPPROTO_IPV6, IPV6_PKTINFO);
      if (!info) continue;  // the kernel always gives it once asked; never guess
      handler_(Ipv6Address::from_bytes(ByteView(m.from().sin6_addr.s6_addr, 16)),
               Ipv6Address::from_bytes(ByteView(info->ipi6_addr.s6_addr, 16)),
               ntohs(m.from().sin6_port), ByteView(buffer_.data(), static_cast<size_t>(m.size())));
    }
    if (!stopped_) arm();
  });
}

bool Dhcp6Socket::send_to(const Ipv6Address& to, uint16_t port, ByteView payload) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(payload.data(), payload.size()),
                  asio::ip::udp::endpoint(to_asio(to, ifindex_), port), 0, ec);
  if (ec) {
    spdlog::warn("{}: DHCPv6 reply to {}: {}", ifname_, to.to_string(), ec.message());
    return false;
  }
  return true;
}

std::unique_ptr<Dhcp6Link> SystemDhcp6Network::open_link(int ifindex, const std::string& ifname) {
  return std::make_unique<Dhcp6Socket>(io_, ifindex, ifname);
}

}  // namespace berth::server
