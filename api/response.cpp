#include "api/response.hpp"

namespace berth::api {

std::string json_text(const nlohmann::json& j) {
  std::string text = j.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                            nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  return text;
}

std::string error_body(const ApiError& e) { return json_text(nlohmann::json(e)); }

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

}  // namespace berth::api
