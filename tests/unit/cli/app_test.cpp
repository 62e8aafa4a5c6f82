// berthctl as a whole (cli/app.cpp): usage errors, help, version, the
// socket and what berthctl says when berthd cannot be reached.
#include "cli/app.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "tests/unit/cli/berthctl_fixture.hpp"

namespace berth::cli {
namespace {

using test::BerthctlTest;
using test::Outcome;

TEST_F(BerthctlTest, UsageErrorsExit2) {
  start();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"status", "--bogus"},
           {"reservation"},
           {"reservation", "add", "--bridge", "br0", "--ip", "198.18.0.10"},  // no client
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb:cc", "--hostname",
            "x", "--ip", "198.18.0.10"},
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb", "--ip",
            "198.18.0.10"},
           {"reservation", "add", "--mac", "00:16:3e:aa:bb:cc", "--ip", "198.18.0.10"},
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb:cc", "--ip",
            "198.18.0.0.1"},
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb:cc", "--ip",
            "198.18.0.10", "--name", "a.b"},
           {"reservation", "add", "--bridge", "this-name-is-too-long", "--mac", "00:16:3e:aa:bb:cc",
            "--ip", "198.18.0.10"},
           {"reservation", "rm", "0"},
           {"reservation", "rm", "x"},
           {"reservation", "set", "1"},
           {"reservation", "set", "1", "--name", "a", "--no-name"},
           {"lease", "forget", "198.18.0.57"},
           {"lease", "forget", "--bridge", "br0", "nope"},
           {"--timeout", "0", "status"},
           {"attach", "--bridge", "br0"},  // no namespace
           {"attach", "--bridge", "br0", "--netns", "a", "--pid", "4"},
           {"attach", "--netns", "a"},  // no bridge
           {"attach", "--bridge", "br0", "--netns", "/run/netns/a"},
           {"attach", "--bridge", "br0", "--netns", ".."},
           {"attach", "--bridge", "br0", "--pid", "0"},
           {"attach", "--bridge", "br0", "--pid", "4194305"},
           {"attach", "--bridge", "br0", "--pid", "x"},
           {"attach", "--bridge", "br0", "--pid", "1", "--mac", "01:00:5e:00:00:01"},
           {"attach", "--bridge", "br0", "--pid", "1", "--ifname", "0123456789abcdef"},
           {"attach", "--bridge", "br0", "--pid", "1", "--ifname", ""},
           {"detach", "--bridge", "br0"},
           {"detach", "--bridge", "br0", "--pid", "1", "--mac", "02:00:00:00:00:01"},
           {"forward"},
           {"forward", "add", "tcp", "8080", "web:80"},  // no bridge
           {"forward", "add", "--bridge", "br0", "sctp", "8080", "web:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "0", "web:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "65536", "web:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web:0"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web.lxc:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web", "--host-address", "x"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web", "--host-address",
            "224.0.0.1"},
           {"forward", "rm"},
           {"forward", "rm", "-3"},
           {"forward", "list", "--bridge", "a/b"},
           {"firewall"},
           {"firewall", "show", "extra"},
       }) {
    Outcome r = berthctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.rc, 2) << joined << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  // None of them reached berthd.
  std::lock_guard lock(berthd_.mu);
  EXPECT_TRUE(berthd_.requests.empty());
}

TEST_F(BerthctlTest, HelpOnEverySubcommand) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--help"},
           {"status", "--help"},
           {"bridges", "--help"},
           {"leases", "--help"},
           {"lease", "forget", "--help"},
           {"reservation", "add", "--help"},
           {"reservation", "rm", "--help"},
           {"reservation", "set", "--help"},
           {"reservation", "list", "--help"},
           {"reload", "--help"},
           {"metrics", "--help"},
           {"config", "check", "--help"},
           {"import", "--help"},
           {"import", "dnsmasq-leases", "--help"},
           {"import", "dnsmasq-hosts", "--help"},
           {"import", "lxd", "--help"},
           {"import", "libvirt", "--help"},
           {"attach", "--help"},
           {"detach", "--help"},
           {"forward", "--help"},
           {"forward", "add", "--help"},
           {"forward", "rm", "--help"},
           {"forward", "list", "--help"},
           {"firewall", "--help"},
           {"firewall", "show", "--help"},
       }) {
    Outcome r = berthctl(args, /*with_socket=*/false);
    EXPECT_EQ(r.rc, 0) << args[0];
    EXPECT_NE(r.out.find("Usage: "), std::string::npos) << args[0];
    // A sentence before the usage line.
    EXPECT_NE(r.out.find("Usage: "), 0u) << args[0];
  }
  Outcome r = berthctl({"--version"}, false);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, std::string("berthctl ") + BERTH_VERSION + "\n");
}

TEST_F(BerthctlTest, DaemonNotRunning) {
  Outcome r = berthctl({"status"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: berthd is not running (no socket at " + path_ + ")\n");

  // A socket file nothing listens on.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  r = berthctl({"reservation", "list"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: berthd is not running (nothing listens on " + path_ + ")\n");
}

TEST_F(BerthctlTest, PermissionSentenceNamesTheGroup) {
  const std::string file = write_file("sock", "");
  // The group of a file this test created is its own.
  EXPECT_EQ(api::connect_problem(file, EACCES), "permission denied on " + file +
                                                    ": run as root or as a member of group " +
                                                    std::string(::getgrgid(::getegid())->gr_name));
  EXPECT_EQ(api::connect_problem(dir_ + "/missing/sock", EACCES),
            "permission denied on " + dir_ +
                "/missing/sock: run as root or as a member of the group that owns it");
}

TEST_F(BerthctlTest, SocketFromEnvironment) {
  start();
  ::setenv("BERTH_SOCKET", path_.c_str(), 1);
  Outcome r = berthctl({"status"}, /*with_socket=*/false);
  ::unsetenv("BERTH_SOCKET");
  EXPECT_EQ(r.rc, 0) << r.err;
}

}  // namespace
}  // namespace berth::cli
