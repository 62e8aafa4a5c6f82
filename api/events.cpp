#include "api/events.hpp"

#include <cstdint>
#include <cstdio>

#include "leases/time.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string rfc3339_ms(int64_t unix_ms) {
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  // "2026-12-04 10:15:00 UTC" -> "2026-12-04T10:15:00.123Z"
  std::string text = leases::format_utc(secs);
  if (text.ends_with(" UTC")) text.resize(text.size() - 4);
  if (const size_t space = text.rfind(' '); space != std::string::npos) text[space] = 'T';
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  return text + frac;
}

json event_json(const leases::Event& e) {
  json details = json::parse(e.details, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded() || !details.is_object()) details = json::object();
  return json{{"cursor", e.cursor},
              {"time", rfc3339_ms(e.time_ms)},
              {"time_ms", e.time_ms},
              {"kind", leases::to_string(e.kind)},
              {"bridge", e.bridge},
              {"ip", e.ip},
              {"mac", e.mac},
              {"hostname", e.hostname},
              {"details", std::move(details)}};
}

std::string event_line(const leases::Event& e) { return dump(event_json(e)) + "\n"; }

std::string event_sse(const leases::Event& e) {
  return "id: " + std::to_string(e.cursor) + "\nevent: " + std::string(leases::to_string(e.kind)) +
         "\ndata: " + dump(event_json(e)) + "\n\n";
}

std::optional<leases::Event> gap_event(int64_t since, const leases::LeaseStore::EventBounds& b) {
  if (since + 1 >= b.oldest) return std::nullopt;
  leases::Event g;
  g.kind = leases::EventKind::gap;
  g.cursor = b.oldest - 1;
  g.time_ms = leases::event_clock_ms();
  g.details = dump(json{{"since", since}, {"oldest", b.oldest}, {"missed", b.oldest - 1 - since}});
  return g;
}

std::optional<leases::Event> event_from_line(std::string_view line) {
  // SSE frames carry the JSON after "data: ".
  if (line.starts_with("data: ")) line.remove_prefix(6);
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto text = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto cursor = j.find("cursor");
  auto kind = leases::event_kind_from_string(text("kind"));
  if (cursor == j.end() || !cursor->is_number_integer() || !kind) return std::nullopt;
  leases::Event e;
  e.cursor = cursor->get<int64_t>();
  e.kind = *kind;
  if (auto t = j.find("time_ms"); t != j.end() && t->is_number_integer()) {
    e.time_ms = t->get<int64_t>();
  }
  e.bridge = text("bridge");
  e.ip = text("ip");
  e.mac = text("mac");
  e.hostname = text("hostname");
  if (auto d = j.find("details"); d != j.end() && d->is_object()) e.details = dump(*d);
  return e;
}

std::string event_text(const leases::Event& e) {
  std::string when = rfc3339_ms(e.time_ms);
  if (const size_t t = when.find('T'); t != std::string::npos) when[t] = ' ';
  when.pop_back();  // the 'Z'
  std::string out =
      when + " #" + std::to_string(e.cursor) + " " + std::string(leases::to_string(e.kind));
  for (const std::string* field : {&e.bridge, &e.ip, &e.mac, &e.hostname}) {
    if (!field->empty()) out += " " + *field;
  }
  const json d = json::parse(e.details, nullptr, /*allow_exceptions=*/false);
  if (d.is_object()) {
    for (const char* key : {"id", "proto", "host_port", "to", "to_port", "missed", "old_ip"}) {
      auto it = d.find(key);
      if (it == d.end() || it->is_null()) continue;
      out += std::string(" ") + key + "=" + (it->is_string() ? it->get<std::string>() : dump(*it));
    }
    if (e.kind == leases::EventKind::lease_bound || e.kind == leases::EventKind::lease_renewed) {
      if (auto it = d.find("expires_at"); it != d.end() && it->is_number_integer()) {
        const int64_t at = it->get<int64_t>();
        constexpr int64_t kMax = INT64_MAX / 1000;
        if (at > -kMax && at < kMax) {
          std::string t = rfc3339_ms(at * 1000);
          out += " until " + t.substr(0, t.size() - 5) + "Z";  // no milliseconds
        }
      }
    }
  }
  return out;
}

}  // namespace berth::api
