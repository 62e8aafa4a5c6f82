// SQLite store of leases (WAL). Schema changes are versioned migrations,
// each applied in one transaction.
#pragma once

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "leases/lease.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::leases {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Durability {
  fsync,    // synchronous=FULL: every commit is on disk before it returns
  process,  // synchronous=NORMAL in WAL: survives a crash of the process, not of the host
};

class LeaseStore {
 public:
  // Opens (creating when missing) the database and brings its schema to the
  // newest version. Throws StoreError naming the file.
  LeaseStore(const std::string& path, Durability durability);
  ~LeaseStore();
  LeaseStore(const LeaseStore&) = delete;
  LeaseStore& operator=(const LeaseStore&) = delete;

  static int latest_schema_version();
  int schema_version() const;

  std::vector<Lease> load_all() const;
  std::vector<Lease> load_bridge(const std::string& bridge) const;

  // Applies every change (insert-or-replace by bridge+ip, or delete) in one
  // transaction. All or nothing: throws StoreError and rolls back on failure.
  void write(std::span<const LeaseChange> changes);

  const std::string& path() const { return path_; }

 private:
  void exec(const char* sql) const;
  void migrate();

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
};

}  // namespace berth::leases
