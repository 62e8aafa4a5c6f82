#include "leases/store.hpp"

#include <spdlog/spdlog.h>

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::leases {
namespace {

// Migration N (1-based) takes the schema from version N-1 to N. Append only:
// never edit a migration that has shipped.
constexpr std::array<const char*, 10> kMigrations = {
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
    // 2: reservations, a quarantine table for declined addresses (moved out
    // of leases), and a counter that triggers bump on every reservation
    // change, so berthd notices edits made by any process within a second.
    R"sql(
    CREATE TABLE reservations (
      id          INTEGER PRIMARY KEY,
      bridge      TEXT    NOT NULL,
      match_kind  TEXT    NOT NULL CHECK (match_kind IN ('mac', 'client_id', 'hostname')),
      match_value TEXT    NOT NULL,
      ip          TEXT    NOT NULL,
      name        TEXT    NOT NULL DEFAULT '',
      created_at  INTEGER NOT NULL,
      UNIQUE (bridge, match_kind, match_value),
      UNIQUE (bridge, ip)
    );
    CREATE TABLE quarantine (
      bridge      TEXT    NOT NULL,
      ip          TEXT    NOT NULL,
      mac         TEXT    NOT NULL,
      client_id   TEXT    NOT NULL DEFAULT '',
      until       INTEGER NOT NULL,
      declined_at INTEGER NOT NULL,
      PRIMARY KEY (bridge, ip)
    ) WITHOUT ROWID;
    CREATE INDEX quarantine_by_until ON quarantine (until);
    INSERT INTO quarantine (bridge, ip, mac, client_id, until, declined_at)
      SELECT bridge, ip, mac, client_id, expires_at, updated_at FROM leases WHERE state = 'declined';
    DELETE FROM leases WHERE state = 'declined';
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO counters VALUES ('reservations_version', 0);
    CREATE TRIGGER reservations_ins AFTER INSERT ON reservations BEGIN
      UPDATE counters SET value = value + 1 WHERE name = 'reservations_version'; END;
    CREATE TRIGGER reservations_upd AFTER UPDATE ON reservations BEGIN
      UPDATE counters SET value = value + 1 WHERE name = 'reservations_version'; END;
    CREATE TRIGGER reservations_del AFTER DELETE ON reservations BEGIN
      UPDATE counters SET value = value + 1 WHERE name = 'reservations_version'; END;
    )sql",
    // 3: port forwards made through the API (host address or any, port ->
    // a container's address or name, port), and the addresses that
    // `address = "auto"` chose, so a bridge keeps its subnet across restarts.
    R"sql(
    CREATE TABLE forwards (
      id           INTEGER PRIMARY KEY,
      bridge       TEXT    NOT NULL,
      proto        TEXT    NOT NULL CHECK (proto IN ('tcp', 'udp')),
      host_address TEXT    NULL,
      host_port    INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
      target       TEXT    NOT NULL,
      target_port  INTEGER NOT NULL CHECK (target_port BETWEEN 1 AND 65535),
      created_at   INTEGER NOT NULL
    );
    CREATE INDEX forwards_by_port ON forwards (host_port, proto);
    CREATE TABLE bridge_addresses (
      bridge     TEXT    PRIMARY KEY,
      address    TEXT    NOT NULL,
      chosen_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 4: room for IPv6 leases (DHCPv6 IA_NA bindings). Every lease and
    // quarantined address says its family, and a DHCPv6 binding its IAID (the
    // DUID goes in client_id, as the client's identifier). The rows already
    // there are IPv4, IAID 0. A binding is found by client and IAID.
    R"sql(
    ALTER TABLE leases ADD COLUMN family INTEGER NOT NULL DEFAULT 4 CHECK (family IN (4, 6));
    ALTER TABLE leases ADD COLUMN iaid INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE quarantine ADD COLUMN family INTEGER NOT NULL DEFAULT 4 CHECK (family IN (4, 6));
    ALTER TABLE quarantine ADD COLUMN iaid INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX leases_by_binding ON leases (bridge, client_id, iaid) WHERE family = 6;
    )sql",
    // 5: what berthd chooses once and keeps: a bridge's IPv6 prefix for
    // ipv6 = "auto" (a random ULA, RFC 4193), and the DHCPv6 server DUID
    // (RFC 8415 §11: stable across restarts).
    R"sql(
    CREATE TABLE bridge_ipv6_prefixes (
      bridge     TEXT    PRIMARY KEY,
      prefix     TEXT    NOT NULL,
      chosen_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE server_identity (
      name        TEXT    PRIMARY KEY,
      value       BLOB    NOT NULL,
      created_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 6: a reservation may carry an IPv6 address (given by DHCPv6, AAAA of
    // its name) and the DUID that finds the DHCPv6 client (hex, '' when
    // the client is found by its MAC). Each unique within a bridge.
    R"sql(
    ALTER TABLE reservations ADD COLUMN ipv6 TEXT NULL;
    ALTER TABLE reservations ADD COLUMN duid TEXT NOT NULL DEFAULT '';
    CREATE UNIQUE INDEX reservations_by_ipv6 ON reservations (bridge, ipv6) WHERE ipv6 IS NOT NULL;
    CREATE UNIQUE INDEX reservations_by_duid ON reservations (bridge, duid) WHERE duid != '';
    )sql",
    // Events (issue 14): one row per change, in the change's transaction.
    // The cursor is never reused (AUTOINCREMENT), so a reader that resumes
    // after it misses nothing and sees nothing twice. Lease events are
    // written by LeaseStore::write(); reservation and forward changes by
    // these triggers, whichever process makes them. Times in UTC ms.
    R"sql(
    CREATE TABLE events (
      cursor    INTEGER PRIMARY KEY AUTOINCREMENT,
      time      INTEGER NOT NULL,
      kind      TEXT    NOT NULL,
      bridge    TEXT    NOT NULL DEFAULT '',
      ip        TEXT    NOT NULL DEFAULT '',
      mac       TEXT    NOT NULL DEFAULT '',
      hostname  TEXT    NOT NULL DEFAULT '',
      details   TEXT    NOT NULL DEFAULT '{}'
    );
    CREATE TRIGGER events_reservation_ins AFTER INSERT ON reservations BEGIN
      INSERT INTO events (time, kind, bridge, ip, mac, hostname, details) VALUES (
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'reservation_added',
        NEW.bridge, NEW.ip, CASE WHEN NEW.match_kind = 'mac' THEN NEW.match_value ELSE '' END,
        NEW.name, json_object('id', NEW.id, 'match', NEW.match_kind, 'value', NEW.match_value,
                              'ipv6', NEW.ipv6)); END;
    CREATE TRIGGER events_reservation_upd AFTER UPDATE ON reservations BEGIN
      INSERT INTO events (time, kind, bridge, ip, mac, hostname, details) VALUES (
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'reservation_changed',
        NEW.bridge, NEW.ip, CASE WHEN NEW.match_kind = 'mac' THEN NEW.match_value ELSE '' END,
        NEW.name, json_object('id', NEW.id, 'match', NEW.match_kind, 'value', NEW.match_value,
                              'ipv6', NEW.ipv6, 'old_ip', OLD.ip, 'old_name', OLD.name,
                              'old_ipv6', OLD.ipv6)); END;
    CREATE TRIGGER events_reservation_del AFTER DELETE ON reservations BEGIN
      INSERT INTO events (time, kind, bridge, ip, mac, hostname, details) VALUES (
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'reservation_removed',
        OLD.bridge, OLD.ip, CASE WHEN OLD.match_kind = 'mac' THEN OLD.match_value ELSE '' END,
        OLD.name, json_object('id', OLD.id, 'match', OLD.match_kind, 'value', OLD.match_value,
                              'ipv6', OLD.ipv6)); END;
    CREATE TRIGGER events_forward_ins AFTER INSERT ON forwards BEGIN
      INSERT INTO events (time, kind, bridge, details) VALUES (
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'forward_added', NEW.bridge,
        json_object('id', NEW.id, 'proto', NEW.proto, 'host_address', NEW.host_address,
                    'host_port', NEW.host_port, 'to', NEW.target, 'to_port', NEW.target_port)); END;
    CREATE TRIGGER events_forward_del AFTER DELETE ON forwards BEGIN
      INSERT INTO events (time, kind, bridge, details) VALUES (
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'forward_removed', OLD.bridge,
        json_object('id', OLD.id, 'proto', OLD.proto, 'host_address', OLD.host_address,
                    'host_port', OLD.host_port, 'to', OLD.target, 'to_port', OLD.target_port)); END;
    )sql",
    // 8: DNS records added through the control API (leases/store_records.cpp).
    R"sql(
    CREATE TABLE dns_records (
      id        INTEGER PRIMARY KEY AUTOINCREMENT,
      bridge    TEXT    NOT NULL DEFAULT '',
      name      TEXT    NOT NULL,
      type      TEXT    NOT NULL CHECK (type IN ('A', 'AAAA', 'CNAME', 'SRV', 'TXT')),
      address   TEXT    NULL,
      target    TEXT    NOT NULL DEFAULT '',
      priority  INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 65535),
      weight    INTEGER NOT NULL DEFAULT 0 CHECK (weight BETWEEN 0 AND 65535),
      port      INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),
      text      TEXT    NOT NULL DEFAULT '[]',
      created   INTEGER NOT NULL
    );
    CREATE INDEX dns_records_by_name ON dns_records (bridge, name COLLATE NOCASE);
    )sql",
    // 9: DHCPv4 options of API reservations: a JSON array of their
    // "[force:]CODE:TYPE:VALUE" lines (dhcp4::format_configured_option).
    R"sql(
    ALTER TABLE reservations ADD COLUMN options TEXT NOT NULL DEFAULT '[]';
    )sql",
    // 10: no index on leases but the primary key (and the DHCPv6 rows'
    // leases_by_binding). The daemon keeps its leases in memory and reads
    // the table whole at start; no query used the indexes on mac, client_id
    // and expiry, and each lease change wrote to them, a random page each in
    // every commit.
    R"sql(
    DROP INDEX IF EXISTS leases_by_mac;
    DROP INDEX IF EXISTS leases_by_client_id;
    DROP INDEX IF EXISTS leases_by_expiry;
    )sql",
};

// The first schema version whose reservations keep DHCPv4 options.
constexpr int kReservationOptionsSchema = 9;

// The migration that adds the events table (found, not numbered by hand:
// migrations from other branches may come before it).
constexpr int events_migration() {
  for (size_t i = 0; i < kMigrations.size(); ++i) {
    if (std::string_view(kMigrations[i]).find("CREATE TABLE events (") != std::string_view::npos) {
      return static_cast<int>(i + 1);
    }
  }
  return 0;
}
constexpr int kEventsSchema = events_migration();
static_assert(kEventsSchema > 0);

std::string column_text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

struct Statement {
  sqlite3_stmt* st = nullptr;
  ~Statement() { sqlite3_finalize(st); }
};

}  // namespace

sqlite3* LeaseStore::open_connection(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw StoreError("cannot open lease database " + path + ": " + msg);
  }
  return db;
}

void LeaseStore::release_memory() { sqlite3_db_release_memory(db_); }

void LeaseStore::defer_checkpoints() {
  exec("PRAGMA wal_autocheckpoint=0");
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<LeaseStore*>(self)->wal_pages_ = pages;
        return SQLITE_OK;
      },
      this);
}

LeaseStore::LeaseStore(const std::string& path, OpenOnly)
    : path_(path), db_(open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX)) {
  try {
    sqlite3_busy_timeout(db_, 5000);
    version_ = schema_version();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

std::unique_ptr<LeaseStore> LeaseStore::checkpoint_connection() const {
  return std::unique_ptr<LeaseStore>(new LeaseStore(path_, OpenOnly{}));
}

bool LeaseStore::checkpoint() {
  int log = 0, copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    spdlog::warn("{}: WAL checkpoint failed: {}", path_, sqlite3_errmsg(db_));
    return false;
  }
  return true;
}

LeaseStore::LeaseStore(const std::string& path, Durability durability, int migrate_to)
    : path_(path),
      db_(open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)) {
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec(durability == Durability::fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    migrate(migrate_to < 0 ? latest_schema_version() : migrate_to);
    version_ = schema_version();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

LeaseStore::~LeaseStore() {
  for (auto& [sql, st] : statements_) sqlite3_finalize(st);
  sqlite3_close(db_);
}

sqlite3_stmt* LeaseStore::statement(const char* sql) const {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
    throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  }
  statements_.emplace(sql, st);
  return st;
}

void LeaseStore::step_done(sqlite3_stmt* st) const {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
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

void LeaseStore::migrate(int target) {
  exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  int current = schema_version();
  if (current > latest_schema_version()) {
    throw StoreError(path_ + ": schema version " + std::to_string(current) +
                     " is newer than this berthd understands (" +
                     std::to_string(latest_schema_version()) + ")");
  }
  for (int v = current + 1; v <= target; ++v) {
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

// Rows of (bridge, ip, mac, client_id, hostname, state, expires_at,
// updated_at, family, iaid).
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
    auto ip = IpAddress::parse(column_text(s.st, 1));
    auto mac = MacAddress::parse(column_text(s.st, 2));
    auto cid = parse_hex_colon(column_text(s.st, 3));
    auto state = lease_state_from_string(column_text(s.st, 5));
    const int64_t family = sqlite3_column_int64(s.st, 8);
    const int64_t iaid = sqlite3_column_int64(s.st, 9);
    if (!ip || !mac || !cid || !state || family != (ip->is_v4() ? 4 : 6) || iaid < 0 ||
        iaid > UINT32_MAX) {
      throw StoreError(path + ": unreadable lease row for " + l.bridge + " " +
                       column_text(s.st, 1));
    }
    l.ip = *ip;
    l.iaid = static_cast<uint32_t>(iaid);
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

namespace {
constexpr const char* kSelectLeases =
    "SELECT bridge, ip, mac, client_id, hostname, state, expires_at, updated_at, family, iaid "
    "FROM leases";
// Quarantined addresses read as leases in state declined.
constexpr const char* kSelectQuarantine =
    "SELECT bridge, ip, mac, client_id, '', 'declined', until, declined_at, family, iaid "
    "FROM quarantine";
// Before version 4 every row is IPv4, IAID 0.
constexpr const char* kSelectLeasesV3 =
    "SELECT bridge, ip, mac, client_id, hostname, state, expires_at, updated_at, 4, 0 "
    "FROM leases";
constexpr const char* kSelectQuarantineV3 =
    "SELECT bridge, ip, mac, client_id, '', 'declined', until, declined_at, 4, 0 FROM quarantine";
}  // namespace

std::vector<Lease> LeaseStore::load(const std::string* bridge) const {
  const std::string where = bridge ? " WHERE bridge = ?" : "";
  const bool v4 = version_ >= 4;
  std::vector<Lease> out = read_rows(
      db_, path_, (std::string(v4 ? kSelectLeases : kSelectLeasesV3) + where).c_str(), bridge);
  if (version_ >= 2) {
    std::vector<Lease> q = read_rows(
        db_, path_, (std::string(v4 ? kSelectQuarantine : kSelectQuarantineV3) + where).c_str(),
        bridge);
    out.insert(out.end(), q.begin(), q.end());
  }
  return out;
}

std::vector<Lease> LeaseStore::load_all() const { return load(nullptr); }

std::vector<Lease> LeaseStore::load_bridge(const std::string& bridge) const {
  return load(&bridge);
}

namespace {

void bind_value(sqlite3_stmt* st, int i, const std::string& v) {
  sqlite3_bind_text(st, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void bind_value(sqlite3_stmt* st, int i, std::string_view v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void bind_value(sqlite3_stmt* st, int i, int64_t v) { sqlite3_bind_int64(st, i, v); }

constexpr const char* kDeleteLease = "DELETE FROM leases WHERE bridge = ? AND ip = ?";
constexpr const char* kDeleteQuarantine = "DELETE FROM quarantine WHERE bridge = ? AND ip = ?";
constexpr const char* kUpsertLease =
    "INSERT OR REPLACE INTO leases (bridge, ip, mac, client_id, hostname, state, expires_at, "
    "updated_at, family, iaid) VALUES (?,?,?,?,?,?,?,?,?,?)";
// The same client keeps its address (a renewal, the common case): only what
// changed is written (a DHCPv6 row's leases_by_binding entry is left alone
// unless its iaid changed).
constexpr const char* kRenewLease =
    "UPDATE leases SET hostname = ?3, state = ?4, expires_at = ?5, updated_at = ?6, iaid = ?7 "
    "WHERE bridge = ?1 AND ip = ?2";
constexpr const char* kUpsertQuarantine =
    "INSERT OR REPLACE INTO quarantine (bridge, ip, mac, client_id, until, declined_at, family, "
    "iaid) VALUES (?,?,?,?,?,?,?,?)";
// Before version 4 (the tests of the migrations write old schemas).
constexpr const char* kUpsertLeaseV3 =
    "INSERT OR REPLACE INTO leases (bridge, ip, mac, client_id, hostname, state, expires_at, "
    "updated_at) VALUES (?,?,?,?,?,?,?,?)";
constexpr const char* kUpsertQuarantineV3 =
    "INSERT OR REPLACE INTO quarantine (bridge, ip, mac, client_id, until, declined_at) "
    "VALUES (?,?,?,?,?,?)";

constexpr const char* kPriorLease =
    "SELECT mac, client_id, hostname, state, expires_at FROM leases WHERE bridge = ? AND ip = ?";
constexpr const char* kPriorQuarantine =
    "SELECT mac, client_id, '', 'declined', until FROM quarantine WHERE bridge = ? AND ip = ?";
constexpr const char* kInsertEvent =
    "INSERT INTO events (time, kind, bridge, ip, mac, hostname, details) VALUES (?,?,?,?,?,?,?)";

}  // namespace

void LeaseStore::write(std::span<const LeaseChange> changes) { write(changes, {}); }

std::optional<PriorLease> LeaseStore::prior_lease(const LeaseChange& c) const {
  const std::string ip = c.lease.ip.to_string();
  for (const char* sql : {kPriorLease, kPriorQuarantine}) {
    if (sql == kPriorQuarantine && c.kind != LeaseChange::Kind::erase) break;
    sqlite3_stmt* st = statement(sql);
    bind_value(st, 1, c.lease.bridge);
    bind_value(st, 2, ip);
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      PriorLease p;
      auto mac = MacAddress::parse(column_text(st, 0));
      auto cid = parse_hex_colon(column_text(st, 1));
      auto state = lease_state_from_string(column_text(st, 3));
      if (mac) p.mac = *mac;
      if (cid) p.client_id = std::move(*cid);
      p.hostname = column_text(st, 2);
      p.state = state.value_or(LeaseState::bound);
      p.expires_at = sqlite3_column_int64(st, 4);
      sqlite3_reset(st);
      return p;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  }
  return std::nullopt;
}

void LeaseStore::insert_event(const Event& e) {
  sqlite3_stmt* st = statement(kInsertEvent);
  bind_value(st, 1, e.time_ms);
  bind_value(st, 2, to_string(e.kind));
  bind_value(st, 3, e.bridge);
  bind_value(st, 4, e.ip);
  bind_value(st, 5, e.mac);
  bind_value(st, 6, e.hostname);
  bind_value(st, 7, e.details);
  step_done(st);
}

void LeaseStore::write(std::span<const LeaseChange> changes, std::span<const Event> extra) {
  const bool v4 = version_ >= 4;
  const bool events = version_ >= kEventsSchema;
  const int64_t now_ms = event_clock_ms();
  exec("BEGIN IMMEDIATE");
  try {
    for (const Event& e : extra) {
      if (events) insert_event(e);
    }
    for (const LeaseChange& c : changes) {
      const Lease& l = c.lease;
      const std::string ip = l.ip.to_string();
      std::optional<PriorLease> prior;
      if (events) {
        prior = prior_lease(c);
        if (auto kind = lease_event_kind(c, prior)) {
          Lease shown = l;
          if (c.kind == LeaseChange::Kind::erase) {
            shown.mac = prior->mac;
            shown.client_id = prior->client_id;
            if (shown.hostname.empty()) shown.hostname = prior->hostname;
            shown.state = prior->state;
            shown.expires_at = prior->expires_at;
          }
          insert_event(lease_event(*kind, shown, now_ms));
        }
      }
      const int64_t family = l.ip.is_v4() ? 4 : 6;
      if (!v4 && (family != 4 || l.iaid != 0)) {
        throw StoreError(path_ + ": schema version " + std::to_string(version_) +
                         " holds only IPv4 leases");
      }
      const bool quarantined =
          c.kind == LeaseChange::Kind::upsert && l.state == LeaseState::declined;
      // An address is either leased or quarantined, never both: clear the
      // table the change does not write (both, for an erase).
      auto remove_from = [&](const char* sql) {
        sqlite3_stmt* st = statement(sql);
        bind_value(st, 1, l.bridge);
        bind_value(st, 2, ip);
        step_done(st);
      };
      if (c.kind == LeaseChange::Kind::erase || quarantined) remove_from(kDeleteLease);
      if (c.kind == LeaseChange::Kind::erase || !quarantined) remove_from(kDeleteQuarantine);
      if (c.kind == LeaseChange::Kind::erase) continue;
      if (quarantined) {
        sqlite3_stmt* st = statement(v4 ? kUpsertQuarantine : kUpsertQuarantineV3);
        bind_value(st, 1, l.bridge);
        bind_value(st, 2, ip);
        bind_value(st, 3, l.mac.to_string());
        bind_value(st, 4, to_hex_colon(l.client_id));
        bind_value(st, 5, l.expires_at);
        bind_value(st, 6, l.updated_at);
        if (v4) {
          bind_value(st, 7, family);
          bind_value(st, 8, int64_t{l.iaid});
        }
        step_done(st);
        continue;
      }
      if (v4 && prior && prior->mac == l.mac && prior->client_id == l.client_id) {
        sqlite3_stmt* st = statement(kRenewLease);
        bind_value(st, 1, l.bridge);
        bind_value(st, 2, ip);
        bind_value(st, 3, l.hostname);
        bind_value(st, 4, to_string(l.state));
        bind_value(st, 5, l.expires_at);
        bind_value(st, 6, l.updated_at);
        bind_value(st, 7, int64_t{l.iaid});
        step_done(st);
        if (sqlite3_changes(db_) == 1) continue;
      }
      {
        sqlite3_stmt* st = statement(v4 ? kUpsertLease : kUpsertLeaseV3);
        bind_value(st, 1, l.bridge);
        bind_value(st, 2, ip);
        bind_value(st, 3, l.mac.to_string());
        bind_value(st, 4, to_hex_colon(l.client_id));
        bind_value(st, 5, l.hostname);
        bind_value(st, 6, to_string(l.state));
        bind_value(st, 7, l.expires_at);
        bind_value(st, 8, l.updated_at);
        if (v4) {
          bind_value(st, 9, family);
          bind_value(st, 10, int64_t{l.iaid});
        }
        step_done(st);
      }
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

namespace {

std::string match_value(const Reservation& r) {
  switch (r.match) {
    case MatchKind::mac:
      return r.mac.to_string();
    case MatchKind::client_id:
      return to_hex_colon(r.client_id);
    case MatchKind::hostname: {
      std::string h = r.hostname_match;
      for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return h;
    }
  }
  return {};
}

}  // namespace

namespace {

// Reservation options as the database keeps them (migration 9).
std::string options_text(const std::vector<dhcp4::ConfiguredOption>& options) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& o : options) j.push_back(dhcp4::format_configured_option(o));
  return j.dump();
}

std::optional<std::vector<dhcp4::ConfiguredOption>> options_from_text(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  std::vector<dhcp4::ConfiguredOption> out;
  for (const auto& line : j) {
    if (!line.is_string()) return std::nullopt;
    auto o = dhcp4::parse_configured_option(line.get<std::string>());
    if (!o) return std::nullopt;
    out.push_back(std::move(*o));
  }
  return out;
}

}  // namespace

std::vector<Reservation> LeaseStore::load_reservations() const {
  std::vector<Reservation> out;
  if (version_ < 2) return out;
  sqlite3_stmt* st = statement(
      version_ >= kReservationOptionsSchema
          ? "SELECT id, bridge, match_kind, match_value, ip, name, ipv6, duid, options "
            "FROM reservations"
      : version_ >= 6 ? "SELECT id, bridge, match_kind, match_value, ip, name, ipv6, duid, '[]' "
                        "FROM reservations"
                      : "SELECT id, bridge, match_kind, match_value, ip, name, NULL, '', '[]' "
                        "FROM reservations");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Reservation r;
    r.id = sqlite3_column_int64(st, 0);
    r.bridge = column_text(st, 1);
    auto kind = match_kind_from_string(column_text(st, 2));
    std::string value = column_text(st, 3);
    auto ip = Ipv4Address::parse(column_text(st, 4));
    r.name = column_text(st, 5);
    bool ok = kind && ip;
    if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
      r.ipv6 = Ipv6Address::parse(column_text(st, 6));
      ok = ok && r.ipv6;
    }
    if (const std::string duid = column_text(st, 7); !duid.empty()) {
      auto bytes = parse_hex_colon(duid);
      ok = ok && bytes && !bytes->empty();
      if (bytes) r.duid = std::move(*bytes);
    }
    if (auto options = options_from_text(column_text(st, 8))) {
      r.options = std::move(*options);
    } else {
      ok = false;
    }
    if (ok) {
      r.match = *kind;
      r.ip = *ip;
      switch (r.match) {
        case MatchKind::mac:
          if (auto m = MacAddress::parse(value))
            r.mac = *m;
          else
            ok = false;
          break;
        case MatchKind::client_id:
          if (auto id = parse_hex_colon(value); id && !id->empty())
            r.client_id = *id;
          else
            ok = false;
          break;
        case MatchKind::hostname:
          r.hostname_match = value;
          ok = !value.empty();
          break;
      }
    }
    if (!ok) {
      sqlite3_reset(st);
      throw StoreError(path_ + ": unreadable reservation id " + std::to_string(r.id) + " (" +
                       column_text(st, 2) + " " + value + ")");
    }
    out.push_back(std::move(r));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

int64_t LeaseStore::reservations_version() const {
  if (version_ < 2) return 0;
  sqlite3_stmt* st = statement("SELECT value FROM counters WHERE name = 'reservations_version'");
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  return v;
}

Reservation LeaseStore::add_reservation(Reservation r, int64_t now) {
  if (version_ < 6 && (r.ipv6 || !r.duid.empty())) {
    throw std::runtime_error("database schema version " + std::to_string(version_) +
                             " keeps no IPv6 in reservations");
  }
  if (version_ < kReservationOptionsSchema && !r.options.empty()) {
    throw std::runtime_error("database schema version " + std::to_string(version_) +
                             " keeps no options in reservations");
  }
  const std::string value = match_value(r);
  const std::string ip = r.ip.to_string();
  // Name the conflict for the user rather than pass on SQLite's constraint
  // text. Two lookups, each on its unique index (an OR would scan the table).
  auto conflict = [&](sqlite3_stmt* find) {
    if (sqlite3_step(find) == SQLITE_ROW) {
      std::string msg = "conflicts with reservation " +
                        std::to_string(sqlite3_column_int64(find, 0)) + " (" +
                        column_text(find, 1) + " " + column_text(find, 2) + " -> " +
                        column_text(find, 3) + ") on " + r.bridge;
      sqlite3_reset(find);
      throw StoreConflict(msg);
    }
    sqlite3_reset(find);
  };
  sqlite3_stmt* by_client = statement(
      "SELECT id, match_kind, match_value, ip FROM reservations WHERE bridge = ? AND "
      "match_kind = ? AND match_value = ?");
  bind_value(by_client, 1, r.bridge);
  bind_value(by_client, 2, to_string(r.match));
  bind_value(by_client, 3, value);
  conflict(by_client);
  sqlite3_stmt* by_ip = statement(
      "SELECT id, match_kind, match_value, ip FROM reservations WHERE bridge = ? AND ip = ?");
  bind_value(by_ip, 1, r.bridge);
  bind_value(by_ip, 2, ip);
  conflict(by_ip);
  if (r.ipv6) {
    sqlite3_stmt* by_ipv6 = statement(
        "SELECT id, match_kind, match_value, ipv6 FROM reservations WHERE bridge = ? AND "
        "ipv6 = ?");
    bind_value(by_ipv6, 1, r.bridge);
    bind_value(by_ipv6, 2, r.ipv6->to_string());
    conflict(by_ipv6);
  }
  if (!r.duid.empty()) {
    sqlite3_stmt* by_duid = statement(
        "SELECT id, match_kind, match_value, duid FROM reservations WHERE bridge = ? AND "
        "duid = ?");
    bind_value(by_duid, 1, r.bridge);
    bind_value(by_duid, 2, to_hex_colon(r.duid));
    conflict(by_duid);
  }
  // A database kept at an older version (tests, a refused migration) has no IPv6 columns.
  sqlite3_stmt* st = version_ >= kReservationOptionsSchema
                         ? statement(
                               "INSERT INTO reservations (bridge, match_kind, match_value, "
                               "ip, name, created_at, ipv6, duid, options) VALUES "
                               "(?,?,?,?,?,?,?,?,?)")
                     : version_ >= 6
                         ? statement(
                               "INSERT INTO reservations (bridge, match_kind, match_value, "
                               "ip, name, created_at, ipv6, duid) VALUES (?,?,?,?,?,?,?,?)")
                         : statement(
                               "INSERT INTO reservations (bridge, match_kind, match_value, "
                               "ip, name, created_at) VALUES (?,?,?,?,?,?)");
  bind_value(st, 1, r.bridge);
  bind_value(st, 2, to_string(r.match));
  bind_value(st, 3, value);
  bind_value(st, 4, ip);
  bind_value(st, 5, r.name);
  bind_value(st, 6, now);
  if (version_ >= 6) {
    if (r.ipv6) {
      bind_value(st, 7, r.ipv6->to_string());
    } else {
      sqlite3_bind_null(st, 7);
    }
    bind_value(st, 8, to_hex_colon(r.duid));
  }
  if (version_ >= kReservationOptionsSchema) bind_value(st, 9, options_text(r.options));
  step_done(st);
  r.id = sqlite3_last_insert_rowid(db_);
  return r;
}

bool LeaseStore::remove_reservation(int64_t id) {
  sqlite3_stmt* st = statement("DELETE FROM reservations WHERE id = ?");
  bind_value(st, 1, id);
  step_done(st);
  return sqlite3_changes(db_) > 0;
}

bool LeaseStore::update_reservation(int64_t id, Ipv4Address ip,
                                    const std::optional<Ipv6Address>& ipv6, const std::string& name,
                                    const std::vector<dhcp4::ConfiguredOption>* options) {
  if (options != nullptr && version_ < kReservationOptionsSchema) {
    throw std::runtime_error("database schema version " + std::to_string(version_) +
                             " keeps no options in reservations");
  }
  // `sql` a literal: statements are cached by their text's address.
  auto refuse_taken = [&](const char* sql, const std::string& text) {
    sqlite3_stmt* find = statement(sql);
    bind_value(find, 1, text);
    bind_value(find, 2, id);
    if (sqlite3_step(find) == SQLITE_ROW) {
      std::string msg = "conflicts with reservation " +
                        std::to_string(sqlite3_column_int64(find, 0)) + " (" +
                        column_text(find, 1) + " " + column_text(find, 2) + " -> " + text + ")";
      sqlite3_reset(find);
      throw StoreConflict(msg);
    }
    sqlite3_reset(find);
  };
  const std::string text = ip.to_string();
  refuse_taken(
      "SELECT other.id, other.match_kind, other.match_value FROM reservations AS me "
      "JOIN reservations AS other ON other.bridge = me.bridge AND other.ip = ? "
      "AND other.id != me.id WHERE me.id = ?",
      text);
  if (ipv6) {
    refuse_taken(
        "SELECT other.id, other.match_kind, other.match_value FROM reservations AS me "
        "JOIN reservations AS other ON other.bridge = me.bridge AND other.ipv6 = ? "
        "AND other.id != me.id WHERE me.id = ?",
        ipv6->to_string());
  }
  if (version_ < 6) {
    if (ipv6) {
      throw std::runtime_error("database schema version " + std::to_string(version_) +
                               " keeps no IPv6 in reservations");
    }
    sqlite3_stmt* st = statement("UPDATE reservations SET ip = ?, name = ? WHERE id = ?");
    bind_value(st, 1, text);
    bind_value(st, 2, name);
    bind_value(st, 3, id);
    step_done(st);
    return sqlite3_changes(db_) > 0;
  }
  // A DUID only finds the client of an IPv6 address: it goes with it.
  sqlite3_stmt* st = statement(
      "UPDATE reservations SET ip = ?, name = ?, ipv6 = ?, "
      "duid = CASE WHEN ?3 IS NULL THEN '' ELSE duid END, "
      "options = CASE WHEN ?5 IS NULL THEN options ELSE ?5 END WHERE id = ?4");
  bind_value(st, 1, text);
  bind_value(st, 2, name);
  if (ipv6) {
    bind_value(st, 3, ipv6->to_string());
  } else {
    sqlite3_bind_null(st, 3);
  }
  bind_value(st, 4, id);
  if (options != nullptr) {
    bind_value(st, 5, options_text(*options));
  } else {
    sqlite3_bind_null(st, 5);
  }
  step_done(st);
  return sqlite3_changes(db_) > 0;
}

namespace {

// "tcp *:8080 -> web:80 on br0", for conflict messages.
std::string forward_text(const std::string& proto, const std::string& host_address,
                         int64_t host_port, const std::string& to, int64_t to_port,
                         const std::string& bridge) {
  return proto + " " + (host_address.empty() ? std::string("*") : host_address) + ":" +
         std::to_string(host_port) + " -> " + to + ":" + std::to_string(to_port) + " on " + bridge;
}

void bind_null(sqlite3_stmt* st, int i) { sqlite3_bind_null(st, i); }

}  // namespace

std::vector<StoredForward> LeaseStore::list_forwards() const {
  std::vector<StoredForward> out;
  if (version_ < 3) return out;
  sqlite3_stmt* st = statement(
      "SELECT id, bridge, proto, host_address, host_port, target, target_port, created_at "
      "FROM forwards ORDER BY id");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    StoredForward f;
    f.id = sqlite3_column_int64(st, 0);
    f.bridge = column_text(st, 1);
    f.proto = column_text(st, 2);
    bool ok = f.proto == "tcp" || f.proto == "udp";
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
      auto a = Ipv4Address::parse(column_text(st, 3));
      ok = ok && a.has_value();
      if (a) f.host_address = *a;
    }
    const int64_t host_port = sqlite3_column_int64(st, 4);
    const int64_t to_port = sqlite3_column_int64(st, 6);
    ok = ok && host_port >= 1 && host_port <= 65535 && to_port >= 1 && to_port <= 65535;
    f.host_port = static_cast<uint16_t>(host_port);
    f.to = column_text(st, 5);
    f.to_port = static_cast<uint16_t>(to_port);
    f.created_at = sqlite3_column_int64(st, 7);
    if (!ok) {
      sqlite3_reset(st);
      throw StoreError(path_ + ": unreadable forward id " + std::to_string(f.id));
    }
    out.push_back(std::move(f));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

int64_t LeaseStore::add_forward(const StoredForward& f) {
  if (f.proto != "tcp" && f.proto != "udp") {
    throw StoreError("forward protocol '" + f.proto + "' is neither tcp nor udp");
  }
  if (f.host_port == 0 || f.to_port == 0) throw StoreError("forward port 0 is not a port");
  const std::string host = f.host_address ? f.host_address->to_string() : std::string();
  // One host port serves one forward: the same address, or either side on
  // every address of the host, is the same port to the kernel.
  sqlite3_stmt* find = statement(
      "SELECT id, bridge, proto, IFNULL(host_address, ''), host_port, target, target_port "
      "FROM forwards WHERE host_port = ?1 AND proto = ?2 "
      "AND (host_address IS NULL OR ?3 IS NULL OR host_address = ?3) LIMIT 1");
  bind_value(find, 1, static_cast<int64_t>(f.host_port));
  bind_value(find, 2, f.proto);
  if (f.host_address) {
    bind_value(find, 3, host);
  } else {
    bind_null(find, 3);
  }
  if (sqlite3_step(find) == SQLITE_ROW) {
    std::string msg =
        "conflicts with forward " + std::to_string(sqlite3_column_int64(find, 0)) + " (" +
        forward_text(column_text(find, 2), column_text(find, 3), sqlite3_column_int64(find, 4),
                     column_text(find, 5), sqlite3_column_int64(find, 6), column_text(find, 1)) +
        ")";
    sqlite3_reset(find);
    throw StoreConflict(msg);
  }
  sqlite3_reset(find);
  sqlite3_stmt* st = statement(
      "INSERT INTO forwards (bridge, proto, host_address, host_port, target, target_port, "
      "created_at) VALUES (?,?,?,?,?,?,?)");
  bind_value(st, 1, f.bridge);
  bind_value(st, 2, f.proto);
  if (f.host_address) {
    bind_value(st, 3, host);
  } else {
    bind_null(st, 3);
  }
  bind_value(st, 4, static_cast<int64_t>(f.host_port));
  bind_value(st, 5, f.to);
  bind_value(st, 6, static_cast<int64_t>(f.to_port));
  bind_value(st, 7, f.created_at);
  step_done(st);
  return sqlite3_last_insert_rowid(db_);
}

bool LeaseStore::delete_forward(int64_t id) {
  sqlite3_stmt* st = statement("DELETE FROM forwards WHERE id = ?");
  bind_value(st, 1, id);
  step_done(st);
  return sqlite3_changes(db_) > 0;
}

int LeaseStore::events_schema_version() { return kEventsSchema; }

std::vector<Event> LeaseStore::events_after(int64_t after, size_t limit) const {
  std::vector<Event> out;
  if (version_ < kEventsSchema) return out;
  sqlite3_stmt* st = statement(
      "SELECT cursor, time, kind, bridge, ip, mac, hostname, details FROM events "
      "WHERE cursor > ? ORDER BY cursor LIMIT ?");
  bind_value(st, 1, after);
  bind_value(st, 2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Event e;
    e.cursor = sqlite3_column_int64(st, 0);
    e.time_ms = sqlite3_column_int64(st, 1);
    auto kind = event_kind_from_string(column_text(st, 2));
    if (!kind || *kind == EventKind::gap) {
      const std::string text = column_text(st, 2);
      sqlite3_reset(st);
      throw StoreError(path_ + ": unreadable event " + std::to_string(e.cursor) + " of kind '" +
                       text + "'");
    }
    e.kind = *kind;
    e.bridge = column_text(st, 3);
    e.ip = column_text(st, 4);
    e.mac = column_text(st, 5);
    e.hostname = column_text(st, 6);
    e.details = column_text(st, 7);
    out.push_back(std::move(e));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

LeaseStore::EventBounds LeaseStore::event_bounds() const {
  EventBounds b;
  if (version_ < kEventsSchema) return b;
  // sqlite_sequence holds the last cursor AUTOINCREMENT gave, even once
  // every event is pruned.
  sqlite3_stmt* st = statement(
      "SELECT (SELECT MIN(cursor) FROM events), "
      "IFNULL((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)");
  if (sqlite3_step(st) == SQLITE_ROW) {
    b.head = sqlite3_column_int64(st, 1);
    b.oldest = sqlite3_column_type(st, 0) == SQLITE_NULL ? b.head + 1 : sqlite3_column_int64(st, 0);
  }
  sqlite3_reset(st);
  return b;
}

size_t LeaseStore::prune_events(int64_t cutoff_ms, int64_t keep, size_t chunk) {
  if (version_ < kEventsSchema) return 0;
  // Oldest first, by cursor (the primary key): the scan stops at the first
  // event that stays.
  sqlite3_stmt* st = statement(
      "DELETE FROM events WHERE cursor IN (SELECT cursor FROM events WHERE time < ?1 OR "
      "cursor <= (SELECT MAX(cursor) FROM events) - ?2 ORDER BY cursor LIMIT ?3)");
  bind_value(st, 1, cutoff_ms);
  bind_value(st, 2, keep);
  bind_value(st, 3, static_cast<int64_t>(std::min<size_t>(chunk, INT64_MAX)));
  step_done(st);
  return static_cast<size_t>(sqlite3_changes(db_));
}

}  // namespace berth::leases
