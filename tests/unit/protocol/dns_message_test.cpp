#include "protocol/dns/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <string>
#include <vector>

namespace berth::dns {
namespace {

Name name(std::string_view text) {
  auto n = Name::from_text(text);
  EXPECT_TRUE(n) << text;
  return n ? *n : Name();
}

// Builds raw packets byte by byte, for inputs the encoder would never make.
class Packet {
 public:
  Packet& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0,
                 uint16_t ar = 0) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Packet& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Packet& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Packet& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  // Labels without the root label.
  Packet& labels(std::initializer_list<std::string_view> ls) {
    for (std::string_view l : ls) {
      u8(static_cast<uint8_t>(l.size()));
      b.insert(b.end(), l.begin(), l.end());
    }
    return *this;
  }
  Packet& name(std::initializer_list<std::string_view> ls) { return labels(ls).u8(0); }
  Packet& ptr(uint16_t offset) { return u16(static_cast<uint16_t>(0xC000 | offset)); }
  Packet& raw(const Bytes& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  // type, class, ttl, rdlength: the rest of a record after its owner.
  Packet& rr(uint16_t type, uint16_t klass, uint32_t ttl, uint16_t rdlength) {
    return u16(type).u16(klass).u32(ttl).u16(rdlength);
  }
  Packet& opt(uint16_t udp, uint32_t ttl, const Bytes& options = {}) {
    return u8(0).rr(type::OPT, udp, ttl, static_cast<uint16_t>(options.size())).raw(options);
  }
  size_t size() const { return b.size(); }
  Bytes b;
};

constexpr uint16_t kRd = 0x0100;

// A standard query header plus "WeB.berth A IN".
Packet web_query(uint16_t ar = 0) {
  Packet p;
  p.header(0xBEEF, kRd, 1, 0, 0, ar).name({"WeB", "berth"}).u16(type::A).u16(klass::IN);
  return p;
}

// By value: callers pass the temporary parse_query() result.
Query as_query(const std::variant<Query, QueryError>& v) {
  EXPECT_TRUE(std::holds_alternative<Query>(v))
      << (std::holds_alternative<QueryError>(v) ? std::get<QueryError>(v).error.what : "");
  return std::holds_alternative<Query>(v) ? std::get<Query>(v) : Query{};
}

QueryError as_error(const std::variant<Query, QueryError>& v) {
  EXPECT_TRUE(std::holds_alternative<QueryError>(v));
  return std::holds_alternative<QueryError>(v)
             ? std::get<QueryError>(v)
             : QueryError{Error{Errc::malformed, "not an error"}, std::nullopt};
}

Bytes raw(std::initializer_list<uint8_t> v) { return Bytes(v); }

// ---- parse_header / parse_query ----

TEST(DnsHeader, ReadsFlagsAndCounts) {
  Packet p;
  p.header(0x1234, 0x8000 | 0x0800 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | 0x0003,
           1, 2, 3, 4);
  auto h = parse_header(p.b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, 0x1234);
  EXPECT_TRUE(h->qr && h->aa && h->tc && h->rd && h->ra && h->ad && h->cd);
  EXPECT_EQ(h->opcode, 1);
  EXPECT_EQ(h->rcode, rcode::NXDOMAIN);
  EXPECT_EQ(h->qdcount, 1);
  EXPECT_EQ(h->ancount, 2);
  EXPECT_EQ(h->nscount, 3);
  EXPECT_EQ(h->arcount, 4);
  EXPECT_FALSE(parse_header(ByteView(p.b).first(11)));
}

TEST(DnsQuery, ParsesPlainQuery) {
  const Packet p = web_query();
  const Query q = as_query(parse_query(p.b));
  EXPECT_EQ(q.header.id, 0xBEEF);
  EXPECT_TRUE(q.header.rd);
  EXPECT_EQ(q.qname.to_text(), "WeB.berth");  // case as sent
  EXPECT_EQ(q.qtype, type::A);
  EXPECT_EQ(q.qclass, klass::IN);
  EXPECT_EQ(q.question_end, p.size());
  EXPECT_FALSE(q.edns);
}

TEST(DnsQuery, ParsesOptWithDoVersionAndOptions) {
  Packet p = web_query(1);
  const Bytes cookie{0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  p.opt(4096, 0x00000000 | 0x8000, cookie);
  const Query q = as_query(parse_query(p.b));
  ASSERT_TRUE(q.edns);
  EXPECT_EQ(q.edns->udp_size, 4096);
  EXPECT_TRUE(q.edns->dnssec_ok);
  EXPECT_EQ(q.edns->version, 0);
  EXPECT_EQ(q.edns->options, cookie);
  EXPECT_EQ(q.question_end, web_query().size());
}

TEST(DnsQuery, OptVersionOneIsParsedForBadvers) {
  Packet p = web_query(1);
  p.opt(1232, 0x00010000);
  const Query q = as_query(parse_query(p.b));
  ASSERT_TRUE(q.edns);
  EXPECT_EQ(q.edns->version, 1);
  EXPECT_FALSE(q.edns->dnssec_ok);
  EXPECT_TRUE(q.edns->options.empty());
}

TEST(DnsQuery, TwoQuestionsIsFormerrWithHeader) {
  Packet p;
  p.header(0x4242, kRd, 2)
      .name({"a"})
      .u16(type::A)
      .u16(klass::IN)
      .name({"b"})
      .u16(type::A)
      .u16(klass::IN);
  const QueryError e = as_error(parse_query(p.b));
  ASSERT_TRUE(e.header);
  EXPECT_EQ(e.header->id, 0x4242);
  EXPECT_EQ(e.rcode, rcode::FORMERR);
}

TEST(DnsQuery, ResponseIsFormerrWithHeader) {
  Packet p;
  p.header(0x4243, 0x8000 | kRd, 1).name({"a"}).u16(type::A).u16(klass::IN);
  const QueryError e = as_error(parse_query(p.b));
  ASSERT_TRUE(e.header);
  EXPECT_EQ(e.header->id, 0x4243);
  EXPECT_TRUE(e.header->qr);
  EXPECT_EQ(e.rcode, rcode::FORMERR);
  EXPECT_EQ(e.error.code, Errc::malformed);
}

TEST(DnsQuery, FiveBytesHaveNoHeader) {
  const Bytes five{0x12, 0x34, 0x01, 0x00, 0x00};
  const QueryError e = as_error(parse_query(five));
  EXPECT_FALSE(e.header);
  EXPECT_EQ(e.error.code, Errc::truncated);
}

TEST(DnsQuery, MalformedBodiesAreFormerrWithHeader) {
  std::vector<std::pair<std::string, Bytes>> cases;
  {
    Packet p;  // no question at all
    p.header(1, kRd, 0);
    cases.emplace_back("qdcount 0", p.b);
  }
  {
    Packet p = web_query();
    p.b.pop_back();
    cases.emplace_back("question cut", p.b);
  }
  {
    Packet p = web_query();
    p.u8(0);
    cases.emplace_back("trailing byte", p.b);
  }
  {
    Packet p;
    p.header(1, kRd, 1, 1).name({"a"}).u16(type::A).u16(klass::IN);
    p.ptr(12).rr(type::A, klass::IN, 0, 4).raw({1, 2, 3, 4});
    cases.emplace_back("answer record", p.b);
  }
  {
    Packet p = web_query(2);
    p.opt(1232, 0).opt(1232, 0);
    cases.emplace_back("two OPT", p.b);
  }
  {
    Packet p = web_query(1);
    p.ptr(12).rr(type::OPT, 1232, 0, 0);
    cases.emplace_back("OPT owner not root", p.b);
  }
  {
    Packet p = web_query(1);
    p.opt(1232, 0, raw({0, 10, 0, 8, 1, 2}));
    cases.emplace_back("OPT option cut", p.b);
  }
  {
    Packet p;
    p.header(1, kRd, 1).labels({"a"}).ptr(12).u16(type::A).u16(klass::IN);
    cases.emplace_back("qname pointer to itself", p.b);
  }
  {
    Packet p = web_query(1);
    p.opt(1232, 0);
    p.b[11] = 2;  // arcount says two
    cases.emplace_back("count past end", p.b);
  }
  for (const auto& [what, bytes] : cases) {
    auto r = parse_query(bytes);
    ASSERT_TRUE(std::holds_alternative<QueryError>(r)) << what;
    const QueryError& e = std::get<QueryError>(r);
    ASSERT_TRUE(e.header) << what;
    EXPECT_EQ(e.header->id, parse_header(bytes)->id) << what;
    EXPECT_EQ(e.rcode, rcode::FORMERR) << what;
  }
}

TEST(DnsQuery, SkipsOtherAdditionalRecords) {
  // A TSIG-like record whose owner points at the question name, then OPT.
  Packet p = web_query(2);
  p.ptr(12).rr(250, klass::ANY, 0, 3).raw({9, 9, 9});
  p.opt(1400, 0);
  const Query q = as_query(parse_query(p.b));
  ASSERT_TRUE(q.edns);
  EXPECT_EQ(q.edns->udp_size, 1400);
}

TEST(DnsQuery, OtherOpcodesMayHaveNoQuestion) {
  Packet p;
  p.header(7, 4 << 11, 0, 0, 0, 1).opt(1232, 0);  // NOTIFY
  const Query q = as_query(parse_query(p.b));
  EXPECT_EQ(q.header.opcode, 4);
  EXPECT_TRUE(q.qname.is_root());
  EXPECT_EQ(q.question_end, kHeaderSize);
  EXPECT_TRUE(q.edns);

  Packet two;
  two.header(7, 4 << 11, 2).name({"a"}).u16(type::SOA).u16(1).name({"b"}).u16(type::SOA).u16(1);
  EXPECT_TRUE(std::holds_alternative<QueryError>(parse_query(two.b)));
}

// ---- parse_message: refusals ----

Result<Message> parse(const Packet& p) { return parse_message(p.b); }

// A response header with one question "web.berth A" at offset 12 and one
// answer whose owner and rdata the caller appends. "berth" is at offset 16.
Packet response_with_one_answer() {
  Packet p;
  p.header(9, 0x8180, 1, 1).name({"web", "berth"}).u16(type::A).u16(klass::IN);
  return p;
}

TEST(DnsMessage, RefusesForwardAndSelfPointers) {
  {
    Packet p = response_with_one_answer();
    p.ptr(static_cast<uint16_t>(p.size() + 2)).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4});
    EXPECT_FALSE(parse(p)) << "forward";
  }
  {
    Packet p = response_with_one_answer();
    p.ptr(static_cast<uint16_t>(p.size())).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4});
    EXPECT_FALSE(parse(p)) << "self";
  }
  {
    // The owner is "x" then a pointer back to its own first label: a loop.
    Packet p = response_with_one_answer();
    const uint16_t start = static_cast<uint16_t>(p.size());
    p.labels({"x"}).ptr(start).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4});
    EXPECT_FALSE(parse(p)) << "loop";
  }
  {
    Packet p = response_with_one_answer();
    p.ptr(4).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4});
    EXPECT_FALSE(parse(p)) << "into header";
  }
  {
    // A loop through opaque rdata: the second owner points back into the
    // first record's rdata (39), which holds a pointer to that owner (41).
    Packet p;
    p.header(9, 0x8180, 1, 2).name({"web", "berth"}).u16(type::A).u16(klass::IN);
    p.ptr(12).rr(99, klass::IN, 1, 2).ptr(41);
    ASSERT_EQ(p.size(), 41u);
    p.ptr(39).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4});
    auto m = parse(p);
    ASSERT_FALSE(m) << "loop through rdata";
    EXPECT_EQ(m.error().code, Errc::malformed);
  }
  {
    Packet p = response_with_one_answer();
    p.ptr(16).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4});
    auto m = parse(p);
    ASSERT_TRUE(m) << "a good pointer, for contrast";
    EXPECT_EQ(m->answers.at(0).name.to_text(), "berth");
  }
}

TEST(DnsMessage, RefusesExtendedAndReservedLabelTypes) {
  for (uint8_t kind : {uint8_t{0x40}, uint8_t{0x80}}) {
    Packet p;
    p.header(9, 0x8180, 1).u8(kind).u8('a').u8(0).u16(type::A).u16(klass::IN);
    auto m = parse(p);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, Errc::malformed);
  }
}

TEST(DnsMessage, RefusesNamesOver255BytesThroughPointers) {
  // 12: three 63-byte labels (193 bytes with the root); then 63 bytes + a
  // pointer to it: 257 bytes uncompressed.
  const std::string l63(63, 'a');
  Packet p;
  p.header(9, 0x8180, 2).name({l63, l63, l63}).u16(type::A).u16(klass::IN);
  p.labels({l63}).ptr(12).u16(type::A).u16(klass::IN);
  auto m = parse(p);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::malformed);

  // 61 bytes instead of 63 makes exactly 255: accepted.
  Packet ok;
  ok.header(9, 0x8180, 2).name({l63, l63, l63}).u16(type::A).u16(klass::IN);
  ok.labels({std::string(61, 'b')}).ptr(12).u16(type::A).u16(klass::IN);
  auto good = parse(ok);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->questions.at(1).name.wire_size(), 255u);
}

TEST(DnsMessage, RefusesRdataOfTheWrongShape) {
  struct Case {
    std::string what;
    uint16_t type;
    Bytes rdata;
  };
  // Names in these rdata are uncompressed; "berth" is 7 bytes on the wire.
  const Bytes berth{5, 'b', 'e', 'r', 't', 'h', 0};
  auto cat = [](std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& b : parts) out.insert(out.end(), b.begin(), b.end());
    return out;
  };
  const std::vector<Case> cases{
      {"A of 5", type::A, {1, 2, 3, 4, 5}},
      {"A of 3", type::A, {1, 2, 3}},
      {"AAAA of 4", type::AAAA, {1, 2, 3, 4}},
      {"CNAME with a byte after the name", type::CNAME, cat({berth, {0}})},
      {"PTR empty", type::PTR, {}},
      {"NS name past rdata", type::NS, {5, 'b', 'e'}},
      {"SOA tail of 19", type::SOA, cat({berth, berth, Bytes(19, 0)})},
      {"SOA tail of 21", type::SOA, cat({berth, berth, Bytes(21, 0)})},
      {"SOA one name", type::SOA, cat({berth, Bytes(20, 0)})},
      {"MX without name", type::MX, {0, 10}},
      {"MX with trailing byte", type::MX, cat({{0, 10}, berth, {0}})},
      {"SRV without name", type::SRV, {0, 0, 0, 0, 0, 80}},
      {"TXT string past rdata", type::TXT, {5, 'a', 'b'}},
  };
  for (const Case& c : cases) {
    Packet p = response_with_one_answer();
    p.ptr(12).rr(c.type, klass::IN, 1, static_cast<uint16_t>(c.rdata.size())).raw(c.rdata);
    auto m = parse(p);
    ASSERT_FALSE(m) << c.what;
  }
  // Outside class IN an A record is opaque.
  Packet ch = response_with_one_answer();
  ch.ptr(12).rr(type::A, klass::CH, 1, 5).raw({1, 2, 3, 4, 5});
  EXPECT_TRUE(parse(ch));
}

TEST(DnsMessage, RefusesBadStructure) {
  {
    Packet p = response_with_one_answer();
    p.ptr(12).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3, 4}).u8(0);
    EXPECT_FALSE(parse(p)) << "trailing byte";
  }
  {
    Packet p = response_with_one_answer();
    p.ptr(12).rr(type::A, klass::IN, 1, 4).raw({1, 2, 3});
    auto m = parse(p);
    ASSERT_FALSE(m) << "rdata cut";
    EXPECT_EQ(m.error().code, Errc::truncated);
  }
  {
    Packet p;
    p.header(9, 0x8180, 1, 4000).name({"a"}).u16(type::A).u16(klass::IN);
    auto m = parse(p);
    ASSERT_FALSE(m) << "counts past end";
    EXPECT_EQ(m.error().code, Errc::truncated);
  }
  {
    Packet p;
    p.header(9, 0x8180, 0, 0, 0, 2).opt(1232, 0).opt(1232, 0);
    EXPECT_FALSE(parse(p)) << "two OPT";
  }
  {
    Packet p;
    p.header(9, 0x8180, 0, 1).opt(1232, 0);
    EXPECT_FALSE(parse(p)) << "OPT in answer";
  }
  {
    Packet p;
    p.header(9, 0x8180, 0, 0, 0, 1).name({"x"}).rr(type::OPT, 1232, 0, 0);
    EXPECT_FALSE(parse(p)) << "OPT owner";
  }
  EXPECT_FALSE(parse_message(Bytes{1, 2, 3, 4, 5}));
}

// ---- round trips ----

void expect_same_records(const std::vector<Record>& a, const std::vector<Record>& b,
                         const char* section) {
  ASSERT_EQ(a.size(), b.size()) << section;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].name == b[i].name) << section << i << " " << b[i].name.to_text();
    EXPECT_EQ(a[i].type, b[i].type) << section << i;
    EXPECT_EQ(a[i].klass, b[i].klass) << section << i;
    EXPECT_EQ(a[i].ttl, b[i].ttl) << section << i;
    EXPECT_TRUE(a[i].rdata == b[i].rdata) << section << i << " type " << a[i].type;
  }
}

void expect_same_message(const Message& a, const Message& b) {
  ASSERT_EQ(a.questions.size(), b.questions.size());
  for (size_t i = 0; i < a.questions.size(); ++i) {
    EXPECT_TRUE(a.questions[i].name == b.questions[i].name);
    EXPECT_EQ(a.questions[i].type, b.questions[i].type);
    EXPECT_EQ(a.questions[i].klass, b.questions[i].klass);
  }
  expect_same_records(a.answers, b.answers, "answer");
  expect_same_records(a.authority, b.authority, "authority");
  expect_same_records(a.additional, b.additional, "additional");
  ASSERT_EQ(a.edns.has_value(), b.edns.has_value());
  if (a.edns) {
    EXPECT_EQ(a.edns->udp_size, b.edns->udp_size);
    EXPECT_EQ(a.edns->extended_rcode, b.edns->extended_rcode);
    EXPECT_EQ(a.edns->version, b.edns->version);
    EXPECT_EQ(a.edns->dnssec_ok, b.edns->dnssec_ok);
    EXPECT_EQ(a.edns->options, b.edns->options);
  }
}

Bytes encode(const Message& m, size_t limit = 65535) {
  auto out = encode_message(m, limit);
  EXPECT_TRUE(out) << (out ? "" : out.error().what);
  return out ? *out : Bytes{};
}

Message reparse(const Bytes& b) {
  auto m = parse_message(b);
  EXPECT_TRUE(m) << (m ? "" : m.error().what);
  return m ? *m : Message{};
}

Message every_type_message() {
  Message m;
  m.header = {.id = 0x5151,
              .qr = true,
              .aa = true,
              .rd = true,
              .ra = true,
              .ad = true,
              .cd = true,
              .rcode = rcode::NXDOMAIN};
  m.questions.push_back({name("Web.berth"), type::ANY, klass::IN});
  const Name web = name("web.berth");
  m.answers.push_back(Record::a(web, 60, *Ipv4Address::parse("198.18.0.10")));
  m.answers.push_back({web, type::AAAA, klass::IN, 61,
                       RawRdata{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}});
  m.answers.push_back(Record::cname(name("www.berth"), 62, web));
  m.answers.push_back(Record::ptr(name("10.0.18.198.in-addr.arpa"), 63, web));
  m.answers.push_back({name("berth"), type::MX, klass::IN, 64, Mx{10, name("mail.berth")}});
  m.answers.push_back(Record::srv(name("_http._tcp.berth"), 65, Srv{1, 2, 80, web}));
  m.answers.push_back(Record::txt(web, 66, {"v=berth1", "", std::string(300, 't')}));
  m.answers.push_back({web, 99, klass::IN, 67, RawRdata{0xde, 0xad}});
  m.answers.push_back({web, 13, klass::CH, 0x80000000u, RawRdata{}});
  m.authority.push_back({name("berth"), type::NS, klass::IN, 68, name("ns.berth")});
  m.authority.push_back(Record::soa(
      name("berth"), 69,
      Soa{name("ns.berth"), name("hostmaster.berth"), 2026112301, 1200, 180, 1209600, 600}));
  m.additional.push_back(Record::a(name("ns.berth"), 70, *Ipv4Address::parse("198.18.0.1")));
  m.edns = Edns{.udp_size = 4096,
                .extended_rcode = 1,
                .version = 0,
                .dnssec_ok = true,
                .options = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}};
  return m;
}

TEST(DnsMessage, RoundTripsEveryRecordType) {
  const Message m = every_type_message();
  const Bytes wire = encode(m);
  const Message back = reparse(wire);
  expect_same_message(m, back);
  EXPECT_EQ(back.header.id, 0x5151);
  EXPECT_TRUE(back.header.qr && back.header.aa && back.header.rd && back.header.ra &&
              back.header.ad && back.header.cd);
  EXPECT_FALSE(back.header.tc);
  EXPECT_EQ(back.header.rcode, rcode::NXDOMAIN);
  EXPECT_EQ(back.header.qdcount, 1);
  EXPECT_EQ(back.header.ancount, m.answers.size());
  EXPECT_EQ(back.header.nscount, m.authority.size());
  EXPECT_EQ(back.header.arcount, m.additional.size() + 1);  // + OPT
  // Encoding what was parsed gives the same bytes again.
  EXPECT_EQ(encode(back), wire);
}

TEST(DnsMessage, TxtSplitsLongStrings) {
  const Record r = Record::txt(name("t"), 1, {std::string(300, 'a'), "b"});
  const RawRdata& rd = std::get<RawRdata>(r.rdata);
  ASSERT_EQ(rd.size(), 1 + 255 + 1 + 45 + 1 + 1u);
  EXPECT_EQ(rd[0], 255);
  EXPECT_EQ(rd[256], 45);
  EXPECT_EQ(rd[302], 1);
  EXPECT_EQ(rd[303], 'b');
  EXPECT_EQ(std::get<RawRdata>(Record::txt(name("t"), 1, {}).rdata), RawRdata{0});
}

// ---- compression ----

TEST(DnsEncode, CompressesAgainstEarlierNames) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({name("www.berth"), type::A, klass::IN});
  m.answers.push_back(Record::cname(name("www.berth"), 600, name("web.berth")));
  m.answers.push_back(Record::a(name("web.berth"), 600, *Ipv4Address::parse("198.18.0.10")));
  const Bytes wire = encode(m);
  // header 12 + question 11+4; CNAME: owner pointer 2 + 10 + rdata "web"+pointer 6;
  // A: owner pointer 2 + 10 + 4. Without compression it would be 12+15+(11+10+11)+(11+10+4).
  EXPECT_EQ(wire.size(), 12u + 15 + 18 + 16);
  EXPECT_EQ(wire[27], 0xC0);  // CNAME owner -> question name at 12
  EXPECT_EQ(wire[28], 12);
  EXPECT_EQ(wire[39], 3);  // "web" then a pointer to "berth" at 16
  EXPECT_EQ(wire[43], 0xC0);
  EXPECT_EQ(wire[44], 16);
  EXPECT_EQ(wire[45], 0xC0);  // A owner -> "web.berth" in the CNAME rdata
  EXPECT_EQ(wire[46], 39);
  expect_same_message(m, reparse(wire));
}

TEST(DnsEncode, CompressionKeepsCaseExactly) {
  Message m;
  m.questions.push_back({name("WeB.berth"), type::A, klass::IN});
  m.answers.push_back(Record::a(name("web.berth"), 1, Ipv4Address(1)));
  m.answers.push_back(Record::a(name("WeB.berth"), 1, Ipv4Address(2)));
  const Bytes wire = encode(m);
  // The first answer may only share "berth": "web" + pointer to 16.
  EXPECT_EQ(wire[27], 3);
  EXPECT_EQ(wire[31], 0xC0);
  EXPECT_EQ(wire[32], 16);
  // The second matches the question exactly.
  const size_t second = 27 + 6 + 10 + 4;
  EXPECT_EQ(wire[second], 0xC0);
  EXPECT_EQ(wire[second + 1], 12);
  const Message back = reparse(wire);
  EXPECT_EQ(back.answers.at(0).name.to_text(), "web.berth");
  EXPECT_EQ(back.answers.at(1).name.to_text(), "WeB.berth");
  EXPECT_EQ(back.questions.at(0).name.to_text(), "WeB.berth");
}

TEST(DnsEncode, SrvTargetIsNotCompressed) {
  Message m;
  m.questions.push_back({name("web.berth"), type::SRV, klass::IN});
  m.answers.push_back(Record::srv(name("web.berth"), 1, Srv{0, 0, 80, name("web.berth")}));
  const Bytes wire = encode(m);
  // owner pointer 2 + 10 + 6 + full name 11
  EXPECT_EQ(wire.size(), 12u + 15 + 2 + 10 + 6 + 11);
  expect_same_message(m, reparse(wire));
}

TEST(DnsEncode, ManyDistinctNamesStillRoundTrip) {
  // More names than the compression table holds.
  Message m;
  m.questions.push_back({name("berth"), type::A, klass::IN});
  for (int i = 0; i < 150; ++i) {
    m.answers.push_back(Record::a(*name("berth").prepend("h" + std::to_string(i)), 1,
                                  Ipv4Address(static_cast<uint32_t>(i))));
  }
  const Bytes wire = encode(m);
  expect_same_message(m, reparse(wire));
  // Every owner shares "berth" at least.
  EXPECT_LT(wire.size(), 12u + 11 + 150 * (2 + 4 + 7 + 10 + 4));
}

// ---- truncation ----

Message many_answers(size_t n, size_t additional = 0) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({name("web.berth"), type::A, klass::IN});  // 15 bytes
  for (size_t i = 0; i < n; ++i) {  // 16 bytes each: owner is a pointer
    m.answers.push_back(Record::a(name("web.berth"), 1, Ipv4Address(static_cast<uint32_t>(i))));
  }
  for (size_t i = 0; i < additional; ++i) {
    m.additional.push_back(Record::a(name("web.berth"), 2, Ipv4Address(static_cast<uint32_t>(i))));
  }
  return m;
}

TEST(DnsEncode, TruncationKeepsWholeRecordsAndSetsTc) {
  const Message m = many_answers(40, 3);
  std::array<uint8_t, 512> buf{};
  auto stats = encode_message(m, buf, 512);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->truncated);
  // (512 - 12 - 15) / 16 = 30 answers, additional dropped.
  EXPECT_EQ(stats->size, 12u + 15 + 30 * 16);
  const Message back = reparse(Bytes(buf.begin(), buf.begin() + stats->size));
  EXPECT_TRUE(back.header.tc);
  EXPECT_EQ(back.header.ancount, 30);
  EXPECT_EQ(back.answers.size(), 30u);
  EXPECT_EQ(back.additional.size(), 0u);
  EXPECT_EQ(back.header.arcount, 0);
  for (size_t i = 0; i < 30; ++i) EXPECT_TRUE(back.answers[i].rdata == m.answers[i].rdata);
}

TEST(DnsEncode, TruncationReservesRoomForOpt) {
  Message m = many_answers(40);
  m.edns = Edns{.udp_size = 512};
  const Bytes wire = encode(m, 512);
  // (512 - 27 - 11) / 16 = 29 answers, then the OPT record.
  EXPECT_EQ(wire.size(), 12u + 15 + 29 * 16 + 11);
  const Message back = reparse(wire);
  EXPECT_TRUE(back.header.tc);
  EXPECT_EQ(back.answers.size(), 29u);
  ASSERT_TRUE(back.edns);
  EXPECT_EQ(back.edns->udp_size, 512);
  EXPECT_EQ(back.header.arcount, 1);
}

TEST(DnsEncode, TruncationInAuthorityDropsAdditional) {
  Message m = many_answers(10, 2);
  for (int i = 0; i < 40; ++i) {
    m.authority.push_back({name("berth"), type::NS, klass::IN, 1, name("ns.berth")});
  }
  const Bytes wire = encode(m, 512);
  const Message back = reparse(wire);
  EXPECT_TRUE(back.header.tc);
  EXPECT_EQ(back.answers.size(), 10u);
  EXPECT_GT(back.authority.size(), 0u);
  EXPECT_LT(back.authority.size(), 40u);
  EXPECT_EQ(back.header.nscount, back.authority.size());
  EXPECT_TRUE(back.additional.empty());
  EXPECT_LE(wire.size(), 512u);
}

TEST(DnsEncode, AdditionalOverflowIsDroppedWithoutTc) {
  Message m = many_answers(20);
  // 12 + 15 + 20*16 = 347 bytes; a 200-byte record cannot fit in 512, the
  // small one after it can.
  m.additional.push_back({name("big.berth"), 99, klass::IN, 1, RawRdata(200, 7)});
  m.additional.push_back(Record::a(name("web.berth"), 5, Ipv4Address(5)));
  std::array<uint8_t, 512> buf{};
  auto stats = encode_message(m, buf, 512);
  ASSERT_TRUE(stats);
  EXPECT_FALSE(stats->truncated);
  const Message back = reparse(Bytes(buf.begin(), buf.begin() + stats->size));
  EXPECT_FALSE(back.header.tc);
  EXPECT_EQ(back.answers.size(), 20u);
  ASSERT_EQ(back.additional.size(), 1u);
  EXPECT_EQ(back.additional[0].ttl, 5u);
  EXPECT_EQ(back.header.arcount, 1);
  EXPECT_EQ(stats->size, 347u + 16);
}

TEST(DnsEncode, RollbackForgetsNamesOfDroppedRecords) {
  // The dropped record's owner "big.berth" must not become a pointer target
  // for the record after it.
  Message m = many_answers(20);
  m.additional.push_back({name("big.berth"), 99, klass::IN, 1, RawRdata(200, 7)});
  m.additional.push_back(Record::a(name("big.berth"), 5, Ipv4Address(5)));
  const Bytes wire = encode(m, 512);
  const Message back = reparse(wire);
  ASSERT_EQ(back.additional.size(), 1u);
  EXPECT_EQ(back.additional[0].name.to_text(), "big.berth");
}

TEST(DnsEncode, NoSpaceOnlyWhenQuestionAndOptDoNotFit) {
  Message m = many_answers(1);
  m.edns = Edns{};
  std::array<uint8_t, 64> buf{};
  auto fail = encode_message(m, buf, 12 + 15 + 10);
  ASSERT_FALSE(fail);
  EXPECT_EQ(fail.error().code, Errc::no_space);
  auto fit = encode_message(m, buf, 12 + 15 + 11);  // question + OPT exactly
  ASSERT_TRUE(fit);
  EXPECT_TRUE(fit->truncated);
  EXPECT_EQ(fit->size, 38u);
  EXPECT_FALSE(encode_message(m, buf, 11));
}

TEST(DnsEncode, LimitIsCappedByTheBuffer) {
  const Message m = many_answers(40);
  std::array<uint8_t, 100> buf{};
  auto stats = encode_message(m, buf, 512);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->truncated);
  EXPECT_LE(stats->size, 100u);
}

TEST(DnsEncode, RefusesRdataThatDoesNotMatchItsType) {
  Message m = many_answers(0);
  m.answers.push_back({name("a"), type::CNAME, klass::IN, 1, RawRdata{0}});
  EXPECT_FALSE(encode_message(m));
  Message opt = many_answers(0);
  opt.additional.push_back({Name(), type::OPT, 1232, 0, RawRdata{}});
  EXPECT_FALSE(encode_message(opt));
  Message bad_options = many_answers(0);
  bad_options.edns = Edns{.options = {0, 10, 0, 8}};
  EXPECT_FALSE(encode_message(bad_options));
}

// ---- OPT ----

TEST(DnsEncode, OptWireForm) {
  Message m;
  m.header.qr = true;
  m.header.rcode = 0;
  m.edns = Edns{.udp_size = 1232,
                .extended_rcode = 1,
                .version = 0,
                .dnssec_ok = true,
                .options = {0, 12, 0, 2, 0, 0}};  // padding option
  const Bytes wire = encode(m);
  const Bytes expected_opt{0, 0, 41, 0x04, 0xD0, 1, 0, 0x80, 0, 0, 6, 0, 12, 0, 2, 0, 0};
  ASSERT_EQ(wire.size(), 12 + expected_opt.size());
  EXPECT_EQ(Bytes(wire.begin() + 12, wire.end()), expected_opt);
  EXPECT_EQ(wire[11], 1);  // arcount
  const Message back = reparse(wire);
  ASSERT_TRUE(back.edns);
  EXPECT_EQ(back.edns->extended_rcode, 1);
  EXPECT_TRUE(back.edns->dnssec_ok);
  EXPECT_TRUE(back.additional.empty());

  m.edns->version = 1;
  m.edns->dnssec_ok = false;
  const Message v1 = reparse(encode(m));
  EXPECT_EQ(v1.edns->version, 1);
  EXPECT_FALSE(v1.edns->dnssec_ok);
}

TEST(DnsMessage, OptIgnoresOtherZBits) {
  Packet p;
  p.header(9, 0x8180, 0, 0, 0, 1).opt(600, 0x02017FFF);
  auto m = parse(p);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->edns);
  EXPECT_EQ(m->edns->udp_size, 600);
  EXPECT_EQ(m->edns->extended_rcode, 2);
  EXPECT_EQ(m->edns->version, 1);
  EXPECT_FALSE(m->edns->dnssec_ok);
}

// ---- helpers ----

TEST(DnsMessage, UdpReplyLimit) {
  EXPECT_EQ(udp_reply_limit(std::nullopt), 512u);
  EXPECT_EQ(udp_reply_limit(std::nullopt, 4096), 512u);
  EXPECT_EQ(udp_reply_limit(Edns{.udp_size = 100}), 512u);
  EXPECT_EQ(udp_reply_limit(Edns{.udp_size = 1232}), 1232u);
  EXPECT_EQ(udp_reply_limit(Edns{.udp_size = 4096}), 1232u);
  EXPECT_EQ(udp_reply_limit(Edns{.udp_size = 1400}, 4096), 1400u);
  EXPECT_EQ(udp_reply_limit(Edns{.udp_size = 65535}, 4096), 4096u);
}

TEST(DnsMessage, MinTtl) {
  Message m;
  EXPECT_FALSE(min_ttl(m));
  m.additional.push_back(Record::a(name("a"), 1, Ipv4Address(1)));
  EXPECT_FALSE(min_ttl(m));  // additional does not count
  m.answers.push_back(Record::a(name("a"), 300, Ipv4Address(1)));
  m.authority.push_back(Record::a(name("a"), 200, Ipv4Address(1)));
  EXPECT_EQ(min_ttl(m), 200u);
  m.answers.push_back(Record::a(name("a"), 0x80000001u, Ipv4Address(1)));  // RFC 2181 8
  EXPECT_EQ(min_ttl(m), 0u);
}

}  // namespace
}  // namespace berth::dns
