// What the control API's HTTP layer (ControlServer) asks of the daemon: an
// answer to each parsed request. The daemon implements it; tests use a fake.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/router.hpp"

namespace berth::server {

// The process on the other end of the control socket (SO_PEERCRED), as it
// was when it connected.
struct Peer {
  uid_t uid = 0;
  pid_t pid = 0;
};

// A response body that goes on after the header (GET /v1/events?follow=1):
// the connection's side. Everything on the io_context thread.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues bytes for the client. False when the connection is closed, or
  // when the client has left more than the limit unread: the connection is
  // closed then (with a log line) and the source should stop.
  virtual bool write(std::string bytes) = 0;
  // Bytes queued and not yet taken by the client.
  virtual size_t unsent() const = 0;
};

// The producer's side: the server calls start() once the header is out,
// resume() whenever the queue has drained, stop() when the connection ends.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  virtual void start(std::weak_ptr<StreamSink> sink) = 0;
  virtual void resume() = 0;
  virtual void stop() = 0;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set (status 200), `body` is ignored: the header goes out without
  // a length, and the source writes the body until either side ends it.
  std::shared_ptr<StreamSource> stream = nullptr;
};

// A JSON body with `status`.
ApiResponse json_response(int status, const nlohmann::json& j);
// The API's error body, {"error": message, "status": N}, with `status`.
ApiResponse error_response(int status, std::string message);

class ControlBackend {
 public:
  virtual ~ControlBackend() = default;
  // Called on the io_context thread. Must call done exactly once, possibly
  // later (after a DB commit), on the io_context thread. A request that
  // fails changes nothing and answers an api::error_body() with its status.
  virtual void handle(const api::Request& req, const Peer& peer,
                      std::function<void(ApiResponse)> done) = 0;
};

}  // namespace berth::server
