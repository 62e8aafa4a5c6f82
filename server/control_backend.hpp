// What the control API's HTTP layer (ControlServer) asks of the daemon: an
// answer to each parsed request. The daemon implements it; tests use a fake.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "api/router.hpp"

namespace berth::server {

// The process on the other end of the control socket (SO_PEERCRED), as it
// was when it connected.
struct Peer {
  uid_t uid = 0;
  pid_t pid = 0;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
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
