// Parsing DNS messages: the one-pass query parser of the server's hot path
// and the full parser for upstream answers.
#include "protocol/dns/message.hpp"

#include <array>
#include <cstring>

#include "protocol/dns/wire.hpp"

namespace berth::dns {
namespace {

using wire::kDnssecOkBit;
using wire::kLabelTypeMask;
using wire::kPointer;
using wire::u16_at;
using wire::u32_at;
using wire::valid_options;

// Each jump lands strictly before the previous one, so loops cannot happen;
// this bounds the work a crafted chain of pointers can cause anyway. A name
// has at most 127 labels, so no honest name needs more jumps.
constexpr size_t kMaxPointerJumps = 127;
constexpr size_t kMinQuestionSize = 5;
constexpr size_t kMinRecordSize = 11;
constexpr size_t kSoaFixedTail = 20;

using NameBuffer = std::array<uint8_t, kMaxNameWire>;

struct WireName {
  NameBuffer buf;  // not zeroed: only the first `len` bytes are ever read
  size_t len = 0;
  ByteView view() const { return {buf.data(), len}; }
};

// Reads the possibly compressed name that starts at `start` in `packet` and
// returns the offset just past it in the packet (past the first pointer, if
// any). A pointer must land at or after the header and strictly before the
// start of the run of labels that contains it, so each jump goes further back
// (no loops), and the uncompressed result must fit in 255 bytes.
Result<size_t> read_name(ByteView packet, size_t start, WireName& out) {
  size_t pos = start;
  size_t run_start = start;
  size_t end = 0;  // set at the first pointer
  size_t jumps = 0;
  out.len = 0;
  while (true) {
    if (pos >= packet.size()) return make_error(Errc::truncated, "name past end");
    const uint8_t c = packet[pos];
    if (c == 0) {
      if (out.len + 1 > kMaxNameWire) return make_error(Errc::malformed, "name over 255 bytes");
      out.buf[out.len++] = 0;
      return end != 0 ? end : pos + 1;
    }
    switch (c & kLabelTypeMask) {
      case kPointer: {
        if (pos + 1 >= packet.size()) return make_error(Errc::truncated, "pointer past end");
        const size_t target = static_cast<size_t>(c & 0x3F) << 8 | packet[pos + 1];
        if (target < kHeaderSize || target >= run_start) {
          return make_error(Errc::malformed, "compression pointer not strictly backwards");
        }
        if (++jumps > kMaxPointerJumps) {
          return make_error(Errc::malformed, "too many compression pointers");
        }
        if (end == 0) end = pos + 2;
        pos = run_start = target;
        break;
      }
      case 0x00: {
        const size_t len = c;
        if (len + 1 > packet.size() - pos) return make_error(Errc::truncated, "label past end");
        // +1 for the root label still to come.
        if (out.len + 1 + len + 1 > kMaxNameWire) {
          return make_error(Errc::malformed, "name over 255 bytes");
        }
        std::memcpy(out.buf.data() + out.len, packet.data() + pos, len + 1);
        out.len += len + 1;
        pos += len + 1;
        break;
      }
      default:  // 0x40 extended (RFC 6891 deprecates them) and 0x80 reserved
        return make_error(Errc::malformed, "unsupported label type");
    }
  }
}

Result<size_t> read_name(ByteView packet, size_t start, Name& out) {
  WireName w;
  auto end = read_name(packet, start, w);
  if (!end) return end;
  // read_name only produces valid names, so this cannot fail.
  auto name = Name::from_wire(w.view());
  if (!name) return name.error();
  out = *name;
  return end;
}

Header read_header(ByteView p) {
  Header h;
  h.id = static_cast<uint16_t>(p[0] << 8 | p[1]);
  const uint8_t f1 = p[2];
  const uint8_t f2 = p[3];
  h.qr = (f1 & 0x80) != 0;
  h.opcode = static_cast<uint8_t>(f1 >> 3 & 0x0F);
  h.aa = (f1 & 0x04) != 0;
  h.tc = (f1 & 0x02) != 0;
  h.rd = (f1 & 0x01) != 0;
  h.ra = (f2 & 0x80) != 0;
  h.ad = (f2 & 0x20) != 0;
  h.cd = (f2 & 0x10) != 0;
  h.rcode = f2 & 0x0F;
  h.qdcount = static_cast<uint16_t>(p[4] << 8 | p[5]);
  h.ancount = static_cast<uint16_t>(p[6] << 8 | p[7]);
  h.nscount = static_cast<uint16_t>(p[8] << 8 | p[9]);
  h.arcount = static_cast<uint16_t>(p[10] << 8 | p[11]);
  return h;
}

// The fixed part of a resource record after its owner name.
struct RecordHead {
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  size_t rdata = 0;  // offset of the rdata
  size_t rdlength = 0;
};

// Reads type, class, ttl and rdlength at `pos` and checks the rdata fits.
Result<RecordHead> read_record_head(ByteView p, size_t pos) {
  if (p.size() - pos < 10) return make_error(Errc::truncated, "record header past end");
  RecordHead h;
  h.type = u16_at(p, pos);
  h.klass = u16_at(p, pos + 2);
  h.ttl = u32_at(p, pos + 4);
  h.rdlength = u16_at(p, pos + 8);
  h.rdata = pos + 10;
  if (h.rdlength > p.size() - h.rdata) return make_error(Errc::truncated, "rdata past end");
  return h;
}

// RFC 6891 6.1.3: class is the UDP payload size, ttl is extended rcode,
// version, the DO bit and zeros (other Z bits are ignored).
Result<Edns> read_opt(const RecordHead& h, ByteView p) {
  const ByteView opts = p.subspan(h.rdata, h.rdlength);
  if (!valid_options(opts)) return make_error(Errc::malformed, "OPT options do not fill rdata");
  Edns e;
  e.udp_size = h.klass;
  e.extended_rcode = static_cast<uint8_t>(h.ttl >> 24);
  e.version = static_cast<uint8_t>(h.ttl >> 16);
  e.dnssec_ok = (h.ttl & kDnssecOkBit) != 0;
  if (!opts.empty()) e.options.assign(opts.begin(), opts.end());
  return e;
}

// A name in rdata at `start` that must end exactly at `end`.
Result<Name> read_rdata_name(ByteView p, size_t start, size_t end) {
  Name n;
  if (start >= end) return make_error(Errc::malformed, "rdata too short for a name");
  auto after = read_name(p, start, n);
  if (!after) return after.error();
  if (*after != end) return make_error(Errc::malformed, "rdata length disagrees with its name");
  return n;
}

Result<Rdata> read_rdata(ByteView p, const RecordHead& h) {
  const size_t start = h.rdata;
  const size_t end = h.rdata + h.rdlength;
  const ByteView raw = p.subspan(start, h.rdlength);
  switch (h.type) {
    case type::A:
      // A and AAAA have this shape in class IN only (RFC 1035 3.4.1).
      if (h.klass == klass::IN && h.rdlength != 4) {
        return make_error(Errc::malformed, "A rdata not 4 bytes");
      }
      break;
    case type::AAAA:
      if (h.klass == klass::IN && h.rdlength != 16) {
        return make_error(Errc::malformed, "AAAA rdata not 16 bytes");
      }
      break;
    case type::NS:
    case type::CNAME:
    case type::PTR: {
      auto n = read_rdata_name(p, start, end);
      if (!n) return n.error();
      return Rdata(std::move(*n));
    }
    case type::SOA: {
      Soa soa;
      auto after = read_name(p, start, soa.mname);
      if (!after) return after.error();
      if (*after >= end) return make_error(Errc::malformed, "SOA rdata too short");
      after = read_name(p, *after, soa.rname);
      if (!after) return after.error();
      if (*after > end || end - *after != kSoaFixedTail) {
        return make_error(Errc::malformed, "SOA rdata length disagrees with its fields");
      }
      soa.serial = u32_at(p, *after);
      soa.refresh = u32_at(p, *after + 4);
      soa.retry = u32_at(p, *after + 8);
      soa.expire = u32_at(p, *after + 12);
      soa.minimum = u32_at(p, *after + 16);
      return Rdata(std::move(soa));
    }
    case type::MX: {
      if (h.rdlength < 3) return make_error(Errc::malformed, "MX rdata too short");
      Mx mx;
      mx.preference = u16_at(p, start);
      auto n = read_rdata_name(p, start + 2, end);
      if (!n) return n.error();
      mx.exchange = *n;
      return Rdata(std::move(mx));
    }
    case type::SRV: {
      if (h.rdlength < 7) return make_error(Errc::malformed, "SRV rdata too short");
      Srv srv;
      srv.priority = u16_at(p, start);
      srv.weight = u16_at(p, start + 2);
      srv.port = u16_at(p, start + 4);
      auto n = read_rdata_name(p, start + 6, end);
      if (!n) return n.error();
      srv.target = *n;
      return Rdata(std::move(srv));
    }
    case type::TXT: {
      size_t pos = 0;
      while (pos < raw.size()) pos += 1 + raw[pos];
      if (pos != raw.size()) return make_error(Errc::malformed, "TXT strings do not fill rdata");
      break;
    }
    default:
      break;
  }
  return Rdata(RawRdata(raw.begin(), raw.end()));
}

}  // namespace

Result<Header> parse_header(ByteView packet) {
  if (packet.size() < kHeaderSize) return make_error(Errc::truncated, "header past end");
  return read_header(packet);
}

std::variant<Query, QueryError> parse_query(ByteView packet) {
  if (packet.size() < kHeaderSize) {
    return QueryError{make_error(Errc::truncated, "header past end"), std::nullopt};
  }
  Query q;
  q.header = read_header(packet);
  const Header& h = q.header;
  auto formerr = [&](Error e) { return QueryError{e, h, rcode::FORMERR}; };
  if (h.qr) return formerr(make_error(Errc::malformed, "QR set in a query"));
  const bool standard = h.opcode == opcode::QUERY;
  if (standard ? h.qdcount != 1 : h.qdcount > 1) {
    return formerr(make_error(Errc::malformed, "question count"));
  }
  // Other opcodes (NOTIFY, UPDATE) may carry records in these sections; they
  // are skipped so their OPT can still be found for the NOTIMP reply.
  if (standard && (h.ancount != 0 || h.nscount != 0)) {
    return formerr(make_error(Errc::malformed, "answer or authority records in a query"));
  }

  size_t pos = kHeaderSize;
  if (h.qdcount == 1) {
    auto end = read_name(packet, pos, q.qname);
    if (!end) return formerr(end.error());
    pos = *end;
    if (packet.size() - pos < 4) return formerr(make_error(Errc::truncated, "question past end"));
    q.qtype = u16_at(packet, pos);
    q.qclass = u16_at(packet, pos + 2);
    pos += 4;
  }
  q.question_end = pos;

  const size_t records = size_t{h.ancount} + h.nscount + h.arcount;
  WireName owner;
  for (size_t i = 0; i < records; ++i) {
    auto end = read_name(packet, pos, owner);
    if (!end) return formerr(end.error());
    auto head = read_record_head(packet, *end);
    if (!head) return formerr(head.error());
    pos = head->rdata + head->rdlength;
    const bool additional = i >= size_t{h.ancount} + h.nscount;
    if (head->type != type::OPT) continue;  // TSIG and others: skipped
    if (!additional) return formerr(make_error(Errc::malformed, "OPT outside additional section"));
    if (q.edns) return formerr(make_error(Errc::malformed, "second OPT record"));
    if (owner.len != 1) return formerr(make_error(Errc::malformed, "OPT owner not root"));
    auto edns = read_opt(*head, packet);
    if (!edns) return formerr(edns.error());
    q.edns = std::move(*edns);
  }
  if (pos != packet.size()) {
    return formerr(make_error(Errc::malformed, "trailing bytes after the last record"));
  }
  return q;
}

Result<Message> parse_message(ByteView packet) {
  if (packet.size() < kHeaderSize) return make_error(Errc::truncated, "header past end");
  Message m;
  m.header = read_header(packet);
  const Header& h = m.header;
  // Every question and record takes a few bytes at least: refuse counts
  // that cannot fit before reserving room for them.
  const size_t records = size_t{h.ancount} + h.nscount + h.arcount;
  if (h.qdcount * kMinQuestionSize + records * kMinRecordSize > packet.size() - kHeaderSize) {
    return make_error(Errc::truncated, "counts run past the end");
  }

  size_t pos = kHeaderSize;
  m.questions.reserve(h.qdcount);
  for (size_t i = 0; i < h.qdcount; ++i) {
    Question q;
    auto end = read_name(packet, pos, q.name);
    if (!end) return end.error();
    pos = *end;
    if (packet.size() - pos < 4) return make_error(Errc::truncated, "question past end");
    q.type = u16_at(packet, pos);
    q.klass = u16_at(packet, pos + 2);
    pos += 4;
    m.questions.push_back(q);
  }

  m.answers.reserve(h.ancount);
  m.authority.reserve(h.nscount);
  m.additional.reserve(h.arcount);
  for (size_t i = 0; i < records; ++i) {
    std::vector<Record>& section = i < h.ancount                       ? m.answers
                                   : i < size_t{h.ancount} + h.nscount ? m.authority
                                                                       : m.additional;
    Record r;
    auto end = read_name(packet, pos, r.name);
    if (!end) return end.error();
    auto head = read_record_head(packet, *end);
    if (!head) return head.error();
    pos = head->rdata + head->rdlength;
    if (head->type == type::OPT) {
      if (&section != &m.additional) {
        return make_error(Errc::malformed, "OPT outside additional section");
      }
      if (m.edns) return make_error(Errc::malformed, "second OPT record");
      if (!r.name.is_root()) return make_error(Errc::malformed, "OPT owner not root");
      auto edns = read_opt(*head, packet);
      if (!edns) return edns.error();
      m.edns = std::move(*edns);
      continue;
    }
    r.type = head->type;
    r.klass = head->klass;
    r.ttl = head->ttl;
    auto rdata = read_rdata(packet, *head);
    if (!rdata) return rdata.error();
    r.rdata = std::move(*rdata);
    section.push_back(std::move(r));
  }
  if (pos != packet.size()) {
    return make_error(Errc::malformed, "trailing bytes after the last record");
  }
  return m;
}

}  // namespace berth::dns
