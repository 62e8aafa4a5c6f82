#include "dns/forwarding.hpp"

#include <arpa/inet.h>

#include <array>
#include <string>

#include "dns/cache.hpp"

namespace berth::dns {
namespace {

constexpr uint16_t kFlagsRecursionDesired = 0x0100;
constexpr uint32_t kDnssecOkBit = 0x8000;
constexpr size_t kOptSize = 11;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The next blank-separated word of `line`, removed from it.
std::string_view next_word(std::string_view& line) {
  size_t start = 0;
  while (start < line.size() && is_blank(line[start])) ++start;
  size_t end = start;
  while (end < line.size() && !is_blank(line[end])) ++end;
  const std::string_view word = line.substr(start, end - start);
  line.remove_prefix(end);
  return word;
}

void write_opt(ByteWriter& w, uint8_t extended_rcode, bool dnssec_ok) {
  w.u8(0);  // root owner
  w.u16(dns::type::OPT);
  w.u16(kEdnsUdpSize);
  w.u32(static_cast<uint32_t>(extended_rcode) << 24 | (dnssec_ok ? kDnssecOkBit : 0));
  w.u16(0);
}

}  // namespace

std::vector<uint8_t> make_upstream_query(uint16_t id, const dns::Name& qname, uint16_t qtype,
                                         uint16_t qclass, bool dnssec_ok) {
  std::vector<uint8_t> packet(dns::kHeaderSize + qname.wire_size() + 4 + kOptSize);
  ByteWriter w(packet);
  w.u16(id);
  w.u16(kFlagsRecursionDesired);
  w.u16(1);  // qdcount
  w.u16(0);  // ancount
  w.u16(0);  // nscount
  w.u16(1);  // arcount: the OPT record
  w.bytes(qname.wire());
  w.u16(qtype);
  w.u16(qclass);
  write_opt(w, /*extended_rcode=*/0, dnssec_ok);
  return packet;
}

bool answers_query(ByteView response, uint16_t id, const dns::Name& qname, uint16_t qtype,
                   uint16_t qclass) {
  auto h = dns::parse_header(response);
  if (!h || !h->qr || h->id != id || h->opcode != dns::opcode::QUERY || h->qdcount != 1) {
    return false;
  }
  // The question at offset 12 can never be compressed (a pointer there could
  // only point into the header), so the names compare byte by byte. Length
  // bytes are below 'A', so comparing them lowercased compares them exactly.
  const ByteView want = qname.wire();
  if (response.size() - dns::kHeaderSize < want.size() + 4) return false;
  const uint8_t* got = response.data() + dns::kHeaderSize;
  for (size_t i = 0; i < want.size(); ++i) {
    if (dns::ascii_lower(got[i]) != dns::ascii_lower(want[i])) return false;
  }
  ByteReader r(response.subspan(dns::kHeaderSize + want.size(), 4));
  uint16_t type = 0;
  uint16_t klass = 0;
  return r.u16(type) && r.u16(klass) && type == qtype && klass == qclass;
}

std::optional<size_t> response_for_client(ByteView upstream_response, const dns::Query& q,
                                          ByteView query_packet, MutableByteView out,
                                          size_t limit) {
  auto prepared = prepare_response(upstream_response, kDefaultMaxCacheTtl);
  if (!prepared) return std::nullopt;
  return write_client_reply(*prepared, /*age_seconds=*/0, q, query_packet, out, limit);
}

size_t error_reply(const dns::Query& q, ByteView query_packet, uint8_t rcode, MutableByteView out) {
  const bool has_question =
      q.question_end > dns::kHeaderSize && q.question_end <= query_packet.size();
  const ByteView question =
      has_question ? query_packet.subspan(dns::kHeaderSize, q.question_end - dns::kHeaderSize)
                   : ByteView();
  const size_t size = dns::kHeaderSize + question.size() + (q.edns ? kOptSize : 0);
  if (size > out.size()) return 0;

  const dns::Header& qh = q.header;
  ByteWriter w(out);
  w.u16(qh.id);
  w.u8(static_cast<uint8_t>(0x80 | (qh.opcode & 0x0F) << 3 | (qh.rd ? 0x01 : 0)));
  // RA, CD copied (RFC 4035 3.2.2), the low 4 bits of the rcode.
  w.u8(static_cast<uint8_t>(0x80 | (qh.cd ? 0x10 : 0) | (rcode & 0x0F)));
  w.u16(has_question ? 1 : 0);
  w.u16(0);
  w.u16(0);
  w.u16(q.edns ? 1 : 0);
  w.bytes(question);
  if (q.edns) write_opt(w, static_cast<uint8_t>(rcode >> 4), q.edns->dnssec_ok);
  return w.size();
}

std::vector<config::Upstream> parse_resolv_conf(std::string_view text) {
  std::vector<config::Upstream> out;
  while (!text.empty() && out.size() < kMaxResolvConfNameservers) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (const size_t comment = line.find_first_of("#;"); comment != std::string_view::npos) {
      line = line.substr(0, comment);
    }
    if (next_word(line) != "nameserver") continue;
    std::string_view address = next_word(line);
    // A link-local IPv6 address may carry its interface ("fe80::1%eth0").
    const size_t scope = address.find('%');
    const bool scoped = scope != std::string_view::npos;
    if (scoped) address = address.substr(0, scope);
    if (address.empty() || address.size() >= INET6_ADDRSTRLEN) continue;
    const std::string text_address(address);
    std::array<unsigned char, 16> buf{};
    config::Upstream u;
    if (!scoped && inet_pton(AF_INET, text_address.c_str(), buf.data()) == 1) {
      u.ipv6 = false;
    } else if (inet_pton(AF_INET6, text_address.c_str(), buf.data()) == 1) {
      u.ipv6 = true;
    } else {
      continue;
    }
    u.address = text_address;
    u.port = 53;
    out.push_back(std::move(u));
  }
  return out;
}

const std::vector<config::Upstream>& upstreams_for(
    const dns::Name& qname, const std::vector<config::DomainUpstreams>& servers,
    const std::vector<config::Upstream>& defaults) {
  const std::vector<config::Upstream>* best = &defaults;
  std::optional<size_t> best_labels;
  for (const config::DomainUpstreams& server : servers) {
    auto zone = dns::Name::from_text(server.domain);
    if (!zone || !qname.is_subdomain_ci(*zone)) continue;
    const size_t labels = zone->label_count();
    if (!best_labels || labels > *best_labels) {
      best = &server.upstreams;
      best_labels = labels;
    }
  }
  return *best;
}

}  // namespace berth::dns
