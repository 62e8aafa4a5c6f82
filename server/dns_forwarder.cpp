#include "server/dns_forwarder.hpp"

#include <sys/random.h>
#include <sys/stat.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "dns/forwarding.hpp"
#include "server/dns_worker.hpp"

namespace berth::server {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

DnsForwarder::DnsForwarder(DnsServer& server, dns::DnsCache& cache, const config::DnsConfig& cfg)
    : server_(server), cache_(cache), cfg_(cfg), rng_(std::random_device{}()) {
  reload_defaults(true);
}

void DnsForwarder::reconfigure(config::DnsConfig cfg) {
  asio::post(io_, [this, cfg = std::move(cfg)]() mutable {
    cfg_ = std::move(cfg);
    resolv_mtime_ = -1;
    reload_defaults(true);
  });
}

void DnsForwarder::start() {
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void DnsForwarder::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

uint16_t DnsForwarder::random_id() {
  uint16_t id = 0;
  if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint16_t>(rng_());
  return id;
}

void DnsForwarder::forward(Waiter w) {
  asio::post(io_, [this, w = std::move(w)]() mutable { add(std::move(w)); });
}

void DnsForwarder::add(Waiter w) {
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

void DnsForwarder::send(const std::shared_ptr<Inflight>& f) {
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

void DnsForwarder::receive(const std::shared_ptr<Inflight>& f) {
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

void DnsForwarder::ask_over_tcp(const std::shared_ptr<Inflight>& f) {
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
                        [this, f, n, alive, give_up](const boost::system::error_code& ec, size_t) {
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

void DnsForwarder::finish(const std::shared_ptr<Inflight>& f, std::vector<uint8_t> response) {
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
    const size_t limit = w.tcp ? kMaxTcpMessage : dns::udp_reply_limit(w.query.edns, kServerUdpMax);
    auto n = dns::response_for_client(response, w.query, w.packet, out, limit);
    if (!n) {
      counters_.add(DnsCounters::servfail);
      n = dns::error_reply(w.query, w.packet, dns::rcode::SERVFAIL, out);
    }
    deliver(w, ByteView(out.data(), *n));
  }
}

void DnsForwarder::fail(std::vector<Waiter> waiters) {
  std::array<uint8_t, kServerUdpMax> out{};
  for (Waiter& w : waiters) {
    counters_.add(DnsCounters::servfail);
    const size_t n = dns::error_reply(w.query, w.packet, dns::rcode::SERVFAIL, out);
    deliver(w, ByteView(out.data(), n));
  }
}

void DnsForwarder::deliver(Waiter& w, ByteView reply) {
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

void DnsForwarder::reload_defaults(bool force) {
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

std::vector<config::Upstream> DnsForwarder::without_self(std::vector<config::Upstream> list) const {
  const std::vector<dns::DnsBridge> bridges = server_.bridges();
  std::erase_if(list, [&](const config::Upstream& u) {
    if (u.port != cfg_.port) return false;
    // Compared as addresses: "FD42:0::1" is fd42::1.
    const auto ip = IpAddress::parse(u.address);
    if (!ip) return false;
    for (const dns::DnsBridge& b : bridges) {
      if (!b.serving) continue;
      if (*ip == IpAddress(b.address.address)) return true;
      if (b.ipv6 && *ip == IpAddress(b.ipv6->address)) return true;
    }
    return false;
  });
  return list;
}

}  // namespace berth::server
