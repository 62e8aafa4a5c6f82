#include "server/lease_script_runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::server {
namespace {

namespace fs = std::filesystem;

class LeaseScriptRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "berth-script-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An executable shell script in the test's directory.
  std::string script(const std::string& name, const std::string& body) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    ::chmod(p.c_str(), 0755);
    return p.string();
  }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static leases::ScriptCall call(std::vector<std::string> args, std::vector<std::string> env = {}) {
    return leases::ScriptCall{
        .action = leases::ScriptAction::add, .args = std::move(args), .env = std::move(env)};
  }

  fs::path dir_;
};

TEST_F(LeaseScriptRunnerTest, RunsCallsInOrderWithArgumentsAndEnvironment) {
  const std::string out = (dir_ / "out").string();
  LeaseScriptRunner runner({.path = script("s", "echo \"$@ $DNSMASQ_INTERFACE\" >> " + out + "\n"),
                            .timeout = std::chrono::seconds(10)});
  // Queued before start (as berthd does before its privilege drop): kept.
  ASSERT_TRUE(runner.enqueue(
      call({"add", "02:00:00:00:00:01", "198.18.0.10", "web"}, {"DNSMASQ_INTERFACE=br0"})));
  runner.start();
  for (int i = 2; i <= 5; ++i) {
    ASSERT_TRUE(runner.enqueue(call({"old", "m", "198.18.0." + std::to_string(i)})));
  }
  runner.wait_idle();
  EXPECT_EQ(read("out"),
            "add 02:00:00:00:00:01 198.18.0.10 web br0\n"
            "old m 198.18.0.2 \nold m 198.18.0.3 \nold m 198.18.0.4 \nold m 198.18.0.5 \n");
  EXPECT_EQ(runner.stats().ok, 5u);
  EXPECT_EQ(runner.stats().failed, 0u);
}

TEST_F(LeaseScriptRunnerTest, InheritedDnsmasqVariablesDoNotLeakIn) {
  ::setenv("DNSMASQ_TAGS", "stale", 1);
  ::setenv("BERTH_TEST_INHERITED", "yes", 1);
  const std::string out = (dir_ / "out").string();
  LeaseScriptRunner runner(
      {.path = script("s", "echo \"[$DNSMASQ_TAGS] [$BERTH_TEST_INHERITED]\" > " + out + "\n")});
  ::unsetenv("DNSMASQ_TAGS");
  ::unsetenv("BERTH_TEST_INHERITED");
  runner.start();
  runner.enqueue(call({"del", "m", "ip"}));
  runner.wait_idle();
  EXPECT_EQ(read("out"), "[] [yes]\n");
}

TEST_F(LeaseScriptRunnerTest, ScriptSeesOnlyStdioAndDevNullInput) {
  // A descriptor berthd holds without O_CLOEXEC must not reach the script.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  const std::string out = (dir_ / "out").string();
  LeaseScriptRunner runner(
      {.path = script("s", "ls /proc/self/fd > " + out + "; cat > " + out + ".in\n")});
  runner.start();
  runner.enqueue(call({"add", "m", "ip"}));
  runner.wait_idle();
  ::close(leaked);
  // ls itself opens one descriptor for the listing (3); nothing else.
  EXPECT_EQ(read("out"), "0\n1\n2\n3\n");
  EXPECT_EQ(read("out.in"), "");
  EXPECT_EQ(runner.stats().ok, 1u);
}

TEST_F(LeaseScriptRunnerTest, HungScriptIsKilledWithItsChildrenAndTheNextRuns) {
  const std::string out = (dir_ / "out").string();
  // The script's child (sleep) would outlive a kill of the script alone.
  LeaseScriptRunner runner(
      {.path = script("s", "if [ \"$1\" = hang ]; then sleep 30 & echo $! > " + out +
                               ".child; wait; fi\necho \"$1\" >> " + out + "\n"),
       .timeout = std::chrono::milliseconds(1500)});
  runner.start();
  const auto start = std::chrono::steady_clock::now();
  runner.enqueue(call({"hang"}));
  runner.enqueue(call({"after"}));
  runner.wait_idle();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(read("out"), "after\n");
  const auto s = runner.stats();
  EXPECT_EQ(s.timeout, 1u);
  EXPECT_EQ(s.ok, 1u);
  // The child was in the killed group: gone (or a zombie of init) by now.
  const std::string child_text = read("out.child");
  ASSERT_FALSE(child_text.empty()) << "the script was killed before it started its child";
  const pid_t child = std::stoi(child_text);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string text;
    std::getline(stat, text);
    gone = !stat.good() || text.find(") Z") != std::string::npos;
    if (!gone) ::usleep(20000);
  }
  EXPECT_TRUE(gone) << "sleep " << child << " survived the timeout";
}

TEST_F(LeaseScriptRunnerTest, FailuresAreCounted) {
  LeaseScriptRunner runner({.path = script("s", "echo oops >&2\nexit 3\n")});
  runner.start();
  runner.enqueue(call({"add"}));
  runner.wait_idle();
  EXPECT_EQ(runner.stats().failed, 1u);

  LeaseScriptRunner missing({.path = (dir_ / "gone").string()});
  missing.start();
  missing.enqueue(call({"add"}));
  missing.wait_idle();
  EXPECT_EQ(missing.stats().failed, 1u);
  EXPECT_EQ(missing.stats().ok, 0u);
}

TEST_F(LeaseScriptRunnerTest, FullQueueDropsAndCounts) {
  const std::string out = (dir_ / "out").string();
  LeaseScriptRunner runner({.path = script("s", "echo \"$1\" >> " + out + "\n"),
                            .timeout = std::chrono::seconds(10),
                            .queue_limit = 3});
  // Not started: nothing leaves the queue.
  EXPECT_TRUE(runner.enqueue(call({"1"})));
  EXPECT_TRUE(runner.enqueue(call({"2"})));
  EXPECT_TRUE(runner.enqueue(call({"3"})));
  EXPECT_FALSE(runner.enqueue(call({"4"})));
  EXPECT_FALSE(runner.enqueue(call({"5"})));
  EXPECT_EQ(runner.stats().dropped, 2u);
  EXPECT_EQ(runner.stats().queued, 3u);
  runner.start();
  runner.wait_idle();
  EXPECT_EQ(read("out"), "1\n2\n3\n");
  EXPECT_TRUE(runner.enqueue(call({"6"})));  // room again
  runner.wait_idle();
  EXPECT_EQ(read("out"), "1\n2\n3\n6\n");
}

}  // namespace
}  // namespace berth::server
