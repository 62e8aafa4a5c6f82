// Outgoing messages gathered and handed to the kernel in one sendmmsg(2):
// the DHCPv4 sockets queue the replies of one burst (the ACKs of one group
// commit, the OFFERs of one read) and send them together instead of one
// system call each.
#pragma once

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <utility>

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

// A socket's outgoing side: SendBatch plus when to flush it. Inside a burst
// (a read handler, between begin_burst and end_burst) sends wait for its
// end; a send outside one (the ACKs of a group commit) is flushed once the
// handler that made it is done, by a flush posted on the io_context. The
// DHCPv4 packet and UDP sockets each own one.
template <typename Address, size_t N>
class Outbox {
 public:
  // Called for each message the kernel refuses (errno, its address).
  using Refused = std::function<void(int err, const Address& to)>;

  // `slot_size` must hold the largest message sent; a larger one is refused
  // (EMSGSIZE).
  Outbox(boost::asio::io_context& io, size_t slot_size, Refused refused)
      : io_(io),
        batch_(slot_size),
        refused_(std::move(refused)),
        alive_(std::make_shared<int>(0)) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // The socket to send on; -1 (close) stops sending, dropping what waits.
  void attach(int fd) { fd_ = fd; }
  void close() {
    flush();
    fd_ = -1;
  }

  void begin_burst() { in_burst_ = true; }
  void end_burst() {
    in_burst_ = false;
    flush();
  }

  // Queues a copy of `payload` for `to`. False when it cannot go out.
  bool send(const Address& to, std::span<const uint8_t> payload) {
    if (fd_ < 0) return false;
    if (!batch_.add(to, payload)) {
      flush();  // full: make room
      if (!batch_.add(to, payload)) {
        refused_(EMSGSIZE, to);
        return false;
      }
    }
    if (!in_burst_ && !flush_posted_) {
      flush_posted_ = true;
      boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (alive.expired()) return;
        flush_posted_ = false;
        flush();
      });
    }
    return true;
  }

  void flush() {
    if (batch_.empty() || fd_ < 0) return;
    batch_.flush(fd_, refused_);
  }

 private:
  boost::asio::io_context& io_;
  SendBatch<Address, N> batch_;
  Refused refused_;
  int fd_ = -1;
  bool in_burst_ = false;
  bool flush_posted_ = false;
  std::shared_ptr<int> alive_;  // what a posted flush checks first
};

}  // namespace berth::server
