#include "leases/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>

#include "leases/writer.hpp"

namespace berth::leases {
namespace {

class TempDb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("berth-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "berth.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

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

TEST_F(TempDb, FailedTransactionWritesNothing) {
  LeaseStore s(path_, Durability::process);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    // A trigger that fails the second insert of the batch, as a full disk would.
    ASSERT_EQ(sqlite3_exec(db,
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
  {
    LeaseStore s(path_, Durability::process);
  }
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
}

}  // namespace
}  // namespace berth::leases
