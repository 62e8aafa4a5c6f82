// DnsServer over real sockets in a throwaway network namespace: a bridge with
// IPv6 is served on its IPv6 address over UDP and TCP, sources outside its
// prefix are REFUSED, and names not ours go to an IPv6 upstream. The
// addresses sit on the namespace's loopback (fd00::/8 and 198.18.0.0/15).
#include "server/dns_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/v6_only.hpp>

#include <array>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/values.hpp"
#include "dns/name_table.hpp"
#include "tests/unit/bridge/netlink_test_util.hpp"
#include "tests/unit/bridge/netns_child.hpp"

namespace berth::server {
namespace {

using test::Failures;

Ipv4Address ip4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address ip6(const char* s) { return *Ipv6Address::parse(s); }

constexpr uint16_t kPort = 53;
constexpr uint16_t kUpstreamPort = 5353;
const char* const kBridge6 = "fd00:0:0:1::1";
const char* const kClient6 = "fd00:0:0:1::2";     // in the bridge's prefix
const char* const kOutsider6 = "fd00:0:0:2::2";   // not
const char* const kUpstream6 = "fd00:0:0:1::53";  // the upstream resolver

// Puts `ip`/128 on `link`, without duplicate address detection.
void add_address6(test::RawNetlink& nl, const std::string& link, const Ipv6Address& ip) {
  rtnl_addr* addr = rtnl_addr_alloc();
  rtnl_addr_set_ifindex(addr, nl.ifindex(link));
  rtnl_addr_set_family(addr, AF_INET6);
  nl_addr* local = nl_addr_build(AF_INET6, ip.to_bytes().data(), 16);
  nl_addr_set_prefixlen(local, 128);
  rtnl_addr_set_local(addr, local);
  nl_addr_put(local);
  rtnl_addr_set_prefixlen(addr, 128);
  rtnl_addr_set_flags(addr, IFA_F_NODAD);
  const int err = rtnl_addr_add(nl.sock, addr, 0);
  rtnl_addr_put(addr);
  if (err < 0)
    throw std::runtime_error(std::string("test cannot add address: ") + nl_geterror(err));
}

// Loopback up with the bridge's, the clients' and the upstream's addresses.
void set_up_addresses() {
  test::RawNetlink nl;
  nl.set_up("lo");
  nl.address("lo", *Ipv4Prefix::parse("198.18.0.1/24"), true);
  for (const char* a : {kBridge6, kClient6, kOutsider6, kUpstream6}) add_address6(nl, "lo", ip6(a));
}

sockaddr_in6 endpoint6(const char* ip, uint16_t port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  ::inet_pton(AF_INET6, ip, &sa.sin6_addr);
  return sa;
}

// A socket of `type` bound to `from` and `port`, closed when it goes.
struct Socket {
  int fd = -1;
  Socket(int type, const char* from, uint16_t port = 0) {
    fd = ::socket(AF_INET6, type | SOCK_CLOEXEC, 0);
    const sockaddr_in6 sa = endpoint6(from, port);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      throw std::runtime_error(std::string("test socket: ") + std::strerror(errno));
    }
  }
  ~Socket() { ::close(fd); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool readable() const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 5000) == 1;
  }
};

std::vector<uint8_t> query(const std::string& name, uint16_t type, uint16_t id = 0x4242) {
  dns::Message q;
  q.header.id = id;
  q.header.rd = true;
  q.questions.push_back({*dns::Name::from_text(name), type, dns::klass::IN});
  return *dns::encode_message(q);
}

std::optional<dns::Message> parse(const uint8_t* data, size_t n) {
  auto m = dns::parse_message(ByteView(data, n));
  if (!m.ok()) return std::nullopt;
  return *m;
}

// Asks over UDP from `from` to the bridge's IPv6 address.
std::optional<dns::Message> ask_udp(const char* from, const std::vector<uint8_t>& packet,
                                    const std::function<void()>& meanwhile = {}) {
  Socket s(SOCK_DGRAM, from);
  const sockaddr_in6 to = endpoint6(kBridge6, kPort);
  if (::sendto(s.fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) != static_cast<ssize_t>(packet.size())) {
    return std::nullopt;
  }
  if (meanwhile) meanwhile();
  if (!s.readable()) return std::nullopt;
  std::array<uint8_t, 4096> buf{};
  sockaddr_in6 peer{};
  socklen_t peer_len = sizeof peer;
  const ssize_t n =
      ::recvfrom(s.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &peer_len);
  if (n <= 0) return std::nullopt;
  // The answer comes from the address asked.
  if (std::memcmp(&peer.sin6_addr, ip6(kBridge6).to_bytes().data(), 16) != 0) return std::nullopt;
  return parse(buf.data(), static_cast<size_t>(n));
}

// Asks over TCP (RFC 7766 length prefix) from `from` to the bridge's IPv6 address.
std::optional<dns::Message> ask_tcp(const char* from, const std::vector<uint8_t>& packet) {
  Socket s(SOCK_STREAM, from);
  const sockaddr_in6 to = endpoint6(kBridge6, kPort);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) return std::nullopt;
  std::vector<uint8_t> framed = {static_cast<uint8_t>(packet.size() >> 8),
                                 static_cast<uint8_t>(packet.size())};
  framed.insert(framed.end(), packet.begin(), packet.end());
  if (::send(s.fd, framed.data(), framed.size(), 0) != static_cast<ssize_t>(framed.size())) {
    return std::nullopt;
  }
  std::vector<uint8_t> in;
  std::array<uint8_t, 4096> buf{};
  while (in.size() < 2 || in.size() < 2 + (size_t{in[0]} << 8 | in[1])) {
    if (!s.readable()) return std::nullopt;
    const ssize_t n = ::recv(s.fd, buf.data(), buf.size(), 0);
    if (n <= 0) return std::nullopt;
    in.insert(in.end(), buf.begin(), buf.begin() + n);
  }
  return parse(in.data() + 2, in.size() - 2);
}

std::vector<std::string> addresses_in(const dns::Message& m) {
  std::vector<std::string> out;
  for (const dns::Record& r : m.answers) {
    const auto* raw = std::get_if<dns::RawRdata>(&r.rdata);
    if (raw == nullptr) continue;
    if (r.type == dns::type::A && raw->size() == 4) {
      out.push_back(Ipv4Address::from_bytes(*raw).to_string());
    }
    if (r.type == dns::type::AAAA && raw->size() == 16) {
      out.push_back(Ipv6Address::from_bytes(*raw).to_string());
    }
  }
  return out;
}

const dns::DnsBridge kBr0{.name = "br0",
                          .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                          .domain = "lab",
                          .ipv6 = *Ipv6Prefix::parse("fd00:0:0:1::1/64")};

std::shared_ptr<const dns::NameTable> table() {
  dns::NameTableSpec spec;
  spec.bridges = {kBr0};
  spec.names = {{0, "web", ip4("198.18.0.10"), false}, {0, "web", ip6("fd00:0:0:1::10"), false}};
  return dns::NameTable::build(spec, nullptr, nullptr);
}

config::DnsConfig dns_config() {
  config::DnsConfig cfg;
  cfg.port = kPort;
  cfg.workers = 2;
  cfg.upstreams = {*config::parse_upstream(std::string("[") + kUpstream6 +
                                           "]:" + std::to_string(kUpstreamPort))};
  cfg.upstream_timeout_ms = 5000;
  return cfg;
}

// The upstream: answers the next query it gets with an A record.
void answer_upstream(Failures& f, Socket& upstream, const char* address) {
  CHILD_EXPECT(f, upstream.readable());
  std::array<uint8_t, 4096> buf{};
  sockaddr_in6 from{};
  socklen_t from_len = sizeof from;
  const ssize_t n = ::recvfrom(upstream.fd, buf.data(), buf.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &from_len);
  CHILD_EXPECT(f, n > 0);
  if (n <= 0) return;
  auto q = parse(buf.data(), static_cast<size_t>(n));
  CHILD_EXPECT(f, q && q->questions.size() == 1);
  if (!q || q->questions.size() != 1) return;
  dns::Message r;
  r.header = q->header;
  r.header.qr = true;
  r.header.ra = true;
  r.questions = q->questions;
  r.answers.push_back(dns::Record::a(q->questions[0].name, 60, ip4(address)));
  const auto wire = *dns::encode_message(r);
  ::sendto(upstream.fd, wire.data(), wire.size(), 0, reinterpret_cast<const sockaddr*>(&from),
           from_len);
}

TEST(DnsServerIpv6, AnswersRefusesAndForwardsOverIpv6) {
  test::run_in_new_netns([](Failures& f) {
    set_up_addresses();
    Socket upstream(SOCK_DGRAM, kUpstream6, kUpstreamPort);
    DnsServer server(dns_config(), {});
    server.add_bridge(0, kBr0);
    server.publish(table());
    server.start();

    // AAAA and A over IPv6 UDP, from inside the prefix.
    auto aaaa = ask_udp(kClient6, query("web.lab", dns::type::AAAA));
    CHILD_EXPECT(f, aaaa && aaaa->header.rcode == dns::rcode::NOERROR && aaaa->header.aa);
    CHILD_EXPECT(f, aaaa && addresses_in(*aaaa) == std::vector<std::string>{"fd00:0:0:1::10"});
    CHILD_EXPECT(f, aaaa && aaaa->header.id == 0x4242);
    auto a = ask_udp(kClient6, query("web", dns::type::A));
    CHILD_EXPECT(f, a && addresses_in(*a) == std::vector<std::string>{"198.18.0.10"});

    // From outside the prefix: REFUSED, over UDP and TCP.
    auto refused = ask_udp(kOutsider6, query("web.lab", dns::type::AAAA));
    CHILD_EXPECT(f, refused && refused->header.rcode == dns::rcode::REFUSED);
    CHILD_EXPECT(f, refused && refused->answers.empty());
    auto refused_tcp = ask_tcp(kOutsider6, query("web.lab", dns::type::AAAA));
    CHILD_EXPECT(f, refused_tcp && refused_tcp->header.rcode == dns::rcode::REFUSED);

    // PTR in ip6.arpa over TCP.
    auto ptr = ask_tcp(kClient6,
                       query(dns::reverse_name(ip6("fd00:0:0:1::10")).to_text(), dns::type::PTR));
    CHILD_EXPECT(f, ptr && ptr->answers.size() == 1);
    if (ptr && ptr->answers.size() == 1) {
      const auto* target = std::get_if<dns::Name>(&ptr->answers[0].rdata);
      CHILD_EXPECT(f, target && target->to_text() == "web.lab");
    }

    // A name not ours goes to the IPv6 upstream, and its answer comes back
    // to the client over IPv6.
    auto forwarded = ask_udp(kClient6, query("example.com", dns::type::A, 0x1111),
                             [&] { answer_upstream(f, upstream, "198.18.7.7"); });
    CHILD_EXPECT(f, forwarded && forwarded->header.id == 0x1111);
    CHILD_EXPECT(f,
                 forwarded && addresses_in(*forwarded) == std::vector<std::string>{"198.18.7.7"});

    const auto counts = server.counters();
    CHILD_EXPECT(f, counts[DnsCounters::refused] == 2);
    CHILD_EXPECT(f, counts[DnsCounters::forwarded] == 1);
    CHILD_EXPECT(f, counts[DnsCounters::upstream_answers] == 1);
    CHILD_EXPECT(f, counts[DnsCounters::local] == 3);
    server.stop();
  });
}

// Without DnsBridge::ipv6 nothing listens on IPv6; a port taken on the IPv6
// address is reported with the address in brackets, and nothing changes.
TEST(DnsServerIpv6, OpensIpv6OnlyWhenAskedAndSaysWhereItFailed) {
  test::run_in_new_netns([](Failures& f) {
    set_up_addresses();
    DnsServer server(dns_config(), {});
    dns::DnsBridge v4only = kBr0;
    v4only.ipv6.reset();
    const DnsServer::Sockets s4 = server.open_sockets(v4only);
    CHILD_EXPECT(f, s4.udp.size() == 2 && s4.tcp.size() == 2);
    CHILD_EXPECT(f, s4.udp6.empty() && s4.tcp6.empty());
    {
      const DnsServer::Sockets s6 = server.open_sockets(kBr0);
      CHILD_EXPECT(f, s6.udp6.size() == 2 && s6.tcp6.size() == 2);
      for (const auto& u : s6.udp6) {
        CHILD_EXPECT(f, u->local_endpoint().address().to_string() == kBridge6);
        boost::asio::ip::v6_only only;
        u->get_option(only);
        CHILD_EXPECT(f, only.value());
      }
    }
    // Someone else holds UDP port 53 on the IPv6 address, without SO_REUSEPORT.
    Socket squatter(SOCK_DGRAM, kBridge6, kPort);
    CHILD_EXPECT_THROWS(f, server.add_bridge(0, kBr0), std::runtime_error,
                        "cannot serve DNS on br0 at [fd00:0:0:1::1]:53");
    CHILD_EXPECT(f, server.bridges().empty());
  });
}

}  // namespace
}  // namespace berth::server
