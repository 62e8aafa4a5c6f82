// /v1/records: strict reading of request bodies and query strings (anyone
// who can open the socket writes them), lenient reading of responses.
#include "api/records.hpp"

#include <algorithm>
#include <utility>

#include "api/router.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

constexpr std::string_view kFields[] = {"bridge",   "name",   "type", "address", "target",
                                        "priority", "weight", "port", "text"};

std::optional<ApiError> string_field(const json& j, std::string_view key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_string()) return bad_request(field(key) + " must be a string");
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<ApiError> u16_field(const json& j, std::string_view key, uint16_t& out) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 65535) {
    return bad_request(field(key) + " must be an integer from 0 to 65535");
  }
  out = static_cast<uint16_t>(it->get<uint64_t>());
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(c)));
  return out;
}

std::string without_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return lower(s);
}

}  // namespace

std::variant<dns::UserRecord, ApiError> record_from_json(const json& j) {
  if (!j.is_object()) {
    return bad_request(
        "the record must be a JSON object such as {\"bridge\": \"berth0\", \"name\": \"www\", "
        "\"type\": \"A\", \"address\": \"10.0.3.9\"}");
  }
  for (const auto& item : j.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), item.key()) == std::end(kFields)) {
      return bad_request("unknown field " + quote_text(item.key()) +
                         " in the record; its fields are bridge, name, type, address, target, "
                         "priority, weight, port and text");
    }
  }
  dns::UserRecord r;
  if (auto e = string_field(j, "bridge", r.bridge)) return *e;
  if (!r.bridge.empty()) {
    if (auto problem = interface_name_problem(field("bridge"), r.bridge)) {
      return bad_request(*problem);
    }
  }
  if (!j.contains("name")) return bad_request(field("name") + " is required: the record's name");
  if (auto e = string_field(j, "name", r.name)) return *e;
  if (!j.contains("type")) {
    return bad_request(field("type") + " is required: one of A, AAAA, CNAME, SRV or TXT");
  }
  std::string type;
  if (auto e = string_field(j, "type", type)) return *e;
  const auto t = dns::record_type_from_string(type);
  if (!t) {
    return bad_request(field("type") + " " + quote_text(type) +
                       " is not one of A, AAAA, CNAME, SRV or TXT");
  }
  r.type = *t;
  if (j.contains("address")) {
    std::string text;
    if (auto e = string_field(j, "address", text)) return *e;
    r.address = IpAddress::parse(text);
    if (!r.address) {
      return bad_request(field("address") + " " + quote_text(text) +
                         " is not an IP address like 10.0.3.9 or fd42::9");
    }
  }
  if (auto e = string_field(j, "target", r.target)) return *e;
  if (j.contains("target") && r.target.empty()) {
    return bad_request(field("target") + " is empty");
  }
  if (auto e = u16_field(j, "priority", r.priority)) return *e;
  if (auto e = u16_field(j, "weight", r.weight)) return *e;
  if (auto e = u16_field(j, "port", r.port)) return *e;
  if (auto it = j.find("text"); it != j.end()) {
    if (it->is_string()) {
      r.text.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const json& s : *it) {
        if (!s.is_string()) return bad_request(field("text") + " must be a list of strings");
        r.text.push_back(s.get<std::string>());
      }
      if (r.text.empty()) return bad_request(field("text") + " is an empty list");
    } else {
      return bad_request(field("text") + " must be a string or a list of strings");
    }
  }
  if (auto problem = dns::record_problem(r)) return bad_request(*problem);
  return r;
}

json record_request_json(const dns::UserRecord& r) {
  json j = json::object();
  if (!r.bridge.empty()) j["bridge"] = r.bridge;
  j["name"] = r.name;
  j["type"] = std::string(dns::to_string(r.type));
  if (r.address) j["address"] = r.address->to_string();
  if (!r.target.empty()) j["target"] = r.target;
  if (r.type == dns::RecordType::srv) {
    j["priority"] = r.priority;
    j["weight"] = r.weight;
    j["port"] = r.port;
  }
  if (!r.text.empty()) j["text"] = r.text;
  return j;
}

std::string records_query(const ListRecords& l) {
  std::string q;
  auto add = [&](std::string_view key, std::string_view value) {
    q += (q.empty() ? "?" : "&") + std::string(key) + "=" + percent_encode(value);
  };
  if (l.bridge) add("bridge", *l.bridge);
  if (l.name) add("name", *l.name);
  if (l.type) add("type", dns::to_string(*l.type));
  return q;
}

std::variant<ListRecords, ApiError> list_records_from_query(std::string_view query) {
  ListRecords out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    auto key = percent_decode(piece.substr(0, eq), /*decode_plus=*/true);
    if (!key)
      return bad_request("the query string has a bad percent escape in " + quote_text(piece));
    std::optional<std::string>* slot = nullptr;
    std::optional<std::string> type_text;
    if (*key == "bridge") {
      slot = &out.bridge;
    } else if (*key == "name") {
      slot = &out.name;
    } else if (*key == "type") {
      slot = &type_text;
      if (out.type) return bad_request("query parameter 'type' is given twice");
    } else {
      return bad_request("unknown query parameter " + quote_text(*key) +
                         " on /v1/records; they are 'bridge', 'name' and 'type'");
    }
    if (eq == std::string_view::npos) {
      return bad_request("query parameter " + quote_text(*key) + " has no value");
    }
    auto value = percent_decode(piece.substr(eq + 1), /*decode_plus=*/true);
    if (!value) {
      return bad_request("query parameter " + quote_text(*key) + " has a bad percent escape");
    }
    if (slot->has_value())
      return bad_request("query parameter " + quote_text(*key) + " is given twice");
    if (*key == "bridge") {
      if (auto problem = interface_name_problem("query parameter 'bridge'", *value)) {
        return bad_request(*problem);
      }
    }
    if (*key == "name" && (value->empty() || value->size() > 254)) {
      return bad_request("query parameter 'name' must have 1 to 254 characters");
    }
    *slot = std::move(*value);
    if (type_text) {
      out.type = dns::record_type_from_string(*type_text);
      if (!out.type) {
        return bad_request("query parameter 'type' " + quote_text(*type_text) +
                           " is not one of A, AAAA, CNAME, SRV or TXT");
      }
    }
  }
  return out;
}

bool record_matches(const ListRecords& l, const RecordInfo& info) {
  if (l.bridge && *l.bridge != info.record.bridge) return false;
  if (l.type && *l.type != info.record.type) return false;
  if (l.name) {
    const std::string want = without_dot(*l.name);
    if (want != without_dot(info.record.name) && want != without_dot(info.fqdn)) return false;
  }
  return true;
}

void to_json(json& j, const RecordInfo& r) {
  j = record_request_json(r.record);
  j["id"] = r.record.id;
  j["bridge"] = r.record.bridge;
  j["fqdn"] = r.fqdn;
  j["created"] = r.record.created;
}

void to_json(json& j, const RecordList& l) { j = json{{"records", l.records}}; }

void from_json(const json& j, RecordInfo& r) {
  try {
    // Only the fields this berthctl knows: a newer berthd may send more.
    json body = json::object();
    for (std::string_view key : kFields) {
      if (auto it = j.find(key); it != j.end()) body[std::string(key)] = *it;
    }
    auto record = record_from_json(body);
    if (auto* e = std::get_if<ApiError>(&record)) throw DecodeError("a record: " + e->message);
    r.record = std::get<dns::UserRecord>(std::move(record));
    r.record.id = j.at("id").get<int64_t>();
    r.record.created = j.at("created").get<int64_t>();
    r.fqdn = j.at("fqdn").get<std::string>();
  } catch (const json::exception& e) {
    throw DecodeError(std::string("a record: ") + e.what());
  }
}

void from_json(const json& j, RecordList& l) {
  try {
    l.records = j.at("records").get<std::vector<RecordInfo>>();
  } catch (const json::exception& e) {
    throw DecodeError(std::string("the record list: ") + e.what());
  }
}

}  // namespace berth::api
