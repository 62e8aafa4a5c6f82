#include "api/client.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/beast/http.hpp>

#include <array>
#include <cerrno>
#include <limits>
#include <system_error>
#include <vector>

namespace berth::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = net::local::stream_protocol;

namespace {

// Runs one asynchronous operation to completion on `io` and returns its
// error: the basic_stream's timer bounds it.
template <class Start>
beast::error_code run_one(net::io_context& io, Start start) {
  beast::error_code result = net::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

std::string group_name(gid_t gid) {
  std::vector<char> buf(16384);
  group grp{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &grp, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return found->gr_name;
  }
  return std::to_string(gid);
}

std::string seconds(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 999) / 1000) + " s";
}

}  // namespace

std::string connect_problem(const std::string& path, int err) {
  switch (err) {
    case ENOENT:
      return "berthd is not running (no socket at " + path + ")";
    case ECONNREFUSED:
      return "berthd is not running (nothing listens on " + path + ")";
    case EACCES:
    case EPERM: {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) {
        return "permission denied on " + path + ": run as root or as a member of group " +
               group_name(st.st_gid);
      }
      return "permission denied on " + path +
             ": run as root or as a member of the group that owns it";
    }
    default:
      return "cannot connect to berthd at " + path + ": " + std::generic_category().message(err);
  }
}

ControlClient::ControlClient(std::string socket_path, std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), timeout_(timeout) {}

ControlClient::~ControlClient() = default;

void ControlClient::connect() {
  if (path_.empty() || path_.size() >= sizeof(sockaddr_un::sun_path)) {
    throw ConnectError("the control socket path '" + path_ +
                       "' is not usable: a Unix socket path has 1 to " +
                       std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  stream_.emplace(io_);
  buffer_.clear();
  stream_->expires_after(timeout_);
  const beast::error_code ec =
      run_one(io_, [&](auto handler) { stream_->async_connect(Local::endpoint(path_), handler); });
  if (ec) {
    stream_.reset();
    if (ec == beast::error::timeout) {
      throw ConnectError("berthd did not accept a connection on " + path_ + " within " +
                         seconds(timeout_));
    }
    throw ConnectError(connect_problem(path_, ec.value()));
  }
}

HttpReply ControlClient::exchange(const api::HttpRequest& request, bool& closed_early) {
  closed_early = false;
  http::request<http::string_body> req;
  req.version(11);
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(request.target);
  req.set(http::field::host, "berthd");
  req.set(http::field::user_agent, std::string("berthctl/") + BERTH_VERSION);
  if (!request.body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = request.body;
  }
  req.keep_alive(true);
  req.prepare_payload();

  stream_->expires_after(timeout_);
  beast::error_code ec =
      run_one(io_, [&](auto handler) { http::async_write(*stream_, req, handler); });
  if (!ec) {
    http::response_parser<http::string_body> parser;
    // Lease lists of big hosts are large; berthd is trusted to end them.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_->expires_after(timeout_);
    ec = run_one(io_, [&](auto handler) { http::async_read(*stream_, buffer_, parser, handler); });
    if (!ec) {
      const auto& res = parser.get();
      HttpReply reply{.status = static_cast<int>(res.result_int()),
                      .content_type = std::string(res[http::field::content_type]),
                      .body = res.body()};
      if (!res.keep_alive()) stream_.reset();
      return reply;
    }
  }
  stream_.reset();
  if (ec == beast::error::timeout) {
    throw ConnectError("berthd did not answer within " + seconds(timeout_) + " (" + path_ + ")");
  }
  // A kept-alive connection berthd closed while idle: nothing was answered.
  closed_early = ec == http::error::end_of_stream || ec == net::error::eof ||
                 ec == net::error::connection_reset || ec == net::error::broken_pipe;
  throw ConnectError("the connection to berthd at " + path_ + " broke: " + ec.message());
}

HttpReply ControlClient::send(const api::HttpRequest& request) {
  const bool reused = stream_.has_value();
  if (!stream_) connect();
  bool closed_early = false;
  try {
    return exchange(request, closed_early);
  } catch (const ConnectError&) {
    if (!reused || !closed_early) throw;
  }
  connect();
  return exchange(request, closed_early);
}

HttpReply ControlClient::stream_lines(const api::HttpRequest& request,
                                      const std::function<bool(std::string_view line)>& on_line) {
  stream_.reset();
  connect();
  http::request<http::string_body> req;
  req.version(11);
  req.method(http::string_to_verb(request.method));
  req.target(request.target);
  req.set(http::field::host, "berthd");
  req.set(http::field::user_agent, std::string("berthctl/") + BERTH_VERSION);
  req.set(http::field::accept, "application/x-ndjson");
  req.keep_alive(false);
  req.prepare_payload();
  stream_->expires_after(timeout_);
  beast::error_code ec =
      run_one(io_, [&](auto handler) { http::async_write(*stream_, req, handler); });
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (!ec) {
    ec = run_one(
        io_, [&](auto handler) { http::async_read_header(*stream_, buffer_, parser, handler); });
  }
  if (ec) {
    stream_.reset();
    if (ec == beast::error::timeout) {
      throw ConnectError("berthd did not answer within " + seconds(timeout_) + " (" + path_ + ")");
    }
    throw ConnectError("the connection to berthd at " + path_ + " broke: " + ec.message());
  }
  HttpReply reply{.status = static_cast<int>(parser.get().result_int()),
                  .content_type = std::string(parser.get()[http::field::content_type]),
                  .body = {}};
  if (reply.status != 200 || parser.get().has_content_length() || parser.get().chunked()) {
    // A refusal (or a plain answer): read it whole.
    ec = run_one(io_, [&](auto handler) { http::async_read(*stream_, buffer_, parser, handler); });
    reply.body = parser.get().body();
    stream_.reset();
    if (reply.status == 200) {
      std::string_view rest = reply.body;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        if (!on_line(rest.substr(0, nl))) break;
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
    return reply;
  }
  // The body runs until the connection closes: the bytes after the header
  // (already in buffer_), then the socket.
  stream_->expires_never();
  std::string pending(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  buffer_.clear();
  std::array<char, 16384> chunk{};
  for (;;) {
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!on_line(std::string_view(pending).substr(start, nl - start))) {
        stream_.reset();
        return reply;
      }
    }
    pending.erase(0, start);
    size_t n = 0;
    ec = run_one(io_, [&](auto handler) {
      stream_->async_read_some(net::buffer(chunk),
                               [&n, handler](beast::error_code e, size_t got) mutable {
                                 n = got;
                                 handler(e);
                               });
    });
    pending.append(chunk.data(), n);
    if (ec) break;
  }
  if (!pending.empty()) on_line(pending);
  stream_.reset();
  return reply;
}

}  // namespace berth::api
