// `berthctl record add|rm|list`: the pure part (arguments to a record, the
// table and lines printed) apart from the commands, so tests reach it.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "api/records.hpp"

namespace berth::cli {

// NAME TYPE VALUE... as `record add` takes them:
//   A ADDRESS, AAAA ADDRESS, CNAME TARGET, SRV PRIORITY WEIGHT PORT TARGET,
//   TXT STRING... (one or more).
// The error is a sentence for the user; the record is checked as berthd
// checks it (dns::record_problem).
std::variant<dns::UserRecord, std::string> record_from_args(const std::string& bridge,
                                                            const std::string& name,
                                                            const std::string& type,
                                                            const std::vector<std::string>& values);

// "record 3 on berth0: www.berth CNAME web"
std::string describe(const api::RecordInfo& r);
// ID, BRIDGE, NAME (the full name), TYPE, VALUE.
std::string render_records(const api::RecordList& l);

}  // namespace berth::cli
