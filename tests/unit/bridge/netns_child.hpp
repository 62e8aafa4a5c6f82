// Running a test body in a throwaway network namespace: the test forks a
// child that unshares its network namespace (unshare(CLONE_NEWNET)) before it
// touches a link, so nothing is ever created in the host's namespace; the
// namespace disappears with the child. Needs root, skips otherwise. Shared by
// the bridge/ tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bridge/netlink.hpp"

// Present only in sanitizer builds. The child ends with _exit(), which skips
// LeakSanitizer's exit-time check, so the child asks for one explicitly.
extern "C" int __lsan_do_recoverable_leak_check() __attribute__((weak));

namespace berth::test {

inline constexpr int kSkipStatus = 77;

// Failures found in the child, reported to the parent through a pipe.
struct Failures {
  std::vector<std::string> lines;
  void add(const char* file, int line, const std::string& what) {
    lines.push_back(std::string(file) + ":" + std::to_string(line) + ": " + what);
  }
};

#define CHILD_EXPECT(f, cond)                                    \
  do {                                                           \
    if (!(cond)) (f).add(__FILE__, __LINE__, "expected " #cond); \
  } while (0)

// Records a failure unless `stmt` throws `Error` whose message contains
// `needle`.
#define CHILD_EXPECT_THROWS(f, stmt, Error, needle)                                      \
  do {                                                                                   \
    try {                                                                                \
      stmt;                                                                              \
      (f).add(__FILE__, __LINE__, "expected " #Error " from " #stmt);                    \
    } catch (const Error& e) {                                                           \
      if (std::string(e.what()).find(needle) == std::string::npos) {                     \
        (f).add(__FILE__, __LINE__,                                                      \
                std::string("message \"") + e.what() + "\" lacks \"" + (needle) + "\""); \
      }                                                                                  \
    }                                                                                    \
  } while (0)

#define CHILD_EXPECT_NETLINK_ERROR(f, stmt, needle) \
  CHILD_EXPECT_THROWS(f, stmt, NetlinkError, needle)

inline void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Forks; the child unshares its network namespace and runs `body`. The
// parent turns the child's report into gtest results.
inline void run_in_new_netns(const std::function<void(Failures&)>& body) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe(fds.data()), 0) << std::strerror(errno);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(30);  // a hung netlink call ends the child instead of the test run
    if (::unshare(CLONE_NEWNET) != 0) {
      write_all(fds[1], std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno));
      ::_exit(kSkipStatus);
    }
    Failures failures;
    try {
      body(failures);
    } catch (const std::exception& e) {
      failures.lines.push_back(std::string("unexpected exception: ") + e.what());
    }
    if (__lsan_do_recoverable_leak_check != nullptr && __lsan_do_recoverable_leak_check() != 0) {
      failures.lines.push_back("LeakSanitizer found leaks in the child (see its report above)");
    }
    std::string report;
    for (const auto& line : failures.lines) report += line + "\n";
    write_all(fds[1], report);
    ::_exit(failures.lines.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string report;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    FAIL() << "child died from signal " << WTERMSIG(status) << "\n" << report;
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kSkipStatus) GTEST_SKIP() << report;
  const int child_status = WEXITSTATUS(status);
  EXPECT_EQ(child_status, 0) << "the child in its own network namespace reported:\n" << report;
}

// A further network namespace, made from inside the child: a short-lived
// thread unshares its own and opens it, so the caller stays where it is.
// The namespace lives as long as the returned fd is open.
inline int new_netns_fd() {
  int fd = -1;
  int error = 0;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = errno;
      return;
    }
    fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) error = errno;
  }).join();
  if (fd < 0)
    throw std::runtime_error(std::string("cannot make a network namespace: ") +
                             std::strerror(error));
  return fd;
}

// An fd of the calling thread's own network namespace.
inline int current_netns_fd() {
  const int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(std::string("cannot open own namespace: ") + std::strerror(errno));
  return fd;
}

}  // namespace berth::test
