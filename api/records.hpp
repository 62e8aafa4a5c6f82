// The control API's DNS records (/v1/records): the requests, the strict
// reading of a record from a request body, and the responses. A record in
// JSON:
//   {"bridge": "berth0", "name": "www", "type": "CNAME", "target": "web"}
//   {"name": "_http._tcp.web", "bridge": "berth0", "type": "SRV",
//    "priority": 10, "weight": 5, "port": 80, "target": "web"}
//   {"name": "info", "bridge": "berth0", "type": "TXT", "text": ["v=1", "x"]}
// "bridge" may be left out: the names are then absolute (protocol/dns/record.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/types.hpp"
#include "protocol/dns/record.hpp"

namespace berth::api {

// GET /v1/records?bridge=&name=&type=: each filter optional; name matches the
// name as given or the full name, without case.
struct ListRecords {
  std::optional<std::string> bridge;
  std::optional<std::string> name;
  std::optional<dns::RecordType> type;
  bool operator==(const ListRecords&) const = default;
};
// POST /v1/records; record.id and record.created are not sent.
struct AddRecord {
  dns::UserRecord record;
  bool operator==(const AddRecord&) const = default;
};
// DELETE /v1/records/{id}
struct DeleteRecord {
  int64_t id = 0;
  bool operator==(const DeleteRecord&) const = default;
};

// A record as berthd reports it: with its id, when it was made and the full
// name it answers for.
struct RecordInfo {
  dns::UserRecord record;
  std::string fqdn;
  bool operator==(const RecordInfo&) const = default;
};
struct RecordList {
  std::vector<RecordInfo> records;
  bool operator==(const RecordList&) const = default;
};

// A request body: validates every field (record_problem included), refuses
// unknown ones; never throws.
std::variant<dns::UserRecord, ApiError> record_from_json(const nlohmann::json& j);
// The body of POST /v1/records.
nlohmann::json record_request_json(const dns::UserRecord& r);
// The query string of a ListRecords ("" or "?bridge=...&type=A").
std::string records_query(const ListRecords& l);
// GET /v1/records?... : the filters, or the error.
std::variant<ListRecords, ApiError> list_records_from_query(std::string_view query);

void to_json(nlohmann::json& j, const RecordInfo& r);
void to_json(nlohmann::json& j, const RecordList& l);
// Responses: throw DecodeError on a missing field or a wrong type.
void from_json(const nlohmann::json& j, RecordInfo& r);
void from_json(const nlohmann::json& j, RecordList& l);

// Whether `info` passes the filters of `l`.
bool record_matches(const ListRecords& l, const RecordInfo& info);

}  // namespace berth::api
