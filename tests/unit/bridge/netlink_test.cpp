// ensure_bridge/find_link against the real kernel. Each test forks a child
// that moves into a fresh network namespace (unshare(CLONE_NEWNET)) before it
// touches a link, so nothing is ever created in the host's namespace; the
// namespace disappears with the child. Needs root, skips otherwise.
#include "bridge/netlink.hpp"

#include <gtest/gtest.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace berth::bridge {
namespace {

constexpr int kSkipStatus = 77;

}  // namespace
}  // namespace berth::bridge

// Present only in sanitizer builds. The child ends with _exit(), which skips
// LeakSanitizer's exit-time check, so the child asks for one explicitly.
extern "C" int __lsan_do_recoverable_leak_check() __attribute__((weak));

namespace berth::bridge {
namespace {

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

// Runs `fn` and records a failure unless it throws NetlinkError whose
// message contains `needle`.
#define CHILD_EXPECT_NETLINK_ERROR(f, stmt, needle)                                      \
  do {                                                                                   \
    try {                                                                                \
      stmt;                                                                              \
      (f).add(__FILE__, __LINE__, "expected NetlinkError from " #stmt);                  \
    } catch (const NetlinkError& e) {                                                    \
      if (std::string(e.what()).find(needle) == std::string::npos) {                     \
        (f).add(__FILE__, __LINE__,                                                      \
                std::string("message \"") + e.what() + "\" lacks \"" + (needle) + "\""); \
      }                                                                                  \
    }                                                                                    \
  } while (0)

void write_all(int fd, const std::string& text) {
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
void run_in_new_netns(const std::function<void(Failures&)>& body) {
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

Ipv4Prefix prefix(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t length) {
  const std::array<uint8_t, 4> bytes{a, b, c, d};
  return Ipv4Prefix{.address = Ipv4Address::from_bytes(ByteView(bytes)), .length = length};
}

bool has_address(const LinkInfo& info, const Ipv4Prefix& p) {
  return std::count(info.addresses.begin(), info.addresses.end(), p) == 1;
}

// Raw libnl access for setting up and inspecting the child's namespace
// independently of the code under test.
struct RawNetlink {
  nl_sock* sock = nl_socket_alloc();
  RawNetlink() {
    if (sock == nullptr || nl_connect(sock, NETLINK_ROUTE) < 0) {
      throw std::runtime_error("test cannot open a netlink socket");
    }
  }
  ~RawNetlink() { nl_socket_free(sock); }
  RawNetlink(const RawNetlink&) = delete;
  RawNetlink& operator=(const RawNetlink&) = delete;

  void add_veth(const std::string& name, const std::string& peer) {
    if (int err = rtnl_link_veth_add(sock, name.c_str(), peer.c_str(), ::getpid()); err < 0) {
      throw std::runtime_error(std::string("test cannot add veth: ") + nl_geterror(err));
    }
  }
  void add_bridge(const std::string& name) {
    if (int err = rtnl_link_bridge_add(sock, name.c_str()); err < 0) {
      throw std::runtime_error(std::string("test cannot add bridge: ") + nl_geterror(err));
    }
  }
  // The broadcast address the kernel stores next to `p` on `ifindex`, as a
  // host-order integer; 0 when the address has none or is missing.
  uint32_t broadcast_of(int ifindex, const Ipv4Prefix& p) {
    nl_cache* cache = nullptr;
    if (int err = rtnl_addr_alloc_cache(sock, &cache); err < 0) {
      throw std::runtime_error(std::string("test cannot list addresses: ") + nl_geterror(err));
    }
    uint32_t result = 0;
    for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
      auto* addr = reinterpret_cast<rtnl_addr*>(obj);
      if (rtnl_addr_get_family(addr) != AF_INET || rtnl_addr_get_ifindex(addr) != ifindex) continue;
      const nl_addr* local = rtnl_addr_get_local(addr);
      std::array<uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), nl_addr_get_binary_addr(local), 4);
      if (Ipv4Address::from_bytes(ByteView(bytes)) != p.address) continue;
      if (const nl_addr* brd = rtnl_addr_get_broadcast(addr); brd && nl_addr_get_len(brd) == 4) {
        std::memcpy(bytes.data(), nl_addr_get_binary_addr(brd), 4);
        result = Ipv4Address::from_bytes(ByteView(bytes)).value();
      }
    }
    nl_cache_free(cache);
    return result;
  }
};

TEST(NetlinkTest, FindLinkSeesLoopbackAndNotMissingLinks) {
  run_in_new_netns([](Failures& f) {
    const auto lo = find_link("lo");
    CHILD_EXPECT(f, lo.has_value());
    if (lo) {
      CHILD_EXPECT(f, lo->ifindex == 1);
      CHILD_EXPECT(f, lo->mtu > 0);
      CHILD_EXPECT(f, !lo->up);  // a fresh namespace starts with lo down
    }
    CHILD_EXPECT(f, !find_link("bt-missing").has_value());
    CHILD_EXPECT(f, !find_link("").has_value());
    CHILD_EXPECT(f, !find_link("a-name-longer-than-ifnamsiz").has_value());
  });
}

TEST(NetlinkTest, EnsureBridgeCreatesConfiguresAndIsIdempotent) {
  run_in_new_netns([](Failures& f) {
    const BridgeSpec spec{.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mtu = 1400};
    const LinkInfo first = ensure_bridge(spec);
    CHILD_EXPECT(f, first.ifindex > 0);
    CHILD_EXPECT(f, first.up);
    CHILD_EXPECT(f, first.mtu == 1400);
    CHILD_EXPECT(f, !first.mac.is_zero());
    CHILD_EXPECT(f, first.addresses.size() == 1);
    CHILD_EXPECT(f, has_address(first, spec.address));

    RawNetlink raw;
    CHILD_EXPECT(f, raw.broadcast_of(first.ifindex, spec.address) ==
                        prefix(198, 18, 0, 255, 32).address.value());

    const LinkInfo second = ensure_bridge(spec);
    CHILD_EXPECT(f, second.ifindex == first.ifindex);
    CHILD_EXPECT(f, second.mac == first.mac);
    CHILD_EXPECT(f, second.addresses == first.addresses);

    const auto found = find_link("bt-br0");
    CHILD_EXPECT(f, found.has_value());
    if (found) {
      CHILD_EXPECT(f, found->ifindex == first.ifindex);
      CHILD_EXPECT(f, found->up);
      CHILD_EXPECT(f, found->mtu == 1400);
      CHILD_EXPECT(f, has_address(*found, spec.address));
    }
  });
}

TEST(NetlinkTest, EnsureBridgeChangesMtuAndKeepsOtherAddresses) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo a =
        ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 0, 1, 24), .mtu = 1400});
    const LinkInfo b =
        ensure_bridge({.name = "bt-br1", .address = prefix(198, 19, 4, 1, 30), .mtu = 1300});
    CHILD_EXPECT(f, b.ifindex == a.ifindex);
    CHILD_EXPECT(f, b.mtu == 1300);
    CHILD_EXPECT(f, b.addresses.size() == 2);
    CHILD_EXPECT(f, has_address(b, prefix(198, 18, 0, 1, 24)));
    CHILD_EXPECT(f, has_address(b, prefix(198, 19, 4, 1, 30)));
    RawNetlink raw;
    CHILD_EXPECT(f, raw.broadcast_of(b.ifindex, prefix(198, 19, 4, 1, 30)) ==
                        prefix(198, 19, 4, 3, 32).address.value());

    // Without an MTU in the spec the current one stays.
    const LinkInfo c = ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 0, 1, 24)});
    CHILD_EXPECT(f, c.mtu == 1300);
    CHILD_EXPECT(f, c.addresses.size() == 2);

    // A /32 gets no broadcast (RFC 3021 territory).
    const LinkInfo d = ensure_bridge({.name = "bt-br1", .address = prefix(198, 19, 9, 9, 32)});
    CHILD_EXPECT(f, has_address(d, prefix(198, 19, 9, 9, 32)));
    CHILD_EXPECT(f, raw.broadcast_of(d.ifindex, prefix(198, 19, 9, 9, 32)) == 0);
  });
}

TEST(NetlinkTest, EnsureBridgeAdoptsAnExistingDownBridge) {
  run_in_new_netns([](Failures& f) {
    RawNetlink raw;
    raw.add_bridge("bt-br2");
    const auto before = find_link("bt-br2");
    CHILD_EXPECT(f, before.has_value() && !before->up && before->addresses.empty());

    const LinkInfo after =
        ensure_bridge({.name = "bt-br2", .address = prefix(198, 18, 5, 1, 24), .create = false});
    CHILD_EXPECT(f, before && after.ifindex == before->ifindex);
    CHILD_EXPECT(f, after.up);
    CHILD_EXPECT(f, has_address(after, prefix(198, 18, 5, 1, 24)));
  });
}

TEST(NetlinkTest, EnsureBridgeRefusesWhatItShouldNotTouch) {
  run_in_new_netns([](Failures& f) {
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br7", .address = prefix(198, 18, 0, 1, 24), .create = false}),
        "bridge bt-br7 does not exist and create = false");
    CHILD_EXPECT(f, !find_link("bt-br7").has_value());

    RawNetlink raw;
    raw.add_veth("bt-veth0", "bt-veth1");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-veth0", .address = prefix(198, 18, 0, 1, 24)}),
        "interface bt-veth0 exists but is not a bridge (it is a veth interface)");
    CHILD_EXPECT_NETLINK_ERROR(
        f,
        ensure_bridge({.name = "bt-veth0", .address = prefix(198, 18, 0, 1, 24), .create = false}),
        "not a bridge");
    // The refused interface was left as it was.
    const auto veth = find_link("bt-veth0");
    CHILD_EXPECT(f, veth.has_value() && !veth->up && veth->addresses.empty());

    ensure_bridge({.name = "bt-br3", .address = prefix(198, 18, 0, 1, 24)});
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br3", .address = prefix(198, 18, 0, 1, 16)}),
        "the bridge already has 198.18.0.1/24");

    CHILD_EXPECT_NETLINK_ERROR(f, ensure_bridge({.name = "", .address = prefix(198, 18, 0, 1, 24)}),
                               "must not be empty");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bridge-name-too-long", .address = prefix(198, 18, 0, 1, 24)}),
        "too long");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt/br", .address = prefix(198, 18, 0, 1, 24)}),
        "not a valid interface name");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br4", .address = prefix(198, 18, 0, 1, 0)}),
        "prefix length of 1 to 32");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br4", .address = prefix(198, 18, 0, 1, 24), .mtu = 60}),
        "below the IPv4 minimum");
    CHILD_EXPECT(f, !find_link("bt-br4").has_value());
  });
}

TEST(NetlinkTest, EnsureBridgeExplainsMissingPrivileges) {
  run_in_new_netns([](Failures& f) {
    // Dropping to an unprivileged user inside the namespace takes away
    // CAP_NET_ADMIN: reading still works, creating does not.
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      f.add(__FILE__, __LINE__, std::string("cannot drop privileges: ") + std::strerror(errno));
      return;
    }
    CHILD_EXPECT(f, find_link("lo").has_value());
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br6", .address = prefix(198, 18, 0, 1, 24)}),
        "cannot create bridge bt-br6: Operation not permitted (are you root?)");
  });
}

}  // namespace
}  // namespace berth::bridge
