// protocol/dns/encode.cpp: name compression, truncation and the OPT record,
// checked on the bytes and by parsing them back.
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

}  // namespace
}  // namespace berth::dns
