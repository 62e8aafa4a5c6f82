#include "protocol/dns/message.hpp"

#include <algorithm>
#include <cstring>

namespace berth::dns {
namespace {

constexpr uint8_t kLabelTypeMask = 0xC0;
constexpr uint8_t kPointer = 0xC0;
// Each jump lands strictly before the previous one, so loops cannot happen;
// this bounds the work a crafted chain of pointers can cause anyway. A name
// has at most 127 labels, so no honest name needs more jumps.
constexpr size_t kMaxPointerJumps = 127;
// A pointer holds a 14-bit offset (RFC 1035 4.1.4).
constexpr size_t kMaxPointerTarget = 0x3FFF;
constexpr size_t kMaxMessageSize = 65535;
constexpr size_t kOptFixedSize = 11;  // root owner, type, class, ttl, rdlength
constexpr size_t kMinQuestionSize = 5;
constexpr size_t kMinRecordSize = 11;
constexpr size_t kSoaFixedTail = 20;
constexpr uint32_t kDnssecOkBit = 0x8000;
constexpr size_t kMaxCharacterString = 255;

using NameBuffer = std::array<uint8_t, kMaxNameWire>;

// Checks an uncompressed name: labels of 1..63 bytes, ending in the root
// label exactly at the end of `wire`, 255 bytes at most.
bool valid_uncompressed(ByteView wire) {
  if (wire.empty() || wire.size() > kMaxNameWire) return false;
  size_t pos = 0;
  while (pos < wire.size()) {
    const uint8_t len = wire[pos];
    if (len == 0) return pos + 1 == wire.size();
    if ((len & kLabelTypeMask) != 0) return false;
    pos += 1 + len;
  }
  return false;
}

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

uint16_t u16_at(ByteView p, size_t at) { return static_cast<uint16_t>(p[at] << 8 | p[at + 1]); }
uint32_t u32_at(ByteView p, size_t at) {
  return static_cast<uint32_t>(p[at]) << 24 | static_cast<uint32_t>(p[at + 1]) << 16 |
         static_cast<uint32_t>(p[at + 2]) << 8 | p[at + 3];
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

// Option TLVs (RFC 6891 6.1.2) must exactly fill the OPT rdata.
bool valid_options(ByteView opts) {
  size_t pos = 0;
  while (pos < opts.size()) {
    if (opts.size() - pos < 4) return false;
    const size_t len = u16_at(opts, pos + 2);
    if (len > opts.size() - pos - 4) return false;
    pos += 4 + len;
  }
  return true;
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

// ---- Name ----

Name::Name() { buf_[0] = 0; }

Result<Name> Name::from_text(std::string_view text) {
  Name n;
  if (text == ".") return n;
  if (text.empty()) return make_error(Errc::malformed, "empty name");
  if (text.back() == '.') text.remove_suffix(1);
  size_t len = 0;
  while (true) {
    const size_t dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    if (label.empty()) return make_error(Errc::malformed, "empty label");
    if (label.size() > kMaxLabel) return make_error(Errc::malformed, "label over 63 bytes");
    if (len + 1 + label.size() + 1 > kMaxNameWire) {
      return make_error(Errc::malformed, "name over 255 bytes");
    }
    n.buf_[len] = static_cast<uint8_t>(label.size());
    std::memcpy(n.buf_.data() + len + 1, label.data(), label.size());
    len += 1 + label.size();
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  n.buf_[len] = 0;
  n.len_ = static_cast<uint8_t>(len + 1);
  return n;
}

Result<Name> Name::from_wire(ByteView wire) {
  if (!valid_uncompressed(wire)) return make_error(Errc::malformed, "bad uncompressed name");
  Name n;
  std::memcpy(n.buf_.data(), wire.data(), wire.size());
  n.len_ = static_cast<uint8_t>(wire.size());
  return n;
}

// Like dig: bytes outside printable ASCII, and '.' and '\' inside a label,
// become \DDD so the text reads back unambiguously.
std::string Name::to_text() const {
  if (is_root()) return ".";
  std::string out;
  out.reserve(len_);
  for (size_t pos = 0; buf_[pos] != 0; pos += 1 + buf_[pos]) {
    if (pos != 0) out.push_back('.');
    for (size_t i = pos + 1; i <= pos + buf_[pos]; ++i) {
      const uint8_t c = buf_[i];
      if (c > 0x20 && c < 0x7F && c != '.' && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + c / 100));
        out.push_back(static_cast<char>('0' + c / 10 % 10));
        out.push_back(static_cast<char>('0' + c % 10));
      }
    }
  }
  return out;
}

size_t Name::label_count() const {
  size_t n = 0;
  for (size_t pos = 0; buf_[pos] != 0; pos += 1 + buf_[pos]) ++n;
  return n;
}

std::string_view Name::label(size_t i) const {
  size_t pos = 0;
  for (; buf_[pos] != 0 && i > 0; --i) pos += 1 + buf_[pos];
  return {reinterpret_cast<const char*>(buf_.data() + pos + 1), buf_[pos]};
}

bool Name::equals_ci(const Name& other) const {
  if (len_ != other.len_) return false;
  // Length bytes are at most 63, below 'A', so lowering them is harmless.
  for (size_t i = 0; i < len_; ++i) {
    if (ascii_lower(buf_[i]) != ascii_lower(other.buf_[i])) return false;
  }
  return true;
}

bool Name::is_subdomain_ci(const Name& zone) const {
  if (zone.len_ > len_) return false;
  const size_t start = len_ - zone.len_;
  size_t pos = 0;
  while (pos < start) pos += 1 + buf_[pos];
  if (pos != start) return false;  // the suffix would cut a label
  for (size_t i = 0; i < zone.len_; ++i) {
    if (ascii_lower(buf_[start + i]) != ascii_lower(zone.buf_[i])) return false;
  }
  return true;
}

Name Name::lowercased() const {
  Name n;
  for (size_t i = 0; i < len_; ++i) n.buf_[i] = ascii_lower(buf_[i]);
  n.len_ = len_;
  return n;
}

size_t Name::hash_ci() const {
  // FNV-1a over the lowercased wire form: equal for equals_ci names.
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len_; ++i) {
    h ^= ascii_lower(buf_[i]);
    h *= 0x100000001b3ull;
  }
  return static_cast<size_t>(h);
}

Name Name::strip_left(size_t n) const {
  size_t pos = 0;
  for (; n > 0 && buf_[pos] != 0; --n) pos += 1 + buf_[pos];
  Name out;
  std::memcpy(out.buf_.data(), buf_.data() + pos, len_ - pos);
  out.len_ = static_cast<uint8_t>(len_ - pos);
  return out;
}

// A label with a '.' in it is refused too: it would only read back as one
// label through \046, which is never what a caller building a name means.
Result<Name> Name::prepend(std::string_view label) const {
  if (label.empty() || label.size() > kMaxLabel || label.find('.') != std::string_view::npos) {
    return make_error(Errc::malformed, "invalid label");
  }
  if (1 + label.size() + len_ > kMaxNameWire) {
    return make_error(Errc::malformed, "name over 255 bytes");
  }
  Name out;
  out.buf_[0] = static_cast<uint8_t>(label.size());
  std::memcpy(out.buf_.data() + 1, label.data(), label.size());
  std::memcpy(out.buf_.data() + 1 + label.size(), buf_.data(), len_);
  out.len_ = static_cast<uint8_t>(1 + label.size() + len_);
  return out;
}

bool Name::operator==(const Name& o) const {
  return len_ == o.len_ && std::memcmp(buf_.data(), o.buf_.data(), len_) == 0;
}

// ---- Records ----

Record Record::a(const Name& name, uint32_t ttl, Ipv4Address addr) {
  const auto b = addr.to_bytes();
  return Record{name, type::A, klass::IN, ttl, RawRdata(b.begin(), b.end())};
}

Record Record::ptr(const Name& name, uint32_t ttl, const Name& target) {
  return Record{name, type::PTR, klass::IN, ttl, target};
}

Record Record::cname(const Name& name, uint32_t ttl, const Name& target) {
  return Record{name, type::CNAME, klass::IN, ttl, target};
}

Record Record::soa(const Name& zone, uint32_t ttl, const Soa& soa) {
  return Record{zone, type::SOA, klass::IN, ttl, soa};
}

Record Record::srv(const Name& name, uint32_t ttl, const Srv& srv) {
  return Record{name, type::SRV, klass::IN, ttl, srv};
}

// No strings at all still gives one empty <character-string>: RFC 1035
// 3.3.14 wants at least one.
Record Record::txt(const Name& name, uint32_t ttl, const std::vector<std::string>& strings) {
  RawRdata rd;
  for (const std::string& s : strings) {
    size_t pos = 0;
    do {
      const size_t piece = std::min(s.size() - pos, kMaxCharacterString);
      rd.push_back(static_cast<uint8_t>(piece));
      rd.insert(rd.end(), s.begin() + static_cast<std::ptrdiff_t>(pos),
                s.begin() + static_cast<std::ptrdiff_t>(pos + piece));
      pos += piece;
    } while (pos < s.size());
  }
  if (strings.empty()) rd.push_back(0);
  return Record{name, type::TXT, klass::IN, ttl, std::move(rd)};
}

// ---- Parsing ----

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

std::optional<uint32_t> min_ttl(const Message& m) {
  std::optional<uint32_t> lowest;
  for (const auto* section : {&m.answers, &m.authority}) {
    for (const Record& r : *section) {
      // RFC 2181 8: a TTL with the top bit set is read as zero.
      const uint32_t ttl = r.ttl > 0x7FFFFFFFu ? 0 : r.ttl;
      if (!lowest || ttl < *lowest) lowest = ttl;
    }
  }
  return lowest;
}

// ---- Encoding ----

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

size_t udp_reply_limit(const std::optional<Edns>& edns, size_t server_max) {
  if (!edns) return kPlainUdpLimit;
  return std::min(std::max<size_t>(kPlainUdpLimit, edns->udp_size), server_max);
}

}  // namespace berth::dns
