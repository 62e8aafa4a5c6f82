// DNS records of the control API in the store: migration 6 -> 7, add, remove,
// load after a reopen, and rows written badly by another program.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "leases/store.hpp"

namespace berth::leases {
namespace {

class RecordsDb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("berth-records-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "berth.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void exec(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
  std::string path_;
};

dns::UserRecord txt(std::vector<std::string> text) {
  dns::UserRecord r;
  r.bridge = "br0";
  r.name = "info";
  r.type = dns::RecordType::txt;
  r.text = std::move(text);
  return r;
}

dns::UserRecord srv() {
  dns::UserRecord r;
  r.bridge = "br0";
  r.name = "_http._tcp.web";
  r.type = dns::RecordType::srv;
  r.target = "web";
  r.priority = 10;
  r.weight = 5;
  r.port = 80;
  return r;
}

dns::UserRecord aaaa() {
  dns::UserRecord r;
  r.name = "global.example.";
  r.type = dns::RecordType::aaaa;
  r.address = IpAddress::parse("fd00::9");
  return r;
}

TEST_F(RecordsDb, SchemaSixHasNoRecordsAndRefusesToKeepOne) {
  LeaseStore v6(path_, Durability::process, /*migrate_to=*/6);
  EXPECT_EQ(v6.schema_version(), 6);
  EXPECT_TRUE(v6.load_records().empty());
  EXPECT_THROW(v6.add_record(srv(), 100), StoreError);
  EXPECT_FALSE(v6.remove_record(1));
}

TEST_F(RecordsDb, MigratesFromSixKeepingReservationsAndThenKeepsRecords) {
  {
    LeaseStore v6(path_, Durability::process, /*migrate_to=*/6);
    Reservation r;
    r.bridge = "br0";
    r.mac = MacAddress({2, 0, 0, 0, 0, 1});
    r.ip = *Ipv4Address::parse("198.18.0.50");
    r.name = "web";
    v6.add_reservation(r, 50);
  }
  {
    LeaseStore v7(path_, Durability::process);
    EXPECT_GE(v7.schema_version(), 7);
    EXPECT_EQ(v7.load_reservations().size(), 1u);
    EXPECT_TRUE(v7.load_records().empty());
    const auto a = v7.add_record(srv(), 100);
    const auto b = v7.add_record(txt({"v=1", "hello world"}), 101);
    const auto c = v7.add_record(aaaa(), 102);
    EXPECT_GT(a.id, 0);
    EXPECT_GT(b.id, a.id);
    EXPECT_EQ(b.created, 101);
    EXPECT_TRUE(v7.remove_record(c.id));
    EXPECT_FALSE(v7.remove_record(c.id));  // gone already
  }
  LeaseStore again(path_, Durability::process);
  const auto loaded = again.load_records();
  ASSERT_EQ(loaded.size(), 2u);
  dns::UserRecord want_srv = srv();
  want_srv.id = loaded[0].id;
  want_srv.created = 100;
  EXPECT_EQ(loaded[0], want_srv);
  dns::UserRecord want_txt = txt({"v=1", "hello world"});
  want_txt.id = loaded[1].id;
  want_txt.created = 101;
  EXPECT_EQ(loaded[1], want_txt);
}

TEST_F(RecordsDb, AnAddressRecordRoundTrips) {
  {
    LeaseStore s(path_, Durability::process);
    s.add_record(aaaa(), 7);
  }
  LeaseStore s(path_, Durability::process);
  const auto loaded = s.load_records();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].address, IpAddress::parse("fd00::9"));
  EXPECT_EQ(loaded[0].bridge, "");
  EXPECT_EQ(loaded[0].type, dns::RecordType::aaaa);
}

TEST_F(RecordsDb, RowsWrittenBadlyByAnotherProgramAreSkipped) {
  {
    LeaseStore s(path_, Durability::process);
    s.add_record(txt({"good"}), 1);
  }
  // A TXT whose text is not a JSON array, an A whose address is not one, and
  // an A without an address: none may be served half-read.
  exec(
      "INSERT INTO dns_records (bridge, name, type, address, target, priority, weight, port, "
      "text, created) VALUES "
      "('br0', 't', 'TXT', NULL, '', 0, 0, 0, 'not json', 1),"
      "('br0', 'a', 'A', 'nonsense', '', 0, 0, 0, '[]', 1),"
      "('br0', 'b', 'A', NULL, '', 0, 0, 0, '[]', 1)");
  LeaseStore s(path_, Durability::process);
  const auto loaded = s.load_records();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].text, std::vector<std::string>{"good"});
}

}  // namespace
}  // namespace berth::leases
