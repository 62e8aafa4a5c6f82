// The read-only TFTP server's sockets: one on port 69 of each bridge
// address with boot.tftp = true, and one per transfer on an ephemeral port
// (its TID, RFC 1350 §4). The protocol is in tftp/ (admission, transfer
// state machine, the confined root directory); this is only I/O and timers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "protocol/address.hpp"
#include "tftp/root_dir.hpp"
#include "tftp/transfer.hpp"

namespace berth::server {

struct TftpCounters {
  uint64_t requests = 0;   // read requests admitted
  uint64_t refused = 0;    // requests answered with an error (write, bad name, missing file, busy)
  uint64_t completed = 0;  // transfers whose last block was acknowledged
  uint64_t failed = 0;     // transfers abandoned (timeouts, client errors, read errors)
  uint64_t dropped = 0;    // malformed or stray datagrams
  uint64_t bytes = 0;      // file bytes sent by completed transfers
};

class TftpServer {
 public:
  // Opens the root directory; throws std::runtime_error with a sentence.
  TftpServer(boost::asio::io_context& io, const config::TftpConfig& cfg);
  ~TftpServer();

  // Listens on `address`, port 69, for bridge `index`; throws on failure.
  void add_bridge(size_t index, const std::string& name, Ipv4Address address);
  // Stops listening there; its running transfers finish.
  void remove_bridge(size_t index);
  bool serves(size_t index) const { return listeners_.contains(index); }

  size_t active() const { return sessions_.size(); }
  const TftpCounters& counters() const { return counters_; }

 private:
  struct Listener;
  struct Session;
  void arm(Listener& l);
  void on_request(Listener& l, const boost::asio::ip::udp::endpoint& from, ByteView datagram);
  void send(Session& s, const tftp::Step& step);
  void arm_receive(uint64_t id);
  void arm_timer(uint64_t id);
  void finish(uint64_t id, bool ok, std::string_view reason);

  boost::asio::io_context& io_;
  config::TftpConfig cfg_;
  tftp::RootDir root_;
  std::map<size_t, std::unique_ptr<Listener>> listeners_;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  uint64_t next_id_ = 1;
  TftpCounters counters_;
};

}  // namespace berth::server
