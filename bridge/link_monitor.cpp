#include "bridge/link_monitor.hpp"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "bridge/netlink.hpp"

namespace berth::bridge {
namespace {

// Netlink's layout (netlink(7), rtnetlink(7)), spelled out so the parser
// reads bytes at known offsets instead of casting onto kernel structs.
constexpr size_t kNlmsgHeader = 16;  // len u32, type u16, flags u16, seq u32, pid u32
constexpr size_t kIfinfomsg = 16;  // family u8, pad u8, type u16, index s32, flags u32, change u32
constexpr size_t kIfaddrmsg = 8;   // family u8, prefixlen u8, flags u8, scope u8, index u32
constexpr size_t kRtattrHeader = 4;  // len u16, type u16

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

// A native-endian field at `at`; the caller has checked that it fits.
template <class T>
T load(ByteView v, size_t at) {
  T out{};
  std::memcpy(&out, v.data() + at, sizeof out);
  return out;
}

// Calls fn(type, payload) for each attribute in `attrs`. Returns false when
// an attribute's length does not fit; fn has seen the ones before it.
template <class Fn>
bool for_each_attribute(ByteView attrs, Fn&& fn) {
  size_t at = 0;
  while (attrs.size() - at >= kRtattrHeader) {
    const auto length = load<uint16_t>(attrs, at);
    const auto type = load<uint16_t>(attrs, at + 2);
    if (length < kRtattrHeader || length > attrs.size() - at) return false;
    // The top bits flag nesting and byte order, not the type.
    fn(static_cast<uint16_t>(type & NLA_TYPE_MASK),
       attrs.subspan(at + kRtattrHeader, length - kRtattrHeader));
    at = std::min(attrs.size(), at + align4(length));
  }
  return true;
}

// An interface name attribute: NUL-terminated text of at most IFNAMSIZ-1
// characters. nullopt when it is longer than any name Linux gives out.
std::optional<std::string> read_name(ByteView payload) {
  const auto nul = std::find(payload.begin(), payload.end(), uint8_t{0});
  const size_t length = static_cast<size_t>(nul - payload.begin());
  if (length >= IFNAMSIZ) return std::nullopt;
  return std::string(payload.begin(), nul);
}

std::optional<LinkEvent> parse_link(uint16_t type, ByteView payload) {
  if (payload.size() < kIfinfomsg) return std::nullopt;
  // AF_UNSPEC is the link itself. AF_BRIDGE messages report bridge port
  // state: an AF_BRIDGE RTM_DELLINK means "no longer a port", not "gone".
  if (payload[0] != AF_UNSPEC) return std::nullopt;
  LinkEvent event;
  event.kind = type == RTM_NEWLINK ? LinkEvent::Kind::link_new : LinkEvent::Kind::link_del;
  event.ifindex = load<int32_t>(payload, 4);
  event.up = (load<uint32_t>(payload, 8) & IFF_UP) != 0;
  // ifindex 0 is no link; read_events() uses it for "resync everything".
  if (event.ifindex <= 0) return std::nullopt;
  bool ok = true;
  const bool walked =
      for_each_attribute(payload.subspan(kIfinfomsg), [&](uint16_t attr, ByteView value) {
        if (attr == IFLA_IFNAME) {
          auto name = read_name(value);
          if (!name) ok = false;
          event.name = name.value_or("");
        } else if (attr == IFLA_MASTER) {
          if (value.size() < 4) {
            ok = false;
            return;
          }
          const auto master = load<int32_t>(value, 0);
          if (master < 0) ok = false;
          event.master = master;
        }
      });
  if (!walked || !ok) return std::nullopt;
  return event;
}

std::optional<LinkEvent> parse_addr(uint16_t type, ByteView payload) {
  if (payload.size() < kIfaddrmsg) return std::nullopt;
  if (payload[0] != AF_INET) return std::nullopt;  // IPv6 and others: not ours
  const uint8_t prefix_length = payload[1];
  if (prefix_length > 32) return std::nullopt;
  LinkEvent event;
  event.kind = type == RTM_NEWADDR ? LinkEvent::Kind::addr_new : LinkEvent::Kind::addr_del;
  const auto ifindex = load<uint32_t>(payload, 4);
  if (ifindex == 0 || ifindex > static_cast<uint32_t>(INT32_MAX)) return std::nullopt;
  event.ifindex = static_cast<int>(ifindex);
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on
  // point-to-point links and equals IFA_LOCAL elsewhere (rtnetlink(7)).
  std::optional<Ipv4Address> local;
  std::optional<Ipv4Address> address;
  bool ok = true;
  const bool walked =
      for_each_attribute(payload.subspan(kIfaddrmsg), [&](uint16_t attr, ByteView value) {
        if (attr == IFA_LOCAL || attr == IFA_ADDRESS) {
          if (value.size() != 4) {
            ok = false;
            return;
          }
          (attr == IFA_LOCAL ? local : address) = Ipv4Address::from_bytes(value);
        } else if (attr == IFA_LABEL) {
          auto name = read_name(value);
          if (!name) ok = false;
          event.name = name.value_or("");
        }
      });
  if (!walked || !ok) return std::nullopt;
  if (!local) local = address;
  if (!local) return std::nullopt;
  event.address = Ipv4Prefix{.address = *local, .length = prefix_length};
  return event;
}

}  // namespace

std::vector<LinkEvent> parse_link_events(ByteView datagram) {
  std::vector<LinkEvent> events;
  size_t at = 0;
  while (datagram.size() - at >= kNlmsgHeader) {
    const auto length = load<uint32_t>(datagram, at);
    const auto type = load<uint16_t>(datagram, at + 4);
    // Without a trustworthy length the next message cannot be found.
    if (length < kNlmsgHeader || length > datagram.size() - at) break;
    if (type == NLMSG_DONE) break;
    const ByteView payload = datagram.subspan(at + kNlmsgHeader, length - kNlmsgHeader);
    std::optional<LinkEvent> event;
    if (type == RTM_NEWLINK || type == RTM_DELLINK) {
      event = parse_link(type, payload);
    } else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
      event = parse_addr(type, payload);
    }
    if (event) events.push_back(std::move(*event));
    at = std::min(datagram.size(), at + align4(length));
  }
  return events;
}

LinkMonitor::LinkMonitor() : buffer_(65536) {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) {
    throw NetlinkError(std::string("cannot open a route netlink socket for link events: ") +
                       std::strerror(errno));
  }
  // A burst of changes (a container host starting many containers) should
  // not overflow the default buffer; root may go past rmem_max.
  const int size = 1 << 20;
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw NetlinkError(std::string("cannot subscribe to link and address events: ") +
                       std::strerror(e));
  }
}

LinkMonitor::~LinkMonitor() {
  if (fd_ >= 0) ::close(fd_);
}

LinkMonitor::LinkMonitor(LinkMonitor&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

LinkMonitor& LinkMonitor::operator=(LinkMonitor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

std::vector<LinkEvent> LinkMonitor::read_events() {
  if (fd_ < 0) throw NetlinkError("the link monitor was moved from");
  if (buffer_.empty()) buffer_.resize(65536);
  std::vector<LinkEvent> events;
  bool lost = false;
  for (size_t datagrams = 0; datagrams < kMaxDatagrams;) {
    sockaddr_nl from{};
    iovec iov{.iov_base = buffer_.data(), .iov_len = buffer_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {  // the kernel dropped notifications
        lost = true;
        continue;
      }
      throw NetlinkError(std::string("cannot read link events: ") + std::strerror(errno));
    }
    ++datagrams;
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      lost = true;
      continue;
    }
    // Only the kernel's notifications count (port id 0).
    if (msg.msg_namelen < sizeof from || from.nl_pid != 0) continue;
    if (lost) continue;
    auto parsed = parse_link_events(ByteView(buffer_.data(), static_cast<size_t>(n)));
    events.insert(events.end(), std::make_move_iterator(parsed.begin()),
                  std::make_move_iterator(parsed.end()));
  }
  if (lost) return {LinkEvent{.kind = LinkEvent::Kind::link_new, .ifindex = 0}};
  return events;
}

}  // namespace berth::bridge
