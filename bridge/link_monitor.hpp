// Link and IPv4 address changes as the kernel announces them (rtnetlink
// multicast groups RTNLGRP_LINK and RTNLGRP_IPV4_IFADDR), so the daemon can
// re-bind a bridge's sockets when the bridge is deleted and created again or
// its address changes, without polling.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace berth::bridge {

struct LinkEvent {
  enum class Kind { link_new, link_del, addr_new, addr_del };
  Kind kind = Kind::link_new;
  int ifindex = 0;   // 0 only in the "resync everything" event of read_events()
  std::string name;  // IFLA_IFNAME; for addr events IFA_LABEL: the link name or an alias
                     // label like "br0:1" (may be empty)
  bool up = false;   // link events: IFF_UP (administratively up)
  int master = 0;    // link events: IFLA_MASTER, 0 when not a port of anything
  std::optional<Ipv4Prefix> address;  // addr events: the IPv4 address (IFA_LOCAL) and prefix

  bool operator==(const LinkEvent&) const = default;
};

// Parses one rtnetlink datagram: a sequence of netlink messages, each
// RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR or RTM_DELADDR giving one event.
// Other message types are skipped, and so are link messages of a family
// other than AF_UNSPEC (AF_BRIDGE ones describe bridge ports, not links) and
// address messages of a family other than AF_INET.
// Netlink uses host byte order. Every length is checked against what is
// left: a message whose payload is malformed is skipped, and a header that
// cannot be trusted ends the datagram; events parsed before it are kept.
std::vector<LinkEvent> parse_link_events(ByteView datagram);

// A NETLINK_ROUTE socket in the current network namespace, subscribed to
// link and IPv4 address changes. Not thread-safe; movable, not copyable.
class LinkMonitor {
 public:
  // Throws NetlinkError (bridge/netlink.hpp) when the socket cannot be made.
  LinkMonitor();
  ~LinkMonitor();
  LinkMonitor(LinkMonitor&& other) noexcept;
  LinkMonitor& operator=(LinkMonitor&& other) noexcept;
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  // Non-blocking; the daemon waits for it to become readable.
  int fd() const { return fd_; }

  // Reads the datagrams that are readable now (at most kMaxDatagrams per
  // call, so a flood cannot starve the caller; the fd stays readable when
  // more wait) and returns their events in order; empty when nothing was
  // waiting. When the kernel dropped
  // notifications (ENOBUFS, the receive buffer overflowed) or a datagram
  // was cut short, the rest is discarded and the result is one link_new
  // event with ifindex 0: re-read the state of every link. Datagrams not
  // sent by the kernel are ignored. Throws NetlinkError on other errors.
  std::vector<LinkEvent> read_events();

  static constexpr size_t kMaxDatagrams = 256;

 private:
  int fd_ = -1;
  Bytes buffer_;  // one datagram; rtnetlink multicast datagrams fit in 64 KiB
};

}  // namespace berth::bridge
