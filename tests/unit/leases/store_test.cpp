#include "leases/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <thread>

#include "leases/writer.hpp"
#include "tests/unit/leases/temp_db.hpp"

namespace berth::leases {
namespace {

class TempDb : public TempDbTest {};

Lease sample(const char* ip, uint8_t m) {
  return Lease{.bridge = "br0",
               .ip = *Ipv4Address::parse(ip),
               .mac = MacAddress({0x02, 0, 0, 0, 0, m}),
               .client_id = {0x01, 0x02, 0, 0, 0, 0, m},
               .hostname = "c" + std::to_string(m),
               .state = LeaseState::bound,
               .expires_at = 1700000000 + m,
               .updated_at = 1699990000};
}

// A DHCPv6 binding: the DUID as client_id, an IAID.
Lease sample6(const char* ip, uint8_t m, uint32_t iaid) {
  return Lease{.bridge = "br0",
               .ip = *IpAddress::parse(ip),
               .mac = MacAddress({0x02, 0, 0, 0, 0, m}),
               .client_id = {0x00, 0x01, 0x00, 0x01, 0x2c, 0x9e, 0x10, 0x00, m},
               .hostname = "v6-" + std::to_string(m),
               .state = LeaseState::bound,
               .expires_at = 1700000000 + m,
               .updated_at = 1699990000,
               .iaid = iaid};
}

// Runs one SQL statement that returns one integer.
int64_t query_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

TEST_F(TempDb, WritesAndReadsBackAfterReopen) {
  {
    LeaseStore s(path_, Durability::fsync);
    EXPECT_EQ(s.schema_version(), LeaseStore::latest_schema_version());
    std::vector<LeaseChange> changes{LeaseChange::upsert(sample("198.18.0.10", 1)),
                                     LeaseChange::upsert(sample("198.18.0.11", 2))};
    s.write(changes);
  }
  LeaseStore s(path_, Durability::process);
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 2u);
  auto l = all[0].ip == sample("198.18.0.10", 1).ip ? all[0] : all[1];
  EXPECT_EQ(l, sample("198.18.0.10", 1));
  EXPECT_EQ(s.load_bridge("other").size(), 0u);
}

TEST_F(TempDb, UpsertReplacesAndEraseDeletes) {
  LeaseStore s(path_, Durability::process);
  Lease a = sample("198.18.0.10", 1);
  s.write(std::vector{LeaseChange::upsert(a)});
  a.state = LeaseState::released;
  a.mac = MacAddress({0x02, 0, 0, 0, 0, 9});
  s.write(std::vector{LeaseChange::upsert(a)});
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, LeaseState::released);
  EXPECT_EQ(all[0].mac, a.mac);
  s.write(std::vector{LeaseChange::erase(a)});
  EXPECT_TRUE(s.load_all().empty());
}

TEST_F(TempDb, RenewalUpdatesTheRowInPlace) {
  LeaseStore s(path_, Durability::process);
  Lease a = sample("198.18.0.10", 1);
  Lease b6 = sample6("fd00::10", 2, 7);
  s.write(std::vector{LeaseChange::upsert(a), LeaseChange::upsert(b6)});
  // Same client, same address: a renewal (an UPDATE of what changed).
  a.hostname = "renamed";
  a.expires_at += 600;
  a.updated_at += 600;
  b6.expires_at += 600;
  b6.iaid = 8;
  s.write(std::vector{LeaseChange::upsert(a), LeaseChange::upsert(b6)});
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].ip.is_v4() ? all[0] : all[1], a);
  EXPECT_EQ(all[0].ip.is_v4() ? all[1] : all[0], b6);
  EXPECT_EQ(
      query_int(path_, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"),
      1);
  // Another client at that address: the whole row.
  a.mac = MacAddress({0x02, 0, 0, 0, 0, 3});
  s.write(std::vector{LeaseChange::upsert(a)});
  all = s.load_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].ip.is_v4() ? all[0] : all[1], a);
}

TEST_F(TempDb, LeasesKeepOnlyTheIndexesAQueryUses) {
  const char* count =
      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
      "('leases_by_mac', 'leases_by_client_id', 'leases_by_expiry')";
  {
    LeaseStore old(path_, Durability::process, 9);
    old.write(std::vector{LeaseChange::upsert(sample("198.18.0.10", 1))});
  }
  EXPECT_EQ(query_int(path_, count), 3);
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(query_int(path_, count), 0);
  ASSERT_EQ(s.load_all().size(), 1u);
  EXPECT_EQ(s.load_all()[0], sample("198.18.0.10", 1));
}

TEST_F(TempDb, FailedTransactionWritesNothing) {
  LeaseStore s(path_, Durability::process);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    // A trigger that fails the second insert of the batch, as a full disk would.
    ASSERT_EQ(
        sqlite3_exec(db,
                     "CREATE TRIGGER fail BEFORE INSERT ON leases "
                     "WHEN NEW.ip = '198.18.0.11' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  std::vector<LeaseChange> batch{LeaseChange::upsert(sample("198.18.0.10", 1)),
                                 LeaseChange::upsert(sample("198.18.0.11", 2))};
  EXPECT_THROW(s.write(batch), StoreError);
  EXPECT_TRUE(s.load_all().empty());
}

TEST_F(TempDb, RefusesADatabaseFromTheFuture) {
  { LeaseStore s(path_, Durability::process); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 999", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(LeaseStore(path_, Durability::process), StoreError);
}

TEST_F(TempDb, UnopenablePathNamesTheFile) {
  try {
    LeaseStore s((dir_ / "missing-dir" / "x.db").string(), Durability::process);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir"), std::string::npos);
  }
}

TEST_F(TempDb, WriterGroupsCommitsAndReportsEachChange) {
  LeaseStore s(path_, Durability::process);
  std::atomic<int> ok{0}, failed{0};
  {
    LeaseWriter w(s);
    for (uint8_t i = 1; i <= 200; ++i) {
      std::string ip = "198.18.0." + std::to_string(i);
      w.submit({LeaseChange::upsert(sample(ip.c_str(), i))},
               [&](bool good) { (good ? ok : failed)++; });
    }
    w.flush();
    EXPECT_EQ(ok.load(), 200);
    auto st = w.stats();
    EXPECT_EQ(st.leases_written, 200u);
    EXPECT_LE(st.transactions, 200u);
    EXPECT_GE(st.transactions, 1u);
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(s.load_all().size(), 200u);
}

// The commits never checkpoint the WAL themselves: a commit that leaves it
// past the threshold wakes the checkpoint thread, whose checkpoint lets a
// later commit start the WAL over.
TEST_F(TempDb, WriterCheckpointsTheWalOnItsOwnThread) {
  LeaseStore s(path_, Durability::process);
  LeaseWriter w(s);
  w.set_checkpoint_pages(8);
  const auto wal = std::filesystem::path(path_ + "-wal");
  for (int round = 0; round < 40; ++round) {
    std::vector<LeaseChange> changes;
    for (int i = 0; i < 20; ++i) {
      const int n = round * 20 + i;
      const std::string ip =
          "198.18." + std::to_string(1 + n / 250) + "." + std::to_string(1 + n % 250);
      changes.push_back(LeaseChange::upsert(sample(ip.c_str(), static_cast<uint8_t>(n))));
    }
    w.submit(std::move(changes), [](bool) {});
    w.flush();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (w.stats().checkpoints == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(w.stats().checkpoints, 1u);
  // Checkpointed: the next commits write the WAL from its start again.
  for (int i = 0; i < 5; ++i) {
    w.submit({LeaseChange::upsert(sample("198.18.9.1", 1))}, [](bool) {});
    w.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LT(s.wal_pages(), 40);
  EXPECT_EQ(s.load_all().size(), 801u);
  EXPECT_TRUE(std::filesystem::exists(wal));
}

// Under load, transactions start at least min_interval apart: what is
// queued meanwhile shares one commit. A change after an idle spell is
// committed at once; flush() and the destructor cut the wait short.
TEST_F(TempDb, WriterGroupsChangesQueuedWithinTheMinimumInterval) {
  LeaseStore s(path_, Durability::process);
  std::atomic<int> ok{0};
  std::promise<void> first;
  std::optional<LeaseWriter> writer;
  writer.emplace(s, std::chrono::seconds(60));
  LeaseWriter& w = *writer;
  {
    w.submit({LeaseChange::upsert(sample("198.18.0.1", 1))}, [&](bool good) {
      if (good) ++ok;
      first.set_value();
    });
    // Idle until now: no waiting for the interval.
    ASSERT_EQ(first.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
    for (uint8_t i = 2; i <= 4; ++i) {
      std::string ip = "198.18.0." + std::to_string(i);
      w.submit({LeaseChange::upsert(sample(ip.c_str(), i))}, [&](bool good) { ok += good; });
    }
    w.flush();
    EXPECT_EQ(ok.load(), 4);
    EXPECT_EQ(w.stats().transactions, 2u);  // the first alone, the next three together
    EXPECT_EQ(w.stats().leases_written, 4u);

    // Queued inside the interval, committed by the destructor without waiting it out.
    w.submit({LeaseChange::upsert(sample("198.18.0.5", 5))}, [&](bool good) { ok += good; });
  }
  const auto before = std::chrono::steady_clock::now();
  writer.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(s.load_all().size(), 5u);
}

TEST_F(TempDb, WriterReportsFailureAndKeepsGoing) {
  LeaseStore s(path_, Durability::process);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER fail BEFORE INSERT ON leases "
                           "WHEN NEW.ip = '198.18.0.66' BEGIN SELECT RAISE(ABORT, 'io'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  LeaseWriter w(s);
  std::atomic<int> bad{0}, good{0};
  w.submit({LeaseChange::upsert(sample("198.18.0.66", 6))}, [&](bool ok) { (ok ? good : bad)++; });
  w.flush();
  w.submit({LeaseChange::upsert(sample("198.18.0.67", 7))}, [&](bool ok) { (ok ? good : bad)++; });
  w.flush();
  EXPECT_EQ(bad.load(), 1);
  EXPECT_EQ(good.load(), 1);
  EXPECT_EQ(w.stats().failed_transactions, 1u);
  ASSERT_EQ(s.load_all().size(), 1u);
  // Both commits are timed: the histogram's buckets are cumulative, never
  // above the count, and the sum is at least the last commit's time.
  const LeaseWriter::Stats st = w.stats();
  EXPECT_EQ(st.transactions, 2u);
  for (size_t i = 1; i < st.commit_le.size(); ++i) EXPECT_LE(st.commit_le[i - 1], st.commit_le[i]);
  EXPECT_LE(st.commit_le.back(), st.transactions);
  EXPECT_GE(st.commit_us_sum, st.last_commit_us);
}

}  // namespace
}  // namespace berth::leases

namespace berth::leases {
namespace {

Reservation by_mac(const char* ip, uint8_t m, const char* name) {
  Reservation r;
  r.bridge = "br0";
  r.match = MatchKind::mac;
  r.mac = MacAddress({0x02, 0, 0, 0, 0, m});
  r.ip = *Ipv4Address::parse(ip);
  r.name = name;
  return r;
}

TEST_F(TempDb, MigratesFromVersionOneMovingDeclinedLeasesToQuarantine) {
  {
    LeaseStore v1(path_, Durability::process, /*migrate_to=*/1);
    ASSERT_EQ(v1.schema_version(), 1);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "INSERT INTO leases VALUES ('br0','198.18.0.9','02:00:00:00:00:09','',"
                           "'','declined',2000,1000);"
                           "INSERT INTO leases VALUES ('br0','198.18.0.10','02:00:00:00:00:0a','',"
                           "'web','bound',3000,1000);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(s.schema_version(), LeaseStore::latest_schema_version());
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 2u);
  int declined = 0;
  for (const Lease& l : all) {
    if (l.state == LeaseState::declined) {
      ++declined;
      EXPECT_EQ(l.ip.to_string(), "198.18.0.9");
      EXPECT_EQ(l.expires_at, 2000);
    } else {
      EXPECT_EQ(l.hostname, "web");
    }
  }
  EXPECT_EQ(declined, 1);
  // Version 2 keeps declined addresses out of the leases table.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM leases WHERE state = 'declined'", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(TempDb, EveryMigrationStepOpensFromEachOlderVersion) {
  for (int from = 0; from < LeaseStore::latest_schema_version(); ++from) {
    std::filesystem::remove(path_);
    {
      LeaseStore old(path_, Durability::process, from);
      EXPECT_EQ(old.schema_version(), from);
    }
    LeaseStore now(path_, Durability::process);
    EXPECT_EQ(now.schema_version(), LeaseStore::latest_schema_version()) << "from " << from;
    now.write(std::vector{LeaseChange::upsert(sample("198.18.0.10", 1)),
                          LeaseChange::upsert(sample6("fd00::10", 2, 7))});
    EXPECT_EQ(now.load_all().size(), 2u) << "from " << from;
    // Every table of the newest schema is there and usable.
    EXPECT_GT(now.add_reservation(by_mac("198.18.0.50", 1, "web"), 100).id, 0) << "from " << from;
    StoredForward f{.id = 0,
                    .bridge = "br0",
                    .proto = "tcp",
                    .host_address = std::nullopt,
                    .host_port = 8080,
                    .to = "web",
                    .to_port = 80,
                    .created_at = 100};
    EXPECT_GT(now.add_forward(f), 0) << "from " << from;
    EXPECT_EQ(now.list_forwards().size(), 1u) << "from " << from;
    now.set_bridge_address("br0", *Ipv4Prefix::parse("10.1.2.1/24"));
    EXPECT_EQ(now.bridge_address("br0"), Ipv4Prefix::parse("10.1.2.1/24")) << "from " << from;
    now.set_bridge_ipv6("br0", *Ipv6Prefix::parse("fd00:1:2:3::1/64"));
    EXPECT_EQ(now.bridge_ipv6("br0"), Ipv6Prefix::parse("fd00:1:2:3::1/64")) << "from " << from;
    now.set_server_duid(Bytes{0, 4, 1, 2, 3});
    EXPECT_EQ(now.server_duid(), (Bytes{0, 4, 1, 2, 3})) << "from " << from;
  }
}

TEST_F(TempDb, KeepsBridgeIpv6PrefixesAndTheServerDuidAcrossOpens) {
  const Bytes duid{0, 1, 0, 1, 0x2c, 0x3d, 0x4e, 0x5f, 2, 0, 0, 0, 0, 1};
  {
    LeaseStore s(path_, Durability::process);
    EXPECT_EQ(s.bridge_ipv6("br0"), std::nullopt);
    EXPECT_EQ(s.server_duid(), std::nullopt);
    s.set_bridge_ipv6("br0", *Ipv6Prefix::parse("fd12:3456:789a::1/64"));
    s.set_bridge_ipv6("br1", *Ipv6Prefix::parse("fd12:3456:789b::1/64"));
    s.set_bridge_ipv6("br1", *Ipv6Prefix::parse("fd12:3456:789c::1/64"));  // replaces
    s.set_server_duid(duid);
  }
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(s.bridge_ipv6("br0"), Ipv6Prefix::parse("fd12:3456:789a::1/64"));
  EXPECT_EQ(s.bridge_ipv6("br1"), Ipv6Prefix::parse("fd12:3456:789c::1/64"));
  EXPECT_EQ(s.bridge_ipv6("br2"), std::nullopt);
  EXPECT_EQ(s.server_duid(), duid);
}

TEST_F(TempDb, OlderSchemasHaveNoIpv6PrefixesAndRefuseToKeepOne) {
  LeaseStore v4(path_, Durability::process, /*migrate_to=*/4);
  EXPECT_EQ(v4.bridge_ipv6("br0"), std::nullopt);
  EXPECT_EQ(v4.server_duid(), std::nullopt);
  EXPECT_THROW(v4.set_bridge_ipv6("br0", *Ipv6Prefix::parse("fd00::1/64")), StoreError);
  EXPECT_THROW(v4.set_server_duid(Bytes{0, 4, 1}), StoreError);
}

TEST_F(TempDb, AStoredDuidOfImpossibleLengthIsAnError) {
  { LeaseStore s(path_, Durability::process); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO server_identity (name, value, created_at) "
                         "VALUES ('dhcp6-duid', x'0001', 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  LeaseStore s(path_, Durability::process);
  EXPECT_THROW(s.server_duid(), StoreError);
}

TEST_F(TempDb, MigratesFromVersionTwoKeepingReservationsAndLeases) {
  {
    LeaseStore v2(path_, Durability::process, /*migrate_to=*/2);
    ASSERT_EQ(v2.schema_version(), 2);
    v2.write(std::vector{LeaseChange::upsert(sample("198.18.0.10", 1))});
    v2.add_reservation(by_mac("198.18.0.50", 2, "web"), 100);
    // Version 2 has neither forwards nor chosen addresses: reads are empty.
    EXPECT_TRUE(v2.list_forwards().empty());
    EXPECT_EQ(v2.bridge_address("br0"), std::nullopt);
  }
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(s.schema_version(), LeaseStore::latest_schema_version());
  EXPECT_EQ(s.load_all().size(), 1u);
  ASSERT_EQ(s.load_reservations().size(), 1u);
  EXPECT_EQ(s.load_reservations()[0].name, "web");
  EXPECT_TRUE(s.list_forwards().empty());
  EXPECT_EQ(s.bridge_address("br0"), std::nullopt);
}

TEST_F(TempDb, DeclinedLeaseGoesToQuarantineAndBack) {
  LeaseStore s(path_, Durability::process);
  Lease l = sample("198.18.0.10", 1);
  l.state = LeaseState::declined;
  s.write(std::vector{LeaseChange::upsert(l)});
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, LeaseState::declined);
  EXPECT_EQ(all[0].expires_at, l.expires_at);
  // A new lease at the address ends the quarantine.
  s.write(std::vector{LeaseChange::upsert(sample("198.18.0.10", 2))});
  all = s.load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, LeaseState::bound);
}

TEST_F(TempDb, ReservationsAddListRemoveAndBumpTheVersion) {
  LeaseStore s(path_, Durability::process);
  int64_t v0 = s.reservations_version();
  Reservation a = s.add_reservation(by_mac("198.18.0.50", 1, "web"), 100);
  EXPECT_GT(a.id, 0);
  Reservation h;
  h.bridge = "br0";
  h.match = MatchKind::hostname;
  h.hostname_match = "DB";
  h.ip = *Ipv4Address::parse("198.18.0.51");
  h.name = "db";
  Reservation b = s.add_reservation(h, 100);
  Reservation c;
  c.bridge = "br0";
  c.match = MatchKind::client_id;
  c.client_id = {1, 2, 3};
  c.ip = *Ipv4Address::parse("198.18.0.52");
  s.add_reservation(c, 100);
  EXPECT_EQ(s.reservations_version(), v0 + 3);

  auto all = s.load_reservations();
  ASSERT_EQ(all.size(), 3u);
  for (const Reservation& r : all) {
    if (r.id == a.id) {
      EXPECT_EQ(r.mac, a.mac);
      EXPECT_EQ(r.name, "web");
    } else if (r.id == b.id) {
      EXPECT_EQ(r.hostname_match, "db");  // stored lower-case
    } else {
      EXPECT_EQ(r.client_id, (Bytes{1, 2, 3}));
    }
  }
  EXPECT_TRUE(s.remove_reservation(a.id));
  EXPECT_FALSE(s.remove_reservation(a.id));
  EXPECT_EQ(s.load_reservations().size(), 2u);
  EXPECT_EQ(s.reservations_version(), v0 + 4);
}

TEST_F(TempDb, ReservationOptionsAreKeptReplacedAndLeftAlone) {
  LeaseStore s(path_, Durability::process);
  Reservation r = by_mac("198.18.0.50", 1, "web");
  r.options = {*dhcp4::parse_configured_option("43:hex:01:02"),
               *dhcp4::parse_configured_option("force:66:string:boot")};
  const Reservation a = s.add_reservation(r, 100);
  ASSERT_EQ(s.load_reservations().size(), 1u);
  EXPECT_EQ(s.load_reservations()[0].options, r.options);
  // Without options the update leaves them; with a list it replaces them.
  EXPECT_TRUE(s.update_reservation(a.id, a.ip, std::nullopt, "www"));
  EXPECT_EQ(s.load_reservations()[0].options, r.options);
  const std::vector<dhcp4::ConfiguredOption> one = {
      *dhcp4::parse_configured_option("224:string:x")};
  EXPECT_TRUE(s.update_reservation(a.id, a.ip, std::nullopt, "www", &one));
  EXPECT_EQ(s.load_reservations()[0].options, one);
  const std::vector<dhcp4::ConfiguredOption> none;
  EXPECT_TRUE(s.update_reservation(a.id, a.ip, std::nullopt, "www", &none));
  EXPECT_TRUE(s.load_reservations()[0].options.empty());
  // A row another program wrote wrong is an error naming it, not a silent drop.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE reservations SET options = '[\"53:u8:1\"]'", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(s.load_reservations(), StoreError);
}

TEST_F(TempDb, MigratesToReservationOptionsKeepingReservations) {
  const int before = 8;  // reservation options came with version 9
  {
    LeaseStore old(path_, Durability::process, before);
    old.add_reservation(by_mac("198.18.0.50", 2, "web"), 100);
    Reservation with = by_mac("198.18.0.51", 3, "db");
    with.options = {*dhcp4::parse_configured_option("43:hex:01")};
    EXPECT_THROW(old.add_reservation(with, 100), std::runtime_error);
    EXPECT_TRUE(old.load_reservations()[0].options.empty());
  }
  LeaseStore s(path_, Durability::process);
  auto all = s.load_reservations();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "web");
  EXPECT_TRUE(all[0].options.empty());
}

TEST_F(TempDb, ConflictingReservationIsRefusedWithItsReason) {
  LeaseStore s(path_, Durability::process);
  Reservation a = s.add_reservation(by_mac("198.18.0.50", 1, "web"), 100);
  try {
    s.add_reservation(by_mac("198.18.0.50", 2, "other"), 100);  // same address
    FAIL() << "expected a conflict";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("conflicts with reservation " + std::to_string(a.id)),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(s.add_reservation(by_mac("198.18.0.60", 1, "again"), 100), StoreError);  // same MAC
  // A clash is told apart from a failing database by its type.
  EXPECT_THROW(s.add_reservation(by_mac("198.18.0.60", 1, "again"), 100), StoreConflict);
  // Same MAC on another bridge is a different reservation.
  Reservation other = by_mac("198.18.0.50", 1, "web");
  other.bridge = "br1";
  EXPECT_NO_THROW(s.add_reservation(other, 100));
  EXPECT_EQ(s.load_reservations().size(), 2u);
}

TEST_F(TempDb, ReservationsKeepIpv6AndDuidAndRefuseTakenOnes) {
  LeaseStore s(path_, Durability::process);
  Reservation a = by_mac("198.18.0.50", 1, "web");
  a.ipv6 = *Ipv6Address::parse("fd00:6::50");
  a = s.add_reservation(a, 100);
  Reservation d = by_mac("198.18.0.51", 2, "db");
  d.ipv6 = *Ipv6Address::parse("fd00:6::51");
  d.duid = {0x00, 0x04, 0xaa, 0xbb};
  d = s.add_reservation(d, 100);
  auto all = s.load_reservations();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].ipv6, a.ipv6);
  EXPECT_TRUE(all[0].duid.empty());
  EXPECT_EQ(all[1].ipv6, d.ipv6);
  EXPECT_EQ(all[1].duid, d.duid);

  Reservation same_v6 = by_mac("198.18.0.52", 3, "x");
  same_v6.ipv6 = a.ipv6;
  EXPECT_THROW(s.add_reservation(same_v6, 100), StoreConflict);
  Reservation same_duid = by_mac("198.18.0.53", 4, "y");
  same_duid.ipv6 = *Ipv6Address::parse("fd00:6::53");
  same_duid.duid = d.duid;
  EXPECT_THROW(s.add_reservation(same_duid, 100), StoreConflict);
  // The same IPv6 address on another bridge is another reservation.
  same_v6.bridge = "br1";
  EXPECT_NO_THROW(s.add_reservation(same_v6, 100));

  // Moving to a taken IPv6 address is refused and changes nothing.
  EXPECT_THROW(s.update_reservation(a.id, a.ip, d.ipv6, a.name), StoreConflict);
  EXPECT_EQ(s.load_reservations()[0].ipv6, a.ipv6);
  EXPECT_TRUE(s.update_reservation(a.id, a.ip, *Ipv6Address::parse("fd00:6::70"), a.name));
  EXPECT_EQ(s.load_reservations()[0].ipv6, Ipv6Address::parse("fd00:6::70"));
  EXPECT_TRUE(s.update_reservation(a.id, a.ip, std::nullopt, a.name));
  EXPECT_EQ(s.load_reservations()[0].ipv6, std::nullopt);
  // Without its IPv6 address a reservation keeps no DUID, which is free again.
  EXPECT_TRUE(s.update_reservation(d.id, d.ip, std::nullopt, d.name));
  EXPECT_TRUE(s.load_reservations()[1].duid.empty());
  Reservation reuse = by_mac("198.18.0.54", 5, "z");
  reuse.ipv6 = *Ipv6Address::parse("fd00:6::54");
  reuse.duid = d.duid;
  EXPECT_NO_THROW(s.add_reservation(reuse, 100));
}

TEST_F(TempDb, MigratesFromVersionFiveKeepingReservationsWithoutIpv6) {
  {
    LeaseStore v5(path_, Durability::process, /*migrate_to=*/5);
    ASSERT_EQ(v5.schema_version(), 5);
    v5.add_reservation(by_mac("198.18.0.50", 2, "web"), 100);
    Reservation v6 = by_mac("198.18.0.51", 3, "db");
    v6.ipv6 = *Ipv6Address::parse("fd00:6::51");
    EXPECT_THROW(v5.add_reservation(v6, 100), std::runtime_error);
    EXPECT_EQ(v5.load_reservations().size(), 1u);
  }
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(s.schema_version(), LeaseStore::latest_schema_version());
  auto all = s.load_reservations();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "web");
  EXPECT_EQ(all[0].ipv6, std::nullopt);
  EXPECT_TRUE(all[0].duid.empty());
  EXPECT_TRUE(s.update_reservation(all[0].id, all[0].ip, *Ipv6Address::parse("fd00:6::50"), "web"));
  EXPECT_EQ(s.load_reservations()[0].ipv6, Ipv6Address::parse("fd00:6::50"));
}

}  // namespace
}  // namespace berth::leases

namespace berth::leases {
namespace {

StoredForward forward(const char* proto, std::optional<const char*> host, uint16_t port,
                      const char* to, uint16_t to_port) {
  return StoredForward{.id = 0,
                       .bridge = "br0",
                       .proto = proto,
                       .host_address = host ? Ipv4Address::parse(*host) : std::nullopt,
                       .host_port = port,
                       .to = to,
                       .to_port = to_port,
                       .created_at = 1700000000};
}

TEST_F(TempDb, ForwardsAddListDeleteAndSurviveReopen) {
  int64_t a = 0, b = 0;
  {
    LeaseStore s(path_, Durability::process);
    EXPECT_TRUE(s.list_forwards().empty());
    a = s.add_forward(forward("tcp", std::nullopt, 8080, "web", 80));
    b = s.add_forward(forward("udp", "198.18.0.1", 5353, "198.18.0.57", 53));
    EXPECT_GT(a, 0);
    EXPECT_GT(b, a);
  }
  LeaseStore s(path_, Durability::process);
  auto all = s.list_forwards();
  ASSERT_EQ(all.size(), 2u);
  StoredForward want_a = forward("tcp", std::nullopt, 8080, "web", 80);
  want_a.id = a;
  EXPECT_EQ(all[0], want_a);
  EXPECT_EQ(all[1].id, b);
  EXPECT_EQ(all[1].proto, "udp");
  EXPECT_EQ(all[1].host_address, Ipv4Address::parse("198.18.0.1"));
  EXPECT_EQ(all[1].to, "198.18.0.57");
  EXPECT_EQ(all[1].to_port, 53);
  EXPECT_EQ(all[1].created_at, 1700000000);

  EXPECT_TRUE(s.delete_forward(a));
  EXPECT_FALSE(s.delete_forward(a));
  EXPECT_FALSE(s.delete_forward(9999));
  ASSERT_EQ(s.list_forwards().size(), 1u);
  EXPECT_EQ(s.list_forwards()[0].id, b);
  // The host port of a removed forward is free again.
  EXPECT_GT(s.add_forward(forward("tcp", std::nullopt, 8080, "db", 5432)), 0);
}

TEST_F(TempDb, ForwardsOnTheSameHostPortConflict) {
  LeaseStore s(path_, Durability::process);
  const int64_t any = s.add_forward(forward("tcp", std::nullopt, 8080, "web", 80));
  auto conflict = [&](const StoredForward& f) -> std::string {
    try {
      s.add_forward(f);
    } catch (const StoreError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  // Same port on any address, or on one address while another forward has any.
  EXPECT_EQ(conflict(forward("tcp", std::nullopt, 8080, "db", 81)),
            "conflicts with forward " + std::to_string(any) + " (tcp *:8080 -> web:80 on br0)");
  EXPECT_EQ(conflict(forward("tcp", "198.18.0.1", 8080, "db", 81)),
            "conflicts with forward " + std::to_string(any) + " (tcp *:8080 -> web:80 on br0)");
  EXPECT_THROW(s.add_forward(forward("tcp", std::nullopt, 8080, "db", 81)), StoreConflict);
  // Another protocol or port is another forward.
  EXPECT_GT(s.add_forward(forward("udp", std::nullopt, 8080, "web", 80)), 0);
  EXPECT_GT(s.add_forward(forward("tcp", std::nullopt, 8081, "web", 80)), 0);
  // Two specific addresses share a port; any then conflicts with either.
  const int64_t one = s.add_forward(forward("tcp", "198.18.0.1", 9000, "a", 1));
  EXPECT_GT(s.add_forward(forward("tcp", "198.18.0.2", 9000, "b", 1)), 0);
  EXPECT_EQ(
      conflict(forward("tcp", "198.18.0.1", 9000, "c", 2)),
      "conflicts with forward " + std::to_string(one) + " (tcp 198.18.0.1:9000 -> a:1 on br0)");
  EXPECT_NE(conflict(forward("tcp", std::nullopt, 9000, "c", 2)).find("conflicts with forward"),
            std::string::npos);
  // Nonsense never reaches the table.
  EXPECT_NE(conflict(forward("sctp", std::nullopt, 1, "x", 1)).find("neither tcp nor udp"),
            std::string::npos);
  EXPECT_NE(conflict(forward("tcp", std::nullopt, 0, "x", 1)).find("port 0"), std::string::npos);
  EXPECT_NE(conflict(forward("tcp", std::nullopt, 1, "x", 0)).find("port 0"), std::string::npos);
  EXPECT_EQ(s.list_forwards().size(), 5u);
}

TEST_F(TempDb, UnreadableForwardRowIsAnErrorNamingIt) {
  LeaseStore s(path_, Durability::process);
  const int64_t id = s.add_forward(forward("tcp", "198.18.0.1", 80, "web", 80));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "UPDATE forwards SET host_address = 'nowhere'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  try {
    s.list_forwards();
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("unreadable forward id " + std::to_string(id)),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TempDb, BridgeAddressesAreKeptAndReplaced) {
  {
    LeaseStore s(path_, Durability::process);
    EXPECT_EQ(s.bridge_address("berth0"), std::nullopt);
    s.set_bridge_address("berth0", *Ipv4Prefix::parse("10.57.3.1/24"), 1700000000);
    s.set_bridge_address("berth1", *Ipv4Prefix::parse("10.200.0.1/24"));
  }
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(s.bridge_address("berth0"), Ipv4Prefix::parse("10.57.3.1/24"));
  EXPECT_EQ(s.bridge_address("berth1"), Ipv4Prefix::parse("10.200.0.1/24"));
  EXPECT_EQ(s.bridge_address("berth2"), std::nullopt);
  s.set_bridge_address("berth0", *Ipv4Prefix::parse("10.58.0.1/24"));
  EXPECT_EQ(s.bridge_address("berth0"), Ipv4Prefix::parse("10.58.0.1/24"));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*), min(chosen_at) FROM bridge_addresses", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2);
  EXPECT_GT(sqlite3_column_int64(st, 1), 1700000000);  // berth0's time was replaced with now
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE bridge_addresses SET address = '10.1.2.3'", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(s.bridge_address("berth0"), StoreError);
}

TEST_F(TempDb, Ipv6LeasesAndQuarantineRoundTrip) {
  Lease v6 = sample6("fd00::1:10", 3, 0xdeadbeef);
  Lease declined = sample6("fd00::1:11", 4, 1);
  declined.state = LeaseState::declined;
  declined.hostname.clear();  // the quarantine keeps no name
  {
    LeaseStore s(path_, Durability::process);
    s.write(std::vector{LeaseChange::upsert(v6), LeaseChange::upsert(declined),
                        LeaseChange::upsert(sample("198.18.0.10", 5))});
  }
  LeaseStore s(path_, Durability::process);
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(std::find(all.begin(), all.end(), v6), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), declined), all.end());
  EXPECT_EQ(query_int(path_, "SELECT family FROM leases WHERE ip = 'fd00::1:10'"), 6);
  EXPECT_EQ(query_int(path_, "SELECT iaid FROM leases WHERE ip = 'fd00::1:10'"), 0xdeadbeef);
  EXPECT_EQ(query_int(path_, "SELECT family FROM quarantine WHERE ip = 'fd00::1:11'"), 6);
  EXPECT_EQ(query_int(path_, "SELECT family FROM leases WHERE ip = '198.18.0.10'"), 4);
  // Erased by its address, as IPv4 leases are.
  s.write(std::vector{LeaseChange::erase(v6)});
  EXPECT_EQ(s.load_all().size(), 2u);
}

TEST_F(TempDb, MigratesFromVersionThreeKeepingLeasesAsIpv4) {
  Lease declined = sample("198.18.0.11", 2);
  declined.state = LeaseState::declined;
  declined.hostname.clear();
  {
    LeaseStore v3(path_, Durability::process, /*migrate_to=*/3);
    ASSERT_EQ(v3.schema_version(), 3);
    v3.write(
        std::vector{LeaseChange::upsert(sample("198.18.0.10", 1)), LeaseChange::upsert(declined)});
    // Version 3 has no room for IPv6: refused whole, nothing written.
    EXPECT_THROW(v3.write(std::vector{LeaseChange::upsert(sample("198.18.0.12", 3)),
                                      LeaseChange::upsert(sample6("fd00::12", 3, 1))}),
                 StoreError);
    EXPECT_EQ(v3.load_all().size(), 2u);
  }
  LeaseStore s(path_, Durability::process);
  EXPECT_EQ(s.schema_version(), LeaseStore::latest_schema_version());
  auto all = s.load_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_NE(std::find(all.begin(), all.end(), sample("198.18.0.10", 1)), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), declined), all.end());
  EXPECT_EQ(query_int(path_, "SELECT count(*) FROM leases WHERE family = 4 AND iaid = 0"), 1);
  EXPECT_EQ(query_int(path_, "SELECT count(*) FROM quarantine WHERE family = 4 AND iaid = 0"), 1);
}

TEST_F(TempDb, ALeaseRowWhoseFamilyContradictsItsAddressIsAnError) {
  { LeaseStore s(path_, Durability::process); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO leases (bridge, ip, mac, client_id, hostname, state, "
                         "expires_at, updated_at, family, iaid) VALUES ('br0', 'fd00::9', "
                         "'02:00:00:00:00:09', '', '', 'bound', 2000, 1000, 4, 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  // The CHECK refuses any other family.
  EXPECT_NE(sqlite3_exec(db, "UPDATE leases SET family = 5", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  LeaseStore s(path_, Durability::process);
  try {
    s.load_all();
    FAIL() << "an IPv6 address with family 4 was read";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("unreadable lease row for br0 fd00::9"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace berth::leases
