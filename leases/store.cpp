#include "leases/store.hpp"

#include <sqlite3.h>

#include <array>
#include <string_view>

namespace berth::leases {
namespace {

// Migration N (1-based) takes the schema from version N-1 to N. Append only:
// never edit a migration that has shipped.
constexpr std::array<const char*, 1> kMigrations = {
    // 1: leases, with the indexes the DHCP hot paths need.
    R"sql(
    CREATE TABLE leases (
      bridge      TEXT    NOT NULL,
      ip          TEXT    NOT NULL,
      mac         TEXT    NOT NULL,
      client_id   TEXT    NOT NULL DEFAULT '',
      hostname    TEXT    NOT NULL DEFAULT '',
      state       TEXT    NOT NULL,
      expires_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL,
      PRIMARY KEY (bridge, ip)
    ) WITHOUT ROWID;
    CREATE INDEX leases_by_mac ON leases (bridge, mac);
    CREATE INDEX leases_by_client_id ON leases (bridge, client_id) WHERE client_id != '';
    CREATE INDEX leases_by_expiry ON leases (expires_at);
    )sql",
};

std::string column_text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

struct Statement {
  sqlite3_stmt* st = nullptr;
  ~Statement() { sqlite3_finalize(st); }
};

}  // namespace

LeaseStore::LeaseStore(const std::string& path, Durability durability) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open lease database " + path + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec(durability == Durability::fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    migrate();
    rc = sqlite3_prepare_v3(db_,
                            "INSERT OR REPLACE INTO leases (bridge, ip, mac, client_id, hostname, "
                            "state, expires_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                            -1, SQLITE_PREPARE_PERSISTENT, &upsert_, nullptr);
    if (rc != SQLITE_OK) throw StoreError(path + ": " + sqlite3_errmsg(db_));
    rc = sqlite3_prepare_v3(db_, "DELETE FROM leases WHERE bridge = ? AND ip = ?", -1,
                            SQLITE_PREPARE_PERSISTENT, &erase_, nullptr);
    if (rc != SQLITE_OK) throw StoreError(path + ": " + sqlite3_errmsg(db_));
  } catch (...) {
    sqlite3_finalize(erase_);
    sqlite3_finalize(upsert_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

LeaseStore::~LeaseStore() {
  sqlite3_finalize(erase_);
  sqlite3_finalize(upsert_);
  sqlite3_close(db_);
}

int LeaseStore::latest_schema_version() { return static_cast<int>(kMigrations.size()); }

void LeaseStore::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError(path_ + ": " + msg);
  }
}

int LeaseStore::schema_version() const {
  Statement s;
  if (sqlite3_prepare_v2(db_, "SELECT version FROM schema_version", -1, &s.st, nullptr) !=
      SQLITE_OK) {
    return 0;  // no schema_version table: an empty database
  }
  if (sqlite3_step(s.st) != SQLITE_ROW) return 0;
  return sqlite3_column_int(s.st, 0);
}

void LeaseStore::migrate() {
  exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  int current = schema_version();
  if (current > latest_schema_version()) {
    throw StoreError(path_ + ": schema version " + std::to_string(current) +
                     " is newer than this berthd understands (" +
                     std::to_string(latest_schema_version()) + ")");
  }
  for (int v = current + 1; v <= latest_schema_version(); ++v) {
    exec("BEGIN IMMEDIATE");
    try {
      exec(kMigrations[static_cast<size_t>(v - 1)]);
      exec("DELETE FROM schema_version");
      std::string set = "INSERT INTO schema_version (version) VALUES (" + std::to_string(v) + ")";
      exec(set.c_str());
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

namespace {

std::vector<Lease> read_rows(sqlite3* db, const std::string& path, const char* sql,
                             const std::string* bridge) {
  Statement s;
  if (sqlite3_prepare_v2(db, sql, -1, &s.st, nullptr) != SQLITE_OK) {
    throw StoreError(path + ": " + sqlite3_errmsg(db));
  }
  if (bridge) sqlite3_bind_text(s.st, 1, bridge->c_str(), -1, SQLITE_TRANSIENT);
  std::vector<Lease> out;
  int rc;
  while ((rc = sqlite3_step(s.st)) == SQLITE_ROW) {
    Lease l;
    l.bridge = column_text(s.st, 0);
    auto ip = Ipv4Address::parse(column_text(s.st, 1));
    auto mac = MacAddress::parse(column_text(s.st, 2));
    auto cid = parse_hex_colon(column_text(s.st, 3));
    auto state = lease_state_from_string(column_text(s.st, 5));
    if (!ip || !mac || !cid || !state) {
      throw StoreError(path + ": unreadable lease row for " + l.bridge + " " +
                       column_text(s.st, 1));
    }
    l.ip = *ip;
    l.mac = *mac;
    l.client_id = std::move(*cid);
    l.hostname = column_text(s.st, 4);
    l.state = *state;
    l.expires_at = sqlite3_column_int64(s.st, 6);
    l.updated_at = sqlite3_column_int64(s.st, 7);
    out.push_back(std::move(l));
  }
  if (rc != SQLITE_DONE) throw StoreError(path + ": " + sqlite3_errmsg(db));
  return out;
}

}  // namespace

std::vector<Lease> LeaseStore::load_all() const {
  return read_rows(db_, path_,
                   "SELECT bridge, ip, mac, client_id, hostname, state, expires_at, updated_at "
                   "FROM leases",
                   nullptr);
}

std::vector<Lease> LeaseStore::load_bridge(const std::string& bridge) const {
  return read_rows(db_, path_,
                   "SELECT bridge, ip, mac, client_id, hostname, state, expires_at, updated_at "
                   "FROM leases WHERE bridge = ?",
                   &bridge);
}

void LeaseStore::write(std::span<const LeaseChange> changes) {
  exec("BEGIN IMMEDIATE");
  try {
    for (const LeaseChange& c : changes) {
      const Lease& l = c.lease;
      std::string ip = l.ip.to_string();
      if (c.kind == LeaseChange::Kind::erase) {
        sqlite3_reset(erase_);
        sqlite3_bind_text(erase_, 1, l.bridge.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(erase_, 2, ip.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(erase_) != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
        continue;
      }
      std::string mac = l.mac.to_string();
      std::string cid = to_hex_colon(l.client_id);
      std::string_view state = to_string(l.state);
      sqlite3_reset(upsert_);
      sqlite3_bind_text(upsert_, 1, l.bridge.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(upsert_, 2, ip.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(upsert_, 3, mac.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(upsert_, 4, cid.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(upsert_, 5, l.hostname.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(upsert_, 6, state.data(), static_cast<int>(state.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(upsert_, 7, l.expires_at);
      sqlite3_bind_int64(upsert_, 8, l.updated_at);
      if (sqlite3_step(upsert_) != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
    }
    sqlite3_reset(upsert_);
    sqlite3_reset(erase_);
    exec("COMMIT");
  } catch (...) {
    sqlite3_reset(upsert_);
    sqlite3_reset(erase_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace berth::leases
