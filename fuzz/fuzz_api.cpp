// libFuzzer target: the control API's request path. The input is
// "METHOD TARGET\nBODY". Whatever the bytes, parse_request() must return
// (never throw), an error must be a sentence in a JSON body with a status
// the API uses, and a parsed request must survive to_http() and back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/events.hpp"
#include "api/response.hpp"
#include "api/router.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_error(const berth::api::ApiError& e) {
  check(e.status == 400 || e.status == 404 || e.status == 405 || e.status == 413);
  check(!e.message.empty());
  check((e.status == 405) == !e.allow.empty());
  const auto j = nlohmann::json::parse(berth::api::error_body(e));
  check(j.at("status") == e.status);
  check(j.at("error").is_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const size_t space = line.find(' ');
  const std::string_view method = line.substr(0, space);
  const std::string_view target =
      space == std::string_view::npos ? std::string_view() : line.substr(space + 1);

  // The body as a line of GET /v1/events (berthctl events reads them): an
  // event it accepts prints and encodes again to the same cursor and kind.
  if (auto event = berth::api::event_from_line(body)) {
    (void)berth::api::event_text(*event);
    auto back = berth::api::event_from_line(berth::api::event_line(*event));
    check(back && back->cursor == event->cursor && back->kind == event->kind);
  }

  std::variant<berth::api::Request, berth::api::ApiError> parsed;
  try {
    parsed = berth::api::parse_request(method, target, body);
  } catch (...) {
    std::abort();
  }
  if (const auto* e = std::get_if<berth::api::ApiError>(&parsed)) {
    check_error(*e);
    return 0;
  }
  const auto& req = std::get<berth::api::Request>(parsed);
  check(!berth::api::describe(req).empty());
  const berth::api::HttpRequest http = berth::api::to_http(req);
  const auto again = berth::api::parse_request(http.method, http.target, http.body);
  check(std::holds_alternative<berth::api::Request>(again));
  check(std::get<berth::api::Request>(again) == req);
  return 0;
}
