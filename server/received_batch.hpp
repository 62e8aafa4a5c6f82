// Up to N messages in one recvmmsg(2), each with its source address and
// ancillary data: the DHCPv4 sockets read what is queued in one system call
// instead of one call per message plus one to learn that the queue is empty
// (ReceivedMessage reads one at a time).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "server/received_message.hpp"
#include "server/untouched_buffer.hpp"

namespace berth::server {

template <typename Address, size_t ControlValueSize, size_t N>
class ReceivedBatch {
 public:
  // N buffers of `slot_size` bytes, mapped untouched: the pages a short
  // message never reaches cost no memory.
  explicit ReceivedBatch(size_t slot_size) : slot_size_(slot_size), buffers_(N * slot_size) {}
  // The headers point into this object.
  ReceivedBatch(const ReceivedBatch&) = delete;
  ReceivedBatch& operator=(const ReceivedBatch&) = delete;

  static constexpr size_t capacity() { return N; }
  size_t slot_size() const { return slot_size_; }

  // One recvmmsg(2) on `fd` (MSG_DONTWAIT | `flags`): the number of
  // messages read, or -1 with errno set (EAGAIN: nothing queued). Fewer
  // than capacity() means the queue was empty when the call returned.
  int receive(int fd, int flags = 0) {
    for (size_t i = 0; i < N; ++i) {
      iov_[i] = iovec{.iov_base = buffers_.data() + i * slot_size_, .iov_len = slot_size_};
      msghdr& h = headers_[i].msg_hdr;
      h = msghdr{};
      h.msg_name = &from_[i];
      h.msg_namelen = sizeof(Address);
      h.msg_iov = &iov_[i];
      h.msg_iovlen = 1;
      if constexpr (ControlValueSize > 0) {
        h.msg_control = control_[i].data();
        h.msg_controllen = control_[i].size();
      }
      headers_[i].msg_len = 0;
    }
    return ::recvmmsg(fd, headers_.data(), N, MSG_DONTWAIT | flags, nullptr);
  }

  // The length the kernel reported for message i: with MSG_TRUNC on a
  // packet socket, the whole frame's, which may exceed slot_size().
  size_t length(size_t i) const { return headers_[i].msg_len; }
  // Whether message i did not fit its buffer.
  bool truncated(size_t i) const {
    return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || length(i) > slot_size_;
  }
  // What of message i was stored (all of it unless truncated).
  std::span<const uint8_t> payload(size_t i) const {
    const size_t n = length(i) < slot_size_ ? length(i) : slot_size_;
    return {buffers_.data() + i * slot_size_, n};
  }
  const Address& from(size_t i) const { return from_[i]; }

  // The value of the last control message of `level` and `type` that came
  // with message i with room for a T.
  template <typename T>
  std::optional<T> control(size_t i, int level, int type) {
    static_assert(sizeof(T) <= ControlValueSize);
    return last_control<T>(&headers_[i].msg_hdr, level, type);
  }

 private:
  struct alignas(cmsghdr) Control : std::array<uint8_t, CMSG_SPACE(ControlValueSize)> {};

  size_t slot_size_;
  UntouchedBuffer buffers_;
  std::array<mmsghdr, N> headers_{};
  std::array<iovec, N> iov_{};
  std::array<Address, N> from_{};
  std::array<Control, (ControlValueSize > 0 ? N : 0)> control_{};
};

}  // namespace berth::server
