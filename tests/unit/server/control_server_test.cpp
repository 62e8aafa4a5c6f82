// A real ControlServer on a Unix socket in a temporary directory, with a
// fake backend; a raw-socket client speaks HTTP/1.1 to it. The io_context
// runs on its own thread, as in berthd.
#include "server/control_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/response.hpp"

namespace berth::server {
namespace {

namespace net = boost::asio;

// Answers each request with 200 and {"request": "<describe(req)>"}, or
// keeps `done` for the test to call when `defer` is set.
class FakeBackend : public ControlBackend {
 public:
  void handle(const api::Request& req, const Peer& peer,
              std::function<void(ApiResponse)> done) override {
    std::lock_guard lock(mu);
    requests.push_back(req);
    peers.push_back(peer);
    if (throw_next) {
      throw_next = false;
      throw std::runtime_error("database is locked");
    }
    if (defer) {
      deferred.push_back(done);
      if (on_deferred) {
        on_deferred->set_value();
        on_deferred.reset();
      }
      return;
    }
    done(answer(req));
  }

  static ApiResponse answer(const api::Request& req) {
    if (std::holds_alternative<api::GetMetrics>(req)) {
      return ApiResponse{
          .status = 200, .content_type = "text/plain; version=0.0.4", .body = "berth_up 1\n"};
    }
    return ApiResponse{.status = std::holds_alternative<api::AddReservation>(req) ? 201 : 200,
                       .content_type = "application/json",
                       .body = api::json_text(nlohmann::json{{"request", api::describe(req)}})};
  }

  std::mutex mu;
  std::vector<api::Request> requests;
  std::vector<Peer> peers;
  bool defer = false;
  bool throw_next = false;
  std::vector<std::function<void(ApiResponse)>> deferred;
  std::optional<std::promise<void>> on_deferred;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A blocking client connection; every read gives up after five seconds so
// that a broken server fails the test instead of hanging it.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      ::close(fd_);
      throw std::runtime_error("connect " + path + ": " + std::strerror(err));
    }
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads until `buf_` holds `n` bytes; false on end of stream.
  bool fill(size_t n) {
    while (buf_.size() < n) {
      char chunk[65536];
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
      if (got == 0) return false;
      buf_.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }

  std::optional<HttpResponse> read_response() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(buf_.size() + 1)) return std::nullopt;
    }
    HttpResponse r;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0) throw std::runtime_error("bad status line");
    r.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    const size_t length =
        r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    if (!fill(length)) throw std::runtime_error("body cut short");
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // True when the server closed the connection (after anything buffered).
  bool at_end() { return buf_.empty() && !fill(1); }

  // True when nothing arrives within `ms`.
  bool quiet_for(int ms) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, ms) == 0;
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: berthd\r\n\r\n";
}

std::string with_body(const std::string& method, const std::string& target,
                      const std::string& body) {
  return method + " " + target + " HTTP/1.1\r\nHost: berthd\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string error_of(const HttpResponse& r) {
  return nlohmann::json::parse(r.body).at("error").get<std::string>();
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-control-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A directory that does not exist yet: the server creates it.
    path_ = dir_ + "/run/berthd.sock";
  }

  void TearDown() override {
    stop_io();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(ControlServerLimits limits = {}, unsigned mode = kDefaultControlSocketMode,
             std::optional<std::string> group = std::nullopt) {
    server_ = std::make_unique<ControlServer>(io_, path_, mode, group, backend_, limits);
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs `fn` on the io thread and waits for it.
  template <class Fn>
  auto on_io(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    net::post(io_, [&task] { task(); });
    return result.get();
  }

  void stop_io() {
    if (!thread_.joinable()) return;
    on_io([this] {
      if (server_) server_->stop();
      return 0;
    });
    work_.reset();
    thread_.join();
  }

  std::string dir_;
  std::string path_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  FakeBackend backend_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

TEST_F(ControlServerTest, AnswersThroughTheBackendWithThePeersCredentials) {
  start();
  Client c(path_);
  c.send(get("/v1/status"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->header("server"), "berthd");
  EXPECT_EQ(nlohmann::json::parse(r->body).at("request"), "GET /v1/status");
  std::lock_guard lock(backend_.mu);
  ASSERT_EQ(backend_.requests.size(), 1u);
  EXPECT_EQ(backend_.requests[0], api::Request(api::GetStatus{}));
  EXPECT_EQ(backend_.peers[0].uid, ::getuid());
  EXPECT_EQ(backend_.peers[0].pid, ::getpid());
}

TEST_F(ControlServerTest, PostWithBodyAndMetricsContentType) {
  start();
  Client c(path_);
  c.send(with_body("POST", "/v1/reservations",
                   R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "198.18.0.10"})"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  c.send(get("/metrics"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4");
  EXPECT_EQ(r->body, "berth_up 1\n");
  std::lock_guard lock(backend_.mu);
  ASSERT_EQ(backend_.requests.size(), 2u);
  const auto& add = std::get<api::AddReservation>(backend_.requests[0]).reservation;
  EXPECT_EQ(add.bridge, "br0");
  EXPECT_EQ(add.ip, *Ipv4Address::parse("198.18.0.10"));
}

TEST_F(ControlServerTest, UnknownPathIs404AndKeepsTheConnection) {
  start();
  Client c(path_);
  c.send(get("/v2/status"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_NE(error_of(*r).find("no such path"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(r->body).at("status"), 404);
  c.send(get("/v1/bridges"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::lock_guard lock(backend_.mu);
  EXPECT_EQ(backend_.requests.size(), 1u);  // the 404 never reached the backend
}

TEST_F(ControlServerTest, WrongMethodIs405WithAllow) {
  start();
  Client c(path_);
  c.send(with_body("PUT", "/v1/reservations", "{}"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET, POST");
  EXPECT_NE(error_of(*r).find("method 'PUT' is not allowed"), std::string::npos);
}

TEST_F(ControlServerTest, MalformedHttpIs400AndCloses) {
  start();
  Client c(path_);
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(*r).find("malformed HTTP request"), std::string::npos);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.at_end());

  Client bad_version(path_);
  bad_version.send("GET /v1/status HTTP/2.0\r\n\r\n");
  r = bad_version.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(bad_version.at_end());
}

TEST_F(ControlServerTest, KeepAliveServesSeveralRequests) {
  start();
  Client c(path_);
  c.send(get("/v1/status"));
  auto first = c.read_response();
  c.send(get("/v1/leases?bridge=br0"));
  auto second = c.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(nlohmann::json::parse(second->body).at("request"), "GET /v1/leases?bridge=br0");
  EXPECT_EQ(on_io([this] { return server_->connections(); }), 1u);
}

TEST_F(ControlServerTest, PipelinedRequestsAnsweredInOrder) {
  start();
  Client c(path_);
  c.send(get("/v1/status") + get("/v1/nothing") + get("/v1/bridges"));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 404);
  EXPECT_EQ(nlohmann::json::parse(d->body).at("request"), "GET /v1/bridges");
}

TEST_F(ControlServerTest, Http10AndConnectionCloseEndTheConnection) {
  start();
  Client old(path_);
  old.send("GET /v1/status HTTP/1.0\r\n\r\n");
  auto r = old.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(old.at_end());

  Client c(path_);
  c.send("GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n");
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.at_end());
}

TEST_F(ControlServerTest, BodyOverOneMebibyteIs413) {
  start();
  Client c(path_);
  // The whole request is sent: the server reads the rest after answering,
  // so the client is not reset before it reads the 413.
  c.send(with_body("POST", "/v1/reservations", std::string(api::kMaxBodySize + 1, ' ')));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(error_of(*r).find("larger than 1048576 bytes"), std::string::npos);
  EXPECT_TRUE(c.at_end());
  std::lock_guard lock(backend_.mu);
  EXPECT_TRUE(backend_.requests.empty());
}

TEST_F(ControlServerTest, BodyAtTheLimitIsRead) {
  start();
  Client c(path_);
  const std::string body = R"({"bridge": "br0", "mac": "00:16:3e:aa:bb:cc", "ip": "198.18.0.10"})";
  c.send(with_body("POST", "/v1/reservations",
                   body + std::string(api::kMaxBodySize - body.size(), ' ')));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
}

TEST_F(ControlServerTest, ExpectContinue) {
  start();
  Client c(path_);
  const std::string body = R"({"bridge": "br0", "hostname": "db", "ip": "198.18.0.11"})";
  c.send("POST /v1/reservations HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n");
  auto cont = c.read_response();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  c.send(body);
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);

  // Too large by its Content-Length: refused before the body is sent.
  Client big(path_);
  big.send(
      "POST /v1/reservations HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n");
  r = big.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(ControlServerTest, SocketModeAndGroup) {
  group* own = ::getgrgid(::getgid());
  ASSERT_NE(own, nullptr);
  start({}, kDefaultControlSocketMode, std::string(own->gr_name));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, ::getgid());
  // The directory it created.
  ASSERT_EQ(::stat((dir_ + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(ControlServerTest, OtherModeAndNumericGroup) {
  start({}, 0600, std::to_string(::getgid()));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(ControlServerTest, UnknownGroupRefusedAndNothingCreated) {
  try {
    ControlServer s(io_, path_, 0660, std::string("no-such-group-berth"), backend_, {});
    FAIL() << "started with an unknown group";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("group 'no-such-group-berth' does not exist"),
              std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/run"));
}

TEST_F(ControlServerTest, StaleSocketIsReplaced) {
  std::filesystem::create_directories(dir_ + "/run");
  // What a berthd killed with SIGKILL leaves: a socket file nobody listens on.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::is_socket(path_));

  start();
  Client c(path_);
  c.send(get("/v1/status"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ControlServerTest, LiveSocketIsRefused) {
  start();
  net::io_context other_io;
  FakeBackend other_backend;
  try {
    ControlServer second(other_io, path_, 0660, std::nullopt, other_backend, {});
    FAIL() << "a second server started on a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another berthd is already listening on " + path_),
              std::string::npos)
        << e.what();
  }
  // The first one is untouched.
  ASSERT_TRUE(std::filesystem::is_socket(path_));
  Client c(path_);
  c.send(get("/v1/status"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ControlServerTest, NonSocketFileIsRefused) {
  std::filesystem::create_directories(dir_ + "/run");
  std::ofstream(path_) << "precious\n";
  try {
    ControlServer s(io_, path_, 0660, std::nullopt, backend_, {});
    FAIL() << "replaced a regular file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exists and is not a socket"), std::string::npos);
  }
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "precious");
}

TEST_F(ControlServerTest, OverlongPathIsRefused) {
  EXPECT_THROW(
      ControlServer(io_, dir_ + "/" + std::string(120, 'x'), 0660, std::nullopt, backend_, {}),
      std::runtime_error);
}

TEST_F(ControlServerTest, StopClosesConnectionsAndRemovesTheSocket) {
  start();
  Client c(path_);
  c.send(get("/v1/status"));
  ASSERT_TRUE(c.read_response());
  on_io([this] {
    server_->stop();
    server_->stop();  // idempotent
    return 0;
  });
  EXPECT_TRUE(c.at_end());
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_THROW(Client again(path_), std::runtime_error);
}

TEST_F(ControlServerTest, BackendMayAnswerLater) {
  backend_.defer = true;
  std::promise<void> arrived;
  auto arrived_future = arrived.get_future();
  backend_.on_deferred.emplace(std::move(arrived));
  start();
  Client c(path_);
  c.send(with_body("PATCH", "/v1/reservations/3", R"({"name": "db"})"));
  arrived_future.wait();
  EXPECT_TRUE(c.quiet_for(50));
  on_io([this] {
    std::function<void(ApiResponse)> done;
    {
      std::lock_guard lock(backend_.mu);
      done = backend_.deferred.at(0);
    }
    done(ApiResponse{.status = 409,
                     .content_type = "application/json",
                     .body = api::error_body({.status = 409, .message = "taken", .allow = {}})});
    // A second answer to the same request is dropped.
    done(ApiResponse{.status = 200, .content_type = "application/json", .body = "{}"});
    return 0;
  });
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(error_of(*r), "taken");
  // The connection goes on, and the dropped answer never shows up.
  {
    std::lock_guard lock(backend_.mu);
    backend_.defer = false;
  }
  c.send(get("/v1/status"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body).at("request"), "GET /v1/status");
}

TEST_F(ControlServerTest, BackendThatThrowsGives500) {
  backend_.throw_next = true;
  start();
  Client c(path_);
  c.send(get("/v1/status"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(error_of(*r), "internal error: database is locked");
}

TEST_F(ControlServerTest, IdleConnectionTimesOut) {
  start(ControlServerLimits{.timeout = std::chrono::milliseconds(100),
                            .max_connections = 64,
                            .body_limit = api::kMaxBodySize});
  Client c(path_);
  EXPECT_TRUE(c.at_end());  // closed by the server, well before the client's 5 s
  Client half(path_);
  half.send("GET /v1/status HTTP/1.1\r\n");  // a request that never ends
  EXPECT_TRUE(half.at_end());
}

TEST_F(ControlServerTest, ConnectionsOverTheCapWait) {
  start(ControlServerLimits{
      .timeout = std::chrono::seconds(30), .max_connections = 2, .body_limit = api::kMaxBodySize});
  auto a = std::make_unique<Client>(path_);
  Client b(path_);
  a->send(get("/v1/status"));
  b.send(get("/v1/status"));
  ASSERT_TRUE(a->read_response());
  ASSERT_TRUE(b.read_response());
  EXPECT_EQ(on_io([this] { return server_->connections(); }), 2u);
  Client c(path_);  // connects (backlog) but is not served yet
  c.send(get("/v1/bridges"));
  EXPECT_TRUE(c.quiet_for(100));
  a.reset();
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace berth::server
