#include "server/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace berth::server {
namespace {

// A datagram socket standing in for systemd's notify socket.
class FakeSystemd {
 public:
  explicit FakeSystemd(const std::string& watchdog_usec) {
    path_ = std::filesystem::temp_directory_path() /
            ("berth-notify-" + std::to_string(::getpid()) + ".sock");
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    if (watchdog_usec.empty()) {
      ::unsetenv("WATCHDOG_USEC");
    } else {
      ::setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
    }
    ::unsetenv("WATCHDOG_PID");
  }
  ~FakeSystemd() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // The next message, or nothing within `ms`.
  std::optional<std::string> next(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) return std::nullopt;
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SystemdNotifier, ReadyReloadingStopping) {
  FakeSystemd systemd("");
  ASSERT_TRUE(systemd.bound());
  boost::asio::io_context io;
  SystemdNotifier notify(io);
  EXPECT_EQ(notify.watchdog_interval().count(), 0);
  notify.ready("serving 2 bridge(s)");
  EXPECT_EQ(systemd.next(1000), "READY=1\nSTATUS=serving 2 bridge(s)");
  notify.reloading();
  const std::optional<std::string> reloading = systemd.next(1000);
  ASSERT_TRUE(reloading);
  EXPECT_TRUE(reloading->starts_with("RELOADING=1\nMONOTONIC_USEC=")) << *reloading;
  EXPECT_GT(std::stoull(reloading->substr(reloading->find('=', 12) + 1)), 0u);
  notify.stopping();
  EXPECT_EQ(systemd.next(1000), "STOPPING=1");
  // No watchdog was asked for: nothing more arrives.
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(systemd.next(0), std::nullopt);
}

TEST(SystemdNotifier, PingsTheWatchdogFromTheEventLoop) {
  FakeSystemd systemd("100000");  // WatchdogSec=100ms
  ASSERT_TRUE(systemd.bound());
  boost::asio::io_context io;
  SystemdNotifier notify(io);
  EXPECT_EQ(notify.watchdog_interval().count(), 100000);
  notify.ready("serving");
  ASSERT_EQ(systemd.next(1000), "READY=1\nSTATUS=serving");
  // Nothing while the loop does not run: the ping proves the loop is alive.
  EXPECT_EQ(systemd.next(120), std::nullopt);
  io.run_for(std::chrono::milliseconds(180));  // pings at 50, 100, 150 ms
  int pings = 0;
  while (auto m = systemd.next(0)) {
    EXPECT_EQ(*m, "WATCHDOG=1");
    ++pings;
  }
  EXPECT_GE(pings, 1);  // a loaded machine may run the loop late
  EXPECT_LE(pings, 4);
  notify.stopping();
  EXPECT_EQ(systemd.next(1000), "STOPPING=1");
  io.restart();
  io.run_for(std::chrono::milliseconds(120));
  EXPECT_EQ(systemd.next(0), std::nullopt) << "the watchdog pinged after STOPPING=1";
}

}  // namespace
}  // namespace berth::server
