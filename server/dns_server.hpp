// berthd's DNS: UDP and TCP on each bridge address (never the wildcard),
// IPv4 and, for a bridge with DnsBridge::ipv6, IPv6, answered by worker
// threads that share SO_REUSEPORT sockets. Local names
// come from the published NameTable snapshot, read without locks; other
// names are answered from the cache or forwarded by one upstream thread,
// which sends each distinct question once (RFC 5452 checks on the answer)
// and retries the next upstream on a timeout.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "dns/name_table.hpp"

namespace berth::dns {
class DnsCache;
}

namespace berth::server {

class DnsForwarder;

// Counters by result; each worker has its own (one writer), summed on read.
struct DnsCounters {
  enum Kind : size_t {
    queries,
    local,      // answered from the name table (answer, NXDOMAIN or NODATA)
    cached,     // answered from the cache
    forwarded,  // sent upstream (once per distinct question)
    coalesced,  // joined a question already upstream
    upstream_answers,
    servfail,   // no upstream answered
    refused,    // source outside the served subnets
    formerr,    // malformed query
    notimp,     // opcode other than QUERY
    dropped,    // unreadable datagram (no header)
    truncated,  // answer cut with TC=1
    tcp_connections,
    tcp_refused,        // over the connection cap
    upstream_mismatch,  // an upstream datagram that did not answer our query
    kinds
  };
  std::array<std::atomic<uint64_t>, kinds> v{};
  void add(Kind k, uint64_t n = 1) { v[k].fetch_add(n, std::memory_order_relaxed); }
};
std::string_view to_string(DnsCounters::Kind k);

class DnsServer {
 public:
  // Binds UDP and TCP on every bridge address. Throws std::runtime_error with
  // a sentence when a socket cannot be opened (port taken, ...).
  DnsServer(const config::DnsConfig& cfg, std::vector<dns::DnsBridge> bridges);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  void start();
  void stop();

  // Serves one more bridge at `index` (the daemon's bridge index; a gap is
  // filled with bridges not served), or another address for that index.
  // Opens every worker's sockets first: throws std::runtime_error, changing
  // nothing, when they cannot be opened. Other bridges' sockets are not
  // touched. The NameTable decides which sources are answered, so publish
  // one that serves the bridge (a NameTableSpec with the same DnsBridge).
  //
  // With `bridge.ipv6` set, UDP and TCP are opened on its IPv6 address too
  // (same port, IPV6_V6ONLY, SO_REUSEPORT per worker), and IPV6_FREEBIND:
  // an address just put on a bridge stays tentative until duplicate address
  // detection ends, which on a bridge without ports is only once a port
  // joins; the socket binds at once and hears queries as soon as the kernel
  // lets the address be used. Changing only `ipv6` of a served bridge is
  // another add_bridge with the new DnsBridge: both families are reopened.
  void add_bridge(size_t index, const dns::DnsBridge& bridge);
  // Closes the sockets of bridge `index`.
  void remove_bridge(size_t index);
  std::vector<dns::DnsBridge> bridges() const;

  // Upstreams, per-domain servers, resolv_conf and upstream_timeout_ms from
  // a reloaded config (the other [dns] keys are not read).
  void reconfigure_forwarding(const config::DnsConfig& cfg);

  // add_bridge in two steps, for a caller that must open everything before
  // it changes anything: open_sockets throws; add_bridge(.., sockets) does not.
  struct Sockets {
    std::vector<std::shared_ptr<boost::asio::ip::udp::socket>> udp;  // one per worker
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> tcp;
    // On the bridge's IPv6 address, one per worker; empty without IPv6.
    std::vector<std::shared_ptr<boost::asio::ip::udp::socket>> udp6;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> tcp6;
  };
  Sockets open_sockets(const dns::DnsBridge& b);
  void add_bridge(size_t index, const dns::DnsBridge& bridge, Sockets sockets);

  // Makes `table` the snapshot every following query reads.
  void publish(std::shared_ptr<const dns::NameTable> table);
  std::shared_ptr<const dns::NameTable> table() const;

  // Totals over all workers and the forwarder.
  std::array<uint64_t, DnsCounters::kinds> counters() const;
  uint64_t cache_hits() const;
  size_t worker_count() const { return workers_.size(); }

 private:
  struct Worker;
  class TcpSession;
  friend class TcpSession;
  friend class DnsForwarder;

  // One worker's sockets on one bridge, by family (see dns_worker.hpp).
  struct WorkerSockets {
    std::array<std::shared_ptr<boost::asio::ip::udp::socket>, 2> udp;
    std::array<std::unique_ptr<boost::asio::ip::tcp::acceptor>, 2> tcp;
  };
  void open_on(Worker& w, const boost::asio::ip::address& address, Sockets& made);
  void install(size_t bridge, Sockets sockets);
  void install_on(Worker& w, size_t bridge, WorkerSockets s);
  void receive_udp(Worker& w, size_t bridge, size_t family);
  void drain_udp(Worker& w, size_t bridge, size_t family);
  void accept_tcp(Worker& w, size_t bridge, size_t family);
  // Answers `packet` from `src` (a sockaddr_in or sockaddr_in6); returns the
  // reply size in `out`, 0 when the reply comes later (forwarded) or never
  // (dropped). A forwarded UDP reply goes out on the socket of src's family.
  size_t handle(Worker& w, size_t bridge, ByteView packet, const void* src, size_t src_len,
                bool tcp, MutableByteView out, std::shared_ptr<TcpSession> session);
  bool allowed_source(Worker& w, const void* src, size_t src_len);
  const dns::NameTable& current(Worker& w);

  config::DnsConfig cfg_;
  mutable std::mutex bridges_mu_;
  std::vector<dns::DnsBridge> bridges_;  // by bridge index (the daemon's)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<dns::DnsCache> cache_;
  std::unique_ptr<DnsForwarder> forwarder_;
  mutable std::mutex table_mu_;
  std::shared_ptr<const dns::NameTable> table_;
  std::atomic<uint64_t> table_version_{0};
  std::atomic<int> tcp_open_{0};
  int tcp_max_ = 256;
  std::chrono::seconds tcp_idle_{10};
  bool started_ = false;
};

}  // namespace berth::server
