// The control API's routes: an HTTP method, target and body become a typed
// Request, or an ApiError with the HTTP status and a sentence naming what is
// wrong. Everything that can be checked without the daemon's state is
// checked here (syntax of addresses, names, JSON fields); the daemon checks
// the rest (subnets, conflicts). Pure code: no I/O, never throws.
//
//   GET    /v1/status
//   GET    /v1/bridges
//   GET    /v1/leases[?bridge=B]
//   DELETE /v1/leases/{bridge}/{ip}
//   GET    /v1/reservations[?bridge=B]
//   POST   /v1/reservations
//   PATCH  /v1/reservations/{id}
//   DELETE /v1/reservations/{id}
//   POST   /v1/reload
//   GET    /v1/forwards[?bridge=B]
//   POST   /v1/forwards
//   DELETE /v1/forwards/{id}
//   POST   /v1/attach
//   POST   /v1/detach
//   GET    /v1/firewall
//   GET    /v1/events[?since=CURSOR][&follow=1][&format=sse]
//   GET    /v1/records[?bridge=B&name=N&type=T]
//   POST   /v1/records
//   DELETE /v1/records/{id}
//   GET    /metrics
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/records.hpp"
#include "api/types.hpp"
#include "protocol/address.hpp"

namespace berth::api {

// Where berthd listens and berthctl connects unless told otherwise.
inline constexpr const char* kDefaultSocketPath = "/run/berth/berthd.sock";

// Largest request body accepted (413 above it).
inline constexpr size_t kMaxBodySize = 1024 * 1024;
// Deepest nesting of arrays and objects accepted in a JSON body.
inline constexpr size_t kMaxJsonDepth = 16;

struct GetStatus {
  bool operator==(const GetStatus&) const = default;
};
struct ListBridges {
  bool operator==(const ListBridges&) const = default;
};
struct ListLeases {
  std::optional<std::string> bridge;
  bool operator==(const ListLeases&) const = default;
};
struct ListReservations {
  std::optional<std::string> bridge;
  bool operator==(const ListReservations&) const = default;
};
struct AddReservation {
  ReservationCreate reservation;
  bool operator==(const AddReservation&) const = default;
};
struct DeleteReservation {
  int64_t id = 0;
  bool operator==(const DeleteReservation&) const = default;
};
struct PatchReservation {
  int64_t id = 0;
  ReservationPatch patch;
  bool operator==(const PatchReservation&) const = default;
};
struct ForgetLease {
  std::string bridge;
  Ipv4Address ip;
  bool operator==(const ForgetLease&) const = default;
};
struct Reload {
  bool operator==(const Reload&) const = default;
};
struct GetMetrics {
  bool operator==(const GetMetrics&) const = default;
};
struct ListForwards {
  std::optional<std::string> bridge;
  bool operator==(const ListForwards&) const = default;
};
struct AddForward {
  ForwardCreate forward;
  bool operator==(const AddForward&) const = default;
};
struct DeleteForward {
  int64_t id = 0;
  bool operator==(const DeleteForward&) const = default;
};
// Attach and Detach (POST /v1/attach, /v1/detach) are their bodies, in
// api/types.hpp.
struct GetFirewall {
  bool operator==(const GetFirewall&) const = default;
};

// GET /v1/events (api/events.hpp): the events after `since` (none given:
// all kept, or with follow only those to come); follow keeps the answer
// open and streams new ones. sse: Server-Sent Events rather than JSON lines
// (format=sse, or the control server's Accept: text/event-stream).
struct GetEvents {
  std::optional<int64_t> since;
  bool follow = false;
  bool sse = false;
  bool operator==(const GetEvents&) const = default;
};

using Request = std::variant<GetStatus, ListBridges, ListLeases, ListReservations, AddReservation,
                             DeleteReservation, PatchReservation, ForgetLease, Reload, GetMetrics,
                             ListForwards, AddForward, DeleteForward, Attach, Detach, GetFirewall,
                             GetEvents, ListRecords, AddRecord, DeleteRecord>;

std::variant<Request, ApiError> parse_request(std::string_view method, std::string_view target,
                                              std::string_view body);

// True for the requests that change something (the daemon logs the peer's
// uid for each of them).
bool changes_state(const Request& req);

// "POST /v1/reservations" and the like, for logs.
std::string describe(const Request& req);

// The HTTP form of a request, as berthctl sends it: parse_request() of the
// result gives back an equal Request.
struct HttpRequest {
  std::string method;
  std::string target;
  std::string body;  // JSON, or empty
};
HttpRequest to_http(const Request& req);

// Percent-encoding (RFC 3986 §2.1) of everything but unreserved characters,
// and its inverse (nullopt on a bad escape). decode_plus also turns '+'
// into ' ', as HTML forms encode query strings.
std::string percent_encode(std::string_view s);
std::optional<std::string> percent_decode(std::string_view s, bool decode_plus);

}  // namespace berth::api
