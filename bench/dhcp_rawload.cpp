// A DHCPv4 load generator for bench/dhcp_raw, not a DHCP client: it loads a
// server's raw path, the one real containers use. N simulated clients, each
// with its own MAC (02:72:6c:ii:ii:ii from its index), broadcast DISCOVERs
// from 0.0.0.0:68 to 255.255.255.255:67 at a fixed rate through an AF_PACKET
// socket on one interface (a veth into the server's bridge); each OFFER is
// answered with a broadcast REQUEST in the SELECTING state (RFC 2131 §4.3.2:
// server identifier and requested address), and ACKs are counted. The
// Ethernet source is the client's MAC, so the bridge learns it and the
// server's L2-unicast replies (--unicast: broadcast flag off) come back to
// this interface, which is put in promiscuous mode to take them.
//
// An exchange with no OFFER (or no ACK) within --drop-ms of its DISCOVER (or
// REQUEST) is a drop. The period sends exactly RATE x SECONDS DISCOVERs;
// after it the tool waits for the exchanges still open, at most two drop
// times. It prints a human summary and, as its last line, the same figures
// as one JSON object.
//
//   dhcp_rawload -i IFNAME [-r RATE] [-s SECONDS] [-c CLIENTS] [--unicast]
//                [--drop-ms MS]
//
// One thread, blocking sends, recvmmsg in batches, a kernel filter that
// passes only IPv4 UDP to port 68: meant to run alone on its own CPU.
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr uint32_t kMaxRate = 50000;
constexpr uint32_t kMaxSeconds = 120;
constexpr uint32_t kMaxClients = 1000000;
constexpr uint32_t kMaxDropMs = 10000;

constexpr size_t kEthHeader = 14;
constexpr size_t kIpHeader = 20;  // what we send; replies may carry options
constexpr size_t kUdpHeader = 8;
constexpr size_t kBootpFixed = 236;  // op .. file (RFC 2131 §2)
constexpr size_t kCookieSize = 4;
constexpr size_t kBootpMinimum = 300;  // RFC 1542 §2.1: pad requests to 300 octets
constexpr std::array<uint8_t, 4> kMagicCookie = {99, 130, 83, 99};

constexpr uint16_t kServerPort = 67;
constexpr uint16_t kClientPort = 68;
constexpr uint16_t kFlagBroadcast = 0x8000;

// RFC 2132 option codes and DHCP message types.
constexpr uint8_t kOptPad = 0;
constexpr uint8_t kOptRequestedAddress = 50;
constexpr uint8_t kOptMessageType = 53;
constexpr uint8_t kOptServerId = 54;
constexpr uint8_t kOptParameterList = 55;
constexpr uint8_t kOptMaxSize = 57;
constexpr uint8_t kOptEnd = 255;
constexpr uint8_t kDiscover = 1;
constexpr uint8_t kOffer = 2;
constexpr uint8_t kRequest = 3;
constexpr uint8_t kAck = 5;
constexpr uint8_t kNak = 6;

constexpr size_t kBatch = 64;
constexpr size_t kFrameRoom = 1536;                  // replies are at most one Ethernet frame
constexpr uint8_t kMacTag1 = 0x72, kMacTag2 = 0x6c;  // "rl": raw load
constexpr int64_t kHistogramStepNs = 10000;          // 10 us

using Mac = std::array<uint8_t, 6>;

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

Mac client_mac(uint32_t index) {
  return {0x02,
          kMacTag1,
          kMacTag2,
          static_cast<uint8_t>(index >> 16),
          static_cast<uint8_t>(index >> 8),
          static_cast<uint8_t>(index)};
}

void put16(std::span<uint8_t> out, size_t at, uint16_t v) {
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}

void put32(std::span<uint8_t> out, size_t at, uint32_t v) {
  put16(out, at, static_cast<uint16_t>(v >> 16));
  put16(out, at + 2, static_cast<uint16_t>(v));
}

uint16_t get16(std::span<const uint8_t> in, size_t at) {
  return static_cast<uint16_t>((in[at] << 8) | in[at + 1]);
}

uint32_t get32(std::span<const uint8_t> in, size_t at) {
  return (uint32_t{get16(in, at)} << 16) | get16(in, at + 2);
}

uint32_t sum16(std::span<const uint8_t> data, uint32_t sum = 0) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += get16(data, i);
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// --- the requests we send ---------------------------------------------------

struct RequestSpec {
  Mac mac;
  uint32_t xid = 0;
  bool broadcast = true;
  uint8_t type = kDiscover;
  uint32_t requested = 0;  // REQUEST only, network order as numbers: a.b.c.d = 0xaabbccdd
  uint32_t server_id = 0;
};

// Writes one broadcast DHCP request frame into `out`; returns its length.
size_t build_request(const RequestSpec& s, std::span<uint8_t, kFrameRoom> out) {
  constexpr size_t ip_at = kEthHeader;
  constexpr size_t udp_at = ip_at + kIpHeader;
  constexpr size_t bootp_at = udp_at + kUdpHeader;
  constexpr size_t frame_size = bootp_at + kBootpMinimum;
  std::fill(out.begin(), out.begin() + frame_size, uint8_t{0});

  std::fill(out.begin(), out.begin() + 6, uint8_t{0xff});  // to everyone
  std::copy(s.mac.begin(), s.mac.end(), out.begin() + 6);  // the bridge learns the client
  put16(out, 12, ETH_P_IP);

  std::span<uint8_t> bootp = out.subspan(bootp_at, kBootpMinimum);
  bootp[0] = 1;  // BOOTREQUEST
  bootp[1] = 1;  // Ethernet
  bootp[2] = 6;
  put32(bootp, 4, s.xid);
  put16(bootp, 10, s.broadcast ? kFlagBroadcast : 0);
  std::copy(s.mac.begin(), s.mac.end(), bootp.begin() + 28);  // chaddr
  std::copy(kMagicCookie.begin(), kMagicCookie.end(), bootp.begin() + kBootpFixed);
  size_t o = kBootpFixed + kCookieSize;
  bootp[o++] = kOptMessageType;
  bootp[o++] = 1;
  bootp[o++] = s.type;
  if (s.type == kRequest) {
    bootp[o++] = kOptRequestedAddress;
    bootp[o++] = 4;
    put32(bootp, o, s.requested);
    o += 4;
    bootp[o++] = kOptServerId;
    bootp[o++] = 4;
    put32(bootp, o, s.server_id);
    o += 4;
  }
  bootp[o++] = kOptMaxSize;
  bootp[o++] = 2;
  put16(bootp, o, 1500);
  o += 2;
  // subnet mask, router, DNS server, domain name, lease time
  constexpr std::array<uint8_t, 5> wanted = {1, 3, 6, 15, 51};
  bootp[o++] = kOptParameterList;
  bootp[o++] = static_cast<uint8_t>(wanted.size());
  for (uint8_t code : wanted) bootp[o++] = code;
  bootp[o++] = kOptEnd;  // the rest stays zero: pad

  std::span<uint8_t> ip = out.subspan(ip_at, kIpHeader);
  ip[0] = 0x45;  // IPv4, 20-byte header
  put16(ip, 2, static_cast<uint16_t>(kIpHeader + kUdpHeader + kBootpMinimum));
  ip[8] = 64;  // TTL
  ip[9] = IPPROTO_UDP;
  put32(ip, 16, 0xffffffff);  // from 0.0.0.0 (zero already) to the broadcast address
  put16(ip, 10, fold(sum16(ip)));

  constexpr uint16_t udp_length = kUdpHeader + kBootpMinimum;
  std::span<uint8_t> udp = out.subspan(udp_at, udp_length);
  put16(udp, 0, kClientPort);
  put16(udp, 2, kServerPort);
  put16(udp, 4, udp_length);
  // RFC 768 pseudo header: source 0, destination 255.255.255.255, protocol, length.
  const uint32_t pseudo = 0xffff + 0xffff + IPPROTO_UDP + udp_length;
  uint16_t checksum = fold(sum16(udp, pseudo));
  put16(udp, 6, checksum == 0 ? 0xffff : checksum);
  return frame_size;
}

// --- the replies we read ----------------------------------------------------

struct Reply {
  uint32_t xid = 0;
  Mac chaddr{};
  uint32_t yiaddr = 0;
  uint8_t type = 0;
  uint32_t server_id = 0;  // 0: no option 54
};

// The DHCP reply in an Ethernet frame, or nothing when the frame is not an
// unfragmented IPv4/UDP datagram to port 68 holding a well-formed BOOTREPLY.
// Every read is checked against the lengths the frame itself can hold.
std::optional<Reply> parse_reply(std::span<const uint8_t> frame) {
  if (frame.size() < kEthHeader + kIpHeader) return std::nullopt;
  if (get16(frame, 12) != ETH_P_IP) return std::nullopt;
  std::span<const uint8_t> ip = frame.subspan(kEthHeader);
  const size_t ip_header = size_t{ip[0] & 0x0fu} * 4;
  if ((ip[0] >> 4) != 4 || ip_header < kIpHeader || ip_header > ip.size()) return std::nullopt;
  const size_t ip_total = get16(ip, 2);
  if (ip_total < ip_header || ip_total > ip.size()) return std::nullopt;
  if (ip[9] != IPPROTO_UDP || (get16(ip, 6) & 0x3fff) != 0) return std::nullopt;  // MF or offset
  std::span<const uint8_t> udp = ip.subspan(ip_header, ip_total - ip_header);
  if (udp.size() < kUdpHeader || get16(udp, 2) != kClientPort) return std::nullopt;
  const size_t udp_length = get16(udp, 4);
  if (udp_length < kUdpHeader || udp_length > udp.size()) return std::nullopt;
  std::span<const uint8_t> bootp = udp.subspan(kUdpHeader, udp_length - kUdpHeader);
  if (bootp.size() < kBootpFixed + kCookieSize || bootp[0] != 2 || bootp[1] != 1 || bootp[2] != 6 ||
      !std::equal(kMagicCookie.begin(), kMagicCookie.end(), bootp.begin() + kBootpFixed)) {
    return std::nullopt;
  }
  Reply r;
  r.xid = get32(bootp, 4);
  r.yiaddr = get32(bootp, 16);
  std::copy(bootp.begin() + 28, bootp.begin() + 34, r.chaddr.begin());
  // Options: code, length, value; pad and end have no length (RFC 2132 §3).
  size_t o = kBootpFixed + kCookieSize;
  while (o < bootp.size()) {
    const uint8_t code = bootp[o++];
    if (code == kOptPad) continue;
    if (code == kOptEnd) break;
    if (o >= bootp.size()) return std::nullopt;
    const size_t len = bootp[o++];
    if (len > bootp.size() - o) return std::nullopt;
    if (code == kOptMessageType && len == 1) r.type = bootp[o];
    if (code == kOptServerId && len == 4) r.server_id = get32(bootp, o);
    o += len;
  }
  if (r.type == 0) return std::nullopt;  // BOOTP, not DHCP
  return r;
}

// --- the socket ---------------------------------------------------------------

// Classic BPF: IPv4, UDP, not a fragment, destination port 68. Jumps count
// from the next instruction; every "no" lands on the drop at index 10.
constexpr std::array<sock_filter, 11> kReplyFilter = {{
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                  // 0: ethertype
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),     // 1:   IPv4?
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),                  // 2: protocol
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),  // 3:   UDP?
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),                  // 4: flags + fragment offset
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),      // 5:   a fragment: drop
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),                 // 6: X = IP header length
    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),                  // 7: UDP destination port
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kClientPort, 0, 1),  // 8:   68?
    BPF_STMT(BPF_RET | BPF_K, 0xffff),                       // 9: accept
    BPF_STMT(BPF_RET | BPF_K, 0),                            // 10: drop
}};

// The packet socket on `ifname`, filtered and in promiscuous mode, or -1
// after printing why.
int open_socket(const std::string& ifname) {
  const unsigned ifindex = ::if_nametoindex(ifname.c_str());
  if (ifindex == 0) {
    std::fprintf(stderr, "dhcp_rawload: no interface %s\n", ifname.c_str());
    return -1;
  }
  // Protocol 0: nothing is queued until bind(), after the filter is on.
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("dhcp_rawload: packet socket (are you root?)");
    return -1;
  }
  auto code = kReplyFilter;
  sock_fprog prog{.len = static_cast<unsigned short>(code.size()), .filter = code.data()};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    std::perror("dhcp_rawload: SO_ATTACH_FILTER");
    ::close(fd);
    return -1;
  }
  // A burst of replies must not overflow the queue while we send.
  int buffer = 8 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) < 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  int one = 1;
  ::setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);  // Linux 4.20+
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_IP);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    std::perror("dhcp_rawload: bind");
    ::close(fd);
    return -1;
  }
  // Replies to the simulated clients' MACs (broadcast flag off) are for
  // other hosts as far as the interface is concerned.
  packet_mreq mreq{};
  mreq.mr_ifindex = static_cast<int>(ifindex);
  mreq.mr_type = PACKET_MR_PROMISC;
  if (::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) {
    std::perror("dhcp_rawload: PACKET_MR_PROMISC");
    ::close(fd);
    return -1;
  }
  return fd;
}

// --- the run ------------------------------------------------------------------

struct Options {
  std::string ifname;
  uint32_t rate = 2000;
  uint32_t seconds = 10;
  uint32_t clients = 3000;
  uint32_t drop_ms = 1000;
  bool broadcast = true;
};

enum class State : uint8_t { free, discovering, requesting, bound, nak, dropped };

struct Exchange {
  uint32_t seq = 0;
  uint32_t client = 0;
  State state = State::free;
  int64_t discover_ns = 0;
  int64_t request_ns = 0;
};

// Latencies in 10 us buckets up to the drop time: bounded memory at any run length.
class Latency {
 public:
  explicit Latency(uint32_t drop_ms)
      : buckets_(static_cast<size_t>(int64_t{drop_ms} * 1000000 / kHistogramStepNs) + 1) {}

  void add(int64_t ns) {
    ns = std::max<int64_t>(ns, 0);
    ++count_;
    sum_ns_ += ns;
    max_ns_ = std::max(max_ns_, ns);
    const auto at = static_cast<size_t>(ns / kHistogramStepNs);
    ++buckets_[std::min(at, buckets_.size() - 1)];
  }
  uint64_t count() const { return count_; }
  double avg_ms() const { return count_ ? static_cast<double>(sum_ns_) / count_ / 1e6 : 0.0; }
  double max_ms() const { return static_cast<double>(max_ns_) / 1e6; }
  double quantile_ms(double q) const {
    if (count_ == 0) return 0.0;
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) return static_cast<double>((i + 1) * kHistogramStepNs) / 1e6;
    }
    return max_ms();
  }

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t sum_ns_ = 0;
  int64_t max_ns_ = 0;
};

struct Counters {
  uint64_t discovers = 0, offers = 0, requests = 0, acks = 0, naks = 0;
  uint64_t do_drops = 0, ra_drops = 0;
  uint64_t late = 0;       // replies to exchanges already dropped, done, or reused
  uint64_t foreign = 0;    // frames to port 68 that are not replies to us
  uint64_t malformed = 0;  // frames the parser refused
  uint64_t send_errors = 0;
  uint64_t slot_reuse = 0;  // open exchanges overwritten by a new one (counted as drops)
};

class Load {
 public:
  // The ring holds every exchange that can still be open: one may wait a
  // drop time for its OFFER and another for its ACK. A slot reused while
  // open anyway counts as a drop.
  Load(const Options& o, int fd)
      : o_(o),
        fd_(fd),
        ring_(size_t{o.rate} * (2 * o.drop_ms + 1000) / 1000 + kBatch),
        do_(o.drop_ms),
        ra_(o.drop_ms) {
    // A different xid space each run, so a late reply of an earlier run
    // does not match.
    xid_base_ = static_cast<uint32_t>(now_ns() / 1000) * 2654435761u;
  }

  int run();
  void report() const;

 private:
  void send_discovers(uint64_t upto, int64_t now);
  void receive(int64_t now);
  void expire(int64_t now);
  void flush(int64_t now);
  Exchange* lookup(const Reply& r);

  const Options o_;
  int fd_;
  uint32_t xid_base_ = 0;
  std::vector<Exchange> ring_;
  std::deque<uint32_t> discovering_;  // seq, in DISCOVER order = time order
  std::deque<uint32_t> requesting_;   // seq, in REQUEST order = time order
  uint64_t started_ = 0;              // exchanges begun (DISCOVERs sent)
  Counters c_;
  Latency do_, ra_;
  int64_t start_ns_ = 0, end_ns_ = 0, last_ack_ns_ = 0;

  // Frames waiting for one sendmmsg, and the exchanges they belong to.
  std::array<std::array<uint8_t, kFrameRoom>, kBatch> out_{};
  std::array<iovec, kBatch> out_iov_{};
  std::array<mmsghdr, kBatch> out_msg_{};
  std::array<uint32_t, kBatch> out_seq_{};
  std::array<bool, kBatch> out_is_request_{};
  size_t pending_ = 0;

  std::array<std::array<uint8_t, kFrameRoom>, kBatch> in_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<mmsghdr, kBatch> in_msg_{};
};

void Load::flush(int64_t now) {
  size_t done = 0;
  while (done < pending_) {
    const int n =
        ::sendmmsg(fd_, out_msg_.data() + done, static_cast<unsigned>(pending_ - done), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  for (size_t i = 0; i < pending_; ++i) {
    Exchange& e = ring_[out_seq_[i] % ring_.size()];
    if (i >= done) {  // not sent: the exchange never started
      ++c_.send_errors;
      e.state = State::free;
      continue;
    }
    if (out_is_request_[i]) {
      ++c_.requests;
      e.request_ns = now;
      requesting_.push_back(e.seq);
    } else {
      ++c_.discovers;
      e.discover_ns = now;
      discovering_.push_back(e.seq);
    }
  }
  pending_ = 0;
}

void Load::send_discovers(uint64_t upto, int64_t now) {
  while (started_ < upto) {
    const auto seq = static_cast<uint32_t>(started_++);
    Exchange& e = ring_[seq % ring_.size()];
    if (e.state == State::discovering || e.state == State::requesting) {
      ++c_.slot_reuse;  // cannot happen within the limits, but stay countable
      ++(e.state == State::discovering ? c_.do_drops : c_.ra_drops);
    }
    e = Exchange{.seq = seq,
                 .client = static_cast<uint32_t>(seq % o_.clients),
                 .state = State::discovering,
                 .discover_ns = now,
                 .request_ns = 0};
    RequestSpec spec{.mac = client_mac(e.client),
                     .xid = xid_base_ + seq,
                     .broadcast = o_.broadcast,
                     .type = kDiscover};
    build_request(spec, out_[pending_]);
    out_seq_[pending_] = seq;
    out_is_request_[pending_] = false;
    if (++pending_ == kBatch) flush(now);
  }
  if (pending_ > 0) flush(now);
}

Exchange* Load::lookup(const Reply& r) {
  const uint32_t seq = r.xid - xid_base_;
  if (seq >= started_) return nullptr;
  Exchange& e = ring_[seq % ring_.size()];
  if (e.seq != seq || e.state == State::free || r.chaddr != client_mac(e.client)) return nullptr;
  return &e;
}

void Load::receive(int64_t now) {
  for (;;) {
    for (size_t i = 0; i < kBatch; ++i) {
      in_iov_[i] = iovec{in_[i].data(), in_[i].size()};
      in_msg_[i].msg_hdr = msghdr{};
      in_msg_[i].msg_hdr.msg_iov = &in_iov_[i];
      in_msg_[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd_, in_msg_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (got <= 0) break;
    now = now_ns();
    for (size_t i = 0; i < static_cast<size_t>(got); ++i) {
      const size_t len = std::min<size_t>(in_msg_[i].msg_len, in_[i].size());
      const auto reply = parse_reply(std::span<const uint8_t>(in_[i].data(), len));
      if (!reply) {
        ++c_.malformed;
        continue;
      }
      Exchange* e = lookup(*reply);
      if (e == nullptr) {
        ++c_.foreign;
        continue;
      }
      if (reply->type == kOffer && e->state == State::discovering) {
        ++c_.offers;
        do_.add(now - e->discover_ns);
        e->state = State::requesting;
        RequestSpec spec{.mac = client_mac(e->client),
                         .xid = reply->xid,
                         .broadcast = o_.broadcast,
                         .type = kRequest,
                         .requested = reply->yiaddr,
                         .server_id = reply->server_id};
        build_request(spec, out_[pending_]);
        out_seq_[pending_] = e->seq;
        out_is_request_[pending_] = true;
        if (++pending_ == kBatch) flush(now);
      } else if ((reply->type == kAck || reply->type == kNak) && e->state == State::requesting &&
                 e->request_ns != 0) {
        ++(reply->type == kAck ? c_.acks : c_.naks);
        ra_.add(now - e->request_ns);
        e->state = reply->type == kAck ? State::bound : State::nak;
        last_ack_ns_ = now;
      } else {
        ++c_.late;  // a second OFFER, an answer after the drop time, ...
      }
    }
    if (pending_ > 0) flush(now);
    if (static_cast<size_t>(got) < kBatch) break;
  }
}

void Load::expire(int64_t now) {
  const int64_t drop_ns = int64_t{o_.drop_ms} * 1000000;
  while (!discovering_.empty()) {
    Exchange& e = ring_[discovering_.front() % ring_.size()];
    if (e.seq == discovering_.front() && e.state == State::discovering) {
      if (now - e.discover_ns < drop_ns) break;
      ++c_.do_drops;
      e.state = State::dropped;
    }
    discovering_.pop_front();
  }
  while (!requesting_.empty()) {
    Exchange& e = ring_[requesting_.front() % ring_.size()];
    if (e.seq == requesting_.front() && e.state == State::requesting) {
      if (now - e.request_ns < drop_ns) break;
      ++c_.ra_drops;
      e.state = State::dropped;
    }
    requesting_.pop_front();
  }
}

int Load::run() {
  for (size_t i = 0; i < kBatch; ++i) {
    out_iov_[i] = iovec{out_[i].data(), kEthHeader + kIpHeader + kUdpHeader + kBootpMinimum};
    out_msg_[i].msg_hdr = msghdr{};
    out_msg_[i].msg_hdr.msg_iov = &out_iov_[i];  // to the bound interface: no address
    out_msg_[i].msg_hdr.msg_iovlen = 1;
  }
  const uint64_t total = uint64_t{o_.rate} * o_.seconds;
  start_ns_ = now_ns();
  const int64_t period_ns = int64_t{o_.seconds} * 1000000000;
  // Open exchanges may take a drop time for the OFFER and one for the ACK.
  const int64_t deadline_ns = start_ns_ + period_ns + 2 * int64_t{o_.drop_ms} * 1000000 + 50000000;
  // Sleep at least this long between sends at high rates: a batch per wake-up.
  constexpr int64_t kMinSleepNs = 200000;
  for (;;) {
    int64_t now = now_ns();
    // DISCOVER k (from 0) is due at start + k / rate.
    const auto due = static_cast<uint64_t>(std::min<int64_t>(
        static_cast<int64_t>(total), (now - start_ns_) * int64_t{o_.rate} / 1000000000 + 1));
    if (due > started_) send_discovers(due, now);
    expire(now);
    if (started_ == total && discovering_.empty() && requesting_.empty()) break;
    if (now >= deadline_ns) break;
    int64_t wait_ns = 10000000;  // at most 10 ms, so drops are noticed in time
    if (started_ < total) {
      const int64_t next_ns =
          start_ns_ + static_cast<int64_t>(started_ * 1000000000 / uint64_t{o_.rate});
      wait_ns = std::clamp<int64_t>(next_ns - now, kMinSleepNs, wait_ns);
    }
    pollfd pfd{.fd = fd_, .events = POLLIN, .revents = 0};
    const timespec ts{.tv_sec = 0, .tv_nsec = static_cast<long>(wait_ns)};
    const int ready = ::ppoll(&pfd, 1, &ts, nullptr);
    if (ready < 0 && errno != EINTR) {
      std::perror("dhcp_rawload: ppoll");
      return 1;
    }
    if (ready > 0) receive(now_ns());
  }
  end_ns_ = now_ns();
  // What is still open at the deadline is a drop.
  for (uint32_t seq : discovering_) {
    if (ring_[seq % ring_.size()].seq == seq &&
        ring_[seq % ring_.size()].state == State::discovering)
      ++c_.do_drops;
  }
  for (uint32_t seq : requesting_) {
    if (ring_[seq % ring_.size()].seq == seq &&
        ring_[seq % ring_.size()].state == State::requesting)
      ++c_.ra_drops;
  }
  return 0;
}

void Load::report() const {
  tpacket_stats stats{};
  socklen_t stats_len = sizeof stats;
  if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &stats_len) < 0) stats = {};
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  const double cpu = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
                     static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
  // The rate's time base runs to the last ACK (or the end of the period).
  const int64_t period_end = start_ns_ + int64_t{o_.seconds} * 1000000000;
  const double base_s = static_cast<double>(std::max(period_end, last_ack_ns_) - start_ns_) / 1e9;
  const double dora_per_s = base_s > 0 ? static_cast<double>(c_.acks) / base_s : 0.0;
  const double elapsed_s = static_cast<double>(end_ns_ - start_ns_) / 1e9;

  std::printf("dhcp_rawload on %s: %u/s for %u s, %u clients, %s replies\n", o_.ifname.c_str(),
              o_.rate, o_.seconds, o_.clients, o_.broadcast ? "broadcast" : "unicast");
  std::printf(
      "  DISCOVER-OFFER: sent %llu, received %llu, drops %llu, avg %.3f ms, p99 %.3f ms, "
      "max %.3f ms\n",
      static_cast<unsigned long long>(c_.discovers), static_cast<unsigned long long>(c_.offers),
      static_cast<unsigned long long>(c_.do_drops), do_.avg_ms(), do_.quantile_ms(0.99),
      do_.max_ms());
  std::printf(
      "  REQUEST-ACK:    sent %llu, received %llu (NAK %llu), drops %llu, avg %.3f ms, "
      "p99 %.3f ms, max %.3f ms\n",
      static_cast<unsigned long long>(c_.requests), static_cast<unsigned long long>(c_.acks),
      static_cast<unsigned long long>(c_.naks), static_cast<unsigned long long>(c_.ra_drops),
      ra_.avg_ms(), ra_.quantile_ms(0.99), ra_.max_ms());
  std::printf(
      "  DORA/s %.1f; late %llu, foreign %llu, malformed %llu, send errors %llu, "
      "socket drops %u; own CPU %.2f s over %.2f s\n",
      dora_per_s, static_cast<unsigned long long>(c_.late),
      static_cast<unsigned long long>(c_.foreign), static_cast<unsigned long long>(c_.malformed),
      static_cast<unsigned long long>(c_.send_errors), stats.tp_drops, cpu, elapsed_s);
  std::printf(
      "{\"interface\":\"%s\",\"rate\":%u,\"seconds\":%u,\"clients\":%u,\"broadcast\":%s,"
      "\"drop_ms\":%u,\"discover_sent\":%llu,\"offer_received\":%llu,\"request_sent\":%llu,"
      "\"ack_received\":%llu,\"nak_received\":%llu,\"do_drops\":%llu,\"ra_drops\":%llu,"
      "\"late\":%llu,\"foreign\":%llu,\"malformed\":%llu,\"send_errors\":%llu,"
      "\"slot_reuse\":%llu,\"socket_drops\":%u,\"dora_per_s\":%.1f,\"elapsed_s\":%.3f,"
      "\"do_avg_ms\":%.3f,\"do_p99_ms\":%.3f,\"do_max_ms\":%.3f,"
      "\"ra_avg_ms\":%.3f,\"ra_p99_ms\":%.3f,\"ra_max_ms\":%.3f,\"cpu_s\":%.3f}\n",
      o_.ifname.c_str(), o_.rate, o_.seconds, o_.clients, o_.broadcast ? "true" : "false",
      o_.drop_ms, static_cast<unsigned long long>(c_.discovers),
      static_cast<unsigned long long>(c_.offers), static_cast<unsigned long long>(c_.requests),
      static_cast<unsigned long long>(c_.acks), static_cast<unsigned long long>(c_.naks),
      static_cast<unsigned long long>(c_.do_drops), static_cast<unsigned long long>(c_.ra_drops),
      static_cast<unsigned long long>(c_.late), static_cast<unsigned long long>(c_.foreign),
      static_cast<unsigned long long>(c_.malformed),
      static_cast<unsigned long long>(c_.send_errors),
      static_cast<unsigned long long>(c_.slot_reuse), stats.tp_drops, dora_per_s, elapsed_s,
      do_.avg_ms(), do_.quantile_ms(0.99), do_.max_ms(), ra_.avg_ms(), ra_.quantile_ms(0.99),
      ra_.max_ms(), cpu);
  std::fflush(stdout);
}

// --- the command line ---------------------------------------------------------

bool parse_number(std::string_view text, uint32_t min, uint32_t max, uint32_t& out) {
  uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}

constexpr const char* kUsage =
    "usage: dhcp_rawload -i IFNAME [-r RATE] [-s SECONDS] [-c CLIENTS] [--unicast] "
    "[--drop-ms MS]\n"
    "  -i, --interface IFNAME  where to send (a veth into the server's bridge)\n"
    "  -r, --rate RATE         DISCOVERs per second, 1..50000 (default 2000)\n"
    "  -s, --seconds SECONDS   sending period, 1..120 (default 10)\n"
    "  -c, --clients CLIENTS   distinct MACs, used in turn, 1..1000000 (default 3000)\n"
    "  --unicast               broadcast flag off: the server answers at L2 to the MAC\n"
    "  --drop-ms MS            an unanswered request is a drop after MS, 1..10000 (default "
    "1000)\n";

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--unicast") {
      o.broadcast = false;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "dhcp_rawload: %s needs a value\n%s", argv[i], kUsage);
      return std::nullopt;
    }
    const std::string_view value(argv[++i]);
    bool ok = true;
    if (arg == "-i" || arg == "--interface") {
      ok = !value.empty() && value.size() < IFNAMSIZ;
      o.ifname = value;
    } else if (arg == "-r" || arg == "--rate") {
      ok = parse_number(value, 1, kMaxRate, o.rate);
    } else if (arg == "-s" || arg == "--seconds") {
      ok = parse_number(value, 1, kMaxSeconds, o.seconds);
    } else if (arg == "-c" || arg == "--clients") {
      ok = parse_number(value, 1, kMaxClients, o.clients);
    } else if (arg == "--drop-ms") {
      ok = parse_number(value, 1, kMaxDropMs, o.drop_ms);
    } else {
      std::fprintf(stderr, "dhcp_rawload: unknown option %s\n%s", argv[i - 1], kUsage);
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "dhcp_rawload: bad value for %s: %s (limits: rate %u, seconds %u, "
                   "clients %u, drop-ms %u)\n",
                   argv[i - 1], argv[i], kMaxRate, kMaxSeconds, kMaxClients, kMaxDropMs);
      return std::nullopt;
    }
  }
  if (o.ifname.empty()) {
    std::fprintf(stderr, "dhcp_rawload: -i IFNAME is required\n%s", kUsage);
    return std::nullopt;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  if (!options) return 2;
  const int fd = open_socket(options->ifname);
  if (fd < 0) return 1;
  static Load load(*options, fd);  // large buffers: not on the stack
  const int status = load.run();
  load.report();
  ::close(fd);
  return status;
}
