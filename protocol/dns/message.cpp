// The message model: record constructors and what callers ask of a whole
// message. Parsing is in parse.cpp, encoding in encode.cpp, names in name.cpp.
#include "protocol/dns/message.hpp"

#include <algorithm>

namespace berth::dns {
namespace {

constexpr size_t kMaxCharacterString = 255;

}  // namespace

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

size_t udp_reply_limit(const std::optional<Edns>& edns, size_t server_max) {
  if (!edns) return kPlainUdpLimit;
  return std::min(std::max<size_t>(kPlainUdpLimit, edns->udp_size), server_max);
}

}  // namespace berth::dns
