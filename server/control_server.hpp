// The control API's HTTP layer: HTTP/1.1 (Boost.Beast) on a Unix stream
// socket, as Docker, LXD and Incus serve theirs. Each request is parsed
// with api::parse_request() and answered by a ControlBackend; the peer's uid
// and pid come from SO_PEERCRED. Runs on the daemon's io_context thread.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "api/router.hpp"
#include "server/control_backend.hpp"

namespace berth::server {

inline constexpr const char* kDefaultControlSocket = api::kDefaultSocketPath;
inline constexpr unsigned kDefaultControlSocketMode = 0660;

struct ControlServerLimits {
  // A connection that sends nothing (or does not read its answer) for this
  // long is closed; also bounds a keep-alive connection's idle time.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // Connections served at once; more wait in the listen backlog.
  size_t max_connections = 64;
  size_t body_limit = api::kMaxBodySize;  // larger bodies get 413
  // A streamed answer (GET /v1/events?follow=1) whose client leaves more
  // than this unread is closed: a slow follower costs bounded memory.
  size_t stream_buffer_limit = 1024 * 1024;
};

class ControlServer {
 public:
  // Creates the socket's directory when missing (mode 0755), replaces a
  // stale socket file (one nothing listens on), binds, sets `mode` and, when
  // given, `group` on the socket, and starts accepting on `io`. Throws
  // std::runtime_error with a sentence for the user when another process
  // listens on `socket_path`, when the path holds something that is not a
  // socket, or on any system error.
  ControlServer(boost::asio::io_context& io, std::string socket_path, unsigned mode,
                std::optional<std::string> group, ControlBackend& backend,
                ControlServerLimits limits = {});
  // stop().
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Closes the listening socket and every connection (an answer the backend
  // gives later is dropped) and removes the socket file when it is still the
  // one this server created. Idempotent. Call it on the io_context thread, or
  // when the io_context is not running.
  void stop();

  const std::string& socket_path() const { return socket_path_; }
  // Connections open now (for tests and metrics).
  size_t connections() const;

  struct Shared;  // state the connections share with the server; outlives it when they do

 private:
  std::string socket_path_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace berth::server
