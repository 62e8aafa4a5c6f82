// SQLite store of leases (WAL). Schema changes are versioned migrations,
// each applied in one transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "leases/events.hpp"
#include "leases/lease.hpp"
#include "leases/reservation.hpp"
#include "protocol/dns/record.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::leases {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A change refused because it clashes with a stored reservation or forward;
// what() names the one it conflicts with. Any other StoreError is a failure
// of the database itself.
class StoreConflict : public StoreError {
 public:
  using StoreError::StoreError;
};

// A port forward made through the control API: host address and port to a
// container's address or name and port, on one bridge.
struct StoredForward {
  int64_t id = 0;  // database row id; 0 until stored
  std::string bridge;
  std::string proto;                        // "tcp" or "udp"
  std::optional<Ipv4Address> host_address;  // nullopt: any local address of the host
  uint16_t host_port = 0;
  std::string to;  // an IPv4 address, or a DNS label (a container's name)
  uint16_t to_port = 0;
  int64_t created_at = 0;  // UTC seconds

  bool operator==(const StoredForward&) const = default;
};

enum class Durability {
  fsync,    // synchronous=FULL: every commit is on disk before it returns
  process,  // synchronous=NORMAL in WAL: survives a crash of the process, not of the host
};

class LeaseStore {
 public:
  // Opens (creating when missing) the database and brings its schema to the
  // newest version (or to `migrate_to`, for tests of the migrations).
  // Throws StoreError naming the file.
  LeaseStore(const std::string& path, Durability durability, int migrate_to = -1);
  ~LeaseStore();
  LeaseStore(const LeaseStore&) = delete;
  LeaseStore& operator=(const LeaseStore&) = delete;

  static int latest_schema_version();
  int schema_version() const;

  // Leases, with quarantined addresses as leases in state declined.
  std::vector<Lease> load_all() const;
  std::vector<Lease> load_bridge(const std::string& bridge) const;

  // Applies every change (insert-or-replace by bridge+ip, or delete) in one
  // transaction. All or nothing: throws StoreError and rolls back on failure.
  // Leases of either family (an IPv6 lease needs schema version 4).
  void write(std::span<const LeaseChange> changes);
  // Gives the page cache's unused pages back to the heap (after start-up
  // read every lease and reservation through it). Only from the thread that
  // uses this connection (it is opened without a mutex).
  void release_memory();
  // The same, with each change's event (leases/events.hpp) and `extra`
  // events (lease expiries the daemon noticed) in the one transaction.
  void write(std::span<const LeaseChange> changes, std::span<const Event> extra);

  // ---- events (the schema version events_schema_version() adds them;
  // none before). Reservation and forward changes add theirs by trigger,
  // in their own statement's transaction, whoever makes them.
  static int events_schema_version();
  // Events with a cursor above `after`, oldest first, at most `limit`.
  std::vector<Event> events_after(int64_t after, size_t limit) const;
  struct EventBounds {
    int64_t oldest = 1;  // first cursor still kept; head + 1 when none is
    int64_t head = 0;    // last cursor ever given (pruning never lowers it)
    bool operator==(const EventBounds&) const = default;
  };
  EventBounds event_bounds() const;
  // Deletes at most `chunk` of the oldest events that are older than
  // `cutoff_ms` or beyond the newest `keep`; returns how many it deleted.
  size_t prune_events(int64_t cutoff_ms, int64_t keep, size_t chunk);

  std::vector<Reservation> load_reservations() const;
  // Bumped by triggers on every change to the reservations table, whoever
  // makes it: a cheap way to notice edits from other processes.
  int64_t reservations_version() const;
  // Stores a new reservation and returns it with its id. A conflict with an
  // existing one (same client, or same address, on the bridge) throws
  // StoreConflict with a sentence naming it.
  Reservation add_reservation(Reservation r, int64_t now);
  // False when no reservation has that id.
  bool remove_reservation(int64_t id);
  // Changes a reservation's addresses and name (no IPv6 address drops the
  // DUID too), and its options when `options` is given. False when no
  // reservation has that id; an address another reservation of the bridge
  // has throws StoreConflict naming it.
  bool update_reservation(int64_t id, Ipv4Address ip, const std::optional<Ipv6Address>& ipv6,
                          const std::string& name,
                          const std::vector<dhcp4::ConfiguredOption>* options = nullptr);

  // DNS records of the control API, by id (schema 7; none before).
  std::vector<dns::UserRecord> load_records() const;
  // Stores a record (its id is ignored) and returns it with its id; a
  // database before schema 7 throws StoreError.
  dns::UserRecord add_record(dns::UserRecord r, int64_t now);
  // False when no record has that id.
  bool remove_record(int64_t id);

  // Port forwards, by id.
  std::vector<StoredForward> list_forwards() const;
  // Stores a forward (its id is ignored) and returns the new id. A forward
  // that takes the same host port (same proto and port, and the same host
  // address, or either on any address) throws StoreConflict naming the one it
  // conflicts with; a proto other than "tcp" or "udp" or a port 0 throws
  // StoreError.
  int64_t add_forward(const StoredForward& f);
  // False when no forward has that id.
  bool delete_forward(int64_t id);

  // The address `address = "auto"` chose for a bridge, kept across restarts.
  std::optional<Ipv4Prefix> bridge_address(const std::string& bridge) const;
  // Records (or replaces) a bridge's chosen address; `chosen_at` in UTC
  // seconds, now when not given.
  void set_bridge_address(const std::string& bridge, Ipv4Prefix prefix);
  void set_bridge_address(const std::string& bridge, Ipv4Prefix prefix, int64_t chosen_at);
  // The IPv6 prefix `ipv6 = "auto"` chose for a bridge (schema 5; none before).
  std::optional<Ipv6Prefix> bridge_ipv6(const std::string& bridge) const;
  void set_bridge_ipv6(const std::string& bridge, const Ipv6Prefix& prefix);
  // The DHCPv6 server's DUID, generated once (schema 5; none before).
  std::optional<Bytes> server_duid() const;
  void set_server_duid(ByteView duid);

  const std::string& path() const { return path_; }

  // WAL checkpoints. By default SQLite copies the WAL back into the
  // database inside the commit that passes 1,000 pages (with an fsync or
  // two), so every few hundred milliseconds under load one group of ACKs
  // waits tens of milliseconds for it. After defer_checkpoints() this
  // connection's commits never checkpoint; wal_pages() says how large the
  // WAL has grown (as of this connection's last commit) so that another
  // connection can checkpoint() meanwhile (LeaseWriter does, on its own thread).
  void defer_checkpoints();
  int wal_pages() const { return wal_pages_; }
  // A passive checkpoint through this connection: copies what no reader
  // still needs, blocking no writer. False (and a warning) on failure.
  bool checkpoint();
  // Another connection to the same file, only to checkpoint() from another
  // thread: it neither migrates nor changes the schema. Throws StoreError.
  std::unique_ptr<LeaseStore> checkpoint_connection() const;

 private:
  struct OpenOnly {};
  LeaseStore(const std::string& path, OpenOnly);
  // sqlite3_open_v2, or StoreError naming the file.
  static sqlite3* open_connection(const std::string& path, int flags);
  void exec(const char* sql) const;
  void migrate(int target);
  std::vector<Lease> load(const std::string* bridge) const;
  std::optional<std::string> select_text(const char* sql, const std::string& key) const;
  // What the store holds at the change's address (leases, and for an
  // erase the quarantine too), for its event.
  std::optional<PriorLease> prior_lease(const LeaseChange& c) const;
  void insert_event(const Event& e);

  std::string path_;
  sqlite3* db_ = nullptr;
  int version_ = 0;  // the schema's, once migrated
  int wal_pages_ = 0;
  // Prepared once, reset on each use; keyed by the SQL literal's address.
  sqlite3_stmt* statement(const char* sql) const;
  void step_done(sqlite3_stmt* st) const;
  mutable std::map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace berth::leases
