// libFuzzer target: the control API's request path. The input is
// "METHOD TARGET\nBODY". Whatever the bytes, parse_request() must return
// (never throw), an error must be a sentence in a JSON body with a status
// the API uses, and a parsed request must survive to_http() and back. A
// body that is JSON is also read as a DNS record (/v1/records): a record it
// accepts is valid, has an owner name and its RDATA fits in a message.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/events.hpp"
#include "api/records.hpp"
#include "api/response.hpp"
#include "api/router.hpp"
#include "protocol/dns/record.hpp"

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

// A record the API accepted: valid, named, its value printable and its
// RDATA within what a message can carry; its request body reads back equal.
void check_record(const berth::dns::UserRecord& r) {
  check(!berth::dns::record_problem(r));
  // Under a domain a long name may not fit (berthd refuses it then); as an
  // absolute name it always does.
  (void)berth::dns::record_owner(r, "lab");
  check(berth::dns::record_owner(r, "").has_value());
  check(!berth::dns::record_value_text(r).empty());
  if (r.type == berth::dns::RecordType::txt) {
    const auto rdata = berth::dns::txt_rdata(r.text);
    check(rdata.size() <= berth::dns::kMaxTxtStrings * (berth::dns::kMaxTxtString + 1));
  }
  if (r.type == berth::dns::RecordType::srv || r.type == berth::dns::RecordType::cname) {
    (void)berth::dns::record_target(r, "lab");
    const auto target = berth::dns::record_target(r, "");
    check(target.has_value());
    if (r.type == berth::dns::RecordType::srv) {
      check(berth::dns::srv_rdata(r.priority, r.weight, r.port, *target).size() ==
            6 + target->wire().size());
    }
  }
  const auto again = berth::api::record_from_json(berth::api::record_request_json(r));
  check(std::holds_alternative<berth::dns::UserRecord>(again));
  check(std::get<berth::dns::UserRecord>(again) == r);
}

void fuzz_record_body(std::string_view body) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  std::variant<berth::dns::UserRecord, berth::api::ApiError> record;
  try {
    record = berth::api::record_from_json(j);
  } catch (...) {
    std::abort();
  }
  if (const auto* e = std::get_if<berth::api::ApiError>(&record)) {
    check_error(*e);
    return;
  }
  check_record(std::get<berth::dns::UserRecord>(record));
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
  fuzz_record_body(body);

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
  if (const auto* add = std::get_if<berth::api::AddRecord>(&req)) check_record(add->record);
  const berth::api::HttpRequest http = berth::api::to_http(req);
  const auto again = berth::api::parse_request(http.method, http.target, http.body);
  check(std::holds_alternative<berth::api::Request>(again));
  check(std::get<berth::api::Request>(again) == req);
  return 0;
}
