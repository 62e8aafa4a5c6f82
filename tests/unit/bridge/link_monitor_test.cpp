// parse_link_events over hand-built rtnetlink datagrams, and LinkMonitor
// against the real kernel in a throwaway network namespace
// (tests/unit/bridge/netns_child.hpp; needs root, skips otherwise).
#include "bridge/link_monitor.hpp"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bridge/netlink.hpp"
#include "tests/unit/bridge/netns_child.hpp"
#include "tests/unit/test_util.hpp"

namespace berth::bridge {
namespace {

using test::Failures;
using test::run_in_new_netns;
using Kind = LinkEvent::Kind;

// --- building datagrams the way the kernel lays them out (host order) ---

template <class T>
void append(Bytes& out, const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}

void pad4(Bytes& out) {
  while (out.size() % 4 != 0) out.push_back(0);
}

Bytes attr(uint16_t type, const Bytes& payload) {
  Bytes out;
  append(out, static_cast<uint16_t>(4 + payload.size()));
  append(out, type);
  out.insert(out.end(), payload.begin(), payload.end());
  pad4(out);
  return out;
}

Bytes text(const std::string& s) {
  Bytes out(s.begin(), s.end());
  out.push_back(0);
  return out;
}

Bytes u32(uint32_t v) {
  Bytes out;
  append(out, v);
  return out;
}

Bytes ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Bytes{a, b, c, d}; }

Bytes message(uint16_t type, const Bytes& payload) {
  Bytes out;
  append(out, static_cast<uint32_t>(16 + payload.size()));
  append(out, type);
  append(out, static_cast<uint16_t>(0));
  append(out, static_cast<uint32_t>(0));  // seq
  append(out, static_cast<uint32_t>(0));  // pid
  out.insert(out.end(), payload.begin(), payload.end());
  pad4(out);
  return out;
}

Bytes link_payload(int32_t ifindex, uint32_t flags, const std::vector<Bytes>& attrs,
                   uint8_t family = AF_UNSPEC) {
  Bytes out;
  out.push_back(family);
  out.push_back(0);
  append(out, static_cast<uint16_t>(1));  // ARPHRD_ETHER
  append(out, ifindex);
  append(out, flags);
  append(out, static_cast<uint32_t>(0xffffffff));
  for (const Bytes& a : attrs) out.insert(out.end(), a.begin(), a.end());
  return out;
}

Bytes addr_payload(uint8_t family, uint8_t prefix_length, uint32_t ifindex,
                   const std::vector<Bytes>& attrs) {
  Bytes out{family, prefix_length, 0, RT_SCOPE_UNIVERSE};
  append(out, ifindex);
  for (const Bytes& a : attrs) out.insert(out.end(), a.begin(), a.end());
  return out;
}

Bytes concat(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Ipv4Prefix prefix(const char* text) { return *Ipv4Prefix::parse(text); }

TEST(ParseLinkEventsTest, ReadsLinkMessages) {
  const Bytes datagram = concat({
      message(RTM_NEWLINK, link_payload(7, IFF_UP | IFF_BROADCAST,
                                        {attr(IFLA_IFNAME, text("bt-br0")),
                                         attr(IFLA_MTU, u32(1500)), attr(IFLA_MASTER, u32(3))})),
      message(RTM_DELLINK, link_payload(8, 0, {attr(IFLA_IFNAME, text("vb0123abcd"))})),
  });
  const auto events = parse_link_events(datagram);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(
      events[0],
      (LinkEvent{.kind = Kind::link_new, .ifindex = 7, .name = "bt-br0", .up = true, .master = 3}));
  EXPECT_EQ(events[1], (LinkEvent{.kind = Kind::link_del, .ifindex = 8, .name = "vb0123abcd"}));
}

TEST(ParseLinkEventsTest, ReadsIpv4AddressMessages) {
  const Bytes datagram = concat({
      message(RTM_NEWADDR, addr_payload(AF_INET, 24, 7,
                                        {attr(IFA_ADDRESS, ipv4(198, 18, 0, 1)),
                                         attr(IFA_LOCAL, ipv4(198, 18, 0, 1)),
                                         attr(IFA_LABEL, text("bt-br0"))})),
      // Point to point: IFA_LOCAL is ours, IFA_ADDRESS the peer's.
      message(RTM_DELADDR, addr_payload(AF_INET, 32, 9,
                                        {attr(IFA_ADDRESS, ipv4(198, 19, 0, 2)),
                                         attr(IFA_LOCAL, ipv4(198, 19, 0, 1))})),
      // Only IFA_ADDRESS: that is the address.
      message(RTM_NEWADDR, addr_payload(AF_INET, 30, 10, {attr(IFA_ADDRESS, ipv4(198, 19, 4, 1))})),
  });
  const auto events = parse_link_events(datagram);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], (LinkEvent{.kind = Kind::addr_new,
                                  .ifindex = 7,
                                  .name = "bt-br0",
                                  .address = prefix("198.18.0.1/24")}));
  EXPECT_EQ(events[1],
            (LinkEvent{.kind = Kind::addr_del, .ifindex = 9, .address = prefix("198.19.0.1/32")}));
  EXPECT_EQ(events[2],
            (LinkEvent{.kind = Kind::addr_new, .ifindex = 10, .address = prefix("198.19.4.1/30")}));
}

TEST(ParseLinkEventsTest, SkipsWhatIsNotForUs) {
  Bytes v6(16, 0);
  v6[0] = 0xfd;
  const Bytes datagram = concat({
      message(RTM_NEWADDR, addr_payload(AF_INET6, 64, 7, {attr(IFA_ADDRESS, v6)})),
      message(RTM_NEWROUTE, Bytes(12, 0)),
      message(NLMSG_NOOP, {}),
      // A port leaving its bridge, not a link going away.
      message(RTM_DELLINK, link_payload(5, 0, {attr(IFLA_IFNAME, text("bt-v0"))}, AF_BRIDGE)),
      message(RTM_NEWLINK, link_payload(5, 0, {attr(IFLA_IFNAME, text("bt-v0"))})),
  });
  const auto events = parse_link_events(datagram);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].ifindex, 5);
  EXPECT_EQ(events[0].name, "bt-v0");
  EXPECT_FALSE(events[0].up);
  EXPECT_TRUE(parse_link_events({}).empty());
}

TEST(ParseLinkEventsTest, SkipsMalformedMessagesAndKeepsTheRest) {
  const Bytes good = message(RTM_NEWLINK, link_payload(4, IFF_UP, {attr(IFLA_IFNAME, text("ok"))}));
  Bytes bad_attr = attr(IFLA_IFNAME, text("bt-x"));
  bad_attr[0] = 60;  // rta_len past the end of the message
  const std::vector<Bytes> malformed = {
      message(RTM_NEWLINK, Bytes(15, 0)),                    // shorter than ifinfomsg
      message(RTM_NEWLINK, link_payload(0, IFF_UP, {})),     // no ifindex
      message(RTM_NEWLINK, link_payload(-3, IFF_UP, {})),    // negative ifindex
      message(RTM_NEWLINK, link_payload(4, 0, {bad_attr})),  // attribute overruns
      message(RTM_NEWLINK, link_payload(4, 0, {attr(IFLA_IFNAME, text("sixteen-chars-xx"))})),
      message(RTM_NEWLINK, link_payload(4, 0, {attr(IFLA_MASTER, Bytes{1, 0})})),  // short u32
      message(RTM_NEWADDR, Bytes(7, 0)),  // shorter than ifaddrmsg
      message(RTM_NEWADDR, addr_payload(AF_INET, 33, 4, {attr(IFA_LOCAL, ipv4(198, 18, 0, 1))})),
      message(RTM_NEWADDR, addr_payload(AF_INET, 24, 4, {attr(IFA_LOCAL, Bytes{198, 18, 0})})),
      message(RTM_NEWADDR, addr_payload(AF_INET, 24, 4, {})),  // no address at all
      message(RTM_NEWADDR, addr_payload(AF_INET, 24, 0, {attr(IFA_LOCAL, ipv4(198, 18, 0, 1))})),
  };
  for (size_t i = 0; i < malformed.size(); ++i) {
    const auto events = parse_link_events(concat({good, malformed[i], good}));
    ASSERT_EQ(events.size(), 2u) << "case " << i;
    EXPECT_EQ(events[0].name, "ok");
    EXPECT_EQ(events[1].name, "ok");
  }
  // A fifteen-character name is the longest Linux allows, and fine.
  const auto longest = parse_link_events(
      message(RTM_NEWLINK, link_payload(4, 0, {attr(IFLA_IFNAME, text("fifteen-chars-x"))})));
  ASSERT_EQ(longest.size(), 1u);
  EXPECT_EQ(longest[0].name, "fifteen-chars-x");
}

TEST(ParseLinkEventsTest, StopsWhereTheNextHeaderCannotBeTrusted) {
  const Bytes good = message(RTM_NEWLINK, link_payload(4, IFF_UP, {attr(IFLA_IFNAME, text("ok"))}));
  // nlmsg_len past the end of the datagram.
  Bytes overrun = good;
  overrun[0] = static_cast<uint8_t>(overrun.size() + 4);
  EXPECT_EQ(parse_link_events(concat({good, overrun})).size(), 1u);
  // nlmsg_len smaller than the header itself.
  Bytes tiny = good;
  std::memset(tiny.data(), 0, 4);
  tiny[0] = 8;
  EXPECT_EQ(parse_link_events(concat({good, tiny, good})).size(), 1u);
  // A few stray bytes after the last message, and truncation anywhere.
  EXPECT_EQ(parse_link_events(concat({good, Bytes{1, 2, 3}})).size(), 1u);
  const Bytes two = concat({good, good});
  for (size_t cut = 0; cut < two.size(); ++cut) {
    const size_t got = parse_link_events(ByteView(two).first(cut)).size();
    EXPECT_EQ(got, cut >= good.size() ? 1u : 0u) << cut;
  }
  // NLMSG_DONE ends a multi-part answer.
  EXPECT_EQ(parse_link_events(concat({good, message(NLMSG_DONE, u32(0)), good})).size(), 1u);
}

TEST(ParseLinkEventsTest, ReadsCapturedNotifications) {
  const Bytes datagram = test::read_hex_file("netlink/several_messages.hex");
  const auto events = parse_link_events(datagram);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0], (LinkEvent{.kind = Kind::link_new, .ifindex = 2, .name = "bt-br0"}));
  EXPECT_EQ(events[1], (LinkEvent{.kind = Kind::addr_new,
                                  .ifindex = 2,
                                  .name = "bt-br0",
                                  .address = prefix("198.18.0.1/24")}));
  EXPECT_EQ(events[2],
            (LinkEvent{.kind = Kind::link_new, .ifindex = 2, .name = "bt-br0", .up = true}));
  EXPECT_EQ(events[3], (LinkEvent{.kind = Kind::addr_del,
                                  .ifindex = 2,
                                  .name = "bt-br0:1",
                                  .address = prefix("198.19.4.1/30")}));
  EXPECT_EQ(events[4], (LinkEvent{.kind = Kind::link_del, .ifindex = 2, .name = "bt-br0"}));

  EXPECT_TRUE(parse_link_events(test::read_hex_file("netlink/dellink_bridge_port.hex")).empty());
}

// --- LinkMonitor against the kernel ---

// Reads events until `done` says the collected ones suffice, waiting on
// the fd (never sleeping blindly); gives up after two seconds.
std::vector<LinkEvent> collect(LinkMonitor& monitor,
                               const std::function<bool(const std::vector<LinkEvent>&)>& done) {
  std::vector<LinkEvent> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done(seen)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{.fd = monitor.fd(), .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    auto more = monitor.read_events();
    seen.insert(seen.end(), more.begin(), more.end());
  }
  return seen;
}

// Position of the first event after `from` matching `pred`, or npos.
size_t find_event(const std::vector<LinkEvent>& events, size_t from,
                  const std::function<bool(const LinkEvent&)>& pred) {
  for (size_t i = from; i < events.size(); ++i) {
    if (pred(events[i])) return i;
  }
  return std::string::npos;
}

TEST(LinkMonitorTest, SeesABridgeDeletedAndCreatedAgain) {
  run_in_new_netns([](Failures& f) {
    LinkMonitor monitor;
    CHILD_EXPECT(f, monitor.fd() >= 0);
    CHILD_EXPECT(f, monitor.read_events().empty());  // non-blocking, nothing yet

    const BridgeSpec spec{.name = "bt-br0", .address = prefix("198.18.0.1/24")};
    const LinkInfo first = ensure_bridge(spec);
    delete_link("bt-br0");
    const LinkInfo second = ensure_bridge(spec);

    auto is = [](Kind kind, int ifindex) {
      return [=](const LinkEvent& e) {
        return e.kind == kind && e.ifindex == ifindex && e.name == "bt-br0";
      };
    };
    const auto events = collect(monitor, [&](const std::vector<LinkEvent>& seen) {
      const size_t del = find_event(seen, 0, is(Kind::link_del, first.ifindex));
      return del != std::string::npos &&
             find_event(seen, del, is(Kind::link_new, second.ifindex)) != std::string::npos;
    });
    const size_t created = find_event(events, 0, is(Kind::link_new, first.ifindex));
    const size_t deleted = find_event(events, 0, is(Kind::link_del, first.ifindex));
    const size_t again = deleted == std::string::npos
                             ? std::string::npos
                             : find_event(events, deleted, is(Kind::link_new, second.ifindex));
    CHILD_EXPECT(f, created != std::string::npos);
    CHILD_EXPECT(f, deleted != std::string::npos && created < deleted);
    CHILD_EXPECT(f, again != std::string::npos);
    // The bridge came up again: some link_new for it says so.
    CHILD_EXPECT(
        f, std::any_of(events.begin() + static_cast<std::ptrdiff_t>(std::min(again, events.size())),
                       events.end(), [&](const LinkEvent& e) {
                         return e.kind == Kind::link_new && e.ifindex == second.ifindex && e.up;
                       }));
  });
}

TEST(LinkMonitorTest, SeesAddressesAddedAndRemoved) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo br = ensure_bridge({.name = "bt-br0", .address = prefix("198.18.0.1/24")});
    LinkMonitor monitor;
    ensure_bridge({.name = "bt-br0", .address = prefix("198.19.4.1/30")});

    // Remove the first address again, through libnl directly.
    nl_sock* sock = nl_socket_alloc();
    CHILD_EXPECT(f, sock != nullptr && nl_connect(sock, NETLINK_ROUTE) == 0);
    rtnl_addr* addr = rtnl_addr_alloc();
    rtnl_addr_set_ifindex(addr, br.ifindex);
    rtnl_addr_set_family(addr, AF_INET);
    const auto bytes = prefix("198.18.0.1/24").address.to_bytes();
    nl_addr* local = nl_addr_build(AF_INET, bytes.data(), bytes.size());
    nl_addr_set_prefixlen(local, 24);
    rtnl_addr_set_local(addr, local);
    nl_addr_put(local);
    rtnl_addr_set_prefixlen(addr, 24);
    CHILD_EXPECT(f, rtnl_addr_delete(sock, addr, 0) == 0);
    rtnl_addr_put(addr);
    nl_socket_free(sock);

    const LinkEvent added{.kind = Kind::addr_new,
                          .ifindex = br.ifindex,
                          .name = "bt-br0",
                          .address = prefix("198.19.4.1/30")};
    const LinkEvent removed{.kind = Kind::addr_del,
                            .ifindex = br.ifindex,
                            .name = "bt-br0",
                            .address = prefix("198.18.0.1/24")};
    const auto events = collect(monitor, [&](const std::vector<LinkEvent>& seen) {
      return std::count(seen.begin(), seen.end(), removed) > 0;
    });
    const auto at_added = std::find(events.begin(), events.end(), added);
    const auto at_removed = std::find(events.begin(), events.end(), removed);
    CHILD_EXPECT(f, at_added != events.end());
    CHILD_EXPECT(f, at_removed != events.end());
    CHILD_EXPECT(f, at_added < at_removed);
  });
}

TEST(LinkMonitorTest, AskForAResyncWhenTheKernelDroppedEvents) {
  run_in_new_netns([](Failures& f) {
    LinkMonitor monitor;
    // The smallest receive buffer the kernel allows overflows after a few
    // notifications; the kernel then reports ENOBUFS once.
    const int tiny = 0;
    CHILD_EXPECT(f,
                 ::setsockopt(monitor.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &tiny, sizeof tiny) == 0);
    for (int i = 0; i < 40; ++i) {
      const std::string name = "bt-br" + std::to_string(i);
      ensure_bridge({.name = name, .address = prefix("198.18.0.1/24")});
    }
    const auto events = monitor.read_events();
    CHILD_EXPECT(f, events.size() == 1);
    if (events.size() == 1) {
      CHILD_EXPECT(f, events[0].kind == Kind::link_new && events[0].ifindex == 0);
    }
    // After that the monitor reports events normally again (with room).
    CHILD_EXPECT(f, monitor.read_events().empty());
    const int roomy = 1 << 20;
    CHILD_EXPECT(f,
                 ::setsockopt(monitor.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &roomy, sizeof roomy) == 0);
    delete_link("bt-br0");
    const auto later = collect(monitor, [](const std::vector<LinkEvent>& seen) {
      return std::any_of(seen.begin(), seen.end(), [](const LinkEvent& e) {
        return e.kind == Kind::link_del && e.name == "bt-br0";
      });
    });
    CHILD_EXPECT(f, std::none_of(later.begin(), later.end(),
                                 [](const LinkEvent& e) { return e.ifindex == 0; }));
    CHILD_EXPECT(f, !later.empty());
  });
}

TEST(LinkMonitorTest, MovesItsSocket) {
  run_in_new_netns([](Failures& f) {
    LinkMonitor a;
    const int fd = a.fd();
    LinkMonitor b(std::move(a));
    CHILD_EXPECT(f, b.fd() == fd);
    CHILD_EXPECT(f,
                 a.fd() == -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHILD_EXPECT_NETLINK_ERROR(f, a.read_events(), "moved from");
    ensure_bridge({.name = "bt-br0", .address = prefix("198.18.0.1/24")});
    const auto events = collect(b, [](const std::vector<LinkEvent>& seen) {
      return std::any_of(seen.begin(), seen.end(),
                         [](const LinkEvent& e) { return e.name == "bt-br0"; });
    });
    CHILD_EXPECT(f, !events.empty());
  });
}

}  // namespace
}  // namespace berth::bridge
