#include "dns/cache.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace berth::dns {
namespace {

using namespace std::chrono_literals;
using Clock = DnsCache::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

dns::Name name(std::string_view text) {
  auto n = dns::Name::from_text(text);
  EXPECT_TRUE(n) << text;
  return n ? *n : dns::Name();
}

// A client's query as the server holds it: its bytes and what parse_query made of them.
struct ClientQuery {
  Bytes packet;
  dns::Query q;
  CacheKey key() const { return CacheKey::of(q); }
};

struct QueryOptions {
  uint16_t id = 0x2222;
  bool rd = true;
  bool cd = false;
  bool edns = false;
  bool dnssec_ok = false;
};

ClientQuery client_query(const dns::Name& qname, uint16_t qtype, QueryOptions o = {}) {
  dns::Message m;
  m.header.id = o.id;
  m.header.rd = o.rd;
  m.header.cd = o.cd;
  m.questions.push_back({qname, qtype, dns::klass::IN});
  if (o.edns) m.edns = dns::Edns{.udp_size = 4096, .dnssec_ok = o.dnssec_ok};
  ClientQuery c;
  c.packet = *dns::encode_message(m);
  auto parsed = dns::parse_query(c.packet);
  EXPECT_TRUE(std::holds_alternative<dns::Query>(parsed));
  if (std::holds_alternative<dns::Query>(parsed)) c.q = std::get<dns::Query>(parsed);
  return c;
}

ClientQuery client_query(std::string_view qname, uint16_t qtype, QueryOptions o = {}) {
  return client_query(name(qname), qtype, o);
}

dns::Record a_record(std::string_view owner, uint32_t ttl, uint8_t last) {
  return dns::Record::a(name(owner), ttl, Ipv4Address(0xC6120000u | last));  // 198.18.0.<last>
}

dns::Record soa_record(std::string_view zone, uint32_t ttl, uint32_t minimum) {
  return dns::Record::soa(name(zone), ttl,
                          dns::Soa{.mname = name("ns1." + std::string(zone)),
                                   .rname = name("hostmaster." + std::string(zone)),
                                   .serial = 1,
                                   .refresh = 7200,
                                   .retry = 900,
                                   .expire = 1209600,
                                   .minimum = minimum});
}

// An upstream response as a recursive resolver sends it: AA and RA set, an
// OPT record unless told otherwise.
dns::Message upstream(std::string_view qname, uint16_t qtype, uint8_t rcode = dns::rcode::NOERROR) {
  dns::Message m;
  m.header.id = 0x1111;
  m.header.qr = true;
  m.header.aa = true;
  m.header.rd = true;
  m.header.ra = true;
  m.header.rcode = rcode;
  m.questions.push_back({name(qname), qtype, dns::klass::IN});
  m.edns = dns::Edns{.udp_size = 1232};
  return m;
}

Bytes wire(const dns::Message& m) {
  auto b = dns::encode_message(m);
  EXPECT_TRUE(b);
  return b ? *b : Bytes{};
}

// Answers `c` from the cache at `now` and parses the reply.
std::optional<dns::Message> ask(DnsCache& cache, const ClientQuery& c, Clock::time_point now,
                                size_t limit = 1232, Bytes* raw = nullptr) {
  std::array<uint8_t, 4096> out{};
  auto n = cache.answer(c.key(), c.q, c.packet, out, limit, now);
  if (!n) return std::nullopt;
  EXPECT_LE(*n, limit);
  if (raw) raw->assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  auto m = dns::parse_message(ByteView(out).first(*n));
  EXPECT_TRUE(m) << (m ? "" : m.error().what);
  if (!m) return std::nullopt;
  return *m;
}

dns::Message positive_example() {
  dns::Message m = upstream("example.com", dns::type::A);
  m.answers = {a_record("example.com", 300, 1), a_record("example.com", 200, 2)};
  return m;
}

TEST(DnsCacheKey, LowercasesNameAndTakesDoFromEdns) {
  const ClientQuery plain = client_query("ExAmPle.COM", dns::type::AAAA);
  const CacheKey k = plain.key();
  EXPECT_EQ(k.name.to_text(), "example.com");
  EXPECT_EQ(k.type, dns::type::AAAA);
  EXPECT_EQ(k.klass, dns::klass::IN);
  EXPECT_FALSE(k.dnssec_ok);
  EXPECT_FALSE(client_query("a", 1, {.edns = true}).key().dnssec_ok);
  EXPECT_TRUE(client_query("a", 1, {.edns = true, .dnssec_ok = true}).key().dnssec_ok);

  const CacheKey lower = client_query("example.com", dns::type::AAAA).key();
  EXPECT_EQ(k, lower);
  EXPECT_EQ(CacheKeyHash{}(k), CacheKeyHash{}(lower));
  CacheKey other_type = k;
  other_type.type = dns::type::A;
  EXPECT_FALSE(k == other_type);
  CacheKey with_do = k;
  with_do.dnssec_ok = true;
  EXPECT_FALSE(k == with_do);
  EXPECT_NE(CacheKeyHash{}(k), CacheKeyHash{}(with_do));
}

TEST(DnsCache, RoundTripUsesQueryIdAndCaseAndAgesTtls) {
  DnsCache cache(100);
  const ClientQuery c = client_query("ExAmPle.COM", dns::type::A, {.id = 0x2222});
  ASSERT_TRUE(cache.store(c.key(), wire(positive_example()), t0));

  Bytes raw;
  auto m = ask(cache, c, t0 + 10s + 900ms, 1232, &raw);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header.id, 0x2222);
  EXPECT_TRUE(m->header.qr);
  EXPECT_FALSE(m->header.aa);
  EXPECT_TRUE(m->header.ra);
  EXPECT_TRUE(m->header.rd);
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->header.rcode, dns::rcode::NOERROR);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name.to_text(), "ExAmPle.COM");  // exact case of the query
  // The question bytes are the query's own.
  EXPECT_TRUE(
      std::equal(c.packet.begin() + 12, c.packet.begin() + c.q.question_end, raw.begin() + 12));
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].ttl, 290u);  // 10.9 s of age round down to 10
  EXPECT_EQ(m->answers[1].ttl, 190u);
  EXPECT_EQ(m->answers[0].rdata, positive_example().answers[0].rdata);
  EXPECT_EQ(m->answers[1].rdata, positive_example().answers[1].rdata);
  EXPECT_FALSE(m->edns);  // the query had no OPT, so neither has the reply

  const CacheStats s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.stored, 1u);
  EXPECT_EQ(s.entries, 1u);
}

TEST(DnsCache, CopiesRdAndCdFromTheQuery) {
  DnsCache cache(100);
  const ClientQuery no_rd = client_query("example.com", dns::type::A, {.rd = false, .cd = true});
  ASSERT_TRUE(cache.store(no_rd.key(), wire(positive_example()), t0));
  auto m = ask(cache, no_rd, t0);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header.rd);
  EXPECT_TRUE(m->header.cd);
  EXPECT_TRUE(m->header.ra);
  auto again = ask(cache, client_query("example.com", dns::type::A, {.rd = true}), t0);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->header.rd);
  EXPECT_FALSE(again->header.cd);
}

TEST(DnsCache, ExpiresAtExactlyTheLowestTtl) {
  DnsCache cache(100);
  const ClientQuery c = client_query("example.com", dns::type::A);
  ASSERT_TRUE(cache.store(c.key(), wire(positive_example()), t0));
  auto last = ask(cache, c, t0 + 200s - 1ms);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->answers[1].ttl, 1u);
  EXPECT_EQ(last->answers[0].ttl, 101u);
  EXPECT_FALSE(ask(cache, c, t0 + 200s));
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.expired, 1u);
  EXPECT_EQ(s.entries, 0u);  // removed
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  // Removed, not only skipped: an earlier time does not bring it back.
  EXPECT_FALSE(ask(cache, c, t0));
}

TEST(DnsCache, CapsLifetimeAndTtlsAtMaxTtl) {
  DnsCache cache(100, /*max_ttl=*/100);
  dns::Message m = upstream("example.com", dns::type::A);
  m.answers = {a_record("example.com", 5000, 1)};
  const ClientQuery c = client_query("example.com", dns::type::A);
  ASSERT_TRUE(cache.store(c.key(), wire(m), t0));
  auto r = ask(cache, c, t0 + 30s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->answers[0].ttl, 70u);
  EXPECT_FALSE(ask(cache, c, t0 + 100s));
}

TEST(DnsCache, NegativeLifetimeIsSoaTtlWhenLower) {
  DnsCache cache(100);
  dns::Message m = upstream("nope.example.com", dns::type::A, dns::rcode::NXDOMAIN);
  m.authority = {soa_record("example.com", 60, 900)};
  const ClientQuery c = client_query("nope.example.com", dns::type::A);
  ASSERT_TRUE(cache.store(c.key(), wire(m), t0));
  auto r = ask(cache, c, t0 + 59s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.rcode, dns::rcode::NXDOMAIN);
  ASSERT_EQ(r->authority.size(), 1u);
  EXPECT_EQ(r->authority[0].ttl, 1u);
  EXPECT_EQ(std::get<dns::Soa>(r->authority[0].rdata).minimum, 900u);  // rdata untouched
  EXPECT_FALSE(ask(cache, c, t0 + 60s));
}

TEST(DnsCache, NegativeLifetimeIsSoaMinimumWhenLower) {
  DnsCache cache(100);
  dns::Message m = upstream("nope.example.com", dns::type::A, dns::rcode::NXDOMAIN);
  m.authority = {soa_record("example.com", 3600, 300)};
  const ClientQuery c = client_query("nope.example.com", dns::type::A);
  ASSERT_TRUE(cache.store(c.key(), wire(m), t0));
  auto r = ask(cache, c, t0 + 100s);
  ASSERT_TRUE(r);
  // RFC 2308 5: the SOA's TTL says no more than the negative answer's lifetime.
  EXPECT_EQ(r->authority[0].ttl, 200u);
  EXPECT_TRUE(ask(cache, c, t0 + 299s));
  EXPECT_FALSE(ask(cache, c, t0 + 300s));
}

TEST(DnsCache, NodataIsCachedWithSoa) {
  DnsCache cache(100);
  dns::Message m = upstream("example.com", dns::type::AAAA);
  m.authority = {soa_record("example.com", 600, 120)};
  const ClientQuery c = client_query("example.com", dns::type::AAAA);
  ASSERT_TRUE(cache.store(c.key(), wire(m), t0));
  auto r = ask(cache, c, t0 + 20s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(r->answers.empty());
  ASSERT_EQ(r->authority.size(), 1u);
  EXPECT_EQ(r->authority[0].type, dns::type::SOA);
  EXPECT_EQ(r->authority[0].ttl, 100u);
  EXPECT_FALSE(ask(cache, c, t0 + 120s));
}

TEST(DnsCache, NegativeAnswerWithoutSoaIsNotStored) {
  DnsCache cache(100);
  const ClientQuery c = client_query("nope.example.com", dns::type::A);
  const dns::Message nxdomain = upstream("nope.example.com", dns::type::A, dns::rcode::NXDOMAIN);
  EXPECT_FALSE(cache.store(c.key(), wire(nxdomain), t0));
  // A referral (NS in authority, no SOA) is not a cacheable NODATA either.
  dns::Message nodata = upstream("nope.example.com", dns::type::A);
  nodata.authority = {dns::Record{name("example.com"), dns::type::NS, dns::klass::IN, 300,
                                  name("ns1.example.com")}};
  EXPECT_FALSE(cache.store(c.key(), wire(nodata), t0));
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_FALSE(ask(cache, c, t0));
}

TEST(DnsCache, RefusesWhatMustNotBeCached) {
  DnsCache cache(100);
  const ClientQuery c = client_query("example.com", dns::type::A);

  dns::Message tc = positive_example();
  tc.header.tc = true;
  EXPECT_FALSE(cache.store(c.key(), wire(tc), t0));

  dns::Message servfail = upstream("example.com", dns::type::A, dns::rcode::SERVFAIL);
  servfail.authority = {soa_record("example.com", 600, 600)};
  EXPECT_FALSE(cache.store(c.key(), wire(servfail), t0));
  EXPECT_FALSE(cache.store(c.key(), wire(upstream("example.com", 1, dns::rcode::REFUSED)), t0));

  dns::Message query = positive_example();
  query.header.qr = false;
  EXPECT_FALSE(cache.store(c.key(), wire(query), t0));

  dns::Message zero_ttl = upstream("example.com", dns::type::A);
  zero_ttl.answers = {a_record("example.com", 300, 1), a_record("example.com", 0, 2)};
  EXPECT_FALSE(cache.store(c.key(), wire(zero_ttl), t0));

  // RFC 2181 8: a TTL with the top bit set means 0.
  dns::Message top_bit = upstream("example.com", dns::type::A);
  top_bit.answers = {a_record("example.com", 0x80000001u, 1)};
  EXPECT_FALSE(cache.store(c.key(), wire(top_bit), t0));

  // An extended rcode (BADCOOKIE 23 = 1 << 4 | 7) in the OPT record.
  dns::Message extended = positive_example();
  extended.edns->extended_rcode = 1;
  EXPECT_FALSE(cache.store(c.key(), wire(extended), t0));

  Bytes garbage = wire(positive_example());
  garbage.pop_back();
  EXPECT_FALSE(cache.store(c.key(), garbage, t0));
  EXPECT_FALSE(cache.store(c.key(), Bytes{1, 2, 3}, t0));

  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().stored, 0u);
}

TEST(DnsCache, MismatchedQuestionIsNotStored) {
  DnsCache cache(100);
  const ClientQuery c = client_query("example.com", dns::type::A);
  dns::Message other_name = positive_example();
  other_name.questions[0].name = name("example.org");
  EXPECT_FALSE(cache.store(c.key(), wire(other_name), t0));
  dns::Message other_type = positive_example();
  other_type.questions[0].type = dns::type::AAAA;
  EXPECT_FALSE(cache.store(c.key(), wire(other_type), t0));
  dns::Message other_class = positive_example();
  other_class.questions[0].klass = dns::klass::CH;
  EXPECT_FALSE(cache.store(c.key(), wire(other_class), t0));
  dns::Message two_questions = positive_example();
  two_questions.questions.push_back(two_questions.questions[0]);
  EXPECT_FALSE(cache.store(c.key(), wire(two_questions), t0));
  // Only the case differs: that is the same question.
  dns::Message upper = positive_example();
  upper.questions[0].name = name("EXAMPLE.com");
  EXPECT_TRUE(cache.store(c.key(), wire(upper), t0));
}

TEST(DnsCache, CapacityZeroStoresNothing) {
  DnsCache cache(0);
  const ClientQuery c = client_query("example.com", dns::type::A);
  EXPECT_FALSE(cache.store(c.key(), wire(positive_example()), t0));
  EXPECT_FALSE(ask(cache, c, t0));
  EXPECT_EQ(cache.stats().misses, 1u);
}

dns::Message positive_for(const std::string& qname) {
  dns::Message m = upstream(qname, dns::type::A);
  m.answers = {a_record(qname, 300, 7)};
  return m;
}

TEST(DnsCache, EvictsLeastRecentlyUsed) {
  DnsCache cache(3);
  std::vector<ClientQuery> q;
  for (const char* n : {"a.test", "b.test", "c.test", "d.test"}) {
    q.push_back(client_query(n, dns::type::A));
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache.store(q[i].key(), wire(positive_for(q[i].q.qname.to_text())), t0));
  }
  ASSERT_TRUE(ask(cache, q[0], t0 + 1s));  // a is now the most recently used
  ASSERT_TRUE(cache.store(q[3].key(), wire(positive_for("d.test")), t0 + 2s));
  EXPECT_EQ(cache.stats().evicted, 1u);
  EXPECT_EQ(cache.stats().entries, 3u);
  EXPECT_FALSE(ask(cache, q[1], t0 + 3s));  // b was the least recently used
  EXPECT_TRUE(ask(cache, q[0], t0 + 3s));
  EXPECT_TRUE(ask(cache, q[2], t0 + 3s));
  EXPECT_TRUE(ask(cache, q[3], t0 + 3s));
  // Now a (used before c and d) is the oldest.
  ASSERT_TRUE(cache.store(q[1].key(), wire(positive_for("b.test")), t0 + 4s));
  EXPECT_FALSE(ask(cache, q[0], t0 + 5s));
  EXPECT_EQ(cache.stats().evicted, 2u);
}

TEST(DnsCache, LargeCapacityHoldsManyEntriesAcrossShards) {
  DnsCache cache(1000);
  std::vector<ClientQuery> qs;
  for (int i = 0; i < 600; ++i) {
    qs.push_back(client_query("host" + std::to_string(i) + ".test", dns::type::A));
    ASSERT_TRUE(cache.store(qs.back().key(), wire(positive_for(qs.back().q.qname.to_text())), t0));
  }
  EXPECT_EQ(cache.stats().entries, 600u);
  EXPECT_EQ(cache.stats().evicted, 0u);
  for (const ClientQuery& c : qs) EXPECT_TRUE(ask(cache, c, t0 + 1s));
  for (int i = 600; i < 3000; ++i) {
    const ClientQuery c = client_query("host" + std::to_string(i) + ".test", dns::type::A);
    ASSERT_TRUE(cache.store(c.key(), wire(positive_for(c.q.qname.to_text())), t0));
  }
  EXPECT_LE(cache.stats().entries, 1000u);
  EXPECT_GT(cache.stats().entries, 900u);
  cache.clear();
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_FALSE(ask(cache, qs[0], t0 + 1s));
}

TEST(DnsCache, StoringAgainReplacesTheEntry) {
  DnsCache cache(10);
  const ClientQuery c = client_query("example.com", dns::type::A);
  ASSERT_TRUE(cache.store(c.key(), wire(positive_example()), t0));
  dns::Message newer = upstream("example.com", dns::type::A);
  newer.answers = {a_record("example.com", 50, 9)};
  ASSERT_TRUE(cache.store(c.key(), wire(newer), t0 + 10s));
  EXPECT_EQ(cache.stats().entries, 1u);
  auto r = ask(cache, c, t0 + 20s);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].ttl, 40u);
  EXPECT_EQ(r->answers[0].rdata, newer.answers[0].rdata);
}

TEST(DnsCache, DoBitKeysAreKeptApart) {
  DnsCache cache(10);
  const ClientQuery with_do =
      client_query("example.com", dns::type::A, {.edns = true, .dnssec_ok = true});
  const ClientQuery without_do = client_query("example.com", dns::type::A, {.edns = true});
  ASSERT_TRUE(cache.store(with_do.key(), wire(positive_example()), t0));
  EXPECT_FALSE(ask(cache, without_do, t0));
  auto r = ask(cache, with_do, t0);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->edns);
  EXPECT_TRUE(r->edns->dnssec_ok);
}

TEST(DnsCache, OptIsRemovedFromStoreAndAddedPerClient) {
  DnsCache cache(10);
  dns::Message m = positive_example();
  m.additional = {a_record("ns1.example.com", 300, 53)};
  m.edns = dns::Edns{.udp_size = 4096, .dnssec_ok = true, .options = {0, 10, 0, 2, 0xAB, 0xCD}};
  const ClientQuery plain = client_query("example.com", dns::type::A);
  ASSERT_TRUE(cache.store(plain.key(), wire(m), t0));

  Bytes raw;
  auto r = ask(cache, plain, t0, 512, &raw);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->edns);
  EXPECT_EQ(r->header.arcount, 1u);
  ASSERT_EQ(r->additional.size(), 1u);
  EXPECT_EQ(r->additional[0].name.to_text(), "ns1.example.com");

  const ClientQuery with_edns = client_query("example.com", dns::type::A, {.edns = true});
  Bytes raw_edns;
  auto e = ask(cache, with_edns, t0, 1232, &raw_edns);
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->edns);
  EXPECT_EQ(e->edns->udp_size, 1232);
  EXPECT_EQ(e->edns->version, 0);
  EXPECT_FALSE(e->edns->dnssec_ok);
  EXPECT_TRUE(e->edns->options.empty());  // upstream's options are not passed on
  EXPECT_EQ(e->header.arcount, 2u);
  EXPECT_EQ(e->additional.size(), 1u);
  EXPECT_EQ(raw_edns.size(), raw.size() + 11);
}

TEST(DnsCache, RecordsAfterANonFinalOptAreKept) {
  DnsCache cache(10);
  Bytes b = wire(positive_example());  // ends with its OPT record
  // One more additional record after the OPT: a glue A record for the
  // question name (a pointer to offset 12).
  const Bytes extra{0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 9, 9};
  b.insert(b.end(), extra.begin(), extra.end());
  b[11] = 2;  // arcount: OPT + the extra record
  ASSERT_TRUE(dns::parse_message(b));
  const ClientQuery c = client_query("example.com", dns::type::A);
  ASSERT_TRUE(cache.store(c.key(), b, t0));
  auto r = ask(cache, c, t0 + 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->answers.size(), 2u);
  ASSERT_EQ(r->additional.size(), 1u);
  EXPECT_EQ(r->additional[0].ttl, 55u);
  EXPECT_FALSE(r->edns);
}

// Found by fuzz_dns_response: the first answer's owner is a pointer into the
// middle of the question's labels, and reading on from there runs through
// the answer records' own fields and the OPT record. Copying the bytes and
// patching them would break that name; the re-encoded entry must parse.
TEST(DnsCache, NamesRunningThroughLaterFieldsStillParse) {
  Bytes b{0x66, 0x66, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
          0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm'};
  b.insert(b.end(), 21, 0x02);  // seven labels "\002\002"
  const Bytes rest{0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x26, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                   0x01, 0x2c, 0x00, 0x04, 0xc6, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x01, 0x00, 0x01,
                   0x00, 0x00, 0x00, 0xc8, 0x00, 0x04, 0x3b, 0x12, 0x00, 0x02, 0x00, 0x00, 0x29,
                   0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0xc0, 0x0c, 0x00, 0x01, 0x00,
                   0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc6, 0x12, 0x09, 0x09};
  b.insert(b.end(), rest.begin(), rest.end());
  auto upstream_message = dns::parse_message(b);
  ASSERT_TRUE(upstream_message);
  const dns::Name qname = upstream_message->questions[0].name;
  const ClientQuery c = client_query(qname, dns::type::A, {.edns = true});
  DnsCache cache(10);
  ASSERT_TRUE(cache.store(c.key(), b, t0));
  auto r = ask(cache, c, t0 + 7s);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 2u);
  EXPECT_EQ(r->answers[0].name, upstream_message->answers[0].name);
  EXPECT_EQ(r->answers[0].ttl, 300u - 7u);
  EXPECT_EQ(r->additional.size(), 1u);
}

dns::Message big_txt_response() {
  dns::Message m = upstream("big.example.com", dns::type::TXT);
  for (int i = 0; i < 8; ++i) {
    m.answers.push_back(
        dns::Record::txt(name("big.example.com"), 300, {std::string(100, 'a' + i)}));
  }
  return m;
}

TEST(DnsCache, TruncatesToTheLimitWithEmptySections) {
  DnsCache cache(10);
  const ClientQuery plain = client_query("big.example.com", dns::type::TXT);
  ASSERT_TRUE(cache.store(plain.key(), wire(big_txt_response()), t0));

  Bytes raw;
  auto r = ask(cache, plain, t0, dns::kPlainUdpLimit, &raw);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header.tc);
  EXPECT_EQ(r->header.id, plain.q.header.id);
  EXPECT_EQ(r->questions.size(), 1u);
  EXPECT_TRUE(r->answers.empty() && r->authority.empty() && r->additional.empty());
  EXPECT_EQ(raw.size(), plain.q.question_end);  // header and question only
  EXPECT_FALSE(r->edns);

  const ClientQuery edns = client_query("big.example.com", dns::type::TXT, {.edns = true});
  auto small = ask(cache, edns, t0, dns::kPlainUdpLimit);
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->header.tc);
  EXPECT_TRUE(small->answers.empty());
  EXPECT_TRUE(small->edns);  // the OPT record stays
  EXPECT_EQ(small->header.arcount, 1u);

  auto full = ask(cache, edns, t0, 1232);
  ASSERT_TRUE(full);
  EXPECT_FALSE(full->header.tc);
  EXPECT_EQ(full->answers.size(), 8u);

  // Not even header and question fit: no answer at all rather than a bad one.
  std::array<uint8_t, 4096> out{};
  EXPECT_FALSE(cache.answer(plain.key(), plain.q, plain.packet, out, 20, t0));
}

TEST(DnsCache, ConcurrentAnswersWhileStoring) {
  // Fewer slots than names, so stores keep replacing and evicting entries
  // that the readers are answering from.
  DnsCache cache(8);
  std::vector<ClientQuery> qs;
  std::vector<Bytes> responses;
  for (int i = 0; i < 16; ++i) {
    qs.push_back(client_query("n" + std::to_string(i) + ".test", dns::type::A,
                              {.id = static_cast<uint16_t>(i)}));
    responses.push_back(wire(positive_for(qs.back().q.qname.to_text())));
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  std::atomic<uint64_t> answered{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      std::array<uint8_t, 1232> out{};
      size_t i = static_cast<size_t>(t);
      while (!stop.load(std::memory_order_relaxed)) {
        const ClientQuery& c = qs[i++ % qs.size()];
        auto n = cache.answer(c.key(), c.q, c.packet, out, out.size(), t0 + 1s);
        if (!n) continue;
        answered.fetch_add(1, std::memory_order_relaxed);
        auto m = dns::parse_message(ByteView(out).first(*n));
        if (!m || m->header.id != c.q.header.id || m->answers.size() != 1 ||
            m->questions.size() != 1 || !m->questions[0].name.equals_ci(c.q.qname)) {
          bad.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (int round = 0; round < 300; ++round) {
    for (size_t i = 0; i < qs.size(); ++i) {
      EXPECT_TRUE(cache.store(qs[i].key(), responses[i], t0));
    }
    if (round % 50 == 0) cache.clear();
  }
  // Let the readers see a settled cache too before stopping them.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (answered.load() < 1000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0u);
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.stored, 300u * 16u);
  EXPECT_LE(s.entries, 8u);
  EXPECT_GT(s.hits, 0u);
}

TEST(PrepareResponse, NotesEveryTtlAndDropsTheOpt) {
  dns::Message m = positive_example();
  m.authority = {dns::Record{name("example.com"), dns::type::NS, dns::klass::IN, 900,
                             name("ns1.example.com")}};
  m.additional = {a_record("ns1.example.com", 800, 53)};
  const Bytes b = wire(m);
  auto p = prepare_response(b, 86400);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ttl_offsets.size(), 4u);
  EXPECT_EQ(p->cache_lifetime, 200u);
  EXPECT_EQ(p->wire.size(), b.size() - 11);
  EXPECT_EQ(p->question_end, 12 + name("example.com").wire_size() + 4);
  auto back = dns::parse_message(p->wire);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->edns);
  EXPECT_EQ(back->additional.size(), 1u);
  for (uint16_t at : p->ttl_offsets) {
    const uint32_t ttl = static_cast<uint32_t>(p->wire[at]) << 24 | p->wire[at + 1] << 16 |
                         p->wire[at + 2] << 8 | p->wire[at + 3];
    EXPECT_TRUE(ttl == 300 || ttl == 200 || ttl == 900 || ttl == 800) << ttl;
  }
}

}  // namespace
}  // namespace berth::dns
