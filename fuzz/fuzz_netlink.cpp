// libFuzzer target: rtnetlink notification datagrams (bridge/link_monitor).
// parse_link_events must not crash, and every event it returns must be one
// the kernel could have meant: a real ifindex, a name Linux could give out,
// an IPv4 address with a prefix length on address events only. Parsing is a
// pure function of the bytes: a datagram cut after the last message that
// produced an event gives the same events.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "bridge/link_monitor.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using berth::bridge::LinkEvent;
  const berth::ByteView input(data, size);
  const std::vector<LinkEvent> events = berth::bridge::parse_link_events(input);

  // Every event needs a message of its own: a 16-byte header and at least
  // 16 bytes of ifinfomsg, or 8 of ifaddrmsg and an 8-byte address attribute.
  check(events.size() * 32 <= size);
  for (const LinkEvent& e : events) {
    check(e.ifindex > 0);
    check(e.name.size() < 16 && e.name.find('\0') == std::string::npos);
    const bool addr = e.kind == LinkEvent::Kind::addr_new || e.kind == LinkEvent::Kind::addr_del;
    check(addr == e.address.has_value());
    if (addr) {
      check(e.address->length <= 32);
      check(e.master == 0 && !e.up);
    } else {
      check(e.master >= 0);
    }
  }

  // Same bytes, same answer.
  check(berth::bridge::parse_link_events(input) == events);
  // Appending garbage never changes what came before it.
  std::vector<uint8_t> longer(data, data + size);
  longer.insert(longer.end(), {0x01, 0x02, 0x03});
  const auto again = berth::bridge::parse_link_events(longer);
  check(again.size() >= events.size());
  for (size_t i = 0; i < events.size(); ++i) check(again[i] == events[i]);
  return 0;
}
