// A measuring instrument for bench/dns, not a DNS server: it answers every
// UDP query by sending the same bytes back with QR set and RCODE 0, one
// recvmmsg and one sendmmsg per batch, blocking, with no parsing and no
// event loop. Its CPU time per query is what the kernel's UDP, bridge and
// veth path costs on this machine before any server does any work: the floor
// under berthd's and dnsmasq's figures.
//
//   dns_reflector ADDRESS PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr size_t kBatch = 32;
constexpr size_t kMaxMessage = 4096;
constexpr size_t kHeader = 12;

struct Batch {
  std::array<mmsghdr, kBatch> in{};
  std::array<mmsghdr, kBatch> out{};
  std::array<iovec, kBatch> in_iov{};
  std::array<iovec, kBatch> out_iov{};
  std::array<sockaddr_in, kBatch> addr{};
  std::array<std::array<uint8_t, kMaxMessage>, kBatch> buf{};
};

int serve(int fd) {
  static Batch b;
  for (;;) {
    for (size_t i = 0; i < kBatch; ++i) {
      b.in_iov[i] = iovec{b.buf[i].data(), b.buf[i].size()};
      b.in[i].msg_hdr = msghdr{};
      b.in[i].msg_hdr.msg_name = &b.addr[i];
      b.in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      b.in[i].msg_hdr.msg_iov = &b.in_iov[i];
      b.in[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd, b.in.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::perror("recvmmsg");
      return 1;
    }
    unsigned replies = 0;
    for (size_t i = 0; i < static_cast<size_t>(got); ++i) {
      const size_t len = b.in[i].msg_len;
      if (len < kHeader) continue;
      uint8_t* m = b.buf[i].data();
      m[2] = static_cast<uint8_t>(m[2] | 0x80);  // QR: a response
      m[3] = static_cast<uint8_t>(m[3] & 0xf0);  // RCODE 0
      b.out_iov[replies] = iovec{m, len};
      b.out[replies].msg_hdr = msghdr{};
      b.out[replies].msg_hdr.msg_name = &b.addr[i];
      b.out[replies].msg_hdr.msg_namelen = b.in[i].msg_hdr.msg_namelen;
      b.out[replies].msg_hdr.msg_iov = &b.out_iov[replies];
      b.out[replies].msg_hdr.msg_iovlen = 1;
      ++replies;
    }
    unsigned sent = 0;
    while (sent < replies) {
      const int r = ::sendmmsg(fd, b.out.data() + sent, replies - sent, 0);
      if (r <= 0) break;  // as a server would: the client retries
      sent += static_cast<unsigned>(r);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ADDRESS PORT\n", argv[0]);
    return 2;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  const std::string_view port_text(argv[2]);
  uint16_t port = 0;
  if (::inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port).ec !=
          std::errc{}) {
    std::fprintf(stderr, "%s: bad address or port\n", argv[0]);
    return 2;
  }
  sa.sin_port = htons(port);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    std::perror("socket/bind");
    return 1;
  }
  std::printf("listening on %s:%u\n", argv[1], static_cast<unsigned>(port));
  std::fflush(stdout);
  return serve(fd);
}
