#include "server/dns_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
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
#include "server/dns_forwarder.hpp"
#include "server/dns_worker.hpp"

namespace berth::server {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr std::array<std::string_view, DnsCounters::kinds> kCounterNames = {
    "queries",          "local",     "cached",          "forwarded",   "coalesced",
    "upstream_answers", "servfail",  "refused",         "formerr",     "notimp",
    "dropped",          "truncated", "tcp_connections", "tcp_refused", "upstream_mismatch"};

}  // namespace

std::string_view to_string(DnsCounters::Kind k) { return kCounterNames.at(k); }

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

// One worker's UDP socket and TCP acceptor on `address`, appended to
// `made` (udp/tcp or udp6/tcp6 by the address's family). Throws
// boost::system::system_error.
void DnsServer::open_on(Worker& w, const asio::ip::address& address, Sockets& made) {
  const bool v6 = address.is_v6();
  const int one = 1;
  // IPv6: only IPv6 (no v4-mapped sources), and bound even while the address
  // is tentative (see add_bridge).
  auto v6_options = [&](int fd) {
    if (v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
  };
  auto u = std::make_shared<udp::socket>(w.io, v6 ? udp::v6() : udp::v4());
  if (v6) u->set_option(asio::ip::v6_only(true));
  v6_options(u->native_handle());
  ::setsockopt(u->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  u->set_option(asio::socket_base::receive_buffer_size(4 << 20));
  u->bind(udp::endpoint(address, cfg_.port));
  u->non_blocking(true);
  (v6 ? made.udp6 : made.udp).push_back(std::move(u));
  auto t = std::make_unique<tcp::acceptor>(w.io, v6 ? tcp::v6() : tcp::v4());
  if (v6) t->set_option(asio::ip::v6_only(true));
  v6_options(t->native_handle());
  t->set_option(asio::socket_base::reuse_address(true));
  ::setsockopt(t->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  t->bind(tcp::endpoint(address, cfg_.port));
  t->listen(128);
  (v6 ? made.tcp6 : made.tcp).push_back(std::move(t));
}

DnsServer::Sockets DnsServer::open_sockets(const dns::DnsBridge& b) {
  std::vector<asio::ip::address> addresses = {asio::ip::address_v4(b.address.address.value())};
  if (b.ipv6) addresses.emplace_back(asio::ip::address_v6(b.ipv6->address.to_bytes()));
  Sockets made;
  for (const asio::ip::address& address : addresses) {
    for (auto& wp : workers_) {
      try {
        open_on(*wp, address, made);
      } catch (const boost::system::system_error& e) {
        const std::string where =
            address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
        throw std::runtime_error("cannot serve DNS on " + b.name + " at " + where + ":" +
                                 std::to_string(cfg_.port) + ": " + e.code().message() +
                                 " (another DNS server bound there? set [dns] port or "
                                 "enabled = false)");
      }
    }
  }
  return made;
}

// Runs on worker w's thread once started (before: on the caller's).
void DnsServer::install_on(Worker& w, size_t bridge, WorkerSockets s) {
  for (size_t f = 0; f < kSocketFamilies; ++f) {
    auto& udps = w.udp_socks[f];
    auto& acceptors = w.acceptors[f];
    if (udps.size() <= bridge) {
      udps.resize(bridge + 1);
      acceptors.resize(bridge + 1);
    }
    if (udps[bridge]) {
      boost::system::error_code ignored;
      udps[bridge]->cancel(ignored);
    }
    udps[bridge] = std::move(s.udp[f]);
    acceptors[bridge] = std::move(s.tcp[f]);
    if (started_ && udps[bridge]) {
      receive_udp(w, bridge, f);
      accept_tcp(w, bridge, f);
    }
  }
}

void DnsServer::install(size_t bridge, Sockets sockets) {
  auto take = [](auto& v, size_t i) {
    return i < v.size() ? std::move(v[i]) : std::remove_reference_t<decltype(v[i])>();
  };
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    WorkerSockets s;
    s.udp[kIpv4] = take(sockets.udp, i);
    s.tcp[kIpv4] = take(sockets.tcp, i);
    s.udp[kIpv6] = take(sockets.udp6, i);
    s.tcp[kIpv6] = take(sockets.tcp6, i);
    if (!started_) {
      install_on(w, bridge, std::move(s));
    } else {
      asio::post(w.io, [this, &w, bridge, s = std::move(s)]() mutable {
        install_on(w, bridge, std::move(s));
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
    for (size_t f = 0; f < kSocketFamilies; ++f) {
      for (size_t b = 0; b < w.udp_socks[f].size(); ++b) {
        if (!w.udp_socks[f][b]) continue;
        receive_udp(w, b, f);
        accept_tcp(w, b, f);
      }
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

void DnsServer::receive_udp(Worker& w, size_t bridge, size_t family) {
  udp::socket* sock = w.udp_socks[family][bridge].get();
  sock->async_wait(udp::socket::wait_read,
                   [this, &w, bridge, family, sock](const boost::system::error_code& ec) {
                     // A socket replaced or removed meanwhile is not ours to read.
                     if (ec || w.udp_socks[family][bridge].get() != sock) return;
                     drain_udp(w, bridge, family);
                     receive_udp(w, bridge, family);
                   });
}

// Sources are sockaddr_in or sockaddr_in6 in sockaddr_storage; a reply
// goes back to the same one.
void DnsServer::drain_udp(Worker& w, size_t bridge, size_t family) {
  const int fd = w.udp_socks[family][bridge]->native_handle();
  for (int round = 0; round < 8; ++round) {
    for (size_t i = 0; i < kDnsBatch; ++i) {
      w.in_iov[i] = iovec{w.in_buf[i].data(), w.in_buf[i].size()};
      w.in_msgs[i].msg_hdr = msghdr{};
      w.in_msgs[i].msg_hdr.msg_name = &w.in_addr[i];
      w.in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      w.in_msgs[i].msg_hdr.msg_iov = &w.in_iov[i];
      w.in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd, w.in_msgs.data(), kDnsBatch, MSG_DONTWAIT, nullptr);
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
    if (static_cast<size_t>(got) < kDnsBatch) return;
  }
}

void DnsServer::accept_tcp(Worker& w, size_t bridge, size_t family) {
  tcp::acceptor* acceptor = w.acceptors[family][bridge].get();
  acceptor->async_accept([this, &w, bridge, family, acceptor](const boost::system::error_code& ec,
                                                              tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (w.acceptors[family][bridge].get() != acceptor) return;
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
    accept_tcp(w, bridge, family);
  });
}

bool DnsServer::allowed_source(Worker& w, const void* src, size_t src_len) {
  if (src_len < sizeof(sockaddr_in)) return false;
  sockaddr_storage ss{};
  std::memcpy(&ss, src, std::min(src_len, sizeof ss));
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &ss, sizeof sin);
    return current(w).serves(Ipv4Address(ntohl(sin.sin_addr.s_addr)));
  }
  if (ss.ss_family == AF_INET6 && src_len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &ss, sizeof sin6);
    return current(w).serves(Ipv6Address::from_bytes(
        ByteView(reinterpret_cast<const uint8_t*>(&sin6.sin6_addr), sizeof sin6.sin6_addr)));
  }
  return false;
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
  const size_t family = static_cast<const sockaddr*>(src)->sa_family == AF_INET6 ? kIpv6 : kIpv4;
  DnsForwarder::Waiter waiter{.worker = &w,
                              .bridge = bridge,
                              .udp_socket = tcp ? nullptr : w.udp_socks[family][bridge],
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
