// DNS records of the control API (schema 7): one row per record, the value
// in the columns of its type, TXT strings as a JSON array.
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "leases/store.hpp"

namespace berth::leases {
namespace {

void bind_text(sqlite3_stmt* st, int i, const std::string& v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string text_of(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(st, col)))
           : std::string();
}

}  // namespace

std::vector<dns::UserRecord> LeaseStore::load_records() const {
  std::vector<dns::UserRecord> out;
  if (version_ < 7) return out;
  sqlite3_stmt* st = statement(
      "SELECT id, bridge, name, type, address, target, priority, weight, port, text, created "
      "FROM dns_records ORDER BY id");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    dns::UserRecord r;
    r.id = sqlite3_column_int64(st, 0);
    r.bridge = text_of(st, 1);
    r.name = text_of(st, 2);
    const auto type = dns::kRecordTypeNames.value(text_of(st, 3));
    bool ok = type.has_value();
    if (type) r.type = *type;
    if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
      r.address = IpAddress::parse(text_of(st, 4));
      ok = ok && r.address;
    }
    r.target = text_of(st, 5);
    r.priority = static_cast<uint16_t>(sqlite3_column_int(st, 6));
    r.weight = static_cast<uint16_t>(sqlite3_column_int(st, 7));
    r.port = static_cast<uint16_t>(sqlite3_column_int(st, 8));
    const auto text = nlohmann::json::parse(text_of(st, 9), nullptr, /*allow_exceptions=*/false);
    if (text.is_array()) {
      for (const auto& s : text) {
        if (s.is_string()) {
          r.text.push_back(s.get<std::string>());
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
    r.created = sqlite3_column_int64(st, 10);
    // A row another program wrote badly is skipped, not served half-read.
    if (ok && !dns::record_problem(r)) out.push_back(std::move(r));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

dns::UserRecord LeaseStore::add_record(dns::UserRecord r, int64_t now) {
  if (version_ < 7) {
    throw StoreError("database schema version " + std::to_string(version_) +
                     " keeps no DNS records");
  }
  sqlite3_stmt* st = statement(
      "INSERT INTO dns_records (bridge, name, type, address, target, priority, weight, port, "
      "text, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  bind_text(st, 1, r.bridge);
  bind_text(st, 2, r.name);
  bind_text(st, 3, std::string(dns::to_string(r.type)));
  if (r.address) {
    bind_text(st, 4, r.address->to_string());
  } else {
    sqlite3_bind_null(st, 4);
  }
  bind_text(st, 5, r.target);
  sqlite3_bind_int(st, 6, r.priority);
  sqlite3_bind_int(st, 7, r.weight);
  sqlite3_bind_int(st, 8, r.port);
  // Strings may hold any bytes; invalid UTF-8 is kept as the bytes it was
  // (replaced, never thrown on).
  bind_text(st, 9,
            nlohmann::json(r.text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  sqlite3_bind_int64(st, 10, now);
  step_done(st);
  r.id = sqlite3_last_insert_rowid(db_);
  r.created = now;
  return r;
}

bool LeaseStore::remove_record(int64_t id) {
  if (version_ < 7) return false;
  sqlite3_stmt* st = statement("DELETE FROM dns_records WHERE id = ?");
  sqlite3_bind_int64(st, 1, id);
  step_done(st);
  return sqlite3_changes(db_) > 0;
}

}  // namespace berth::leases
