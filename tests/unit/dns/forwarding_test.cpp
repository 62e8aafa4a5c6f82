#include "dns/forwarding.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "dns/cache.hpp"

namespace berth::dns {
namespace {

dns::Name name(std::string_view text) {
  auto n = dns::Name::from_text(text);
  EXPECT_TRUE(n) << text;
  return n ? *n : dns::Name();
}

dns::Query as_query(ByteView packet) {
  auto parsed = dns::parse_query(packet);
  EXPECT_TRUE(std::holds_alternative<dns::Query>(parsed));
  return std::holds_alternative<dns::Query>(parsed) ? std::get<dns::Query>(parsed) : dns::Query{};
}

struct ClientQuery {
  Bytes packet;
  dns::Query q;
};

ClientQuery client_query(std::string_view qname, uint16_t qtype, bool edns, bool dnssec_ok = false,
                         uint8_t opcode = dns::opcode::QUERY) {
  dns::Message m;
  m.header.id = 0xC0DE;
  m.header.rd = true;
  m.header.opcode = opcode;
  if (!qname.empty()) m.questions.push_back({name(qname), qtype, dns::klass::IN});
  if (edns) m.edns = dns::Edns{.udp_size = 4096, .dnssec_ok = dnssec_ok};
  ClientQuery c;
  c.packet = *dns::encode_message(m);
  c.q = as_query(c.packet);
  return c;
}

dns::Message response_to(const std::string& qname, uint16_t qtype, uint16_t id = 0x1234) {
  dns::Message m;
  m.header.id = id;
  m.header.qr = true;
  m.header.rd = true;
  m.header.ra = true;
  m.questions.push_back({name(qname), qtype, dns::klass::IN});
  return m;
}

Bytes wire(const dns::Message& m) {
  auto b = dns::encode_message(m);
  EXPECT_TRUE(b);
  return b ? *b : Bytes{};
}

// ---- make_upstream_query ----

TEST(UpstreamQuery, ParsesBackWithTheCodec) {
  for (bool dnssec_ok : {false, true}) {
    const Bytes packet = make_upstream_query(0xABCD, name("WwW.Example.COM"), dns::type::AAAA,
                                             dns::klass::IN, dnssec_ok);
    const dns::Query q = as_query(packet);
    EXPECT_EQ(q.header.id, 0xABCD);
    EXPECT_TRUE(q.header.rd);
    EXPECT_FALSE(q.header.qr);
    EXPECT_FALSE(q.header.cd);
    EXPECT_EQ(q.header.opcode, dns::opcode::QUERY);
    EXPECT_EQ(q.header.qdcount, 1);
    EXPECT_EQ(q.header.arcount, 1);
    EXPECT_EQ(q.qname.to_text(), "WwW.Example.COM");  // name as given
    EXPECT_EQ(q.qtype, dns::type::AAAA);
    EXPECT_EQ(q.qclass, dns::klass::IN);
    ASSERT_TRUE(q.edns);
    EXPECT_EQ(q.edns->udp_size, 1232);
    EXPECT_EQ(q.edns->version, 0);
    EXPECT_EQ(q.edns->dnssec_ok, dnssec_ok);
    EXPECT_TRUE(q.edns->options.empty());
    EXPECT_EQ(q.question_end + 11, packet.size());

    auto m = dns::parse_message(packet);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->questions.size(), 1u);
    EXPECT_TRUE(m->answers.empty() && m->authority.empty() && m->additional.empty());
  }
  EXPECT_EQ(as_query(make_upstream_query(1, dns::Name(), dns::type::NS, dns::klass::IN, false))
                .qname.to_text(),
            ".");
}

// ---- answers_query ----

class AnswersQuery : public ::testing::Test {
 protected:
  const dns::Name qname = name("www.example.com");
  Bytes good = wire(response_to("WWW.example.COM", dns::type::A));
  bool answers(const Bytes& b) const {
    return answers_query(b, 0x1234, qname, dns::type::A, dns::klass::IN);
  }
};

TEST_F(AnswersQuery, AcceptsTheMatchingResponseIgnoringCase) { EXPECT_TRUE(answers(good)); }

TEST_F(AnswersQuery, RefusesAQuery) {
  dns::Message m = response_to("www.example.com", dns::type::A);
  m.header.qr = false;
  EXPECT_FALSE(answers(wire(m)));
}

TEST_F(AnswersQuery, RefusesAnotherId) {
  EXPECT_FALSE(answers(wire(response_to("www.example.com", dns::type::A, 0x1235))));
}

TEST_F(AnswersQuery, RefusesAnotherOpcode) {
  dns::Message m = response_to("www.example.com", dns::type::A);
  m.header.opcode = 2;  // STATUS
  EXPECT_FALSE(answers(wire(m)));
}

TEST_F(AnswersQuery, RefusesNoOrTwoQuestions) {
  dns::Message none = response_to("www.example.com", dns::type::A);
  none.questions.clear();
  EXPECT_FALSE(answers(wire(none)));
  dns::Message two = response_to("www.example.com", dns::type::A);
  two.questions.push_back(two.questions[0]);
  EXPECT_FALSE(answers(wire(two)));
}

TEST_F(AnswersQuery, RefusesAnotherQuestion) {
  EXPECT_FALSE(answers(wire(response_to("www.example.org", dns::type::A))));
  EXPECT_FALSE(answers(wire(response_to("ww.example.com", dns::type::A))));
  EXPECT_FALSE(answers(wire(response_to("wwx.example.com", dns::type::A))));
  EXPECT_FALSE(answers(wire(response_to("www.example.com.evil", dns::type::A))));
  EXPECT_FALSE(answers(wire(response_to("www.example.com", dns::type::AAAA))));
  dns::Message chaos = response_to("www.example.com", dns::type::A);
  chaos.questions[0].klass = dns::klass::CH;
  EXPECT_FALSE(answers(wire(chaos)));
}

TEST_F(AnswersQuery, RefusesTruncatedBytes) {
  for (size_t n : {size_t{0}, size_t{11}, size_t{12}, size_t{20}, good.size() - 1}) {
    EXPECT_FALSE(answers(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)))) << n;
  }
}

// ---- response_for_client ----

TEST(ResponseForClient, RewritesHeaderQuestionAndOpt) {
  dns::Message m = response_to("www.example.com", dns::type::A);
  m.header.aa = true;
  m.answers = {dns::Record::a(name("www.example.com"), 300, Ipv4Address(0xC6120001u))};
  m.edns = dns::Edns{.udp_size = 4096, .dnssec_ok = true};
  const Bytes upstream = wire(m);

  const ClientQuery c = client_query("WWW.example.com", dns::type::A, /*edns=*/true);
  std::array<uint8_t, 1232> out{};
  auto n = response_for_client(upstream, c.q, c.packet, out, out.size());
  ASSERT_TRUE(n);
  auto r = dns::parse_message(ByteView(out).first(*n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.id, 0xC0DE);
  EXPECT_FALSE(r->header.aa);
  EXPECT_TRUE(r->header.ra);
  EXPECT_EQ(r->questions[0].name.to_text(), "WWW.example.com");
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].ttl, 300u);
  ASSERT_TRUE(r->edns);
  EXPECT_FALSE(r->edns->dnssec_ok);  // the client's DO, not upstream's
  EXPECT_EQ(r->edns->udp_size, 1232);

  // The same bytes as the cache gives for a fresh entry.
  DnsCache cache(10);
  const auto now = DnsCache::Clock::now();
  const CacheKey key = CacheKey::of(c.q);
  ASSERT_TRUE(cache.store(key, upstream, now));
  std::array<uint8_t, 1232> cached{};
  auto cn = cache.answer(key, c.q, c.packet, cached, cached.size(), now);
  ASSERT_TRUE(cn);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)),
            Bytes(cached.begin(), cached.begin() + static_cast<std::ptrdiff_t>(*cn)));
}

TEST(ResponseForClient, PassesOnWhatTheCacheWouldNotStore) {
  const ClientQuery c = client_query("www.example.com", dns::type::A, /*edns=*/false);
  std::array<uint8_t, 512> out{};

  dns::Message servfail = response_to("www.example.com", dns::type::A);
  servfail.header.rcode = dns::rcode::SERVFAIL;
  auto n = response_for_client(wire(servfail), c.q, c.packet, out, out.size());
  ASSERT_TRUE(n);
  auto r = dns::parse_message(ByteView(out).first(*n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.rcode, dns::rcode::SERVFAIL);
  EXPECT_EQ(r->header.id, 0xC0DE);

  // Upstream's TC stays: the client retries over TCP.
  dns::Message truncated = response_to("www.example.com", dns::type::A);
  truncated.header.tc = true;
  n = response_for_client(wire(truncated), c.q, c.packet, out, out.size());
  ASSERT_TRUE(n);
  r = dns::parse_message(ByteView(out).first(*n));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header.tc);
}

TEST(ResponseForClient, RefusesGarbageAndAnotherQuestion) {
  const ClientQuery c = client_query("www.example.com", dns::type::A, /*edns=*/false);
  std::array<uint8_t, 512> out{};
  EXPECT_FALSE(response_for_client(Bytes{0x12, 0x34, 0x81}, c.q, c.packet, out, out.size()));
  Bytes cut = wire(response_to("www.example.com", dns::type::A));
  cut.pop_back();
  EXPECT_FALSE(response_for_client(cut, c.q, c.packet, out, out.size()));
  EXPECT_FALSE(response_for_client(wire(response_to("www.example.org", dns::type::A)), c.q,
                                   c.packet, out, out.size()));
  EXPECT_FALSE(response_for_client(wire(response_to("www.example.com", dns::type::MX)), c.q,
                                   c.packet, out, out.size()));
}

TEST(ResponseForClient, TruncatesToTheClientsLimit) {
  dns::Message m = response_to("big.example.com", dns::type::TXT);
  for (int i = 0; i < 6; ++i) {
    m.answers.push_back(dns::Record::txt(name("big.example.com"), 60, {std::string(120, 'x')}));
  }
  const ClientQuery c = client_query("big.example.com", dns::type::TXT, /*edns=*/false);
  std::array<uint8_t, 4096> out{};
  auto n = response_for_client(wire(m), c.q, c.packet, out, dns::kPlainUdpLimit);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, c.q.question_end);
  auto r = dns::parse_message(ByteView(out).first(*n));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header.tc);
  EXPECT_TRUE(r->answers.empty());
  // Over TCP (65535) the whole answer goes.
  n = response_for_client(wire(m), c.q, c.packet, out, out.size());
  ASSERT_TRUE(n);
  r = dns::parse_message(ByteView(out).first(*n));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->header.tc);
  EXPECT_EQ(r->answers.size(), 6u);
}

// ---- error_reply ----

TEST(ErrorReply, ServfailCopiesIdRdQuestionAndDo) {
  const ClientQuery c = client_query("MiXeD.example.com", dns::type::A, true, /*dnssec_ok=*/true);
  std::array<uint8_t, 512> out{};
  const size_t n = error_reply(c.q, c.packet, dns::rcode::SERVFAIL, out);
  ASSERT_GT(n, 0u);
  auto r = dns::parse_message(ByteView(out).first(n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.id, 0xC0DE);
  EXPECT_TRUE(r->header.qr);
  EXPECT_TRUE(r->header.rd);
  EXPECT_TRUE(r->header.ra);
  EXPECT_FALSE(r->header.aa);
  EXPECT_EQ(r->header.rcode, dns::rcode::SERVFAIL);
  ASSERT_EQ(r->questions.size(), 1u);
  EXPECT_EQ(r->questions[0].name.to_text(), "MiXeD.example.com");
  EXPECT_TRUE(r->answers.empty());
  ASSERT_TRUE(r->edns);
  EXPECT_TRUE(r->edns->dnssec_ok);
  EXPECT_EQ(r->edns->udp_size, 1232);
  EXPECT_EQ(n, c.q.question_end + 11);
}

TEST(ErrorReply, WithoutEdnsHasNoOpt) {
  const ClientQuery c = client_query("example.com", dns::type::A, false);
  std::array<uint8_t, 512> out{};
  const size_t n = error_reply(c.q, c.packet, dns::rcode::REFUSED, out);
  ASSERT_EQ(n, c.q.question_end);
  auto r = dns::parse_message(ByteView(out).first(n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.rcode, dns::rcode::REFUSED);
  EXPECT_FALSE(r->edns);
}

TEST(ErrorReply, ExtendedRcodeGoesIntoTheOpt) {
  const ClientQuery c = client_query("example.com", dns::type::A, true);
  std::array<uint8_t, 512> out{};
  const size_t n = error_reply(c.q, c.packet, /*BADVERS=*/16, out);
  auto r = dns::parse_message(ByteView(out).first(n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.rcode, 0);
  ASSERT_TRUE(r->edns);
  EXPECT_EQ(r->edns->extended_rcode, 1);
}

TEST(ErrorReply, NotimpForAnOpcodeWithoutQuestion) {
  const ClientQuery c = client_query("", 0, false, false, /*opcode=NOTIFY*/ 4);
  std::array<uint8_t, 512> out{};
  const size_t n = error_reply(c.q, c.packet, dns::rcode::NOTIMP, out);
  ASSERT_EQ(n, dns::kHeaderSize);
  auto r = dns::parse_message(ByteView(out).first(n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.opcode, 4);
  EXPECT_EQ(r->header.rcode, dns::rcode::NOTIMP);
  EXPECT_TRUE(r->questions.empty());
}

TEST(ErrorReply, LongestNameFitsIn512AndSmallBufferGivesZero) {
  std::string longest;
  for (int i = 0; i < 4; ++i) longest += std::string(i < 3 ? 63 : 61, 'a' + i) + ".";
  longest.pop_back();
  ASSERT_EQ(name(longest).wire_size(), 255u);
  const ClientQuery c = client_query(longest, dns::type::A, true);
  std::array<uint8_t, 512> out{};
  const size_t n = error_reply(c.q, c.packet, dns::rcode::SERVFAIL, out);
  EXPECT_EQ(n, 12u + 255u + 4u + 11u);
  EXPECT_TRUE(dns::parse_message(ByteView(out).first(n)));
  std::array<uint8_t, 100> small{};
  EXPECT_EQ(error_reply(c.q, c.packet, dns::rcode::SERVFAIL, small), 0u);
}

// ---- parse_resolv_conf ----

TEST(ResolvConf, ReadsNameserversSkippingCommentsAndOtherLines) {
  const auto ups = parse_resolv_conf(
      "# Generated by NetworkManager\n"
      "search example.com\n"
      "; nameserver 198.18.9.9\n"
      "options edns0 trust-ad\n"
      "nameserver 198.18.1.1\n"
      "  nameserver\t198.18.1.2   # trailing comment\r\n"
      "nameserver fe80::1%eth0\n");
  ASSERT_EQ(ups.size(), 3u);
  EXPECT_EQ(ups[0], (config::Upstream{"198.18.1.1", 53, false}));
  EXPECT_EQ(ups[1], (config::Upstream{"198.18.1.2", 53, false}));
  EXPECT_EQ(ups[2], (config::Upstream{"fe80::1", 53, true}));
}

TEST(ResolvConf, KeepsAtMostThreeValidOnes) {
  const auto ups = parse_resolv_conf(
      "nameserver not-an-address\n"
      "nameserver\n"
      "nameservers 198.18.0.9\n"
      "nameserver 198.18.0.300\n"
      "nameserver 198.18.0.1:53\n"
      "nameserver 198.18.0.1%eth0\n"
      "nameserver fd00::53\n"
      "nameserver 198.18.0.2\n"
      "nameserver 198.18.0.3\n"
      "nameserver 198.18.0.4");
  ASSERT_EQ(ups.size(), 3u);
  EXPECT_EQ(ups[0], (config::Upstream{"fd00::53", 53, true}));
  EXPECT_EQ(ups[1].address, "198.18.0.2");
  EXPECT_EQ(ups[2].address, "198.18.0.3");
}

TEST(ResolvConf, EmptyOrNoNameservers) {
  EXPECT_TRUE(parse_resolv_conf("").empty());
  EXPECT_TRUE(parse_resolv_conf("search berth\noptions ndots:1\n").empty());
  EXPECT_EQ(parse_resolv_conf("nameserver 127.0.0.53").size(), 1u);  // no final newline
}

// ---- upstreams_for ----

TEST(UpstreamsFor, LongestDomainWinsAtLabelBoundaries) {
  const std::vector<config::Upstream> defaults{{"198.18.0.1", 53, false}};
  const std::vector<config::DomainUpstreams> servers{
      {"example.com", {{"198.18.1.1", 53, false}}},
      {"corp.EXAMPLE.com.", {{"198.18.2.2", 5353, false}}},
      {"example.org", {{"fd00::1", 53, true}}},
  };
  auto pick = [&](std::string_view qname) -> const std::vector<config::Upstream>& {
    return upstreams_for(name(qname), servers, defaults);
  };
  EXPECT_EQ(&pick("example.com"), &servers[0].upstreams);
  EXPECT_EQ(&pick("www.Example.COM"), &servers[0].upstreams);
  EXPECT_EQ(&pick("db.corp.example.com"), &servers[1].upstreams);
  EXPECT_EQ(&pick("CORP.example.com"), &servers[1].upstreams);
  EXPECT_EQ(&pick("xcorp.example.com"), &servers[0].upstreams);
  EXPECT_EQ(&pick("xample.com"), &defaults);
  EXPECT_EQ(&pick("badexample.com"), &defaults);
  EXPECT_EQ(&pick("example.com.net"), &defaults);
  EXPECT_EQ(&pick("a.example.org"), &servers[2].upstreams);
  EXPECT_EQ(&pick("com"), &defaults);
  EXPECT_EQ(&upstreams_for(name("www.example.com"), {}, defaults), &defaults);
}

TEST(UpstreamsFor, OrderOfTheListDoesNotMatter) {
  const std::vector<config::Upstream> defaults;
  const std::vector<config::DomainUpstreams> servers{
      {"a.b.c", {{"198.18.3.3", 53, false}}},
      {"b.c", {{"198.18.2.2", 53, false}}},
      {"", {{"198.18.9.9", 53, false}}},  // not a domain: never matches
  };
  EXPECT_EQ(&upstreams_for(name("x.a.b.c"), servers, defaults), &servers[0].upstreams);
  EXPECT_EQ(&upstreams_for(name("x.b.c"), servers, defaults), &servers[1].upstreams);
  EXPECT_EQ(&upstreams_for(name("x.c"), servers, defaults), &defaults);
}

}  // namespace
}  // namespace berth::dns
