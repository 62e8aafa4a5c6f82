// GET /v1/events (issue 14): the wire forms of a stored event (a JSON line,
// or a Server-Sent Events frame) and their parsing back for berthctl. Pure
// code: no I/O.
//
// A line: {"cursor":12,"time":"2026-12-05T20:30:00.123Z","time_ms":...,
//          "kind":"lease_bound","bridge":"br0","ip":"10.0.3.5",
//          "mac":"00:16:3e:..","hostname":"web","details":{...}}
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "leases/events.hpp"
#include "leases/store.hpp"

namespace berth::api {

// Most events one GET /v1/events without follow answers; a client asks
// again after the last cursor it got until fewer come.
inline constexpr size_t kEventsPerAnswer = 1000;

inline constexpr std::string_view kNdjsonType = "application/x-ndjson";
inline constexpr std::string_view kEventStreamType = "text/event-stream";

// "2026-12-05T20:30:00.123Z" for UTC milliseconds (RFC 3339).
std::string rfc3339_ms(int64_t unix_ms);

nlohmann::json event_json(const leases::Event& e);
// The JSON object and a newline.
std::string event_line(const leases::Event& e);
// "id: CURSOR\nevent: KIND\ndata: JSON\n\n" (the cursor is the SSE id, so
// a browser's Last-Event-ID is a cursor).
std::string event_sse(const leases::Event& e);

// The event a reader gets first when events after `since` were pruned:
// kind "gap", its cursor oldest - 1 (resume from it and the gap is not
// reported again), details {"since", "oldest", "missed"}. nullopt when
// nothing after `since` was lost.
std::optional<leases::Event> gap_event(int64_t since, const leases::LeaseStore::EventBounds& b);

// A line of GET /v1/events back into an event; nullopt for a line that is
// not one (blank lines are keep-alives).
std::optional<leases::Event> event_from_line(std::string_view line);

// One line for a person: "2026-12-05 20:30:00.123 #12 lease_bound br0
// 10.0.3.5 00:16:3e:aa:bb:cc web", then the details that matter.
std::string event_text(const leases::Event& e);

}  // namespace berth::api
