// Outgoing messages gathered and handed to the kernel in one sendmmsg(2):
// the DHCPv4 sockets queue the replies of one burst (the ACKs of one group
// commit, the OFFERs of one read) and send them together instead of one
// system call each.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "server/untouched_buffer.hpp"

namespace berth::server {

template <typename Address, size_t N>
class SendBatch {
 public:
  // Room for N messages of up to `slot_size` bytes each, mapped untouched:
  // slots never used cost no memory.
  explicit SendBatch(size_t slot_size) : slot_size_(slot_size), buffers_(N * slot_size) {}
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  static constexpr size_t capacity() { return N; }
  size_t slot_size() const { return slot_size_; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == N; }

  // Copies `payload` for `to`; false (nothing queued) when the batch is full
  // or the payload larger than a slot.
  bool add(const Address& to, std::span<const uint8_t> payload) {
    if (full() || payload.size() > slot_size_) return false;
    std::memcpy(buffers_.data() + count_ * slot_size_, payload.data(), payload.size());
    to_[count_] = to;
    length_[count_] = payload.size();
    ++count_;
    return true;
  }

  // Sends what is queued, in order, in as few calls as the kernel allows,
  // and empties the batch. A message the kernel refuses is skipped after
  // `refused(errno, its address)`; the others still go. Returns the
  // messages sent.
  template <typename Refused>
  size_t flush(int fd, Refused&& refused) {
    for (size_t i = 0; i < count_; ++i) {
      iov_[i] = iovec{.iov_base = buffers_.data() + i * slot_size_, .iov_len = length_[i]};
      msghdr& h = headers_[i].msg_hdr;
      h = msghdr{};
      h.msg_name = &to_[i];
      h.msg_namelen = sizeof(Address);
      h.msg_iov = &iov_[i];
      h.msg_iovlen = 1;
      headers_[i].msg_len = 0;
    }
    size_t next = 0, sent = 0;
    while (next < count_) {
      const int n = ::sendmmsg(fd, &headers_[next], static_cast<unsigned>(count_ - next), 0);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        refused(n < 0 ? errno : EIO, to_[next]);  // the first of those left: skip it
        ++next;
        continue;
      }
      next += static_cast<size_t>(n);
      sent += static_cast<size_t>(n);
    }
    count_ = 0;
    return sent;
  }

 private:
  size_t slot_size_;
  UntouchedBuffer buffers_;
  std::array<Address, N> to_{};
  std::array<size_t, N> length_{};
  std::array<mmsghdr, N> headers_{};
  std::array<iovec, N> iov_{};
  size_t count_ = 0;
};

}  // namespace berth::server
