// Internals the DNS server's files share (dns_server.cpp, dns_forwarder.cpp):
// a worker thread's state and a TCP client's session. Not for use elsewhere.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "server/dns_server.hpp"

namespace berth::server {

inline constexpr size_t kDnsBatch = 32;  // recvmmsg/sendmmsg batch
inline constexpr size_t kMaxUdpQuery = 4096;
inline constexpr size_t kServerUdpMax = 1232;  // DNS flag day 2020: no fragmented answers
inline constexpr size_t kMaxTcpMessage = 65535;
inline constexpr size_t kMaxInflight = 4096;  // distinct questions upstream at once

// Index of a family in the arrays of sockets below.
enum SocketFamily : size_t { kIpv4 = 0, kIpv6 = 1 };
inline constexpr size_t kSocketFamilies = 2;

struct DnsServer::Worker {
  size_t index = 0;
  boost::asio::io_context io{1};
  // Per family, one per bridge index; null for a bridge not served (or
  // without IPv6). Shared: a forwarded answer holds its socket until it is
  // sent.
  std::array<std::vector<std::shared_ptr<boost::asio::ip::udp::socket>>, kSocketFamilies> udp_socks;
  std::array<std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>>, kSocketFamilies>
      acceptors;
  std::thread thread;
  std::shared_ptr<const dns::NameTable> table;
  uint64_t table_version = UINT64_MAX;
  DnsCounters counters;
  // recvmmsg/sendmmsg batch.
  std::array<mmsghdr, kDnsBatch> in_msgs{};
  std::array<iovec, kDnsBatch> in_iov{};
  std::array<sockaddr_storage, kDnsBatch> in_addr{};
  std::vector<std::array<uint8_t, kMaxUdpQuery>> in_buf =
      std::vector<std::array<uint8_t, kMaxUdpQuery>>(kDnsBatch);
  std::array<mmsghdr, kDnsBatch> out_msgs{};
  std::array<iovec, kDnsBatch> out_iov{};
  std::vector<std::array<uint8_t, kServerUdpMax>> out_buf =
      std::vector<std::array<uint8_t, kServerUdpMax>>(kDnsBatch);
};

// One TCP client: length-prefixed queries (RFC 7766), several per
// connection, answered in any order; closed after an idle time.
class DnsServer::TcpSession : public std::enable_shared_from_this<DnsServer::TcpSession> {
 public:
  TcpSession(DnsServer& server, Worker& worker, size_t bridge, boost::asio::ip::tcp::socket socket)
      : server_(server),
        worker_(worker),
        bridge_(bridge),
        socket_(std::move(socket)),
        idle_(worker.io) {}
  ~TcpSession() { server_.tcp_open_.fetch_sub(1, std::memory_order_relaxed); }

  void start() {
    boost::system::error_code ec;
    auto peer = socket_.remote_endpoint(ec);
    if (ec) return;
    peer_len_ = peer.size();
    std::memcpy(&peer_, peer.data(), peer_len_);
    read_length();
  }

  // Called on the worker's thread.
  void write(std::vector<uint8_t> message) {
    if (!socket_.is_open()) return;
    const uint16_t n = static_cast<uint16_t>(message.size());
    message.insert(message.begin(), {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    writes_.push_back(std::move(message));
    if (writes_.size() == 1) write_next();
  }

  Worker& worker() { return worker_; }

 private:
  void arm_idle() {
    idle_.expires_after(server_.tcp_idle_);
    idle_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        self->socket_.close(ignored);
      }
    });
  }

  void read_length() {
    arm_idle();
    boost::asio::async_read(
        socket_, boost::asio::buffer(length_),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (ec) return self->close();
          const size_t n = static_cast<size_t>(self->length_[0]) << 8 | self->length_[1];
          if (n < dns::kHeaderSize) return self->close();
          self->body_.resize(n);
          self->read_body();
        });
  }

  void read_body() {
    boost::asio::async_read(
        socket_, boost::asio::buffer(body_),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (ec) return self->close();
          self->reply_.resize(kMaxTcpMessage);
          const size_t n =
              self->server_.handle(self->worker_, self->bridge_, self->body_, &self->peer_,
                                   self->peer_len_, true, self->reply_, self);
          if (n > 0)
            self->write(
                {self->reply_.begin(), self->reply_.begin() + static_cast<std::ptrdiff_t>(n)});
          self->read_length();
        });
  }

  void write_next() {
    boost::asio::async_write(
        socket_, boost::asio::buffer(writes_.front()),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (ec) return self->close();
          self->writes_.pop_front();
          if (!self->writes_.empty()) self->write_next();
        });
  }

  void close() {
    boost::system::error_code ignored;
    idle_.cancel();
    socket_.close(ignored);
  }

  DnsServer& server_;
  Worker& worker_;
  size_t bridge_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer idle_;
  std::array<uint8_t, 2> length_{};
  std::vector<uint8_t> body_;
  std::vector<uint8_t> reply_;
  std::deque<std::vector<uint8_t>> writes_;
  sockaddr_storage peer_{};
  size_t peer_len_ = 0;
};

}  // namespace berth::server
