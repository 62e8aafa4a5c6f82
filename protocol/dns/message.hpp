// DNS messages (RFC 1035, RFC 2308, RFC 6891): a one-pass query parser for
// the server's hot path and a full message parser for upstream answers
// (parse.cpp), an encoder with name compression and truncation (encode.cpp),
// and the records and messages they work on (message.cpp). Names are in
// name.hpp. Pure codecs: no I/O, no logging, no exceptions; failures come
// back as Result errors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/dns/name.hpp"
#include "protocol/result.hpp"

namespace berth::dns {

// Record types berth knows by name; any other value is carried as raw rdata.
namespace type {
constexpr uint16_t A = 1;
constexpr uint16_t NS = 2;
constexpr uint16_t CNAME = 5;
constexpr uint16_t SOA = 6;
constexpr uint16_t PTR = 12;
constexpr uint16_t MX = 15;
constexpr uint16_t TXT = 16;
constexpr uint16_t AAAA = 28;
constexpr uint16_t SRV = 33;
constexpr uint16_t OPT = 41;
constexpr uint16_t ANY = 255;
}  // namespace type

namespace klass {
constexpr uint16_t IN = 1;
constexpr uint16_t CH = 3;
constexpr uint16_t ANY = 255;
}  // namespace klass

namespace rcode {
constexpr uint8_t NOERROR = 0;
constexpr uint8_t FORMERR = 1;
constexpr uint8_t SERVFAIL = 2;
constexpr uint8_t NXDOMAIN = 3;
constexpr uint8_t NOTIMP = 4;
constexpr uint8_t REFUSED = 5;
}  // namespace rcode

namespace opcode {
constexpr uint8_t QUERY = 0;
}

constexpr size_t kPlainUdpLimit = 512;  // without EDNS
constexpr size_t kHeaderSize = 12;

struct Header {
  uint16_t id = 0;
  bool qr = false;
  uint8_t opcode = 0;  // 4 bits
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  uint8_t rcode = 0;  // low 4 bits; the upper 8 bits of an extended rcode live in the OPT record
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;  // as read, or as written
};

// Reads the fixed 12-byte header; no other checks.
Result<Header> parse_header(ByteView packet);

struct Edns {
  uint16_t udp_size = 1232;  // the sender's maximum UDP payload (values < 512 mean 512)
  uint8_t extended_rcode = 0;
  uint8_t version = 0;
  bool dnssec_ok = false;
  std::vector<uint8_t> options;  // raw option TLVs, as read
};

// What a server needs from a query, parsed in one pass without allocating
// (unless the OPT record carries options).
struct Query {
  Header header;
  Name qname;  // case as sent
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  std::optional<Edns> edns;
  size_t question_end = 0;  // offset just past the question, for echoing it verbatim
};

// Why a query could not be parsed, for the reply's rcode: FORMERR when the
// header was readable (so a reply can carry its id), else drop.
struct QueryError {
  Error error;
  std::optional<Header> header;  // present when the 12-byte header was readable
  uint8_t rcode = rcode::FORMERR;
};

// Parses a query: QR must be 0 and QDCOUNT 1 (else FORMERR); answer and
// authority counts must be 0; the additional section may hold one OPT record
// (a second OPT, or an OPT with a non-root owner, is FORMERR; an OPT version
// other than 0 is BADVERS which callers answer as rcode 16 via Edns). Other
// additional records (TSIG, cookies as options) are skipped, not refused.
// Opcodes other than QUERY are parsed (question may be absent) and callers
// answer NOTIMP: for them QDCOUNT 0 is allowed.
std::variant<Query, QueryError> parse_query(ByteView packet);

// Record data. Names inside rdata (CNAME, PTR, NS, SOA, MX, SRV targets) are
// decompressed on parse so a record can be re-encoded anywhere.
struct Soa {
  Name mname;
  Name rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  bool operator==(const Soa&) const = default;
};
struct Srv {
  uint16_t priority = 0, weight = 0, port = 0;
  Name target;
  bool operator==(const Srv&) const = default;
};
struct Mx {
  uint16_t preference = 0;
  Name exchange;
  bool operator==(const Mx&) const = default;
};
// A, AAAA, TXT and every unknown type: the rdata bytes as they are on the wire.
using RawRdata = std::vector<uint8_t>;
// CNAME, PTR, NS: a single name.
using Rdata = std::variant<RawRdata, Name, Soa, Srv, Mx>;

struct Record {
  Name name;
  uint16_t type = 0;
  uint16_t klass = klass::IN;
  uint32_t ttl = 0;
  Rdata rdata;

  static Record a(const Name& name, uint32_t ttl, Ipv4Address addr);
  static Record ptr(const Name& name, uint32_t ttl, const Name& target);
  static Record cname(const Name& name, uint32_t ttl, const Name& target);
  static Record soa(const Name& zone, uint32_t ttl, const Soa& soa);
  static Record srv(const Name& name, uint32_t ttl, const Srv& srv);
  // Each string becomes one <character-string>; strings over 255 bytes are
  // split into 255-byte pieces.
  static Record txt(const Name& name, uint32_t ttl, const std::vector<std::string>& strings);
};

struct Question {
  Name name;
  uint16_t type = 0;
  uint16_t klass = klass::IN;
};

struct Message {
  Header header;  // counts are ignored on encode; the vectors decide
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authority;
  std::vector<Record> additional;  // never holds the OPT record; see edns
  std::optional<Edns> edns;
};

// Parses any message (query or response). Refuses: truncated input, counts
// that run past the end, labels > 63, names > 255 bytes, compression
// pointers that do not point strictly backwards (so loops are impossible)
// or point into the header, rdata whose length disagrees with its type's
// shape, more than one OPT, trailing bytes after the last record.
Result<Message> parse_message(ByteView packet);

// RFC 1982 style: the lowest TTL of all records in answer+authority, or
// nullopt when there are none.
std::optional<uint32_t> min_ttl(const Message& m);

struct EncodeStats {
  size_t size = 0;
  bool truncated = false;  // TC was set because answer/authority did not fit
};

// Encodes `m` into `out` using at most `limit` bytes (limit <= out.size()),
// compressing names (RFC 1035 4.1.4). If a record of the answer or authority
// section does not fit, that section is cut at the last whole record, the
// following sections are dropped and TC is set; additional records that do
// not fit are dropped without TC (RFC 2181 9). The OPT record (when m.edns)
// always fits: room for it is reserved first. Fails with no_space only when
// the header, question and OPT alone exceed the limit.
Result<EncodeStats> encode_message(const Message& m, MutableByteView out, size_t limit);

// Convenience for tests and cold paths.
Result<std::vector<uint8_t>> encode_message(const Message& m, size_t limit = 65535);

// The reply size a client accepts over UDP: 512 without EDNS, else
// max(512, edns.udp_size), capped at `server_max`.
size_t udp_reply_limit(const std::optional<Edns>& edns, size_t server_max = 1232);

}  // namespace berth::dns
