// Encoding DNS messages: name compression (RFC 1035 4.1.4) and truncation
// to the reply size the client accepts.
#include "protocol/dns/message.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "protocol/dns/wire.hpp"

namespace berth::dns {
namespace {

using wire::kDnssecOkBit;
using wire::kLabelTypeMask;
using wire::kPointer;
using wire::valid_options;

// A pointer holds a 14-bit offset (RFC 1035 4.1.4).
constexpr size_t kMaxPointerTarget = 0x3FFF;
constexpr size_t kMaxMessageSize = 65535;
constexpr size_t kOptFixedSize = 11;  // root owner, type, class, ttl, rdlength

void write_header(ByteWriter& w, const Header& h, bool tc) {
  const uint8_t f1 = static_cast<uint8_t>((h.qr ? 0x80 : 0) | (h.opcode & 0x0F) << 3 |
                                          (h.aa ? 0x04 : 0) | (tc ? 0x02 : 0) | (h.rd ? 0x01 : 0));
  const uint8_t f2 = static_cast<uint8_t>((h.ra ? 0x80 : 0) | (h.ad ? 0x20 : 0) |
                                          (h.cd ? 0x10 : 0) | (h.rcode & 0x0F));
  w.u16(h.id);
  w.u8(f1);
  w.u8(f2);
  w.zeros(8);  // counts, patched at the end
}

// Names already written to the output, for compression (RFC 1035 4.1.4).
// Each entry is the offset of a label in the output and the uncompressed
// size of the name suffix that starts there. Suffixes match only when their
// bytes are exactly equal, case included: a pointer must reproduce the name
// as given, so a question sent as "WeB.berth" is echoed as such and an answer
// for "web.berth" is not turned into "WeB.berth". Fixed size, so encoding
// never allocates; names past the last entry are simply not compressed.
class CompressionTable {
 public:
  struct Match {
    size_t label_offset;  // in the name being written: where the match starts
    uint16_t target;      // in the output
  };

  explicit CompressionTable(ByteView out) : out_(out) {}

  size_t count() const { return count_; }
  void truncate(size_t n) { count_ = n; }

  void remember(size_t offset, size_t suffix_size) {
    if (count_ == entries_.size() || offset > kMaxPointerTarget) return;
    entries_[count_++] = {static_cast<uint16_t>(offset), static_cast<uint8_t>(suffix_size)};
  }

  // The longest suffix of `wire` (other than the root) already in the output.
  std::optional<Match> find(ByteView wire) const {
    for (size_t off = 0; wire[off] != 0; off += 1 + wire[off]) {
      const size_t suffix_size = wire.size() - off;
      for (size_t i = 0; i < count_; ++i) {
        if (entries_[i].suffix_size != suffix_size) continue;
        if (same_as_output(wire.subspan(off), entries_[i].offset)) {
          return Match{off, entries_[i].offset};
        }
      }
    }
    return std::nullopt;
  }

 private:
  // Whether the (possibly compressed) name written at `at` is `suffix`.
  // Only names this encoder wrote are followed, so pointers are sound.
  bool same_as_output(ByteView suffix, size_t at) const {
    size_t i = 0;
    while (true) {
      const uint8_t c = out_[at];
      if ((c & kLabelTypeMask) == kPointer) {
        at = static_cast<size_t>(c & 0x3F) << 8 | out_[at + 1];
        continue;
      }
      if (c != suffix[i]) return false;
      if (c == 0) return true;
      if (std::memcmp(out_.data() + at + 1, suffix.data() + i + 1, c) != 0) return false;
      at += 1 + c;
      i += 1 + c;
    }
  }

  struct Entry {
    uint16_t offset;
    uint8_t suffix_size;
  };
  ByteView out_;
  std::array<Entry, 64> entries_{};
  size_t count_ = 0;
};

// Writes a run of the message (a question or a record) into out[pos, cap).
// The writer sees only that window; `base` maps its offsets to the message.
struct Section {
  ByteWriter w;
  size_t base;
  size_t offset() const { return base + w.size(); }
};

// Writes `name`, compressed against the table when `compress`; remembers
// every label it writes in full. False when it does not fit.
bool write_name(Section& s, const Name& name, CompressionTable& table, bool compress) {
  const ByteView wire = name.wire();
  std::optional<CompressionTable::Match> match;
  if (compress) match = table.find(wire);
  const size_t stop = match ? match->label_offset : wire.size() - 1;
  for (size_t off = 0; off < stop; off += 1 + wire[off]) {
    const size_t at = s.offset();
    if (!s.w.bytes(wire.subspan(off, 1 + wire[off]))) return false;
    table.remember(at, wire.size() - off);
  }
  if (match) return s.w.u16(static_cast<uint16_t>(0xC000 | match->target));
  return s.w.u8(0);
}

// RFC 3597 4: only the RFC 1035 types may have their rdata names compressed;
// SRV targets must not be (RFC 2782).
bool compressible_rdata(uint16_t t) {
  return t == type::NS || t == type::CNAME || t == type::PTR || t == type::SOA || t == type::MX;
}

// The rdata alternative each known type must use, so the encoder never
// writes something parse_message would refuse.
bool rdata_matches_type(const Record& r) {
  switch (r.type) {
    case type::NS:
    case type::CNAME:
    case type::PTR:
      return std::holds_alternative<Name>(r.rdata);
    case type::SOA:
      return std::holds_alternative<Soa>(r.rdata);
    case type::MX:
      return std::holds_alternative<Mx>(r.rdata);
    case type::SRV:
      return std::holds_alternative<Srv>(r.rdata);
    case type::OPT:
      return false;  // carried by Message::edns only
    default:
      return std::holds_alternative<RawRdata>(r.rdata) &&
             std::get<RawRdata>(r.rdata).size() <= kMaxMessageSize;
  }
}

bool write_record(Section& s, const Record& r, CompressionTable& table) {
  if (!write_name(s, r.name, table, /*compress=*/true)) return false;
  s.w.u16(r.type);
  s.w.u16(r.klass);
  s.w.u32(r.ttl);
  const size_t rdlength_at = s.w.size();
  if (!s.w.u16(0)) return false;
  const bool compress = compressible_rdata(r.type);
  bool ok = true;
  if (const auto* raw = std::get_if<RawRdata>(&r.rdata)) {
    ok = s.w.bytes(*raw);
  } else if (const auto* name = std::get_if<Name>(&r.rdata)) {
    ok = write_name(s, *name, table, compress);
  } else if (const auto* soa = std::get_if<Soa>(&r.rdata)) {
    ok = write_name(s, soa->mname, table, compress) && write_name(s, soa->rname, table, compress) &&
         s.w.u32(soa->serial) && s.w.u32(soa->refresh) && s.w.u32(soa->retry) &&
         s.w.u32(soa->expire) && s.w.u32(soa->minimum);
  } else if (const auto* mx = std::get_if<Mx>(&r.rdata)) {
    ok = s.w.u16(mx->preference) && write_name(s, mx->exchange, table, compress);
  } else if (const auto* srv = std::get_if<Srv>(&r.rdata)) {
    ok = s.w.u16(srv->priority) && s.w.u16(srv->weight) && s.w.u16(srv->port) &&
         write_name(s, srv->target, table, compress);
  }
  if (!ok || !s.w.ok()) return false;
  const size_t rdlength = s.w.size() - rdlength_at - 2;
  if (rdlength > kMaxMessageSize) return false;
  s.w.patch_u16(rdlength_at, static_cast<uint16_t>(rdlength));
  return true;
}

}  // namespace

Result<EncodeStats> encode_message(const Message& m, MutableByteView out, size_t limit) {
  limit = std::min({limit, out.size(), kMaxMessageSize});
  for (const auto* section : {&m.answers, &m.authority, &m.additional}) {
    for (const Record& r : *section) {
      if (!rdata_matches_type(r)) {
        return make_error(Errc::malformed, "rdata does not match the record type");
      }
    }
  }
  size_t opt_size = 0;
  if (m.edns) {
    if (m.edns->options.size() > kMaxMessageSize || !valid_options(m.edns->options)) {
      return make_error(Errc::malformed, "OPT options are not whole TLVs");
    }
    opt_size = kOptFixedSize + m.edns->options.size();
  }
  if (kHeaderSize + opt_size > limit) return make_error(Errc::no_space, "header and OPT");
  // Room for the OPT record is kept back from everything else.
  const size_t cap = limit - opt_size;
  CompressionTable table(out);

  ByteWriter header_writer(out.first(kHeaderSize));
  write_header(header_writer, m.header, m.header.tc);
  size_t pos = kHeaderSize;

  for (const Question& q : m.questions) {
    Section s{ByteWriter(out.subspan(pos, cap - pos)), pos};
    if (!write_name(s, q.name, table, /*compress=*/true) || !s.w.u16(q.type) || !s.w.u16(q.klass)) {
      return make_error(Errc::no_space, "question does not fit");
    }
    pos += s.w.size();
  }

  std::array<size_t, 3> counts{};
  bool truncated = false;
  const std::array<const std::vector<Record>*, 3> sections{&m.answers, &m.authority, &m.additional};
  for (size_t si = 0; si < sections.size() && !truncated; ++si) {
    const bool additional = si == 2;
    for (const Record& r : *sections[si]) {
      const size_t remembered = table.count();
      Section s{ByteWriter(out.subspan(pos, cap - pos)), pos};
      if (write_record(s, r, table)) {
        pos += s.w.size();
        ++counts[si];
        continue;
      }
      table.truncate(remembered);  // forget names of the record not written
      if (additional) continue;    // RFC 2181 9: dropped, no TC
      truncated = true;
      break;
    }
  }

  uint16_t arcount = static_cast<uint16_t>(counts[2]);
  if (m.edns) {
    ByteWriter w(out.subspan(pos, limit - pos));
    const Edns& e = *m.edns;
    w.u8(0);  // root owner
    w.u16(type::OPT);
    w.u16(e.udp_size);
    w.u32(static_cast<uint32_t>(e.extended_rcode) << 24 | static_cast<uint32_t>(e.version) << 16 |
          (e.dnssec_ok ? kDnssecOkBit : 0));
    w.u16(static_cast<uint16_t>(e.options.size()));
    w.bytes(e.options);
    pos += w.size();
    ++arcount;
  }

  if (truncated) out[2] |= 0x02;  // TC
  header_writer.patch_u16(4, static_cast<uint16_t>(m.questions.size()));
  header_writer.patch_u16(6, static_cast<uint16_t>(counts[0]));
  header_writer.patch_u16(8, static_cast<uint16_t>(counts[1]));
  header_writer.patch_u16(10, arcount);
  return EncodeStats{.size = pos, .truncated = truncated};
}

Result<std::vector<uint8_t>> encode_message(const Message& m, size_t limit) {
  std::vector<uint8_t> out(std::min(limit, kMaxMessageSize));
  auto stats = encode_message(m, out, out.size());
  if (!stats) return stats.error();
  out.resize(stats->size);
  return out;
}

}  // namespace berth::dns
