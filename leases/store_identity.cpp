// What berthd chooses once and keeps across restarts: the subnets of
// bridges with address = "auto" or ipv6 = "auto", and the DHCPv6 server DUID.
#include <sqlite3.h>

#include <ctime>

#include "leases/store.hpp"

namespace berth::leases {
namespace {

int64_t now_utc() { return static_cast<int64_t>(std::time(nullptr)); }

void bind_text(sqlite3_stmt* st, int i, const std::string& v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace

// The single text column of the row `sql` selects for `key`, if any.
std::optional<std::string> LeaseStore::select_text(const char* sql, const std::string& key) const {
  sqlite3_stmt* st = statement(sql);
  bind_text(st, 1, key);
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    return std::nullopt;
  }
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    throw StoreError(path_ + ": " + sqlite3_errmsg(db_));
  }
  const void* data = sqlite3_column_blob(st, 0);
  const int size = sqlite3_column_bytes(st, 0);
  std::string text(data ? static_cast<const char*>(data) : "", static_cast<size_t>(size));
  sqlite3_reset(st);
  return text;
}

std::optional<Ipv4Prefix> LeaseStore::bridge_address(const std::string& bridge) const {
  if (version_ < 3) return std::nullopt;
  auto text = select_text("SELECT address FROM bridge_addresses WHERE bridge = ?", bridge);
  if (!text) return std::nullopt;
  auto prefix = Ipv4Prefix::parse(*text);
  if (!prefix) {
    throw StoreError(path_ + ": unreadable address '" + *text + "' of bridge " + bridge);
  }
  return prefix;
}

void LeaseStore::set_bridge_address(const std::string& bridge, Ipv4Prefix prefix) {
  set_bridge_address(bridge, prefix, now_utc());
}

void LeaseStore::set_bridge_address(const std::string& bridge, Ipv4Prefix prefix,
                                    int64_t chosen_at) {
  sqlite3_stmt* st = statement(
      "INSERT OR REPLACE INTO bridge_addresses (bridge, address, chosen_at) VALUES (?,?,?)");
  bind_text(st, 1, bridge);
  bind_text(st, 2, prefix.to_string());
  sqlite3_bind_int64(st, 3, chosen_at);
  step_done(st);
}

std::optional<Ipv6Prefix> LeaseStore::bridge_ipv6(const std::string& bridge) const {
  if (version_ < 5) return std::nullopt;
  auto text = select_text("SELECT prefix FROM bridge_ipv6_prefixes WHERE bridge = ?", bridge);
  if (!text) return std::nullopt;
  auto prefix = Ipv6Prefix::parse(*text);
  if (!prefix) {
    throw StoreError(path_ + ": unreadable IPv6 prefix '" + *text + "' of bridge " + bridge);
  }
  return prefix;
}

void LeaseStore::set_bridge_ipv6(const std::string& bridge, const Ipv6Prefix& prefix) {
  if (version_ < 5) throw StoreError(path_ + ": schema version 5 is needed to keep IPv6 prefixes");
  sqlite3_stmt* st = statement(
      "INSERT OR REPLACE INTO bridge_ipv6_prefixes (bridge, prefix, chosen_at) VALUES (?,?,?)");
  bind_text(st, 1, bridge);
  bind_text(st, 2, prefix.to_string());
  sqlite3_bind_int64(st, 3, now_utc());
  step_done(st);
}

std::optional<Bytes> LeaseStore::server_duid() const {
  if (version_ < 5) return std::nullopt;
  auto value = select_text("SELECT value FROM server_identity WHERE name = ?", "dhcp6-duid");
  if (!value) return std::nullopt;
  // RFC 8415 §11.1: a DUID is 2 bytes of type and at most 128 bytes more.
  if (value->size() < 3 || value->size() > 130) {
    throw StoreError(path_ + ": the stored DHCPv6 server DUID is " + std::to_string(value->size()) +
                     " bytes long; a DUID is 3 to 130");
  }
  return Bytes(value->begin(), value->end());
}

void LeaseStore::set_server_duid(ByteView duid) {
  if (version_ < 5) throw StoreError(path_ + ": schema version 5 is needed to keep a DUID");
  sqlite3_stmt* st =
      statement("INSERT OR REPLACE INTO server_identity (name, value, created_at) VALUES (?,?,?)");
  sqlite3_bind_text(st, 1, "dhcp6-duid", -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 2, duid.data(), static_cast<int>(duid.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, now_utc());
  step_done(st);
}

}  // namespace berth::leases
