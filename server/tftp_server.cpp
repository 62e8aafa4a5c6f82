#include "server/tftp_server.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace berth::server {
namespace asio = boost::asio;
using asio::ip::udp;

struct TftpServer::Listener {
  Listener(asio::io_context& io) : socket(io) {}
  std::string name;
  udp::socket socket;
  udp::endpoint from;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(65536);
};

struct TftpServer::Session {
  Session(asio::io_context& io, udp::endpoint peer, tftp::Transfer transfer)
      : socket(io), timer(io), peer(std::move(peer)), transfer(std::move(transfer)) {}
  udp::socket socket;
  asio::steady_timer timer;
  udp::endpoint peer;  // the client's TID
  udp::endpoint from;
  tftp::Transfer transfer;
  std::string what;  // "FILE to IP:PORT" for the log
  std::vector<uint8_t> buffer = std::vector<uint8_t>(65536);
};

TftpServer::TftpServer(asio::io_context& io, const config::TftpConfig& cfg)
    : io_(io), cfg_(cfg), root_(cfg.root) {}

TftpServer::~TftpServer() = default;

void TftpServer::add_bridge(size_t index, const std::string& name, Ipv4Address address) {
  auto l = std::make_unique<Listener>(io_);
  l->name = name;
  l->socket.open(udp::v4());
  l->socket.set_option(asio::socket_base::reuse_address(true));
  // The socket survives the address going away and coming back (a bridge
  // recreated while berthd runs).
  const int on = 1;
  ::setsockopt(l->socket.native_handle(), IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
  boost::system::error_code ec;
  l->socket.bind(udp::endpoint(asio::ip::address_v4(address.value()), tftp::kServerPort), ec);
  if (ec) {
    throw std::runtime_error("tftp on " + name + ": cannot listen on " + address.to_string() +
                             ":69: " + ec.message());
  }
  spdlog::info("serving TFTP on {} at {}:69 from {}", name, address.to_string(), cfg_.root);
  Listener& ref = *l;
  listeners_[index] = std::move(l);
  arm(ref);
}

void TftpServer::remove_bridge(size_t index) {
  auto it = listeners_.find(index);
  if (it == listeners_.end()) return;
  boost::system::error_code ignored;
  it->second->socket.close(ignored);
  // The pending receive completes with operation_aborted after this; the
  // listener must outlive it, so it is destroyed from a posted handler.
  asio::post(io_, [l = std::shared_ptr<Listener>(std::move(it->second))] {});
  listeners_.erase(it);
}

void TftpServer::arm(Listener& l) {
  l.socket.async_receive_from(asio::buffer(l.buffer), l.from,
                              [this, &l](const boost::system::error_code& ec, size_t n) {
                                if (ec == asio::error::operation_aborted || !l.socket.is_open())
                                  return;
                                if (!ec) on_request(l, l.from, ByteView(l.buffer.data(), n));
                                arm(l);
                              });
}

void TftpServer::on_request(Listener& l, const udp::endpoint& from, ByteView datagram) {
  tftp::Admission a = tftp::admit(datagram, sessions_.size(), cfg_.max_transfers);
  const std::string client = from.address().to_string() + ":" + std::to_string(from.port());
  boost::system::error_code ec;
  if (!a.request) {
    if (a.reply.empty()) {
      ++counters_.dropped;
      spdlog::debug("tftp({}): dropped a datagram from {}: {}", l.name, client, a.reason);
      return;
    }
    ++counters_.refused;
    spdlog::info("tftp({}): refused a request from {}: {}", l.name, client, a.reason);
    l.socket.send_to(asio::buffer(a.reply), from, 0, ec);
    return;
  }
  const tftp::Request& rq = *a.request;
  auto opened = root_.open(rq.filename);
  if (auto* refusal = std::get_if<tftp::OpenRefusal>(&opened)) {
    ++counters_.refused;
    spdlog::info("tftp({}): {} asked for {}: {}", l.name, client, rq.filename, refusal->reason);
    l.socket.send_to(asio::buffer(tftp::encode_error(refusal->code, refusal->message)), from, 0,
                     ec);
    return;
  }
  auto& file = std::get<tftp::OpenFile>(opened);
  std::unique_ptr<tftp::BlockSource> source = std::move(file.source);
  if (rq.mode == "netascii") source = std::make_unique<tftp::NetasciiSource>(std::move(source));
  tftp::Transfer transfer(rq, file.size, std::move(source),
                          tftp::TransferLimits{.max_block_size = cfg_.max_block_size,
                                               .timeout_seconds = cfg_.timeout,
                                               .retries = cfg_.retries});
  const uint64_t id = next_id_++;
  auto s = std::make_unique<Session>(io_, from, std::move(transfer));
  s->what = rq.filename + " to " + client;
  // A new TID (RFC 1350 §4): an ephemeral port on the address the request came to.
  s->socket.open(udp::v4(), ec);
  if (!ec) s->socket.bind(udp::endpoint(l.socket.local_endpoint().address(), 0), ec);
  if (ec) {
    ++counters_.failed;
    spdlog::warn("tftp({}): no socket for {}: {}", l.name, s->what, ec.message());
    return;
  }
  ++counters_.requests;
  spdlog::info("tftp({}): sending {} ({} bytes, block size {})", l.name, s->what, file.size,
               s->transfer.block_size());
  Session& ref = *s;
  sessions_[id] = std::move(s);
  const tftp::Step first = ref.transfer.start();
  if (first.kind != tftp::Step::Kind::send) {
    send(ref, first);
    finish(id, false, first.reason);
    return;
  }
  send(ref, first);
  arm_receive(id);
  arm_timer(id);
}

void TftpServer::send(Session& s, const tftp::Step& step) {
  if (step.packet.empty()) return;
  boost::system::error_code ec;
  s.socket.send_to(asio::buffer(step.packet), s.peer, 0, ec);
  if (ec) spdlog::debug("tftp: send for {}: {}", s.what, ec.message());
}

void TftpServer::arm_receive(uint64_t id) {
  Session& s = *sessions_.at(id);
  s.socket.async_receive_from(
      asio::buffer(s.buffer), s.from, [this, id](const boost::system::error_code& ec, size_t n) {
        auto it = sessions_.find(id);
        if (ec == asio::error::operation_aborted || it == sessions_.end()) return;
        Session& s = *it->second;
        if (ec) {
          arm_receive(id);
          return;
        }
        if (s.from != s.peer) {
          // RFC 1350 §4: a packet from another TID gets an error and the
          // transfer goes on.
          ++counters_.dropped;
          boost::system::error_code ignored;
          s.socket.send_to(
              asio::buffer(tftp::encode_error(tftp::ErrorCode::unknown_tid, "unknown transfer ID")),
              s.from, 0, ignored);
          arm_receive(id);
          return;
        }
        const tftp::Step step = s.transfer.on_datagram(ByteView(s.buffer.data(), n));
        switch (step.kind) {
          case tftp::Step::Kind::send:
            send(s, step);
            arm_timer(id);
            arm_receive(id);
            return;
          case tftp::Step::Kind::ignore:
            if (step.reason == "malformed") ++counters_.dropped;
            arm_receive(id);
            return;
          case tftp::Step::Kind::done:
            finish(id, true, "");
            return;
          case tftp::Step::Kind::abort:
            send(s, step);
            finish(id, false, step.reason);
            return;
        }
      });
}

void TftpServer::arm_timer(uint64_t id) {
  Session& s = *sessions_.at(id);
  s.timer.expires_after(std::chrono::seconds(s.transfer.timeout_seconds()));
  s.timer.async_wait([this, id](const boost::system::error_code& ec) {
    auto it = sessions_.find(id);
    if (ec == asio::error::operation_aborted || it == sessions_.end()) return;
    Session& s = *it->second;
    const tftp::Step step = s.transfer.on_timeout();
    if (step.kind == tftp::Step::Kind::send) {
      spdlog::debug("tftp: resending to {}", s.what);
      send(s, step);
      arm_timer(id);
      return;
    }
    send(s, step);
    finish(id, false, step.reason);
  });
}

void TftpServer::finish(uint64_t id, bool ok, std::string_view reason) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  if (ok) {
    ++counters_.completed;
    counters_.bytes += s.transfer.bytes_sent();
    spdlog::info("tftp: sent {} ({} bytes)", s.what, s.transfer.bytes_sent());
  } else {
    ++counters_.failed;
    spdlog::info("tftp: gave up sending {}: {}", s.what, reason);
  }
  boost::system::error_code ignored;
  s.socket.close(ignored);
  s.timer.cancel();
  // Pending handlers see operation_aborted and find no session; the objects
  // they were started on must live until then.
  asio::post(io_, [gone = std::shared_ptr<Session>(std::move(it->second))] {});
  sessions_.erase(it);
}

}  // namespace berth::server
