#include "api/router.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <utility>
#include <vector>

#include "api/response.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::optional<uint8_t> hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return std::nullopt;
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Text for a message, bytes outside printable ASCII as \xNN, cut at 200.
std::string printable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// nlohmann's parser does not recurse, but a body of a million '[' is no
// reservation either: refuse deep nesting before parsing.
bool nests_too_deep(std::string_view body) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::variant<json, ApiError> parse_json_body(std::string_view route, std::string_view body) {
  if (is_blank(body)) {
    return bad_request(std::string(route) + " needs a JSON object as its body");
  }
  if (nests_too_deep(body)) {
    return bad_request("the request body nests arrays or objects deeper than " +
                       std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    // what() reads "[json.exception.parse_error.101] parse error at ...".
    std::string_view what = e.what();
    if (const size_t close = what.find("] "); close != std::string_view::npos) {
      what.remove_prefix(close + 2);
    }
    return bad_request("the request body is not valid JSON: " + printable(what));
  }
}

// A request without a body may still carry an empty one, or "{}" from
// clients that always send JSON.
std::optional<ApiError> refuse_body(std::string_view route, std::string_view body) {
  if (is_blank(body)) return std::nullopt;
  if (body.size() <= 64 && !nests_too_deep(body)) {
    const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.empty()) return std::nullopt;
  }
  return bad_request(std::string(route) + " takes no request body");
}

// The parameters of a query string; a parameter is given at most once.
using Query = std::vector<std::pair<std::string, std::string>>;

std::variant<Query, ApiError> parse_query(std::string_view path, std::string_view query,
                                          std::initializer_list<std::string_view> allowed) {
  Query out;
  if (query.empty()) return out;
  for (std::string_view piece : split(query, '&')) {
    if (piece.empty()) continue;  // "a=1&&b=2", a trailing '&'
    const size_t eq = piece.find('=');
    auto key = percent_decode(piece.substr(0, eq), /*decode_plus=*/true);
    if (!key)
      return bad_request("the query string has a bad percent escape in " + quote_text(piece));
    bool known = false;
    for (std::string_view a : allowed) known = known || a == *key;
    if (!known) {
      if (allowed.size() == 0) {
        return bad_request(std::string(path) + " takes no query parameters; " + quote_text(*key) +
                           " was given");
      }
      if (allowed.size() > 1) {
        std::string names;
        for (std::string_view a : allowed)
          names += (names.empty() ? "'" : ", '") + std::string(a) + "'";
        return bad_request("unknown query parameter " + quote_text(*key) + " on " +
                           std::string(path) + "; known ones: " + names);
      }
      return bad_request("unknown query parameter " + quote_text(*key) + " on " +
                         std::string(path) + "; the only one is '" + std::string(*allowed.begin()) +
                         "'");
    }
    if (eq == std::string_view::npos) {
      return bad_request("query parameter " + quote_text(*key) + " has no value");
    }
    auto value = percent_decode(piece.substr(eq + 1), /*decode_plus=*/true);
    if (!value) {
      return bad_request("query parameter " + quote_text(*key) + " has a bad percent escape");
    }
    for (const auto& [k, v] : out) {
      if (k == *key) return bad_request("query parameter " + quote_text(*key) + " is given twice");
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

// ?bridge=B on the list routes.
std::variant<std::optional<std::string>, ApiError> bridge_filter(std::string_view path,
                                                                 std::string_view query) {
  auto parsed = parse_query(path, query, {"bridge"});
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const Query& q = std::get<Query>(parsed);
  if (q.empty()) return std::optional<std::string>();
  if (auto problem = interface_name_problem("query parameter 'bridge'", q.front().second)) {
    return bad_request(*problem);
  }
  return std::optional<std::string>(q.front().second);
}

// `what`: "reservation", "forward".
std::variant<int64_t, ApiError> parse_id(std::string_view segment, std::string_view what) {
  auto text = percent_decode(segment, /*decode_plus=*/false);
  const std::string shown = quote_text(text.value_or(std::string(segment)));
  const std::string not_an_id = std::string(what) + " id " + shown + " is not a positive integer";
  if (!text || text->empty() || text->size() > 19) return bad_request(not_an_id);
  uint64_t v = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return bad_request(not_an_id);
    v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits cannot overflow 64 bits
  }
  if (v == 0 || v > static_cast<uint64_t>(INT64_MAX)) return bad_request(not_an_id);
  return static_cast<int64_t>(v);
}

std::variant<ForgetLease, ApiError> parse_forget(std::string_view bridge_segment,
                                                 std::string_view ip_segment) {
  auto bridge = percent_decode(bridge_segment, /*decode_plus=*/false);
  if (!bridge) return bad_request("the bridge in the path has a bad percent escape");
  if (auto problem = interface_name_problem("the bridge in the path", *bridge)) {
    return bad_request(*problem);
  }
  auto ip_text = percent_decode(ip_segment, /*decode_plus=*/false);
  if (!ip_text) return bad_request("the address in the path has a bad percent escape");
  auto ip = Ipv4Address::parse(*ip_text);
  if (!ip) {
    return bad_request("the address in the path " + quote_text(*ip_text) +
                       " is not an IPv4 address like 10.0.3.57");
  }
  return ForgetLease{.bridge = std::move(*bridge), .ip = *ip};
}

// ?since=CURSOR&follow=1&format=sse on GET /v1/events.
std::variant<GetEvents, ApiError> parse_events_query(std::string_view path,
                                                     std::string_view query) {
  auto parsed = parse_query(path, query, {"since", "follow", "format"});
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  GetEvents out;
  for (const auto& [key, value] : std::get<Query>(parsed)) {
    if (key == "since") {
      const std::string bad = "query parameter 'since' " + quote_text(value) +
                              " is not a cursor (an integer from 0 up)";
      if (value.empty() || value.size() > 19 ||
          value.find_first_not_of("0123456789") != std::string::npos) {
        return bad_request(bad);
      }
      uint64_t v = 0;
      for (char c : value) v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits fit
      if (v > static_cast<uint64_t>(INT64_MAX)) return bad_request(bad);
      out.since = static_cast<int64_t>(v);
    } else if (key == "follow") {
      if (value == "1" || value == "true") {
        out.follow = true;
      } else if (value == "0" || value == "false") {
        out.follow = false;
      } else {
        return bad_request("query parameter 'follow' " + quote_text(value) +
                           " is not one of 1, 0, true, false");
      }
    } else {
      if (value == "sse") {
        out.sse = true;
      } else if (value == "ndjson") {
        out.sse = false;
      } else {
        return bad_request("query parameter 'format' " + quote_text(value) +
                           " is not one of ndjson, sse");
      }
    }
  }
  return out;
}

// One route: its path pattern (for messages), the methods it takes.
struct Route {
  std::string_view pattern;
  std::initializer_list<std::string_view> methods;
};

std::string allow_header(const Route& r) {
  std::string out;
  for (std::string_view m : r.methods) {
    if (!out.empty()) out += ", ";
    out += m;
  }
  return out;
}

std::optional<ApiError> check_method(const Route& r, std::string_view method) {
  for (std::string_view m : r.methods) {
    if (m == method) return std::nullopt;
  }
  const std::string allow = allow_header(r);
  return ApiError{.status = 405,
                  .message = "method " + quote_text(method) + " is not allowed on " +
                             std::string(r.pattern) + "; use " + allow,
                  .allow = allow};
}

template <class T>
std::variant<Request, ApiError> lift(std::variant<T, ApiError> v) {
  if (auto* e = std::get_if<ApiError>(&v)) return std::move(*e);
  return Request(std::get<T>(std::move(v)));
}

std::variant<Request, ApiError> route(std::string_view method, std::string_view path,
                                      std::string_view query, std::string_view body) {
  // Every path is matched segment by segment; segments are percent-decoded
  // one by one, so "%2F" never splits a segment.
  std::vector<std::string_view> seg = split(path.substr(1), '/');
  const std::string route_name = std::string(method) + " " + std::string(path);

  auto no_query = [&]() -> std::optional<ApiError> {
    auto q = parse_query(path, query, {});
    if (auto* e = std::get_if<ApiError>(&q)) return *e;
    return std::nullopt;
  };
  // Method, query and body checks shared by the routes without a body.
  auto simple = [&](const Route& r, Request req) -> std::variant<Request, ApiError> {
    if (auto e = check_method(r, method)) return *e;
    if (auto e = no_query()) return *e;
    if (auto e = refuse_body(route_name, body)) return *e;
    return req;
  };

  if (seg.size() == 1 && seg[0] == "metrics") {
    return simple(Route{"/metrics", {"GET"}}, GetMetrics{});
  }
  if (seg.empty() || seg[0] != "v1") {
    return ApiError{.status = 404,
                    .message = "no such path: " + quote_text(path) +
                               "; the API's paths start with /v1/ (see docs/api.md)",
                    .allow = {}};
  }
  if (seg.size() == 2 && seg[1] == "status") {
    return simple(Route{"/v1/status", {"GET"}}, GetStatus{});
  }
  if (seg.size() == 2 && seg[1] == "bridges") {
    return simple(Route{"/v1/bridges", {"GET"}}, ListBridges{});
  }
  if (seg.size() == 2 && seg[1] == "reload") {
    return simple(Route{"/v1/reload", {"POST"}}, Reload{});
  }
  if (seg.size() == 2 && seg[1] == "leases") {
    if (auto e = check_method(Route{"/v1/leases", {"GET"}}, method)) return *e;
    auto bridge = bridge_filter(path, query);
    if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
    if (auto e = refuse_body(route_name, body)) return *e;
    return ListLeases{.bridge = std::get<0>(std::move(bridge))};
  }
  if (seg.size() == 4 && seg[1] == "leases") {
    if (auto e = check_method(Route{"/v1/leases/{bridge}/{ip}", {"DELETE"}}, method)) return *e;
    if (auto e = no_query()) return *e;
    if (auto e = refuse_body("DELETE /v1/leases/{bridge}/{ip}", body)) return *e;
    return lift(parse_forget(seg[2], seg[3]));
  }
  if (seg.size() == 2 && seg[1] == "reservations") {
    if (auto e = check_method(Route{"/v1/reservations", {"GET", "POST"}}, method)) return *e;
    if (method == "GET") {
      auto bridge = bridge_filter(path, query);
      if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
      if (auto e = refuse_body(route_name, body)) return *e;
      return ListReservations{.bridge = std::get<0>(std::move(bridge))};
    }
    if (auto e = no_query()) return *e;
    auto j = parse_json_body(route_name, body);
    if (auto* e = std::get_if<ApiError>(&j)) return *e;
    auto create = reservation_create_from_json(std::get<json>(j));
    if (auto* e = std::get_if<ApiError>(&create)) return *e;
    return AddReservation{.reservation = std::get<ReservationCreate>(std::move(create))};
  }
  if (seg.size() == 2 && seg[1] == "records") {
    if (auto e = check_method(Route{"/v1/records", {"GET", "POST"}}, method)) return *e;
    if (method == "GET") {
      if (auto e = refuse_body(route_name, body)) return *e;
      return lift(list_records_from_query(query));
    }
    if (auto e = no_query()) return *e;
    auto j = parse_json_body(route_name, body);
    if (auto* e = std::get_if<ApiError>(&j)) return *e;
    auto record = record_from_json(std::get<json>(j));
    if (auto* e = std::get_if<ApiError>(&record)) return *e;
    return AddRecord{.record = std::get<dns::UserRecord>(std::move(record))};
  }
  if (seg.size() == 3 && seg[1] == "records") {
    if (auto e = check_method(Route{"/v1/records/{id}", {"DELETE"}}, method)) return *e;
    if (auto e = no_query()) return *e;
    if (auto e = refuse_body("DELETE /v1/records/{id}", body)) return *e;
    auto id = parse_id(seg[2], "record");
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    return DeleteRecord{.id = std::get<int64_t>(id)};
  }
  if (seg.size() == 3 && seg[1] == "reservations") {
    if (auto e = check_method(Route{"/v1/reservations/{id}", {"PATCH", "DELETE"}}, method)) {
      return *e;
    }
    if (auto e = no_query()) return *e;
    auto id = parse_id(seg[2], "reservation");
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    if (method == "DELETE") {
      if (auto e = refuse_body("DELETE /v1/reservations/{id}", body)) return *e;
      return DeleteReservation{.id = std::get<int64_t>(id)};
    }
    auto j = parse_json_body("PATCH /v1/reservations/{id}", body);
    if (auto* e = std::get_if<ApiError>(&j)) return *e;
    auto patch = reservation_patch_from_json(std::get<json>(j));
    if (auto* e = std::get_if<ApiError>(&patch)) return *e;
    return PatchReservation{.id = std::get<int64_t>(id),
                            .patch = std::get<ReservationPatch>(std::move(patch))};
  }
  if (seg.size() == 2 && seg[1] == "forwards") {
    if (auto e = check_method(Route{"/v1/forwards", {"GET", "POST"}}, method)) return *e;
    if (method == "GET") {
      auto bridge = bridge_filter(path, query);
      if (auto* e = std::get_if<ApiError>(&bridge)) return *e;
      if (auto e = refuse_body(route_name, body)) return *e;
      return ListForwards{.bridge = std::get<0>(std::move(bridge))};
    }
    if (auto e = no_query()) return *e;
    auto j = parse_json_body(route_name, body);
    if (auto* e = std::get_if<ApiError>(&j)) return *e;
    auto create = forward_create_from_json(std::get<json>(j));
    if (auto* e = std::get_if<ApiError>(&create)) return *e;
    return AddForward{.forward = std::get<ForwardCreate>(std::move(create))};
  }
  if (seg.size() == 3 && seg[1] == "forwards") {
    if (auto e = check_method(Route{"/v1/forwards/{id}", {"DELETE"}}, method)) return *e;
    if (auto e = no_query()) return *e;
    auto id = parse_id(seg[2], "forward");
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    if (auto e = refuse_body("DELETE /v1/forwards/{id}", body)) return *e;
    return DeleteForward{.id = std::get<int64_t>(id)};
  }
  if (seg.size() == 2 && (seg[1] == "attach" || seg[1] == "detach")) {
    const bool attach = seg[1] == "attach";
    if (auto e = check_method(Route{attach ? "/v1/attach" : "/v1/detach", {"POST"}}, method)) {
      return *e;
    }
    if (auto e = no_query()) return *e;
    auto j = parse_json_body(route_name, body);
    if (auto* e = std::get_if<ApiError>(&j)) return *e;
    if (attach) return lift(attach_from_json(std::get<json>(j)));
    return lift(detach_from_json(std::get<json>(j)));
  }
  if (seg.size() == 2 && seg[1] == "firewall") {
    return simple(Route{"/v1/firewall", {"GET"}}, GetFirewall{});
  }
  if (seg.size() == 2 && seg[1] == "events") {
    if (auto e = check_method(Route{"/v1/events", {"GET"}}, method)) return *e;
    if (auto e = refuse_body(route_name, body)) return *e;
    return lift(parse_events_query(path, query));
  }
  return ApiError{.status = 404, .message = "no such path: " + quote_text(path), .allow = {}};
}

}  // namespace

std::variant<Request, ApiError> parse_request(std::string_view method, std::string_view target,
                                              std::string_view body) {
  if (body.size() > kMaxBodySize) {
    return ApiError{.status = 413,
                    .message = "the request body has " + std::to_string(body.size()) +
                               " bytes; the control API accepts at most " +
                               std::to_string(kMaxBodySize) + " (1 MiB)",
                    .allow = {}};
  }
  // Origin form only (RFC 9112 §3.2.1): the socket is local, there is no
  // authority to name.
  if (target.empty() || target.front() != '/') {
    return bad_request("the request target " + quote_text(target) +
                       " is not a path such as /v1/status");
  }
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  try {
    return route(method, path, query, body);
  } catch (const std::exception& e) {
    // Nothing above should throw but std::bad_alloc; a request must never
    // take the daemon down.
    return ApiError{.status = 500,
                    .message = std::string("the request could not be read: ") + e.what(),
                    .allow = {}};
  }
}

bool changes_state(const Request& req) {
  return std::holds_alternative<AddReservation>(req) ||
         std::holds_alternative<DeleteReservation>(req) ||
         std::holds_alternative<PatchReservation>(req) ||
         std::holds_alternative<ForgetLease>(req) || std::holds_alternative<Reload>(req) ||
         std::holds_alternative<AddForward>(req) || std::holds_alternative<DeleteForward>(req) ||
         std::holds_alternative<Attach>(req) || std::holds_alternative<Detach>(req) ||
         std::holds_alternative<AddRecord>(req) || std::holds_alternative<DeleteRecord>(req);
}

std::string describe(const Request& req) {
  HttpRequest http = to_http(req);
  return http.method + " " + http.target;
}

HttpRequest to_http(const Request& req) {
  struct Visitor {
    HttpRequest operator()(const GetStatus&) const { return {"GET", "/v1/status", {}}; }
    HttpRequest operator()(const ListBridges&) const { return {"GET", "/v1/bridges", {}}; }
    HttpRequest operator()(const ListLeases& r) const {
      return {"GET", "/v1/leases" + filter(r.bridge), {}};
    }
    HttpRequest operator()(const ListReservations& r) const {
      return {"GET", "/v1/reservations" + filter(r.bridge), {}};
    }
    HttpRequest operator()(const AddReservation& r) const {
      return {"POST", "/v1/reservations", json_text(json(r.reservation))};
    }
    HttpRequest operator()(const DeleteReservation& r) const {
      return {"DELETE", "/v1/reservations/" + std::to_string(r.id), {}};
    }
    HttpRequest operator()(const PatchReservation& r) const {
      return {"PATCH", "/v1/reservations/" + std::to_string(r.id), json_text(json(r.patch))};
    }
    HttpRequest operator()(const ForgetLease& r) const {
      return {"DELETE", "/v1/leases/" + percent_encode(r.bridge) + "/" + r.ip.to_string(), {}};
    }
    HttpRequest operator()(const Reload&) const { return {"POST", "/v1/reload", {}}; }
    HttpRequest operator()(const GetMetrics&) const { return {"GET", "/metrics", {}}; }
    HttpRequest operator()(const ListForwards& r) const {
      return {"GET", "/v1/forwards" + filter(r.bridge), {}};
    }
    HttpRequest operator()(const AddForward& r) const {
      return {"POST", "/v1/forwards", json_text(json(r.forward))};
    }
    HttpRequest operator()(const DeleteForward& r) const {
      return {"DELETE", "/v1/forwards/" + std::to_string(r.id), {}};
    }
    HttpRequest operator()(const Attach& r) const {
      return {"POST", "/v1/attach", json_text(json(r))};
    }
    HttpRequest operator()(const Detach& r) const {
      return {"POST", "/v1/detach", json_text(json(r))};
    }
    HttpRequest operator()(const GetFirewall&) const { return {"GET", "/v1/firewall", {}}; }
    HttpRequest operator()(const GetEvents& r) const {
      std::string query;
      if (r.since) query += "&since=" + std::to_string(*r.since);
      if (r.follow) query += "&follow=1";
      if (r.sse) query += "&format=sse";
      if (!query.empty()) query[0] = '?';
      return {"GET", "/v1/events" + query, {}};
    }
    HttpRequest operator()(const ListRecords& r) const {
      return {"GET", "/v1/records" + records_query(r), {}};
    }
    HttpRequest operator()(const AddRecord& r) const {
      return {"POST", "/v1/records", json_text(record_request_json(r.record))};
    }
    HttpRequest operator()(const DeleteRecord& r) const {
      return {"DELETE", "/v1/records/" + std::to_string(r.id), {}};
    }

    static std::string filter(const std::optional<std::string>& bridge) {
      return bridge ? "?bridge=" + percent_encode(*bridge) : std::string();
    }
  };
  return std::visit(Visitor{}, req);
}

std::string percent_encode(std::string_view s) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view s, bool decode_plus) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      auto hi = hex_value(s[i + 1]);
      auto lo = hex_value(s[i + 2]);
      if (!hi || !lo) return std::nullopt;
      out.push_back(static_cast<char>(*hi << 4 | *lo));
      i += 2;
    } else if (s[i] == '+' && decode_plus) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace berth::api
