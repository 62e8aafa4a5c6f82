// protocol/dns/message.cpp: the record constructors and what is asked of a
// whole message, and a round trip of every record type through the codec.
#include "protocol/dns/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/unit/protocol/dns_test_util.hpp"

namespace berth::dns {
namespace {

using test::encode;
using test::expect_same_message;
using test::name;
using test::reparse;

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
