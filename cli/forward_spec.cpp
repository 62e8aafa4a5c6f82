#include "cli/forward_spec.hpp"

#include "api/types.hpp"

namespace berth::cli {

std::variant<ForwardTarget, std::string> parse_forward_target(std::string_view spec) {
  const size_t colon = spec.find(':');
  if (colon != std::string_view::npos && spec.find(':', colon + 1) != std::string_view::npos) {
    return "the target " + api::quote_text(spec) +
           " has more than one ':'; write it as NAME:PORT or ADDRESS:PORT, like web:80";
  }
  const std::string_view to = spec.substr(0, colon);
  if (to.empty()) {
    return "the target " + api::quote_text(spec) +
           " names no container; write it as NAME:PORT or ADDRESS:PORT, like web:80";
  }
  if (auto problem = api::forward_target_problem("the target", to)) return *problem;
  ForwardTarget out{.to = std::string(to), .port = std::nullopt};
  if (colon == std::string_view::npos) return out;

  const std::string_view port = spec.substr(colon + 1);
  auto bad_port = [&] {
    return "the port " + api::quote_text(port) + " of the target " + api::quote_text(spec) +
           " is not a port: a number from 1 to 65535";
  };
  // Digits only, no sign and no leading zero: the form everyone reads alike.
  if (port.empty() || port.size() > 5 || port.front() == '0') return bad_port();
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return bad_port();
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return bad_port();
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace berth::cli
