#include "server/packet_socket.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
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

// Classic BPF: accept IPv4, UDP, not a fragment, destination port 67, and
// giaddr 0 (relayed requests are served by the UDP socket; letting them in
// here too would parse each one twice). A frame too short to hold giaddr is
// accepted, so userspace counts it as malformed. Everything else stays in
// the kernel. Jumps count from the next instruction; every "no" lands on
// the drop at the end (index 18).
constexpr std::array<sock_filter, 18> kDhcpServerFilter = {{
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                   // 0: ethertype
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 16),     // 1:   IPv4?
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),                   // 2: protocol
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 14),  // 3:   UDP?
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),                   // 4: flags + fragment offset
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 12, 0),      // 5:   a fragment: drop
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),                  // 6: X = IP header length
    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),                   // 7: UDP destination port
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 0, 9),            // 8:   67?
    BPF_STMT(BPF_MISC | BPF_TXA, 0),                          // 9: A = X
    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 14 + 8 + 28),         // 10: A = end of giaddr
    BPF_STMT(BPF_MISC | BPF_TAX, 0),                          // 11: X = A
    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),                    // 12: A = frame length
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 3),             // 13:   holds giaddr? else accept
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),                  // 14: X = IP header length
    BPF_STMT(BPF_LD | BPF_W | BPF_IND, 14 + 8 + 24),          // 15: giaddr
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),             // 16:   0? else drop
    BPF_STMT(BPF_RET | BPF_K, 0x40000),                       // 17: accept
}};
constexpr sock_filter kDrop = BPF_STMT(BPF_RET | BPF_K, 0);  // 18

}  // namespace

PacketSocket::PacketSocket(boost::asio::io_context& io, int ifindex, const std::string& ifname)
    : sd_(io),
      ifindex_(ifindex),
      ifname_(ifname),
      batch_(65536),
      out_(io, 2048, [this](int err, const sockaddr_ll&) {
        spdlog::debug("packet socket on {}: sendmmsg: {}", ifname_, std::strerror(err));
      }) {
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
  if (fd < 0) fail("cannot open packet socket for " + ifname + " (are you root?)");
  sd_.assign(fd);

  std::array<sock_filter, kDhcpServerFilter.size() + 1> code{};
  std::copy(kDhcpServerFilter.begin(), kDhcpServerFilter.end(), code.begin());
  code.back() = kDrop;
  sock_fprog prog{.len = static_cast<unsigned short>(code.size()), .filter = code.data()};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    fail("cannot attach BPF filter on " + ifname);
  }
  // Room for bursts (a rack of VMs booting at once) before the kernel drops.
  int buffer = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  int one = 1;
  if (::setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
    fail("cannot enable PACKET_AUXDATA on " + ifname);
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_IP);
  sll.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    fail("cannot bind packet socket to " + ifname);
  }
  // Frames queued before the filter was attached may be anything: drop them.
  while (batch_.receive(fd) > 0) {
  }
  out_.attach(fd);
}

PacketSocket::~PacketSocket() = default;

void PacketSocket::start(Handler handler) {
  handler_ = std::move(handler);
  arm();
}

void PacketSocket::stop() {
  out_.close();  // what was decided still goes out
  stopped_ = true;
  boost::system::error_code ignored;
  sd_.close(ignored);
}

void PacketSocket::arm() {
  sd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this](const boost::system::error_code& ec) {
                   if (ec == boost::asio::error::operation_aborted || stopped_) return;
                   if (ec) {
                     spdlog::error("packet socket on {}: {}", ifname_, ec.message());
                     return;
                   }
                   out_.begin_burst();
                   drain();
                   out_.end_burst();
                   if (!stopped_) arm();
                 });
}

void PacketSocket::drain() {
  // A batch per system call; a short batch means the queue was empty.
  // Bounded so one busy bridge cannot starve the others on this thread.
  for (int round = 0; round < 4 && !stopped_; ++round) {
    const int n = batch_.receive(sd_.native_handle(), MSG_TRUNC);
    if (n < 0) {
      if (receive_failed(errno)) {
        ++receive_errors_;
        spdlog::debug("packet socket on {}: recvmmsg: {}", ifname_, std::strerror(errno));
      }
      return;
    }
    for (int i = 0; i < n && !stopped_; ++i) {
      if (batch_.from(i).sll_pkttype == PACKET_OUTGOING) continue;  // our own replies
      if (batch_.truncated(i)) {
        ++receive_errors_;  // larger than any frame we accept
        continue;
      }
      const auto aux = batch_.control<tpacket_auxdata>(i, SOL_PACKET, PACKET_AUXDATA);
      const bool csum_not_ready = aux && (aux->tp_status & TP_STATUS_CSUMNOTREADY) != 0;
      handler_(batch_.payload(i), csum_not_ready);
    }
    if (static_cast<size_t>(n) < batch_.capacity()) return;
  }
}

bool PacketSocket::send(ByteView frame) {
  if (frame.size() < 6) return false;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IP);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, frame.data(), 6);  // destination MAC, first in the frame
  return out_.send(to, frame);
}

}  // namespace berth::server
