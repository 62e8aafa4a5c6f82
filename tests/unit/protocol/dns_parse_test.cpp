// protocol/dns/parse.cpp: parse_header, parse_query and parse_message on
// packets built byte by byte, including ones the encoder would never make.
#include "protocol/dns/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/unit/protocol/dns_test_util.hpp"

namespace berth::dns {
namespace {

using test::name;
using test::Packet;

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

}  // namespace
}  // namespace berth::dns
