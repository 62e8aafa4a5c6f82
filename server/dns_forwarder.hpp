// The DNS server's forwarder: owns the questions that are upstream, on its
// own thread. Each distinct question (name, type, class, DO) is asked once,
// from a fresh socket (a random source port) with a random ID; the answer
// must come from the upstream asked, with that ID and question (RFC 5452).
// A timeout moves on to the next upstream; SERVFAIL goes to the clients only
// when all have failed. The decisions are dns/forwarding.hpp's; this is I/O.
#pragma once

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "dns/cache.hpp"
#include "server/dns_server.hpp"

namespace berth::server {

class DnsForwarder {
 public:
  struct Waiter {
    DnsServer::Worker* worker;
    size_t bridge;
    std::shared_ptr<boost::asio::ip::udp::socket> udp_socket;  // where a UDP answer goes
    dns::Query query;
    std::vector<uint8_t> packet;
    bool tcp;
    sockaddr_storage src;
    socklen_t src_len;
    std::weak_ptr<DnsServer::TcpSession> session;
  };

  DnsForwarder(DnsServer& server, dns::DnsCache& cache, const config::DnsConfig& cfg);

  // A reload's new upstreams, per-domain servers, resolv.conf or timeout;
  // questions already upstream finish with the old ones.
  void reconfigure(config::DnsConfig cfg);

  void start();
  void stop();

  // RFC 5452: an ID an off-path attacker cannot predict (the kernel's CSPRNG;
  // the source port is the kernel's random ephemeral port).
  uint16_t random_id();

  // Any thread: hands a question over.
  void forward(Waiter w);

  DnsCounters& counters() { return counters_; }

 private:
  struct Inflight {
    dns::CacheKey key;
    std::vector<Waiter> waiters;
    std::vector<config::Upstream> upstreams;
    size_t attempt = 0;
    uint16_t id = 0;
    std::unique_ptr<boost::asio::ip::udp::socket> socket;
    std::unique_ptr<boost::asio::ip::tcp::socket> stream;
    boost::asio::ip::udp::endpoint to;
    boost::asio::ip::udp::endpoint from;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::vector<uint8_t> buffer;
  };

  void add(Waiter w);

  void send(const std::shared_ptr<Inflight>& f);

  void receive(const std::shared_ptr<Inflight>& f);

  // RFC 7766: an answer that did not fit in UDP is asked again over TCP,
  // from the same upstream, with a new ID.
  void ask_over_tcp(const std::shared_ptr<Inflight>& f);

  void finish(const std::shared_ptr<Inflight>& f, std::vector<uint8_t> response);

  void fail(std::vector<Waiter> waiters);

  void deliver(Waiter& w, ByteView reply);

  // The default upstreams: from the config, else the resolv.conf file,
  // re-read when its modification time changes (checked at most once a second).
  void reload_defaults(bool force);

  // Never forward to ourselves (a resolv.conf naming a bridge address).
  std::vector<config::Upstream> without_self(std::vector<config::Upstream> list) const;

  DnsServer& server_;
  dns::DnsCache& cache_;
  config::DnsConfig cfg_;  // its own copy: a reload swaps it on this thread
  boost::asio::io_context io_{1};
  std::thread thread_;
  std::mt19937 rng_;
  std::unordered_map<dns::CacheKey, std::shared_ptr<Inflight>, dns::CacheKeyHash> inflight_;
  std::vector<config::Upstream> defaults_;
  std::chrono::steady_clock::time_point last_check_{};
  int64_t resolv_mtime_ = -1;
  DnsCounters counters_;
};

}  // namespace berth::server
