// DNS records added at run time (POST /v1/records): their type, what makes
// one valid, the absolute names they stand for and their RDATA. Pure code:
// the store keeps them, the API reads and writes them, dns::NameTable
// answers them.
//
// Names: a record with a bridge lives in that bridge's domain. Its name is
// taken relative to the domain ("www" is www.<domain>; a name already under
// the domain, or ending in '.', is taken as written). A CNAME or SRV target
// that is one label ("web", a container's name) is in the same domain; a
// target with dots is taken as written. A record without a bridge has
// absolute names, as [dns] hosts and cnames do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/dns/name.hpp"
#include "protocol/enum_names.hpp"

namespace berth::dns {

enum class RecordType { a, aaaa, cname, srv, txt };

// One spelling for the database's CHECK, the API's "type" and berthctl.
inline constexpr EnumNames<RecordType, 5> kRecordTypeNames{{{
    {RecordType::a, "A"},
    {RecordType::aaaa, "AAAA"},
    {RecordType::cname, "CNAME"},
    {RecordType::srv, "SRV"},
    {RecordType::txt, "TXT"},
}}};
static_assert(kRecordTypeNames.complete());

constexpr std::string_view to_string(RecordType t) { return kRecordTypeNames.name(t); }
// Either case: "cname" and "CNAME".
std::optional<RecordType> record_type_from_string(std::string_view s);
// The wire type (dns::type::A, ...).
uint16_t wire_type(RecordType t);

constexpr size_t kMaxTxtString = 255;  // RFC 1035 3.3.14: one length byte
constexpr size_t kMaxTxtStrings = 64;

struct UserRecord {
  int64_t id = 0;      // database row id; 0 until stored
  std::string bridge;  // empty: absolute names, answered on every bridge
  std::string name;
  RecordType type = RecordType::a;
  std::optional<IpAddress> address;  // A (IPv4), AAAA (IPv6)
  std::string target;                // CNAME, SRV
  uint16_t priority = 0;             // SRV
  uint16_t weight = 0;               // SRV
  uint16_t port = 0;                 // SRV
  std::vector<std::string> text;     // TXT: one or more strings
  int64_t created = 0;               // UTC seconds

  bool operator==(const UserRecord&) const = default;
};

// What is wrong with a record, as a sentence naming the field; nullopt when
// it is valid. Only the fields of its type may be set.
std::optional<std::string> record_problem(const UserRecord& r);

// The record's owner name, absolute, lowercased; `domain` is its bridge's
// (ignored without a bridge). nullopt when it does not make a name.
std::optional<Name> record_owner(const UserRecord& r, std::string_view domain);
// Its target (CNAME, SRV), likewise.
std::optional<Name> record_target(const UserRecord& r, std::string_view domain);

// The value as berthctl prints and takes it: "10.0.3.9", "web",
// "10 5 80 web" (priority weight port target), "\"v=1\" \"x\"".
std::string record_value_text(const UserRecord& r);

// Whether two records say the same thing (type and value; names and bridge
// are compared by the caller), to refuse duplicates.
bool same_value(const UserRecord& a, const UserRecord& b);

// RDATA in wire form (RFC 1035 3.3.14 TXT, RFC 2782 SRV with an
// uncompressed target).
std::vector<uint8_t> txt_rdata(const std::vector<std::string>& text);
std::vector<uint8_t> srv_rdata(uint16_t priority, uint16_t weight, uint16_t port,
                               const Name& target);

}  // namespace berth::dns

namespace berth::dns {

// A stored record with the absolute name it answers for.
struct OwnedRecord {
  const UserRecord* record;
  Name owner;
};

// Why `r` (whose absolute name is `owner`) may not join `existing`, as a
// sentence naming the record it clashes with: the same record again, or a
// CNAME beside other records at one name (RFC 1034 §3.6.2). nullopt: none.
std::optional<std::string> record_conflict(const UserRecord& r, const Name& owner,
                                           const std::vector<OwnedRecord>& existing);

}  // namespace berth::dns
