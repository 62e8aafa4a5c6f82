// berthctl's side of the control API: HTTP/1.1 over berthd's Unix socket
// (Boost.Beast), one connection kept alive across requests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "api/router.hpp"

namespace berth::api {

// berthd cannot be reached, or the connection broke: what() is a sentence
// for the user ("berthd is not running (no socket at /run/berth/berthd.sock)").
class ConnectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class ControlClient {
 public:
  // Each request (connect, send, answer) gives up after `timeout`.
  ControlClient(std::string socket_path, std::chrono::milliseconds timeout);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Sends one request and returns berthd's answer, whatever its status.
  // Throws ConnectError.
  HttpReply send(const api::HttpRequest& request);

  // Sends a request whose answer streams (GET /v1/events?follow=1) on a
  // connection of its own and calls `on_line` with each line of the body,
  // without its newline, as it arrives, until berthd ends the stream or
  // on_line returns false. A status other than 200 is returned with its
  // body unread lines and all; 200 returns once the stream ends. Only the
  // connect and the header are bounded by the timeout. Throws ConnectError.
  HttpReply stream_lines(const api::HttpRequest& request,
                         const std::function<bool(std::string_view line)>& on_line);

  const std::string& socket_path() const { return path_; }

 private:
  using Stream = boost::beast::basic_stream<boost::asio::local::stream_protocol>;
  void connect();
  HttpReply exchange(const api::HttpRequest& request, bool& sent_nothing);

  std::string path_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  std::optional<Stream> stream_;
  boost::beast::flat_buffer buffer_;
};

// The sentence for a failed connect() to `path` with errno `err`.
std::string connect_problem(const std::string& path, int err);

}  // namespace berth::api
