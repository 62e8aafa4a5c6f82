// The TO[:PORT] argument of `berthctl forward add`: a container's name or
// address, and the port on it (the host port when left out).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace berth::cli {

struct ForwardTarget {
  std::string to;                // an IPv4 address or a DNS label
  std::optional<uint16_t> port;  // nullopt: the same as the host port

  bool operator==(const ForwardTarget&) const = default;
};

// "web:80", "web", "10.0.3.5:8080", "10.0.3.5". The error is a sentence for
// the user naming what is wrong. Pure function.
std::variant<ForwardTarget, std::string> parse_forward_target(std::string_view spec);

}  // namespace berth::cli
