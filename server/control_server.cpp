#include "server/control_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "api/events.hpp"
#include "api/response.hpp"

namespace berth::server {

ApiResponse json_response(int status, const nlohmann::json& j) {
  return ApiResponse{status, "application/json", api::json_text(j)};
}

ApiResponse error_response(int status, std::string message) {
  return ApiResponse{status, "application/json",
                     api::error_body(api::ApiError{status, std::move(message), ""})};
}

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = net::local::stream_protocol;

namespace control_detail {
class Session;
}  // namespace control_detail

struct ControlServer::Shared : std::enable_shared_from_this<ControlServer::Shared> {
  Shared(net::io_context& io, ControlBackend& b, ControlServerLimits l, std::string p)
      : acceptor(io), retry(io), backend(b), limits(l), path(std::move(p)) {}

  void accept();
  void on_accept(const boost::system::error_code& ec, Local::socket socket);
  void session_ended(uint64_t id);
  void stop();

  Local::acceptor acceptor;
  net::steady_timer retry;  // after a failed accept (EMFILE, say)
  ControlBackend& backend;
  ControlServerLimits limits;
  std::string path;
  dev_t dev = 0;  // of the socket file this server created
  ino_t ino = 0;
  bool stopped = false;
  bool accepting = false;
  uint64_t next_id = 1;
  std::map<uint64_t, std::weak_ptr<control_detail::Session>> sessions;
};

namespace {

std::string system_message(int err) { return std::generic_category().message(err); }

void set_cloexec(int fd) { ::fcntl(fd, F_SETFD, FD_CLOEXEC); }

// Creates each missing directory above `socket_path`, mode 0755 whatever
// the umask.
void make_parent_directories(const std::string& socket_path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;
  for (fs::path p = fs::path(socket_path).parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        throw std::runtime_error("cannot create the control socket " + socket_path + ": " +
                                 p.string() + " is not a directory");
      }
      break;
    }
    if (errno != ENOENT) {
      throw std::runtime_error("cannot create the control socket " + socket_path + ": " +
                               p.string() + ": " + system_message(errno));
    }
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      throw std::runtime_error("cannot create the directory " + it->string() +
                               " for the control socket: " + system_message(errno));
    }
    ::chmod(it->c_str(), 0755);
  }
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A socket file nothing listens on is what a berthd that died leaves
// behind: remove it. A live one belongs to another berthd: refuse.
void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error("cannot check the control socket " + path + ": " +
                             system_message(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error(path +
                             " exists and is not a socket; berthd will not replace it: remove it "
                             "or choose another control socket path");
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("cannot create a socket: " + system_message(errno));
  const sockaddr_un addr = unix_address(path);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  // EAGAIN: the listener's backlog is full, so there is a listener.
  if (rc == 0 || err == EAGAIN) {
    throw std::runtime_error("another berthd is already listening on " + path +
                             "; stop it first, or give this one another control socket");
  }
  if (err != ECONNREFUSED) {
    throw std::runtime_error("cannot check whether a berthd listens on " + path + ": " +
                             system_message(err));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw std::runtime_error("cannot remove the stale control socket " + path + ": " +
                             system_message(errno));
  }
  spdlog::info("removed the stale control socket {}", path);
}

// A group name, or a numeric gid.
gid_t lookup_group(const std::string& name) {
  long size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  while (true) {
    group grp{};
    group* found = nullptr;
    const int rc = ::getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc == 0 && found != nullptr) return found->gr_gid;
    break;
  }
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
      name.size() < 10) {
    return static_cast<gid_t>(std::stoul(name));
  }
  throw std::runtime_error("the control socket's group '" + name + "' does not exist");
}

std::string mode_text(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

}  // namespace

namespace control_detail {

// One connection: reads requests one after the other (keep-alive,
// pipelining), hands each to the backend, writes its answer.
class Session : public std::enable_shared_from_this<Session>, public StreamSink {
 public:
  Session(std::shared_ptr<ControlServer::Shared> shared, Local::socket socket, uint64_t id,
          Peer peer)
      : shared_(std::move(shared)), stream_(std::move(socket)), id_(id), peer_(peer) {}
  ~Session() { shared_->session_ended(id_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read_header(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (auto source = std::move(stream_source_)) source->stop();
    beast::error_code ec;
    stream_.socket().shutdown(Local::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  const ControlServerLimits& limits() const { return shared_->limits; }

  void read_header() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(limits().body_limit);
    stream_.expires_after(limits().timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (closed_) return;
    if (ec) return fail_read(ec);
    const auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    // RFC 9110 §10.1.1: a client that waits for 100 Continue (curl does
    // before a large body) is told to go on; a body over the limit was
    // already refused by its Content-Length.
    if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      stream_.expires_after(limits().timeout);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (self->closed_) return;
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(limits().timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void fail_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return respond_error(api::ApiError{.status = 413,
                                         .message = "the request body is larger than " +
                                                    std::to_string(limits().body_limit) +
                                                    " bytes, the most the control API accepts",
                                         .allow = {}});
    }
    if (ec == http::error::header_limit) {
      return respond_error(api::ApiError{
          .status = 431, .message = "the request's header is too large", .allow = {}});
    }
    // Anything else the HTTP parser refuses; a client that hangs up, goes
    // quiet past the timeout or resets is just closed.
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return respond_error(api::ApiError{
          .status = 400, .message = "malformed HTTP request: " + ec.message(), .allow = {}});
    }
    if (ec == beast::error::timeout) {
      spdlog::debug("control: connection of uid {} pid {} idle for {} ms, closed", peer_.uid,
                    peer_.pid, limits().timeout.count());
    }
    close();
  }

  void on_request(beast::error_code ec) {
    if (closed_) return;
    if (ec) return fail_read(ec);
    stream_.expires_never();
    http::request<http::string_body> req = parser_->release();
    const std::string method(req.method_string());
    const std::string target(req.target());
    auto parsed = api::parse_request(method, target, req.body());
    if (auto* e = std::get_if<api::ApiError>(&parsed)) {
      spdlog::debug("control: uid {} pid {}: {} {} -> {} {}", peer_.uid, peer_.pid,
                    api::quote_text(method), api::quote_text(target), e->status, e->message);
      return respond(e->status, "application/json", api::error_body(*e), e->allow,
                     /*close_after=*/false);
    }
    api::Request& request = std::get<api::Request>(parsed);
    // Server-Sent Events are asked for by header (RFC: WHATWG HTML §9.2).
    if (auto* events = std::get_if<api::GetEvents>(&request);
        events &&
        std::string(req[http::field::accept]).find(api::kEventStreamType) != std::string::npos) {
      events->sse = true;
    }
    request_line_ = api::describe(request);
    change_ = api::changes_state(request);
    awaiting_backend_ = true;
    const uint64_t seq = ++request_seq_;
    auto done = [self = shared_from_this(), seq](ApiResponse r) {
      // Always answer from a fresh handler: a backend that calls done()
      // inside handle() must not find the session mid-dispatch.
      auto executor = self->stream_.get_executor();
      net::post(executor,
                [self, seq, r = std::move(r)]() mutable { self->on_backend(seq, std::move(r)); });
    };
    try {
      shared_->backend.handle(request, peer_, done);
    } catch (const std::exception& e) {
      spdlog::error("control: {} failed: {}", request_line_, e.what());
      on_backend(seq, error_response(500, std::string("internal error: ") + e.what()));
    }
  }

  void on_backend(uint64_t seq, ApiResponse r) {
    if (!awaiting_backend_ || seq != request_seq_) {
      spdlog::error("control: the backend answered {} twice; the second answer is dropped",
                    request_line_);
      return;
    }
    awaiting_backend_ = false;
    if (closed_) return;
    if (r.status < 200 || r.status > 599) {
      spdlog::error("control: the backend answered {} with status {}", request_line_, r.status);
      r = error_response(500, "internal error: bad status");
    }
    if (change_) {
      spdlog::info("control: uid {} pid {}: {} -> {}", peer_.uid, peer_.pid, request_line_,
                   r.status);
    } else {
      spdlog::debug("control: uid {} pid {}: {} -> {}", peer_.uid, peer_.pid, request_line_,
                    r.status);
    }
    if (r.stream && r.status == 200) return respond_stream(std::move(r));
    respond(r.status, std::move(r.content_type), std::move(r.body), {}, /*close_after=*/false);
  }

  // ---- a streamed answer (StreamSink): the header without a length and
  // "Connection: close" (RFC 9112 §6.3: the body ends when the connection
  // does), then whatever the source writes. A read stays pending on the
  // socket only to notice the client hanging up.
  void respond_stream(ApiResponse r) {
    stream_source_ = std::move(r.stream);
    std::string head = std::string(version_ == 10 ? "HTTP/1.0" : "HTTP/1.1") +
                       " 200 OK\r\nServer: berthd\r\nContent-Type: " + r.content_type +
                       "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    stream_.expires_never();
    watch_hangup();
    write(std::move(head));
    // A local owner: the source may end the stream (and this session's hold
    // on it) from inside start().
    if (auto source = stream_source_) source->start(weak_from_this());
  }

  void watch_hangup() {
    // On the socket itself, not the timed stream: a write timing out must
    // not be confused with the client's silence, which is expected.
    stream_.socket().async_read_some(
        net::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, size_t) {
          if (self->closed_) return;
          if (ec) {
            spdlog::debug("control: events follower uid {} pid {} hung up", self->peer_.uid,
                          self->peer_.pid);
            return self->close();
          }
          self->watch_hangup();  // a client has nothing to say here; ignore it
        });
  }

 public:
  bool write(std::string bytes) override {
    if (closed_) return false;
    if (unsent_ + bytes.size() > limits().stream_buffer_limit) {
      spdlog::warn(
          "control: events follower uid {} pid {} dropped: it left {} bytes unread, more than "
          "the limit of {}",
          peer_.uid, peer_.pid, unsent_ + bytes.size(), limits().stream_buffer_limit);
      close();
      return false;
    }
    unsent_ += bytes.size();
    outbox_.push_back(std::move(bytes));
    if (!writing_) write_next();
    return true;
  }
  size_t unsent() const override { return unsent_; }

 private:
  void write_next() {
    if (closed_) return;
    if (outbox_.empty()) {
      writing_ = false;
      if (auto source = stream_source_) source->resume();
      return;
    }
    writing_ = true;
    // A client that takes nothing for the whole timeout is gone or stuck.
    stream_.expires_after(limits().timeout);
    net::async_write(stream_, net::buffer(outbox_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (self->closed_) return;
                       self->stream_.expires_never();
                       if (ec) {
                         if (ec == beast::error::timeout) {
                           spdlog::warn(
                               "control: events follower uid {} pid {} dropped: it read nothing "
                               "for {} ms",
                               self->peer_.uid, self->peer_.pid, self->limits().timeout.count());
                         }
                         return self->close();
                       }
                       self->unsent_ -= self->outbox_.front().size();
                       self->outbox_.pop_front();
                       self->write_next();
                     });
  }

  void respond_error(const api::ApiError& e) {
    respond(e.status, "application/json", api::error_body(e), e.allow, /*close_after=*/true);
  }

  void respond(int status, std::string content_type, std::string body, const std::string& allow,
               bool close_after) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_ == 10 ? 10 : 11);
    res->result(static_cast<unsigned>(status));
    res->set(http::field::server, "berthd");
    if (status == 204 || status == 304) {
      body.clear();  // RFC 9110 §15.3.5, §15.4.5: no content
    } else {
      res->set(http::field::content_type, content_type);
    }
    if (!allow.empty()) res->set(http::field::allow, allow);
    res->body() = std::move(body);
    res->keep_alive(keep_alive_ && !close_after && !shared_->stopped);
    res->prepare_payload();
    stream_.expires_after(limits().timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        self->on_written(ec, res->keep_alive());
                      });
  }

  void on_written(beast::error_code ec, bool keep_alive) {
    if (closed_) return;
    if (ec) return close();
    if (keep_alive) return read_header();
    // Half-close, then read what the client still sends (the rest of a
    // refused body) until it hangs up: closing with unread data would reset
    // the connection before the client has read the answer.
    beast::error_code ignored;
    stream_.socket().shutdown(Local::socket::shutdown_send, ignored);
    drain();
  }

  void drain() {
    stream_.expires_after(limits().timeout);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (self->closed_) return;
                              self->drained_ += n;
                              if (ec || self->drained_ > 4 * self->limits().body_limit) {
                                return self->close();
                              }
                              self->drain();
                            });
  }

  std::shared_ptr<ControlServer::Shared> shared_;
  beast::basic_stream<Local> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const uint64_t id_;
  const Peer peer_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool awaiting_backend_ = false;
  bool change_ = false;
  uint64_t request_seq_ = 0;
  std::string request_line_;
  std::array<char, 4096> drain_buffer_{};
  size_t drained_ = 0;
  std::shared_ptr<StreamSource> stream_source_;
  std::deque<std::string> outbox_;
  size_t unsent_ = 0;
  bool writing_ = false;
};

}  // namespace control_detail

void ControlServer::Shared::accept() {
  if (stopped || accepting) return;
  // At the cap, new connections wait in the listen backlog until one ends.
  if (sessions.size() >= limits.max_connections) return;
  accepting = true;
  acceptor.async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec, Local::socket socket) {
        self->accepting = false;
        self->on_accept(ec, std::move(socket));
      });
}

void ControlServer::Shared::on_accept(const boost::system::error_code& ec, Local::socket socket) {
  if (stopped || ec == net::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("control: accepting a connection on {} failed: {}; trying again in a second", path,
                 ec.message());
    retry.expires_after(std::chrono::seconds(1));
    retry.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (!e) self->accept();
    });
    return;
  }
  const int fd = socket.native_handle();
  set_cloexec(fd);
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    spdlog::warn("control: SO_PEERCRED failed: {}; connection closed", system_message(errno));
    accept();
    return;
  }
  const uint64_t id = next_id++;
  auto session = std::make_shared<control_detail::Session>(
      shared_from_this(), std::move(socket), id, Peer{.uid = cred.uid, .pid = cred.pid});
  sessions.emplace(id, session);
  session->start();
  accept();
}

void ControlServer::Shared::session_ended(uint64_t id) {
  sessions.erase(id);
  accept();
}

void ControlServer::Shared::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ec;
  acceptor.close(ec);
  retry.cancel();
  // Lock first, close after: closing may end a session, which erases it
  // from `sessions`.
  std::vector<std::shared_ptr<control_detail::Session>> live;
  for (auto& [id, weak] : sessions) {
    if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close();
  live.clear();
  // Only the file this server made: never another berthd's.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev &&
      st.st_ino == ino) {
    ::unlink(path.c_str());
  }
}

ControlServer::ControlServer(boost::asio::io_context& io, std::string socket_path, unsigned mode,
                             std::optional<std::string> group, ControlBackend& backend,
                             ControlServerLimits limits)
    : socket_path_(std::move(socket_path)) {
  if (socket_path_.empty()) throw std::runtime_error("the control socket path is empty");
  if (socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
    throw std::runtime_error("the control socket path " + socket_path_ + " is " +
                             std::to_string(socket_path_.size()) +
                             " bytes long; a Unix socket path has at most " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1));
  }
  // Look the group up before anything is created, so a typo changes nothing.
  std::optional<gid_t> gid;
  if (group) gid = lookup_group(*group);
  make_parent_directories(socket_path_);
  remove_stale_socket(socket_path_);

  auto shared = std::make_shared<Shared>(io, backend, limits, socket_path_);
  boost::system::error_code ec;
  shared->acceptor.open(Local(), ec);
  if (!ec) set_cloexec(shared->acceptor.native_handle());
  if (!ec) shared->acceptor.bind(Local::endpoint(socket_path_), ec);
  if (ec) {
    throw std::runtime_error("cannot create the control socket " + socket_path_ + ": " +
                             ec.message());
  }
  // From here on the file exists: remove it on any failure.
  auto fail = [&](const std::string& what, int err) {
    ::unlink(socket_path_.c_str());
    throw std::runtime_error(what + ": " + system_message(err));
  };
  shared->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("cannot listen on the control socket " + socket_path_, ec.value());
  if (::chmod(socket_path_.c_str(), mode) != 0) {
    fail("cannot set mode " + mode_text(mode) + " on the control socket " + socket_path_, errno);
  }
  if (gid && ::chown(socket_path_.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
    fail("cannot give the control socket " + socket_path_ + " to group '" + *group + "'", errno);
  }
  struct stat st {};
  if (::lstat(socket_path_.c_str(), &st) != 0) fail("cannot stat " + socket_path_, errno);
  shared->dev = st.st_dev;
  shared->ino = st.st_ino;
  shared_ = std::move(shared);
  shared_->accept();
  spdlog::info("control API on {} (mode {}{})", socket_path_, mode_text(mode),
               group ? ", group " + *group : std::string());
}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() {
  if (shared_) shared_->stop();
}

size_t ControlServer::connections() const { return shared_ ? shared_->sessions.size() : 0; }

}  // namespace berth::server
