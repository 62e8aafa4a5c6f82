// Real queries from dig and glibc and dnsmasq's real answers to them
// (tests/data/dns/README.md says how they were captured).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/dns/message.hpp"
#include "tests/unit/test_util.hpp"

namespace berth::dns {
namespace {

struct Capture {
  std::string file;  // without "_query.hex" / "_response.hex"
  std::string qname;
  uint16_t qtype;
  bool ad = false;                    // dig sets AD in queries, glibc does not
  std::optional<uint16_t> edns_size;  // OPT udp payload size, if any
  bool dnssec_ok = false;
  bool cookie = false;                  // one COOKIE option (code 10) with 8 bytes
  bool reencodes_to_same_bytes = true;  // false where berth compresses rdata names dnsmasq did not
};

void PrintTo(const Capture& c, std::ostream* os) { *os << c.file; }

const std::vector<Capture>& captures() {
  static const std::vector<Capture> all{
      {.file = "dig_a_edns",
       .qname = "web.berth",
       .qtype = type::A,
       .ad = true,
       .edns_size = 1232,
       .cookie = true},
      {.file = "dig_a_noedns", .qname = "web.berth", .qtype = type::A, .ad = true},
      {.file = "dig_ptr",
       .qname = "10.0.18.198.in-addr.arpa",
       .qtype = type::PTR,
       .ad = true,
       .edns_size = 1232,
       .cookie = true},
      {.file = "dig_cname",
       .qname = "www.berth",
       .qtype = type::A,
       .ad = true,
       .edns_size = 1232,
       .cookie = true,
       .reencodes_to_same_bytes = false},
      {.file = "dig_mx",
       .qname = "berth",
       .qtype = type::MX,
       .ad = true,
       .edns_size = 1232,
       .cookie = true,
       .reencodes_to_same_bytes = false},
      {.file = "dig_srv",
       .qname = "_http._tcp.berth",
       .qtype = type::SRV,
       .ad = true,
       .edns_size = 1232,
       .cookie = true},
      {.file = "dig_txt",
       .qname = "web.berth",
       .qtype = type::TXT,
       .ad = true,
       .edns_size = 1232,
       .cookie = true},
      {.file = "dig_aaaa_dnssec",
       .qname = "web.berth",
       .qtype = type::AAAA,
       .ad = true,
       .edns_size = 1232,
       .dnssec_ok = true,
       .cookie = true},
      {.file = "dig_mixed_case",
       .qname = "WeB.BeRtH",
       .qtype = type::A,
       .ad = true,
       .edns_size = 1232,
       .cookie = true},
      {.file = "glibc_a", .qname = "web.berth", .qtype = type::A},
      {.file = "glibc_aaaa", .qname = "web.berth", .qtype = type::AAAA},
      {.file = "glibc_edns0_a", .qname = "web.berth", .qtype = type::A, .edns_size = 1200},
      {.file = "glibc_edns0_aaaa", .qname = "web.berth", .qtype = type::AAAA, .edns_size = 1200},
  };
  return all;
}

class DnsCapture : public ::testing::TestWithParam<Capture> {
 protected:
  Bytes query() const { return read_hex_file("dns/" + GetParam().file + "_query.hex"); }
  Bytes response() const { return read_hex_file("dns/" + GetParam().file + "_response.hex"); }
};

TEST_P(DnsCapture, QueryParsesOnTheHotPath) {
  const Capture& c = GetParam();
  const Bytes bytes = query();
  auto r = parse_query(bytes);
  ASSERT_TRUE(std::holds_alternative<Query>(r)) << std::get<QueryError>(r).error.what;
  const Query& q = std::get<Query>(r);
  EXPECT_FALSE(q.header.qr);
  EXPECT_EQ(q.header.opcode, opcode::QUERY);
  EXPECT_TRUE(q.header.rd);
  EXPECT_EQ(q.header.ad, c.ad);
  EXPECT_EQ(q.qname.to_text(), c.qname);
  EXPECT_EQ(q.qtype, c.qtype);
  EXPECT_EQ(q.qclass, klass::IN);
  EXPECT_EQ(q.question_end, kHeaderSize + q.qname.wire_size() + 4);
  ASSERT_EQ(q.edns.has_value(), c.edns_size.has_value());
  if (q.edns) {
    EXPECT_EQ(q.edns->udp_size, *c.edns_size);
    EXPECT_EQ(q.edns->version, 0);
    EXPECT_EQ(q.edns->dnssec_ok, c.dnssec_ok);
    if (c.cookie) {
      ASSERT_EQ(q.edns->options.size(), 12u);
      EXPECT_EQ(q.edns->options[1], 10);  // COOKIE
      EXPECT_EQ(q.edns->options[3], 8);   // client cookie only
    } else {
      EXPECT_TRUE(q.edns->options.empty());
    }
    EXPECT_EQ(udp_reply_limit(q.edns), std::min<size_t>(*c.edns_size, 1232));
  } else {
    EXPECT_EQ(udp_reply_limit(q.edns), 512u);
  }
}

TEST_P(DnsCapture, QueryReencodesToTheSameBytes) {
  const Bytes bytes = query();
  auto m = parse_message(bytes);
  ASSERT_TRUE(m) << m.error().what;
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name.to_text(), GetParam().qname);
  auto again = encode_message(*m);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, bytes);
}

TEST_P(DnsCapture, ResponseAnswersTheQuery) {
  const Capture& c = GetParam();
  const Bytes q = query();
  const Bytes bytes = response();
  auto m = parse_message(bytes);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_EQ(m->header.id, parse_header(q)->id);
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.aa);
  EXPECT_EQ(m->header.rcode, rcode::NOERROR);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name.to_text(), c.qname);  // case echoed
  ASSERT_FALSE(m->answers.empty());
  EXPECT_TRUE(m->answers[0].name == m->questions[0].name);
  EXPECT_EQ(m->answers[0].ttl, 600u);
  EXPECT_EQ(min_ttl(*m), 600u);
  EXPECT_EQ(m->edns.has_value(), c.edns_size.has_value());
  if (m->edns) {
    EXPECT_EQ(m->edns->udp_size, 1232);  // dnsmasq's own
    EXPECT_EQ(m->edns->dnssec_ok, c.dnssec_ok);
  }
  // A parse query on a response is a FORMERR.
  auto as_query = parse_query(bytes);
  ASSERT_TRUE(std::holds_alternative<QueryError>(as_query));
  EXPECT_EQ(std::get<QueryError>(as_query).header->id, m->header.id);
}

TEST_P(DnsCapture, ResponseRoundTrips) {
  const Bytes bytes = response();
  auto m = parse_message(bytes);
  ASSERT_TRUE(m) << m.error().what;
  auto wire = encode_message(*m);
  ASSERT_TRUE(wire);
  if (GetParam().reencodes_to_same_bytes) {
    EXPECT_EQ(*wire, bytes);
  } else {
    EXPECT_LT(wire->size(), bytes.size());  // berth also compresses the rdata name
  }
  auto back = parse_message(*wire);
  ASSERT_TRUE(back) << back.error().what;
  auto twice = encode_message(*back);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, *wire);
}

INSTANTIATE_TEST_SUITE_P(RealClients, DnsCapture, ::testing::ValuesIn(captures()),
                         [](const auto& info) { return info.param.file; });

Message response(const std::string& file) {
  auto m = parse_message(read_hex_file("dns/" + file + "_response.hex"));
  EXPECT_TRUE(m) << file << ": " << (m ? "" : m.error().what);
  return m ? *m : Message{};
}

std::string rdata_name(const Record& r) {
  const Name* n = std::get_if<Name>(&r.rdata);
  return n != nullptr ? n->to_text() : "(not a name)";
}

TEST(DnsCaptureAnswers, CnameChain) {
  const Message m = response("dig_cname");
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].type, type::CNAME);
  EXPECT_EQ(rdata_name(m.answers[0]), "web.berth");
  EXPECT_EQ(m.answers[1].type, type::A);
  EXPECT_EQ(m.answers[1].name.to_text(), "web.berth");  // pointer into the CNAME rdata
  EXPECT_EQ(std::get<RawRdata>(m.answers[1].rdata), (RawRdata{198, 18, 0, 10}));
}

TEST(DnsCaptureAnswers, PtrMxSrvTxt) {
  const Message ptr = response("dig_ptr");
  ASSERT_EQ(ptr.answers.size(), 1u);
  EXPECT_EQ(rdata_name(ptr.answers[0]), "web.berth");

  const Message mx = response("dig_mx");
  ASSERT_EQ(mx.answers.size(), 1u);
  EXPECT_TRUE(std::get<Mx>(mx.answers[0].rdata) == (Mx{10, *Name::from_text("mail.berth")}));
  ASSERT_EQ(mx.additional.size(), 1u);
  EXPECT_EQ(mx.additional[0].name.to_text(), "mail.berth");
  EXPECT_EQ(std::get<RawRdata>(mx.additional[0].rdata), (RawRdata{198, 18, 0, 11}));

  const Message srv = response("dig_srv");
  ASSERT_EQ(srv.answers.size(), 1u);
  EXPECT_TRUE(std::get<Srv>(srv.answers[0].rdata) ==
              (Srv{0, 5, 80, *Name::from_text("web.berth")}));
  ASSERT_EQ(srv.additional.size(), 2u);
  EXPECT_EQ(srv.additional[0].type, type::A);
  EXPECT_EQ(srv.additional[1].type, type::AAAA);
  EXPECT_EQ(srv.additional[1].name.to_text(), "web.berth");
  EXPECT_EQ(std::get<RawRdata>(srv.additional[1].rdata).size(), 16u);

  const Message txt = response("dig_txt");
  ASSERT_EQ(txt.answers.size(), 1u);
  const RawRdata& rd = std::get<RawRdata>(txt.answers[0].rdata);
  EXPECT_EQ(std::string(rd.begin(), rd.end()), "\x08v=berth1\x0bhello world");
}

TEST(DnsCaptureAnswers, HandMadeNxdomainWithSoa) {
  const Message m = response("handmade_nxdomain_soa");
  EXPECT_EQ(m.header.rcode, rcode::NXDOMAIN);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.authority.size(), 1u);
  const Record& r = m.authority[0];
  EXPECT_EQ(r.name.to_text(), "berth");
  EXPECT_EQ(r.ttl, 3600u);
  const Soa& soa = std::get<Soa>(r.rdata);
  EXPECT_EQ(soa.mname.to_text(), "ns.berth");
  EXPECT_EQ(soa.rname.to_text(), "hostmaster.berth");
  EXPECT_EQ(soa.serial, 2026112301u);
  EXPECT_EQ(soa.refresh, 1200u);
  EXPECT_EQ(soa.retry, 180u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 600u);
  EXPECT_EQ(min_ttl(m), 3600u);
  // berth compresses exactly as the hand-made message does.
  auto wire = encode_message(m);
  ASSERT_TRUE(wire);
  EXPECT_EQ(*wire, read_hex_file("dns/handmade_nxdomain_soa_response.hex"));
}

}  // namespace
}  // namespace berth::dns
