#include "server/dns_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "dns/cache.hpp"
#include "dns/forwarding.hpp"

namespace berth::server {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr size_t kBatch = 32;
constexpr size_t kMaxUdpQuery = 4096;
constexpr size_t kServerUdpMax = 1232;  // DNS flag day 2020: no fragmented answers
constexpr size_t kMaxTcpMessage = 65535;
constexpr size_t kMaxInflight = 4096;  // distinct questions upstream at once

constexpr std::array<std::string_view, DnsCounters::kinds> kCounterNames = {
    "queries",          "local",     "cached",          "forwarded",   "coalesced",
    "upstream_answers", "servfail",  "refused",         "formerr",     "notimp",
    "dropped",          "truncated", "tcp_connections", "tcp_refused", "upstream_mismatch"};

}  // namespace

std::string_view to_string(DnsCounters::Kind k) { return kCounterNames.at(k); }

// ---- workers ----------------------------------------------------------------

struct DnsServer::Worker {
  size_t index = 0;
  asio::io_context io{1};
  // One per bridge index; null for a bridge not served. Shared: a forwarded
  // answer holds its socket until it is sent.
  std::vector<std::shared_ptr<udp::socket>> udp_socks;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::thread thread;
  std::shared_ptr<const dns::NameTable> table;
  uint64_t table_version = UINT64_MAX;
  DnsCounters counters;
  // recvmmsg/sendmmsg batch.
  std::array<mmsghdr, kBatch> in_msgs{};
  std::array<iovec, kBatch> in_iov{};
  std::array<sockaddr_storage, kBatch> in_addr{};
  std::vector<std::array<uint8_t, kMaxUdpQuery>> in_buf =
      std::vector<std::array<uint8_t, kMaxUdpQuery>>(kBatch);
  std::array<mmsghdr, kBatch> out_msgs{};
  std::array<iovec, kBatch> out_iov{};
  std::vector<std::array<uint8_t, kServerUdpMax>> out_buf =
      std::vector<std::array<uint8_t, kServerUdpMax>>(kBatch);
};

// One TCP client: length-prefixed queries (RFC 7766), several per
// connection, answered in any order; closed after an idle time.
class DnsServer::TcpSession : public std::enable_shared_from_this<DnsServer::TcpSession> {
 public:
  TcpSession(DnsServer& server, Worker& worker, size_t bridge, tcp::socket socket)
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
    asio::async_read(socket_, asio::buffer(length_),
                     [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                       if (ec) return self->close();
                       const size_t n =
                           static_cast<size_t>(self->length_[0]) << 8 | self->length_[1];
                       if (n < dns::kHeaderSize) return self->close();
                       self->body_.resize(n);
                       self->read_body();
                     });
  }

  void read_body() {
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                       if (ec) return self->close();
                       self->reply_.resize(kMaxTcpMessage);
                       const size_t n = self->server_.handle(
                           self->worker_, self->bridge_, self->body_, &self->peer_, self->peer_len_,
                           true, self->reply_, self);
                       if (n > 0)
                         self->write({self->reply_.begin(),
                                      self->reply_.begin() + static_cast<std::ptrdiff_t>(n)});
                       self->read_length();
                     });
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(writes_.front()),
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
  tcp::socket socket_;
  asio::steady_timer idle_;
  std::array<uint8_t, 2> length_{};
  std::vector<uint8_t> body_;
  std::vector<uint8_t> reply_;
  std::deque<std::vector<uint8_t>> writes_;
  sockaddr_storage peer_{};
  size_t peer_len_ = 0;
};

// ---- forwarder --------------------------------------------------------------

// Owns the questions that are upstream, on its own thread. Each distinct
// question (name, type, class, DO) is asked once, from a fresh socket (a
// random source port) with a random ID; the answer must come from the
// upstream asked, with that ID and question. A timeout moves on to the next
// upstream; SERVFAIL goes to the clients only when all have failed.
class DnsForwarder {
 public:
  struct Waiter {
    DnsServer::Worker* worker;
    size_t bridge;
    std::shared_ptr<udp::socket> udp_socket;  // where a UDP answer goes
    dns::Query query;
    std::vector<uint8_t> packet;
    bool tcp;
    sockaddr_storage src;
    socklen_t src_len;
    std::weak_ptr<DnsServer::TcpSession> session;
  };

  DnsForwarder(DnsServer& server, dns::DnsCache& cache, const config::DnsConfig& cfg)
      : server_(server), cache_(cache), cfg_(cfg), rng_(std::random_device{}()) {
    reload_defaults(true);
  }

  // A reload's new upstreams, per-domain servers, resolv.conf or timeout;
  // questions already upstream finish with the old ones.
  void reconfigure(config::DnsConfig cfg) {
    asio::post(io_, [this, cfg = std::move(cfg)]() mutable {
      cfg_ = std::move(cfg);
      resolv_mtime_ = -1;
      reload_defaults(true);
    });
  }

  void start() {
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // RFC 5452: an ID an off-path attacker cannot predict (the kernel's CSPRNG;
  // the source port is the kernel's random ephemeral port).
  uint16_t random_id() {
    uint16_t id = 0;
    if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint16_t>(rng_());
    return id;
  }

  // Any thread: hands a question over.
  void forward(Waiter w) {
    asio::post(io_, [this, w = std::move(w)]() mutable { add(std::move(w)); });
  }

  DnsCounters& counters() { return counters_; }

 private:
  struct Inflight {
    dns::CacheKey key;
    std::vector<Waiter> waiters;
    std::vector<config::Upstream> upstreams;
    size_t attempt = 0;
    uint16_t id = 0;
    std::unique_ptr<udp::socket> socket;
    std::unique_ptr<tcp::socket> stream;
    udp::endpoint to;
    udp::endpoint from;
    std::unique_ptr<asio::steady_timer> timer;
    std::vector<uint8_t> buffer;
  };

  void add(Waiter w) {
    dns::CacheKey key = dns::CacheKey::of(w.query);
    if (auto it = inflight_.find(key); it != inflight_.end()) {
      counters_.add(DnsCounters::coalesced);
      it->second->waiters.push_back(std::move(w));
      return;
    }
    reload_defaults(false);
    const auto& ups = dns::upstreams_for(w.query.qname, cfg_.servers, defaults_);
    if (ups.empty() || inflight_.size() >= kMaxInflight) {
      fail({std::move(w)});
      return;
    }
    auto f = std::make_shared<Inflight>();
    f->key = key;
    f->upstreams = ups;
    f->waiters.push_back(std::move(w));
    f->timer = std::make_unique<asio::steady_timer>(io_);
    f->buffer.resize(kMaxTcpMessage);
    inflight_.emplace(key, f);
    counters_.add(DnsCounters::forwarded);
    send(f);
  }

  void send(const std::shared_ptr<Inflight>& f) {
    while (f->attempt < f->upstreams.size()) {
      const config::Upstream& up = f->upstreams[f->attempt];
      boost::system::error_code ec;
      auto address = asio::ip::make_address(up.address, ec);
      if (ec) {
        ++f->attempt;
        continue;
      }
      f->to = udp::endpoint(address, up.port);
      f->socket = std::make_unique<udp::socket>(io_);
      f->socket->open(f->to.protocol(), ec);
      if (!ec) f->socket->bind(udp::endpoint(f->to.protocol(), 0), ec);  // kernel-random port
      f->id = random_id();
      const dns::Query& q = f->waiters.front().query;
      std::vector<uint8_t> query =
          dns::make_upstream_query(f->id, q.qname, q.qtype, q.qclass, q.edns && q.edns->dnssec_ok);
      if (!ec) f->socket->send_to(asio::buffer(query), f->to, 0, ec);
      if (ec) {
        spdlog::debug("dns: upstream {}: {}", up.to_string(), ec.message());
        ++f->attempt;
        continue;
      }
      receive(f);
      f->timer->expires_after(std::chrono::milliseconds(cfg_.upstream_timeout_ms));
      f->timer->async_wait([this, f, attempt = f->attempt](const boost::system::error_code& e) {
        if (e || f->attempt != attempt || !inflight_.count(f->key)) return;
        spdlog::debug("dns: upstream {} timed out for {}", f->to.address().to_string(),
                      f->waiters.front().query.qname.to_text());
        ++f->attempt;
        send(f);
      });
      return;
    }
    finish(f, {});
  }

  void receive(const std::shared_ptr<Inflight>& f) {
    udp::socket* sock = f->socket.get();
    sock->async_receive_from(
        asio::buffer(f->buffer), f->from,
        [this, f, sock](const boost::system::error_code& ec, size_t n) {
          if (ec || sock != f->socket.get() || !inflight_.count(f->key)) return;
          const dns::Query& q = f->waiters.front().query;
          ByteView resp(f->buffer.data(), n);
          if (f->from != f->to || !dns::answers_query(resp, f->id, q.qname, q.qtype, q.qclass)) {
            counters_.add(DnsCounters::upstream_mismatch);
            receive(f);  // not our answer: keep waiting for the real one
            return;
          }
          if ((resp[2] & 0x02) != 0) {  // TC: ask the same upstream over TCP
            ask_over_tcp(f);
            return;
          }
          const uint8_t rcode = resp[3] & 0x0F;
          if ((rcode == dns::rcode::SERVFAIL || rcode == dns::rcode::REFUSED) &&
              f->attempt + 1 < f->upstreams.size()) {
            ++f->attempt;
            send(f);
            return;
          }
          counters_.add(DnsCounters::upstream_answers);
          cache_.store(f->key, resp, dns::DnsCache::Clock::now());
          finish(f, std::vector<uint8_t>(resp.begin(), resp.end()));
        });
  }

  // RFC 7766: an answer that did not fit in UDP is asked again over TCP,
  // from the same upstream, with a new ID.
  void ask_over_tcp(const std::shared_ptr<Inflight>& f) {
    const size_t attempt = f->attempt;
    f->stream = std::make_unique<tcp::socket>(io_);
    f->id = random_id();
    const dns::Query& q = f->waiters.front().query;
    std::vector<uint8_t> query =
        dns::make_upstream_query(f->id, q.qname, q.qtype, q.qclass, q.edns && q.edns->dnssec_ok);
    const auto n = static_cast<uint16_t>(query.size());
    query.insert(query.begin(), {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    auto out = std::make_shared<std::vector<uint8_t>>(std::move(query));
    tcp::socket* sock = f->stream.get();
    auto alive = [this, f, attempt, sock] {
      return inflight_.count(f->key) != 0 && f->attempt == attempt && f->stream.get() == sock;
    };
    auto give_up = [this, f, alive](const boost::system::error_code& ec) {
      if (!alive()) return;
      spdlog::debug("dns: TCP to upstream {}: {}", f->to.address().to_string(), ec.message());
      ++f->attempt;
      send(f);
    };
    sock->async_connect(
        tcp::endpoint(f->to.address(), f->to.port()),
        [this, f, sock, out, alive, give_up](const boost::system::error_code& ec) {
          if (ec) return give_up(ec);
          asio::async_write(
              *sock, asio::buffer(*out),
              [this, f, sock, out, alive, give_up](const boost::system::error_code& ec, size_t) {
                if (ec) return give_up(ec);
                auto len = std::make_shared<std::array<uint8_t, 2>>();
                asio::async_read(
                    *sock, asio::buffer(*len),
                    [this, f, sock, len, alive, give_up](const boost::system::error_code& ec,
                                                         size_t) {
                      if (ec) return give_up(ec);
                      const size_t n = static_cast<size_t>((*len)[0]) << 8 | (*len)[1];
                      f->buffer.resize(std::max<size_t>(n, 1));
                      asio::async_read(
                          *sock, asio::buffer(f->buffer.data(), n),
                          [this, f, n, alive, give_up](const boost::system::error_code& ec,
                                                       size_t) {
                            if (ec) return give_up(ec);
                            if (!alive()) return;
                            const dns::Query& q = f->waiters.front().query;
                            ByteView resp(f->buffer.data(), n);
                            if (!dns::answers_query(resp, f->id, q.qname, q.qtype, q.qclass)) {
                              counters_.add(DnsCounters::upstream_mismatch);
                              return give_up(asio::error::invalid_argument);
                            }
                            counters_.add(DnsCounters::upstream_answers);
                            cache_.store(f->key, resp, dns::DnsCache::Clock::now());
                            finish(f, std::vector<uint8_t>(resp.begin(), resp.end()));
                          });
                    });
              });
        });
  }

  void finish(const std::shared_ptr<Inflight>& f, std::vector<uint8_t> response) {
    inflight_.erase(f->key);
    f->timer->cancel();
    boost::system::error_code ignored;
    if (f->socket) f->socket->close(ignored);
    if (f->stream) f->stream->close(ignored);
    if (response.empty()) {
      fail(std::move(f->waiters));
      return;
    }
    std::vector<uint8_t> out(kMaxTcpMessage);
    for (Waiter& w : f->waiters) {
      const size_t limit =
          w.tcp ? kMaxTcpMessage : dns::udp_reply_limit(w.query.edns, kServerUdpMax);
      auto n = dns::response_for_client(response, w.query, w.packet, out, limit);
      if (!n) {
        counters_.add(DnsCounters::servfail);
        n = dns::error_reply(w.query, w.packet, dns::rcode::SERVFAIL, out);
      }
      deliver(w, ByteView(out.data(), *n));
    }
  }

  void fail(std::vector<Waiter> waiters) {
    std::array<uint8_t, kServerUdpMax> out{};
    for (Waiter& w : waiters) {
      counters_.add(DnsCounters::servfail);
      const size_t n = dns::error_reply(w.query, w.packet, dns::rcode::SERVFAIL, out);
      deliver(w, ByteView(out.data(), n));
    }
  }

  void deliver(Waiter& w, ByteView reply) {
    if (!w.tcp) {
      // A datagram socket may be written from any thread.
      if (w.udp_socket) {
        ::sendto(w.udp_socket->native_handle(), reply.data(), reply.size(), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&w.src), w.src_len);
      }
      return;
    }
    asio::post(w.worker->io, [session = w.session,
                              bytes = std::vector<uint8_t>(reply.begin(), reply.end())]() mutable {
      if (auto s = session.lock()) s->write(std::move(bytes));
    });
  }

  // The default upstreams: from the config, else the resolv.conf file,
  // re-read when its modification time changes (checked at most once a second).
  void reload_defaults(bool force) {
    if (!cfg_.upstreams.empty()) {
      if (force) defaults_ = without_self(cfg_.upstreams);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_check_ < std::chrono::seconds(1)) return;
    last_check_ = now;
    struct stat st {};
    if (::stat(cfg_.resolv_conf.c_str(), &st) != 0) {
      if (force) spdlog::warn("dns: cannot read {}: no upstream resolvers", cfg_.resolv_conf);
      defaults_.clear();
      return;
    }
    const int64_t mtime =
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (!force && mtime == resolv_mtime_) return;
    resolv_mtime_ = mtime;
    std::ifstream in(cfg_.resolv_conf);
    std::stringstream text;
    text << in.rdbuf();
    defaults_ = without_self(dns::parse_resolv_conf(text.str()));
    std::string list;
    for (const auto& u : defaults_) list += " " + u.to_string();
    spdlog::info("dns: upstreams from {}:{}", cfg_.resolv_conf, list.empty() ? " none" : list);
  }

  // Never forward to ourselves (a resolv.conf naming a bridge address).
  std::vector<config::Upstream> without_self(std::vector<config::Upstream> list) const {
    std::erase_if(list, [&](const config::Upstream& u) {
      if (u.port != cfg_.port || u.ipv6) return false;
      for (const dns::DnsBridge& b : server_.bridges()) {
        if (b.serving && u.address == b.address.address.to_string()) return true;
      }
      return false;
    });
    return list;
  }

  DnsServer& server_;
  dns::DnsCache& cache_;
  config::DnsConfig cfg_;  // its own copy: a reload swaps it on this thread
  asio::io_context io_{1};
  std::thread thread_;
  std::mt19937 rng_;
  std::unordered_map<dns::CacheKey, std::shared_ptr<Inflight>, dns::CacheKeyHash> inflight_;
  std::vector<config::Upstream> defaults_;
  std::chrono::steady_clock::time_point last_check_{};
  int64_t resolv_mtime_ = -1;
  DnsCounters counters_;
};

// ---- server -----------------------------------------------------------------

DnsServer::DnsServer(const config::DnsConfig& cfg, std::vector<dns::DnsBridge> bridges)
    : cfg_(cfg), bridges_(std::move(bridges)) {
  cache_ = std::make_unique<dns::DnsCache>(cfg_.cache_size);
  forwarder_ = std::make_unique<DnsForwarder>(*this, *cache_, cfg_);
  size_t n = cfg_.workers;
  // The host also runs the containers: by default half its CPUs. On a
  // 2-CPU machine two workers spent 10-25% more CPU per query than one
  // (bench/dns), waking each other on a CPU they shared with the load.
  if (n == 0) n = std::clamp<size_t>(std::thread::hardware_concurrency() / 2, 1, 4);
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    workers_.push_back(std::move(w));
  }
  for (size_t b = 0; b < bridges_.size(); ++b) {
    if (bridges_[b].serving) install(b, open_sockets(bridges_[b]));
  }
  publish(dns::NameTable::build(dns::NameTableSpec{}, nullptr, nullptr));
}

DnsServer::~DnsServer() { stop(); }

DnsServer::Sockets DnsServer::open_sockets(const dns::DnsBridge& b) {
  const auto address = asio::ip::address_v4(b.address.address.value());
  const std::string where = address.to_string() + ":" + std::to_string(cfg_.port);
  Sockets made;
  for (auto& wp : workers_) {
    Worker& w = *wp;
    try {
      auto u = std::make_shared<udp::socket>(w.io, udp::v4());
      int one = 1;
      ::setsockopt(u->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      u->set_option(asio::socket_base::receive_buffer_size(4 << 20));
      u->bind(udp::endpoint(address, cfg_.port));
      u->non_blocking(true);
      made.udp.push_back(std::move(u));
      auto t = std::make_unique<tcp::acceptor>(w.io, tcp::v4());
      t->set_option(asio::socket_base::reuse_address(true));
      ::setsockopt(t->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      t->bind(tcp::endpoint(address, cfg_.port));
      t->listen(128);
      made.tcp.push_back(std::move(t));
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot serve DNS on " + b.name + " at " + where + ": " +
                               e.code().message() +
                               " (another DNS server bound there? set [dns] port or "
                               "enabled = false)");
    }
  }
  return made;
}

// Runs on worker w's thread once started (before: on the caller's).
void DnsServer::install_on(Worker& w, size_t bridge, std::shared_ptr<udp::socket> u,
                           std::unique_ptr<tcp::acceptor> t) {
  if (w.udp_socks.size() <= bridge) {
    w.udp_socks.resize(bridge + 1);
    w.acceptors.resize(bridge + 1);
  }
  if (w.udp_socks[bridge]) {
    boost::system::error_code ignored;
    w.udp_socks[bridge]->cancel(ignored);
  }
  w.udp_socks[bridge] = std::move(u);
  w.acceptors[bridge] = std::move(t);
  if (started_ && w.udp_socks[bridge]) {
    receive_udp(w, bridge);
    accept_tcp(w, bridge);
  }
}

void DnsServer::install(size_t bridge, Sockets sockets) {
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    std::shared_ptr<udp::socket> u = i < sockets.udp.size() ? std::move(sockets.udp[i]) : nullptr;
    std::unique_ptr<tcp::acceptor> t = i < sockets.tcp.size() ? std::move(sockets.tcp[i]) : nullptr;
    if (!started_) {
      install_on(w, bridge, std::move(u), std::move(t));
    } else {
      asio::post(w.io, [this, &w, bridge, u = std::move(u), t = std::move(t)]() mutable {
        install_on(w, bridge, std::move(u), std::move(t));
      });
    }
  }
}

void DnsServer::add_bridge(size_t index, const dns::DnsBridge& bridge) {
  add_bridge(index, bridge, open_sockets(bridge));  // throws before anything changes
}

void DnsServer::add_bridge(size_t index, const dns::DnsBridge& bridge, Sockets sockets) {
  {
    std::lock_guard lock(bridges_mu_);
    if (bridges_.size() <= index) bridges_.resize(index + 1, dns::DnsBridge{.serving = false});
    bridges_[index] = bridge;
  }
  install(index, std::move(sockets));
}

void DnsServer::remove_bridge(size_t index) {
  {
    std::lock_guard lock(bridges_mu_);
    if (index < bridges_.size()) bridges_[index].serving = false;
  }
  install(index, Sockets{});
}

std::vector<dns::DnsBridge> DnsServer::bridges() const {
  std::lock_guard lock(bridges_mu_);
  return bridges_;
}

void DnsServer::start() {
  if (started_) return;
  started_ = true;
  forwarder_->start();
  for (auto& wp : workers_) {
    Worker& w = *wp;
    for (size_t b = 0; b < w.udp_socks.size(); ++b) {
      if (!w.udp_socks[b]) continue;
      receive_udp(w, b);
      accept_tcp(w, b);
    }
    w.thread = std::thread([&w] {
      pthread_setname_np(pthread_self(), ("dns-" + std::to_string(w.index)).c_str());
      // A worker may serve no bridge for a moment (a reload replacing the
      // only one); it must keep running until stop().
      auto guard = asio::make_work_guard(w.io);
      w.io.run();
    });
  }
}

void DnsServer::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& w : workers_) w->io.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  forwarder_->stop();
}

void DnsServer::publish(std::shared_ptr<const dns::NameTable> table) {
  {
    std::lock_guard lock(table_mu_);
    table_ = std::move(table);
  }
  table_version_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const dns::NameTable> DnsServer::table() const {
  std::lock_guard lock(table_mu_);
  return table_;
}

const dns::NameTable& DnsServer::current(Worker& w) {
  const uint64_t v = table_version_.load(std::memory_order_acquire);
  if (v != w.table_version) {
    w.table = table();
    w.table_version = v;
  }
  return *w.table;
}

std::array<uint64_t, DnsCounters::kinds> DnsServer::counters() const {
  std::array<uint64_t, DnsCounters::kinds> sum{};
  auto add = [&](const DnsCounters& c) {
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += c.v[i].load(std::memory_order_relaxed);
  };
  for (const auto& w : workers_) add(w->counters);
  add(forwarder_->counters());
  return sum;
}

uint64_t DnsServer::cache_hits() const { return cache_->stats().hits; }

void DnsServer::reconfigure_forwarding(const config::DnsConfig& cfg) {
  forwarder_->reconfigure(cfg);
}

void DnsServer::receive_udp(Worker& w, size_t bridge) {
  udp::socket* sock = w.udp_socks[bridge].get();
  sock->async_wait(udp::socket::wait_read,
                   [this, &w, bridge, sock](const boost::system::error_code& ec) {
                     // A socket replaced or removed meanwhile is not ours to read.
                     if (ec || w.udp_socks[bridge].get() != sock) return;
                     drain_udp(w, bridge);
                     receive_udp(w, bridge);
                   });
}

void DnsServer::drain_udp(Worker& w, size_t bridge) {
  const int fd = w.udp_socks[bridge]->native_handle();
  for (int round = 0; round < 8; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      w.in_iov[i] = iovec{w.in_buf[i].data(), w.in_buf[i].size()};
      w.in_msgs[i].msg_hdr = msghdr{};
      w.in_msgs[i].msg_hdr.msg_name = &w.in_addr[i];
      w.in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      w.in_msgs[i].msg_hdr.msg_iov = &w.in_iov[i];
      w.in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd, w.in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (got <= 0) return;
    size_t replies = 0;
    for (int i = 0; i < got; ++i) {
      const mmsghdr& m = w.in_msgs[static_cast<size_t>(i)];
      if ((m.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        w.counters.add(DnsCounters::dropped);
        continue;
      }
      const size_t n =
          handle(w, bridge, ByteView(w.in_buf[static_cast<size_t>(i)].data(), m.msg_len),
                 &w.in_addr[static_cast<size_t>(i)], m.msg_hdr.msg_namelen, false,
                 w.out_buf[replies], nullptr);
      if (n == 0) continue;
      w.out_iov[replies] = iovec{w.out_buf[replies].data(), n};
      w.out_msgs[replies].msg_hdr = msghdr{};
      w.out_msgs[replies].msg_hdr.msg_name = &w.in_addr[static_cast<size_t>(i)];
      w.out_msgs[replies].msg_hdr.msg_namelen = m.msg_hdr.msg_namelen;
      w.out_msgs[replies].msg_hdr.msg_iov = &w.out_iov[replies];
      w.out_msgs[replies].msg_hdr.msg_iovlen = 1;
      ++replies;
    }
    size_t sent = 0;
    while (sent < replies) {
      const int r = ::sendmmsg(fd, w.out_msgs.data() + sent, static_cast<unsigned>(replies - sent),
                               MSG_DONTWAIT);
      if (r <= 0) {
        // A full socket buffer: the clients will retry; skip the rest.
        break;
      }
      sent += static_cast<size_t>(r);
    }
    if (static_cast<size_t>(got) < kBatch) return;
  }
}

void DnsServer::accept_tcp(Worker& w, size_t bridge) {
  tcp::acceptor* acceptor = w.acceptors[bridge].get();
  acceptor->async_accept(
      [this, &w, bridge, acceptor](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (w.acceptors[bridge].get() != acceptor) return;
        if (!ec) {
          if (tcp_open_.fetch_add(1, std::memory_order_relaxed) >= tcp_max_) {
            tcp_open_.fetch_sub(1, std::memory_order_relaxed);
            w.counters.add(DnsCounters::tcp_refused);
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            w.counters.add(DnsCounters::tcp_connections);
            std::make_shared<TcpSession>(*this, w, bridge, std::move(socket))->start();
          }
        }
        accept_tcp(w, bridge);
      });
}

bool DnsServer::allowed_source(Worker& w, const void* src, size_t src_len) {
  if (src_len < sizeof(sockaddr_in)) return false;
  const auto* sa = static_cast<const sockaddr*>(src);
  if (sa->sa_family != AF_INET) return false;
  const auto* sin = static_cast<const sockaddr_in*>(src);
  return current(w).serves(Ipv4Address(ntohl(sin->sin_addr.s_addr)));
}

size_t DnsServer::handle(Worker& w, size_t bridge, ByteView packet, const void* src, size_t src_len,
                         bool tcp, MutableByteView out, std::shared_ptr<TcpSession> session) {
  w.counters.add(DnsCounters::queries);
  auto parsed = dns::parse_query(packet);
  if (auto* err = std::get_if<dns::QueryError>(&parsed)) {
    if (!err->header || err->header->qr) {
      w.counters.add(DnsCounters::dropped);  // no header, or a response: never answer
      return 0;
    }
    w.counters.add(DnsCounters::formerr);
    dns::Message m;
    m.header.id = err->header->id;
    m.header.qr = true;
    m.header.opcode = err->header->opcode;
    m.header.rd = err->header->rd;
    m.header.rcode = err->rcode;
    auto n = dns::encode_message(m, out, out.size());
    return n ? n->size : 0;
  }
  const dns::Query& q = std::get<dns::Query>(parsed);
  const size_t limit = tcp ? std::min(out.size(), kMaxTcpMessage)
                           : std::min(out.size(), dns::udp_reply_limit(q.edns, kServerUdpMax));
  if (!allowed_source(w, src, src_len)) {
    w.counters.add(DnsCounters::refused);
    return dns::error_reply(q, packet, dns::rcode::REFUSED, out);
  }
  if (q.header.opcode != dns::opcode::QUERY) {
    w.counters.add(DnsCounters::notimp);
    return dns::error_reply(q, packet, dns::rcode::NOTIMP, out);
  }
  if (q.edns && q.edns->version != 0) {
    // BADVERS (RFC 6891 6.1.3): extended rcode 16, its upper bits in the OPT.
    return dns::error_reply(q, packet, 16, out);
  }
  if (auto n = current(w).answer(q, packet, bridge, out, limit)) {
    w.counters.add(DnsCounters::local);
    if ((out[2] & 0x02) != 0) w.counters.add(DnsCounters::truncated);
    return *n;
  }
  const dns::CacheKey key = dns::CacheKey::of(q);
  if (auto n = cache_->answer(key, q, packet, out, limit, dns::DnsCache::Clock::now())) {
    w.counters.add(DnsCounters::cached);
    return *n;
  }
  DnsForwarder::Waiter waiter{.worker = &w,
                              .bridge = bridge,
                              .udp_socket = tcp ? nullptr : w.udp_socks[bridge],
                              .query = q,
                              .packet = std::vector<uint8_t>(packet.begin(), packet.end()),
                              .tcp = tcp,
                              .src = {},
                              .src_len = static_cast<socklen_t>(src_len),
                              .session = session};
  std::memcpy(&waiter.src, src, std::min(src_len, sizeof(sockaddr_storage)));
  forwarder_->forward(std::move(waiter));
  return 0;
}

}  // namespace berth::server
