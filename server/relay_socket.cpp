#include "server/relay_socket.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "protocol/dhcp4/message.hpp"
#include "server/packet_socket.hpp"

namespace berth::server {
namespace asio = boost::asio;
namespace {

// Classic BPF over a UDP socket's datagrams, which it sees from the UDP
// header on: keep a message whose giaddr (8 + 24 bytes in) is set, and one
// too short to hold a giaddr (the server counts it as malformed); drop the
// rest. Jumps count from the next instruction.
constexpr std::array<sock_filter, 6> kRelayedOnlyFilter = {{
    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),              // 0: A = datagram length
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 8 + 28, 0, 2),  // 1:   holds giaddr? else accept
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 8 + 24),         // 2: A = giaddr
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),       // 3:   0? drop
    BPF_STMT(BPF_RET | BPF_K, 0xffffffff),              // 4: accept, whole
    BPF_STMT(BPF_RET | BPF_K, 0),                       // 5: drop
}};

}  // namespace

UdpRelaySocket::UdpRelaySocket(asio::io_context& io)
    : socket_(io, asio::ip::udp::v4()),
      batch_(65536),
      out_(io, 2048, [](int err, const sockaddr_in& to) {
        spdlog::warn("reply to relay {}: {}", Ipv4Address(ntohl(to.sin_addr.s_addr)).to_string(),
                     std::strerror(err));
      }) {
  socket_.set_option(asio::socket_base::reuse_address(true));
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20));
  socket_.bind(asio::ip::udp::endpoint(asio::ip::address_v4::any(), dhcp4::kServerPort));
  socket_.non_blocking(true);
  auto code = kRelayedOnlyFilter;
  sock_fprog prog{.len = static_cast<unsigned short>(code.size()), .filter = code.data()};
  if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    throw boost::system::system_error(errno, boost::system::system_category(),
                                      "cannot attach the relayed-only filter to UDP port 67");
  }
  out_.attach(socket_.native_handle());
}

void UdpRelaySocket::start(Handler handler) {
  handler_ = std::move(handler);
  arm();
}

void UdpRelaySocket::stop() {
  out_.close();  // what was decided still goes out
  stopped_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpRelaySocket::arm() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    // Drain what is queued, a batch per system call, bounded so the
    // bridges' sockets get their turn. A short batch means the queue was
    // empty: no further call to learn so.
    out_.begin_burst();
    for (int round = 0; round < 4 && !stopped_; ++round) {
      const int n = batch_.receive(socket_.native_handle());
      if (n <= 0) break;  // would_block: drained
      for (int i = 0; i < n && !stopped_; ++i) {
        if (batch_.truncated(i)) continue;  // over 64 KiB: no DHCP message is
        const sockaddr_in& from = batch_.from(i);
        handler_(Ipv4Address(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port), batch_.payload(i));
      }
      if (static_cast<size_t>(n) < batch_.capacity()) break;
    }
    out_.end_burst();
    if (!stopped_) arm();
  });
}

bool UdpRelaySocket::send_to(Ipv4Address to, uint16_t port, ByteView payload) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(to.value());
  return out_.send(addr, payload);
}

std::unique_ptr<FrameLink> SystemDhcp4Network::open_link(int ifindex, const std::string& ifname) {
  return std::make_unique<PacketSocket>(io_, ifindex, ifname);
}

std::unique_ptr<RelaySocket> SystemDhcp4Network::open_relay_socket() {
  return std::make_unique<UdpRelaySocket>(io_);
}

}  // namespace berth::server
