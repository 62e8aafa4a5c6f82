// The pure parts of berthd's DNS forwarder: the query sent upstream, the
// RFC 5452 checks on what comes back, the rewrite of an upstream response
// for the client, error replies, resolv.conf and per-domain upstreams.
// No sockets here; the DNS server does the I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/values.hpp"
#include "protocol/bytes.hpp"
#include "protocol/dns/message.hpp"

namespace berth::dns {

// glibc reads at most this many nameserver lines (MAXNS).
constexpr size_t kMaxResolvConfNameservers = 3;

// The query berthd sends upstream for a client's question: the given ID,
// RD=1, one question (name as given, type, class), and an OPT record with
// udp size 1232 and DO as given.
std::vector<uint8_t> make_upstream_query(uint16_t id, const dns::Name& qname, uint16_t qtype,
                                         uint16_t qclass, bool dnssec_ok);

// RFC 5452 9.1: whether `response` is the answer to that query: QR=1, same
// ID, opcode QUERY, exactly one question equal to the query's (name
// case-insensitively, type, class). The caller checks source address and port.
bool answers_query(ByteView response, uint16_t id, const dns::Name& qname, uint16_t qtype,
                   uint16_t qclass);

// Rewrites an upstream response for the client exactly as DnsCache::answer
// does for an entry of age 0 (both use write_client_reply). nullopt when the
// response cannot be parsed or prepared, when its question is not the
// client's, or when `limit` cannot hold even header, question and OPT.
std::optional<size_t> response_for_client(ByteView upstream_response, const dns::Query& q,
                                          ByteView query_packet, MutableByteView out, size_t limit);

// An error reply (SERVFAIL, REFUSED, NOTIMP, FORMERR...) to the query: the
// query's ID and opcode, QR=1, RD and CD copied, RA=1, the question copied
// (when the query had one), an OPT record appended when q.edns. An rcode
// above 15 puts its upper bits in the OPT record (RFC 6891 6.1.3); without
// EDNS only its low 4 bits are sent. Returns the size: at most 12 + 259 + 11
// bytes, so it fits in 512 for any query parse_query accepts; 0 when `out` is
// smaller than that reply.
size_t error_reply(const dns::Query& q, ByteView query_packet, uint8_t rcode, MutableByteView out);

// The nameserver lines of a resolv.conf ("nameserver 198.18.1.1"; IPv6 with
// an optional %scope, which is dropped); '#' and ';' start comments; lines
// whose address does not parse are ignored; at most 3, as glibc. Port 53.
std::vector<config::Upstream> parse_resolv_conf(std::string_view text);

// The upstreams for a name: those of the longest [[dns.server]] domain that
// the name equals or is under (case-insensitive, label-wise: "xample.com"
// does not match "example.com"; the first listed wins a tie), else `defaults`.
const std::vector<config::Upstream>& upstreams_for(
    const dns::Name& qname, const std::vector<config::DomainUpstreams>& servers,
    const std::vector<config::Upstream>& defaults);

}  // namespace berth::dns
