// One recvmsg(2) with its source address and ancillary data, for the
// sockets that need more than asio's receive_from gives: the DHCPv4 packet
// socket (PACKET_AUXDATA), the ICMPv6 socket of router advertisements
// (IPV6_HOPLIMIT) and the DHCPv6 socket (IPV6_PKTINFO).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace berth::server {

// The value of the last control message of `level` and `type` that came in
// `header` with room for a T.
template <typename T>
std::optional<T> last_control(msghdr* header, int level, int type) {
  std::optional<T> out;
  for (cmsghdr* c = CMSG_FIRSTHDR(header); c != nullptr; c = CMSG_NXTHDR(header, c)) {
    if (c->cmsg_level == level && c->cmsg_type == type && c->cmsg_len >= CMSG_LEN(sizeof(T))) {
      T value;
      std::memcpy(&value, CMSG_DATA(c), sizeof value);
      out = value;
    }
  }
  return out;
}

template <typename Address, size_t ControlValueSize>
class ReceivedMessage {
 public:
  // Reads one message from `fd` into `buffer` (MSG_DONTWAIT | `flags`).
  // size() < 0 when nothing was read; errno then says why.
  ReceivedMessage(int fd, std::span<uint8_t> buffer, int flags = 0)
      : iov_{.iov_base = buffer.data(), .iov_len = buffer.size()} {
    header_.msg_name = &from_;
    header_.msg_namelen = sizeof from_;
    header_.msg_iov = &iov_;
    header_.msg_iovlen = 1;
    header_.msg_control = control_.data();
    header_.msg_controllen = control_.size();
    size_ = ::recvmsg(fd, &header_, MSG_DONTWAIT | flags);
  }
  // The header points into this object.
  ReceivedMessage(const ReceivedMessage&) = delete;
  ReceivedMessage& operator=(const ReceivedMessage&) = delete;

  ssize_t size() const { return size_; }
  const Address& from() const { return from_; }

  // The value of the last control message of `level` and `type`, when one
  // came with room for a T.
  template <typename T>
  std::optional<T> control(int level, int type) {
    static_assert(sizeof(T) <= ControlValueSize);
    return last_control<T>(&header_, level, type);
  }

 private:
  Address from_{};
  alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(ControlValueSize)> control_{};
  iovec iov_;
  msghdr header_{};
  ssize_t size_ = -1;
};

// Whether a failed read is more than "nothing queued" (or a signal).
inline bool receive_failed(int err) { return err != EAGAIN && err != EWOULDBLOCK && err != EINTR; }

}  // namespace berth::server
