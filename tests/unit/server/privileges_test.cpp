#include "server/privileges.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::server {
namespace {

namespace fs = std::filesystem;

TEST(Privileges, LooksUpUsersByNameAndNumber) {
  const Identity root = lookup_user("root");
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  EXPECT_EQ(lookup_user("0").name, "root");
  const Identity nobody = lookup_user("nobody");
  EXPECT_EQ(lookup_user(std::to_string(nobody.uid)).name, "nobody");
  // A number without a passwd entry (an id mapped into a container).
  const Identity mapped = lookup_user("3999999");
  EXPECT_EQ(mapped.uid, 3999999u);
  EXPECT_EQ(mapped.gid, 3999999u);
}

TEST(Privileges, UnknownUserIsASentence) {
  try {
    (void)lookup_user("no-such-berth-user");
    FAIL() << "an unknown user was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no user 'no-such-berth-user'"), std::string::npos)
        << e.what();
  }
}

TEST(Privileges, HoldsOnlyItsOwnFiles) {
  const fs::path dir = fs::temp_directory_path() / ("berth-priv-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "berth.db") << "x";
  std::ofstream(dir / "berth.db-wal") << "x";
  EXPECT_TRUE(holds_only(dir, "berth.db"));
  std::ofstream(dir / "other.conf") << "x";
  EXPECT_FALSE(holds_only(dir, "berth.db"));
  fs::remove_all(dir);
}

// Reads "Name:\t..." of /proc/self/status (or of one thread's).
std::string status_field(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name + ":")) return line.substr(name.size() + 1);
  }
  return "";
}

unsigned long long hex_field(const std::string& path, const std::string& name) {
  return std::strtoull(status_field(path, name).c_str(), nullptr, 16);
}

// become() runs in a forked child (it changes the whole process); the child
// reports through its exit status which check failed.
TEST(Privileges, BecomeKeepsOnlyTheNetworkCapabilities) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const Identity nobody = lookup_user("nobody");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A second thread, as berthd has (lease writer, DNS workers).
    std::thread other([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
    int rc = 0;
    try {
      become(nobody);
    } catch (...) {
      rc = 10;
    }
    if (rc == 0 && (::getuid() != nobody.uid || ::geteuid() != nobody.uid)) rc = 11;
    if (rc == 0 && ::getegid() != nobody.gid) rc = 12;
    if (rc == 0 && hex_field("/proc/thread-self/status", "CapEff") != kKeptCapabilities) rc = 13;
    if (rc == 0 && hex_field("/proc/thread-self/status", "CapPrm") != kKeptCapabilities) rc = 14;
    // The other thread has the user's ids too, and no capabilities at all.
    std::string task;
    for (const auto& entry : fs::directory_iterator("/proc/self/task")) {
      if (entry.path().filename() != std::to_string(::gettid())) task = entry.path() / "status";
    }
    std::istringstream uids(status_field(task, "Uid"));
    unsigned long real = 0;
    uids >> real;
    if (rc == 0 && real != nobody.uid) rc = 15;
    if (rc == 0 && hex_field(task, "CapEff") != 0) rc = 16;
    // A raw socket still opens: CAP_NET_RAW is effective.
    const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
    if (rc == 0 && fd < 0) rc = 17;
    other.join();
    ::_exit(rc);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "check " << WEXITSTATUS(status) << " failed in the child";
}

TEST(Privileges, BecomeRefusesWithoutRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to a user first";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const Identity nobody = lookup_user("nobody");
    if (::setuid(nobody.uid) != 0) ::_exit(20);
    try {
      become(lookup_user("root"));
    } catch (const std::runtime_error& e) {
      ::_exit(std::string(e.what()).find("must be started as root") != std::string::npos ? 0 : 21);
    }
    ::_exit(22);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace berth::server
