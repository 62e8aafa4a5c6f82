// Response bodies of the control API.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "api/types.hpp"

namespace berth::api {

// JSON text of `j` followed by a newline. Bytes that are not UTF-8 (a host
// name a client sent, say) become U+FFFD instead of throwing.
std::string json_text(const nlohmann::json& j);

// {"error": "<sentence>", "status": N}
std::string error_body(const ApiError& e);

// The reason phrase of an HTTP status ("Not Found"); "Unknown" for codes
// berth never sends.
std::string_view reason_phrase(int status);

}  // namespace berth::api
