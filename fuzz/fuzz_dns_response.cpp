// libFuzzer target: the bytes as an upstream DNS response, through the cache
// (DnsCache::store + answer) and response_for_client, for fixed queries and
// for a query made from the response's own question; the bytes as
// resolv.conf text too. Every reply written must parse, carry the query's ID
// and question bytes, fit the limit, and the cache's fresh answer must be
// byte for byte what response_for_client writes.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "dns/cache.hpp"
#include "dns/forwarding.hpp"
#include "protocol/dns/message.hpp"

namespace {

using namespace berth;

struct ClientQuery {
  Bytes packet;
  dns::Query q;
};

std::optional<ClientQuery> client_query(const dns::Name& name, uint16_t type, uint16_t klass,
                                        bool edns, bool dnssec_ok) {
  dns::Message m;
  m.header.id = 0x5A5A;
  m.header.rd = true;
  m.questions.push_back({name, type, klass});
  if (edns) m.edns = dns::Edns{.udp_size = 4096, .dnssec_ok = dnssec_ok};
  auto packet = dns::encode_message(m);
  if (!packet) return std::nullopt;
  ClientQuery c;
  c.packet = std::move(*packet);
  auto parsed = dns::parse_query(c.packet);
  if (!std::holds_alternative<dns::Query>(parsed)) std::abort();  // the encoder made it
  c.q = std::get<dns::Query>(parsed);
  return c;
}

const std::vector<ClientQuery>& fixed_queries() {
  static const std::vector<ClientQuery> queries = [] {
    std::vector<ClientQuery> out;
    const dns::Name name = *dns::Name::from_text("Example.COM");
    out.push_back(*client_query(name, dns::type::A, dns::klass::IN, false, false));
    out.push_back(*client_query(name, dns::type::A, dns::klass::IN, true, true));
    return out;
  }();
  return queries;
}

void check_reply(ByteView reply, size_t limit, const ClientQuery& c) {
  if (reply.size() > limit) std::abort();
  auto m = dns::parse_message(reply);
  if (!m) std::abort();
  if (m->header.id != c.q.header.id || !m->header.qr || !m->header.ra || m->header.aa) {
    std::abort();
  }
  if (m->header.rd != c.q.header.rd || m->edns.has_value() != c.q.edns.has_value()) std::abort();
  if (m->questions.size() != 1 || reply.size() < c.q.question_end ||
      std::memcmp(reply.data() + dns::kHeaderSize, c.packet.data() + dns::kHeaderSize,
                  c.q.question_end - dns::kHeaderSize) != 0) {
    std::abort();
  }
  if (c.q.edns && m->edns->dnssec_ok != c.q.edns->dnssec_ok) std::abort();
}

std::array<uint8_t, 65535> out_cache;
std::array<uint8_t, 65535> out_forward;

void exercise(ByteView response, const ClientQuery& c) {
  using Clock = dns::DnsCache::Clock;
  const Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
  dns::DnsCache cache(4);
  const dns::CacheKey key = dns::CacheKey::of(c.q);
  const bool stored = cache.store(key, response, now);

  for (size_t limit : {size_t{40}, dns::kPlainUdpLimit, size_t{1232}, out_cache.size()}) {
    auto cached = cache.answer(key, c.q, c.packet, out_cache, limit, now);
    // A question and OPT always fit 512 bytes, so a stored entry always answers.
    if (limit >= dns::kPlainUdpLimit && cached.has_value() != stored) std::abort();
    if (cached) check_reply(ByteView(out_cache).first(*cached), limit, c);

    auto forwarded = dns::response_for_client(response, c.q, c.packet, out_forward, limit);
    if (forwarded) check_reply(ByteView(out_forward).first(*forwarded), limit, c);
    if (stored && cached &&
        (!forwarded || *forwarded != *cached ||
         std::memcmp(out_cache.data(), out_forward.data(), *cached) != 0)) {
      std::abort();
    }
  }
  // Aged by a second: still a valid reply when the entry lives that long
  // (and after that it is gone, so this comes last).
  for (size_t limit : {dns::kPlainUdpLimit, out_cache.size()}) {
    auto older = cache.answer(key, c.q, c.packet, out_cache, limit, now + std::chrono::seconds(1));
    if (older) check_reply(ByteView(out_cache).first(*older), limit, c);
  }
  (void)dns::answers_query(response, c.q.header.id, c.q.qname, c.q.qtype, c.q.qclass);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView input(data, size);
  for (const ClientQuery& c : fixed_queries()) exercise(input, c);

  // A query for the response's own question, so mutations of any name reach
  // the store and rewrite paths.
  if (auto m = dns::parse_message(input); m && !m->questions.empty()) {
    const dns::Question& question = m->questions[0];
    for (bool edns : {false, true}) {
      auto c = client_query(question.name, question.type, question.klass, edns, edns);
      if (c) exercise(input, *c);
    }
  }

  const auto upstreams =
      dns::parse_resolv_conf(std::string_view(reinterpret_cast<const char*>(data), size));
  if (upstreams.size() > dns::kMaxResolvConfNameservers) std::abort();
  for (const config::Upstream& u : upstreams) {
    if (u.address.empty() || u.port != 53) std::abort();
  }
  const std::vector<config::DomainUpstreams> servers{{"example.com", upstreams}};
  const std::vector<config::Upstream> defaults;
  const auto& picked = dns::upstreams_for(fixed_queries()[0].q.qname, servers, defaults);
  if (&picked != &servers[0].upstreams) std::abort();
  return 0;
}
