#include "cli/record_commands.hpp"

#include <memory>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace berth::cli {

using nlohmann::json;

namespace {

std::optional<uint16_t> parse_u16(const std::string& s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::string count_problem(const std::string& type, size_t got, const char* wanted) {
  return "a " + type + " record takes " + wanted + "; " + std::to_string(got) +
         (got == 1 ? " value was" : " values were") + " given";
}

}  // namespace

std::variant<dns::UserRecord, std::string> record_from_args(
    const std::string& bridge, const std::string& name, const std::string& type,
    const std::vector<std::string>& values) {
  dns::UserRecord r;
  r.bridge = bridge;
  r.name = name;
  const auto t = dns::record_type_from_string(type);
  if (!t) return "record type '" + printable(type) + "' is not one of A, AAAA, CNAME, SRV or TXT";
  r.type = *t;
  const std::string shown(dns::to_string(r.type));
  switch (r.type) {
    case dns::RecordType::a:
    case dns::RecordType::aaaa:
      if (values.size() != 1) return count_problem(shown, values.size(), "one ADDRESS");
      r.address = IpAddress::parse(values[0]);
      if (!r.address) return "'" + printable(values[0]) + "' is not an IP address";
      break;
    case dns::RecordType::cname:
      if (values.size() != 1) return count_problem(shown, values.size(), "one TARGET");
      r.target = values[0];
      break;
    case dns::RecordType::srv: {
      if (values.size() != 4) {
        return count_problem(shown, values.size(), "PRIORITY WEIGHT PORT TARGET");
      }
      const char* what[] = {"priority", "weight", "port"};
      uint16_t* into[] = {&r.priority, &r.weight, &r.port};
      for (size_t i = 0; i < 3; ++i) {
        auto v = parse_u16(values[i]);
        if (!v) {
          return std::string("the SRV ") + what[i] + " '" + printable(values[i]) +
                 "' is not an integer from 0 to 65535";
        }
        *into[i] = *v;
      }
      r.target = values[3];
      break;
    }
    case dns::RecordType::txt:
      if (values.empty()) return count_problem(shown, 0, "one or more strings");
      r.text = values;
      break;
  }
  if (auto problem = dns::record_problem(r)) return *problem;
  return r;
}

std::string describe(const api::RecordInfo& r) {
  std::string out = "record " + std::to_string(r.record.id);
  if (!r.record.bridge.empty()) out += " on " + printable(r.record.bridge);
  return out + ": " + printable(r.fqdn) + " " + std::string(dns::to_string(r.record.type)) + " " +
         printable(dns::record_value_text(r.record));
}

std::string render_records(const api::RecordList& l) {
  std::vector<std::vector<std::string>> rows;
  for (const api::RecordInfo& r : l.records) {
    rows.push_back({std::to_string(r.record.id),
                    r.record.bridge.empty() ? "-" : printable(r.record.bridge), printable(r.fqdn),
                    std::string(dns::to_string(r.record.type)),
                    printable(dns::record_value_text(r.record))});
  }
  return format_table({"ID", "BRIDGE", "NAME", "TYPE", "VALUE"}, rows);
}

namespace {

void add_record_add(CLI::App& cmd, Context& ctx) {
  struct AddArgs {
    std::string bridge, name, type;
    std::vector<std::string> values;
  };
  auto args = std::make_shared<AddArgs>();
  auto* add = cmd.add_subcommand(
      "add",
      "Add a DNS record; it answers at once. VALUE: A ADDRESS, AAAA ADDRESS, CNAME TARGET, "
      "SRV PRIORITY WEIGHT PORT TARGET, TXT STRING...");
  add->add_option("NAME", args->name,
                  "The record's name: within the bridge's domain with --bridge (www is "
                  "www.<domain>), else absolute")
      ->required();
  add->add_option("TYPE", args->type, "A, AAAA, CNAME, SRV or TXT")->required();
  add->add_option("VALUE", args->values,
                  "The value; a one-label TARGET (a container's name) is in the bridge's domain")
      ->required();
  add->add_option("-b,--bridge", args->bridge, "The bridge whose domain holds the name")
      ->type_name("BRIDGE")
      ->check(bridge_check());
  add->callback([&ctx, args] {
    ctx.action = [&ctx, args] {
      auto r = record_from_args(args->bridge, args->name, args->type, args->values);
      if (auto* problem = std::get_if<std::string>(&r)) {
        ctx.fail(*problem);
        return kExitUsage;
      }
      return call(
          ctx, api::AddRecord{.record = std::get<dns::UserRecord>(std::move(r))},
          [](const json& j) { return "added " + describe(j.get<api::RecordInfo>()) + "\n"; });
    };
  });
}

void add_record_rm(CLI::App& cmd, Context& ctx) {
  struct RmArgs {
    std::string which, bridge;
  };
  auto args = std::make_shared<RmArgs>();
  auto* rm = cmd.add_subcommand("rm", "Remove a DNS record by id, or every record of a name");
  rm->add_option("ID|NAME", args->which, "The record's id (see record list), or a name")
      ->required();
  rm->add_option("-b,--bridge", args->bridge, "With a NAME: only records of this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check());
  rm->callback([&ctx, args] {
    ctx.action = [&ctx, args] {
      const auto human = [](const json& j) {
        return "removed " + describe(j.get<api::RecordInfo>()) + "\n";
      };
      const bool is_id = !args->which.empty() && args->which.size() <= 18 &&
                         args->which.find_first_not_of("0123456789") == std::string::npos;
      if (is_id) return call(ctx, api::DeleteRecord{.id = std::stoll(args->which)}, human);
      // A name: every record it has (on --bridge), each removed by id.
      api::ListRecords l{.bridge = std::nullopt, .name = args->which, .type = std::nullopt};
      if (!args->bridge.empty()) l.bridge = args->bridge;
      api::HttpReply reply;
      try {
        reply = ctx.client().send(api::to_http(l));
      } catch (const api::ConnectError& e) {
        ctx.fail(e.what());
        return kExitRefused;
      }
      if (reply.status != 200) {
        ctx.fail(refusal_text(reply));
        return kExitRefused;
      }
      api::RecordList list;
      try {
        list = json::parse(reply.body).get<api::RecordList>();
      } catch (const std::exception& e) {
        ctx.fail(std::string("cannot read berthd's answer: ") + e.what());
        return kExitRefused;
      }
      if (list.records.empty()) {
        ctx.fail("no record named " + printable(args->which));
        return kExitRefused;
      }
      int rc = kExitOk;
      for (const api::RecordInfo& r : list.records) {
        if (call(ctx, api::DeleteRecord{.id = r.record.id}, human) != kExitOk) rc = kExitRefused;
      }
      return rc;
    };
  });
}

void add_record_list(CLI::App& cmd, Context& ctx) {
  struct ListArgs {
    std::string bridge, name, type;
  };
  auto args = std::make_shared<ListArgs>();
  auto* list = cmd.add_subcommand("list", "List the DNS records added through berthctl or the API");
  list->add_option("-b,--bridge", args->bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check());
  list->add_option("-n,--name", args->name, "Only this name (as given, or in full)")
      ->type_name("NAME");
  list->add_option("-t,--type", args->type, "Only this type")->type_name("TYPE");
  list->callback([&ctx, args] {
    ctx.action = [&ctx, args] {
      api::ListRecords req;
      if (!args->bridge.empty()) req.bridge = args->bridge;
      if (!args->name.empty()) req.name = args->name;
      if (!args->type.empty()) {
        req.type = dns::record_type_from_string(args->type);
        if (!req.type) {
          ctx.fail("record type '" + printable(args->type) +
                   "' is not one of A, AAAA, CNAME, SRV or TXT");
          return kExitUsage;
        }
      }
      return call(ctx, req, [](const json& j) { return render_records(j.get<api::RecordList>()); });
    };
  });
}

}  // namespace

void add_record_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "record", "Add, remove or list DNS records (A, AAAA, CNAME, SRV, TXT), kept by berthd");
  cmd->require_subcommand(1);
  cmd->footer(
      "Records are kept by berthd and answered from the next DNS query on; no reload.\n"
      "Examples:\n"
      "  berthctl record add www A 10.0.3.60 --bridge lxcbr0      (www.<domain>)\n"
      "  berthctl record add alias CNAME web --bridge lxcbr0      (to a container's name)\n"
      "  berthctl record add _http._tcp.web SRV 10 5 80 web --bridge lxcbr0\n"
      "  berthctl record add info TXT \"v=1\" \"hello world\" --bridge lxcbr0\n"
      "  berthctl record list --type cname\n"
      "  berthctl record rm alias                                 (or by id: rm 7)");
  add_record_add(*cmd, ctx);
  add_record_rm(*cmd, ctx);
  add_record_list(*cmd, ctx);
}

}  // namespace berth::cli
