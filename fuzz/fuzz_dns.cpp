// libFuzzer target: DNS queries and messages.
// parse_query and parse_message must not crash; every message that parses
// must encode, and what it encodes to must parse back to the same questions
// and records (names compared byte for byte, case included). Under a small
// limit the encoder may cut sections, but only as the header comment says.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "protocol/dns/message.hpp"

namespace {

using berth::dns::Message;
using berth::dns::Record;

bool same_record(const Record& a, const Record& b) {
  return a.name == b.name && a.type == b.type && a.klass == b.klass && a.ttl == b.ttl &&
         a.rdata == b.rdata;
}

// `part` is `whole` with some records left out, the rest in order.
bool is_subsequence(const std::vector<Record>& part, const std::vector<Record>& whole) {
  size_t j = 0;
  for (const Record& r : part) {
    while (j < whole.size() && !same_record(r, whole[j])) ++j;
    if (j == whole.size()) return false;
    ++j;
  }
  return true;
}

bool is_prefix(const std::vector<Record>& part, const std::vector<Record>& whole) {
  if (part.size() > whole.size()) return false;
  for (size_t i = 0; i < part.size(); ++i) {
    if (!same_record(part[i], whole[i])) return false;
  }
  return true;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_round_trip(const Message& m, size_t limit) {
  std::array<uint8_t, 65535> out;
  auto stats = berth::dns::encode_message(m, out, limit);
  if (!stats) {
    // Only a question section (and OPT) larger than the limit may fail.
    check(stats.error().code == berth::Errc::no_space);
    return;
  }
  check(stats->size <= limit);
  auto again = berth::dns::parse_message(berth::ByteView(out).first(stats->size));
  check(again.ok());
  const Message& b = *again;

  check(b.questions.size() == m.questions.size());
  for (size_t i = 0; i < m.questions.size(); ++i) {
    check(b.questions[i].name == m.questions[i].name);
    check(b.questions[i].type == m.questions[i].type);
    check(b.questions[i].klass == m.questions[i].klass);
  }
  check(b.header.id == m.header.id && b.header.qr == m.header.qr &&
        b.header.opcode == m.header.opcode && b.header.rd == m.header.rd &&
        b.header.rcode == m.header.rcode);
  check(b.header.tc == (m.header.tc || stats->truncated));
  check(b.header.ancount == b.answers.size() && b.header.nscount == b.authority.size());
  check(b.edns.has_value() == m.edns.has_value());
  if (m.edns) {
    check(b.edns->udp_size == m.edns->udp_size && b.edns->version == m.edns->version &&
          b.edns->extended_rcode == m.edns->extended_rcode &&
          b.edns->dnssec_ok == m.edns->dnssec_ok && b.edns->options == m.edns->options);
  }

  if (!stats->truncated) {
    check(b.answers.size() == m.answers.size() && is_prefix(b.answers, m.answers));
    check(b.authority.size() == m.authority.size() && is_prefix(b.authority, m.authority));
    check(is_subsequence(b.additional, m.additional));
    if (limit == 65535 && b.additional.size() == m.additional.size()) {
      // Nothing was cut: encoding again gives the same bytes.
      std::array<uint8_t, 65535> out2;
      auto stats2 = berth::dns::encode_message(b, out2, limit);
      check(stats2.ok() && stats2->size == stats->size);
      check(std::equal(out.begin(), out.begin() + stats->size, out2.begin()));
    }
  } else {
    // Cut at a whole record of answer or authority; later sections gone.
    check(is_prefix(b.answers, m.answers));
    if (b.answers.size() < m.answers.size()) check(b.authority.empty());
    check(is_prefix(b.authority, m.authority));
    check(b.additional.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const berth::ByteView input(data, size);

  auto q = berth::dns::parse_query(input);
  if (const auto* query = std::get_if<berth::dns::Query>(&q)) {
    check(query->question_end <= size);
    (void)query->qname.to_text();
  } else {
    const auto& err = std::get<berth::dns::QueryError>(q);
    check(err.header.has_value() == (size >= berth::dns::kHeaderSize));
  }

  auto m = berth::dns::parse_message(input);
  if (!m) return 0;
  for (const auto& question : m->questions) {
    // Text forms must read back to the same labels when nothing is escaped.
    const berth::dns::Name lower = question.name.lowercased();
    check(lower.equals_ci(question.name) && lower.hash_ci() == question.name.hash_ci());
    const std::string text = question.name.to_text();
    if (text.find('\\') == std::string::npos) {
      auto n = berth::dns::Name::from_text(text);
      check(n.ok() && *n == question.name);
    }
  }
  for (size_t limit : {size_t{65535}, size_t{512}, size_t{100}}) check_round_trip(*m, limit);
  return 0;
}
