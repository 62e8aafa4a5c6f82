// Helpers shared by the control API's unit tests.
#pragma once

#include <nlohmann/json.hpp>

#include "api/response.hpp"
#include "api/types.hpp"
#include "protocol/address.hpp"

namespace berth::api::test {

inline Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
inline MacAddress mac(const char* s) { return *MacAddress::parse(s); }

// Through text, as on the wire.
template <class T>
T round_trip(const T& value) {
  return nlohmann::json::parse(json_text(nlohmann::json(value))).get<T>();
}

}  // namespace berth::api::test
