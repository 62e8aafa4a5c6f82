// Commands that read files: config check (offline), and import, which reads
// dnsmasq, LXD and libvirt files and adds what it finds through berthd.
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api/types.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/imports.hpp"
#include "cli/output.hpp"
#include "config/config.hpp"
#include "leases/importers.hpp"

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr const char* kDefaultConfigPath = "/etc/berth/berth.toml";

std::optional<std::string> read_file(const std::string& path, std::string& text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return path + " is a directory";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open " + path + ": " + std::generic_category().message(errno);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return "cannot read " + path;
  text = s.str();
  return std::nullopt;
}

int config_check(Context& ctx, const std::string& path) {
  try {
    const config::Config cfg = config::load_config_file(path);
    if (ctx.json) {
      json bridges = json::array();
      for (const auto& b : cfg.bridges) bridges.push_back(b.name);
      ctx.out << json{{"file", path}, {"ok", true}, {"bridges", bridges}}.dump(2) << "\n";
      return kExitOk;
    }
    ctx.out << cfg.source << ": OK, " << cfg.bridges.size()
            << (cfg.bridges.size() == 1 ? " bridge\n" : " bridges\n");
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : cfg.bridges) {
      rows.push_back({b.name, b.address.to_string(),
                      b.pool_start.to_string() + "-" + b.pool_end.to_string(),
                      std::to_string(b.lease_time) + "s", b.domain});
    }
    ctx.out << format_table({"BRIDGE", "ADDRESS", "POOL", "LEASE", "DOMAIN"}, rows);
    return kExitOk;
  } catch (const std::exception& e) {
    if (ctx.json) {
      ctx.out << json{{"file", path}, {"ok", false}, {"error", e.what()}}.dump(
                     2, ' ', false, json::error_handler_t::replace)
              << "\n";
    } else {
      ctx.fail(e.what());
    }
    return kExitUsage;
  }
}

}  // namespace

void add_config_command(CLI::App& app, Context& ctx) {
  auto* config_cmd = app.add_subcommand("config", "Work on config files without berthd");
  config_cmd->require_subcommand(1);
  auto path = std::make_shared<std::string>(kDefaultConfigPath);
  auto* check_cmd = config_cmd->add_subcommand(
      "check",
      "Validate a config file as berthd would; print OK with its bridges, or the error with "
      "file, line and key (exit status 2)");
  check_cmd->add_option("FILE", *path, "The config file")->capture_default_str();
  check_cmd->callback(
      [&ctx, path] { ctx.action = [&ctx, path] { return config_check(ctx, *path); }; });
}

namespace {

enum class ImportKind { dnsmasq_leases, dnsmasq_hosts, lxd, libvirt };

struct ImportArgs {
  std::string path;
  std::string bridge;
  bool force = false;
  bool dry_run = false;
};

// What a file holds, as reservations to add, and what the importer skipped.
struct ImportRead {
  leases::ImportResult result;
  std::vector<api::ReservationCreate> wanted;
};

// Reads the file (or LXD's directory); nullopt after telling the user why
// it cannot be read.
std::optional<ImportRead> read_import(Context& ctx, ImportKind kind, const ImportArgs& a) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  ImportRead read;
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(a.path, ec);
  if (kind == ImportKind::lxd || (kind == ImportKind::dnsmasq_hosts && is_dir)) {
    if (!is_dir) {
      ctx.fail(a.path +
               " is not a directory: LXD keeps one file per instance in "
               ".../networks/<bridge>/dnsmasq.hosts/");
      return std::nullopt;
    }
    read.result = leases::import_lxd_hosts_dir(a.path, a.bridge);
    read.wanted = reservations_from_hosts(read.result.reservations, a.force);
    return read;
  }
  std::string text;
  if (auto problem = read_file(a.path, text)) {
    ctx.fail(*problem);
    return std::nullopt;
  }
  switch (kind) {
    case ImportKind::dnsmasq_leases:
      read.result = leases::import_dnsmasq_leases(text, a.bridge, now, a.path);
      read.wanted = reservations_from_leases(read.result.leases, a.force);
      break;
    case ImportKind::libvirt:
      read.result = leases::import_libvirt_status(text, a.bridge, now, a.path);
      read.wanted = reservations_from_leases(read.result.leases, a.force);
      break;
    default:
      read.result = leases::import_dnsmasq_hosts(text, a.bridge, a.path);
      read.wanted = reservations_from_hosts(read.result.reservations, a.force);
      break;
  }
  return read;
}

// The table of what would be added; nothing is sent.
int print_dry_run(Context& ctx, const std::vector<api::ReservationCreate>& wanted,
                  const json& problems, const std::string& path) {
  if (ctx.json) {
    ctx.out << json{{"reservations", wanted}, {"problems", problems}}.dump(
                   2, ' ', false, json::error_handler_t::replace)
            << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : wanted) {
    rows.push_back(
        {printable(c.bridge), client_of(c), c.ip.to_string(), c.name.empty() ? "-" : c.name});
  }
  ctx.out << format_table({"BRIDGE", "CLIENT", "IP", "NAME"}, rows);
  ctx.out << wanted.size() << " reservation(s) would be added from " << printable(path)
          << " (dry run: berthd was not contacted)\n";
  return kExitOk;
}

// Whether berthd has `c` already, the same client, address and name.
bool already_there(const api::ReservationList& existing, const api::ReservationCreate& c) {
  for (const api::ReservationInfo& r : existing.reservations) {
    if (r.bridge != c.bridge || r.match != c.match || r.ip != c.ip || r.name != c.name) continue;
    if ((c.match == api::MatchKind::mac && r.mac == c.mac) ||
        (c.match == api::MatchKind::client_id && r.client_id == c.client_id) ||
        (c.match == api::MatchKind::hostname && r.hostname == c.hostname)) {
      return true;
    }
  }
  return false;
}

// What each reservation of an import became.
struct ImportOutcome {
  json added = json::array();
  json refused = json::array();
  json present = json::array();
};

// Adds each reservation berthd does not have yet, printing each answer
// unless --json. nullopt when berthd cannot be reached (already said).
std::optional<ImportOutcome> add_all(Context& ctx,
                                     const std::vector<api::ReservationCreate>& wanted,
                                     const std::string& bridge) {
  // What berthd has already: an import run twice adds nothing the second
  // time and says so, instead of reporting every entry as refused.
  api::ReservationList existing;
  try {
    api::HttpReply have = ctx.client().send(api::to_http(api::ListReservations{.bridge = bridge}));
    if (have.status == 200) {
      existing = json::parse(have.body).get<api::ReservationList>();
    }
  } catch (const api::ConnectError& e) {
    ctx.fail(e.what());
    return std::nullopt;
  } catch (const std::exception&) {
    existing = {};  // an answer we cannot read: let each add speak for itself
  }
  ImportOutcome o;
  for (const auto& c : wanted) {
    if (already_there(existing, c)) {
      o.present.push_back(c);
      continue;
    }
    api::HttpReply reply;
    try {
      reply = ctx.client().send(api::to_http(api::AddReservation{.reservation = c}));
    } catch (const api::ConnectError& e) {
      ctx.fail(std::string(e.what()) + "; " + std::to_string(o.added.size()) + " of " +
               std::to_string(wanted.size()) + " reservations were added before");
      return std::nullopt;
    }
    if (reply.status >= 200 && reply.status < 300) {
      const json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
      o.added.push_back(j);
      if (!ctx.json) {
        try {
          ctx.out << render_change("added", j);
        } catch (const std::exception& e) {
          ctx.out << "added " << client_of(c) << " -> " << c.ip.to_string() << '\n';
        }
      }
    } else {
      const std::string why = refusal_text(reply);
      o.refused.push_back(json{{"reservation", c}, {"status", reply.status}, {"error", why}});
      if (!ctx.json) ctx.fail(client_of(c) + " -> " + c.ip.to_string() + ": " + why);
    }
  }
  return o;
}

int import_file(Context& ctx, ImportKind kind, const ImportArgs& a) {
  std::optional<ImportRead> read = read_import(ctx, kind, a);
  if (!read) return kExitUsage;
  json problems = json::array();
  for (const auto& p : read->result.problems) {
    if (ctx.json) {
      problems.push_back(json{{"source", p.source}, {"line", p.line}, {"message", p.message}});
    } else {
      ctx.err << "berthctl: warning: " << format_problem(p) << '\n';
    }
  }
  if (a.dry_run) return print_dry_run(ctx, read->wanted, problems, a.path);

  std::optional<ImportOutcome> o = add_all(ctx, read->wanted, a.bridge);
  if (!o) return kExitRefused;
  if (ctx.json) {
    ctx.out << json{{"added", o->added},
                    {"already_present", o->present},
                    {"refused", o->refused},
                    {"problems", problems}}
                   .dump(2, ' ', false, json::error_handler_t::replace)
            << "\n";
  } else {
    ctx.out << "imported " << o->added.size() << " of " << read->wanted.size()
            << " reservation(s) from " << printable(a.path);
    if (!o->present.empty()) ctx.out << ", " << o->present.size() << " already there";
    if (!o->refused.empty()) ctx.out << ", " << o->refused.size() << " refused";
    if (!read->result.problems.empty()) {
      ctx.out << ", " << read->result.problems.size() << " entries skipped";
    }
    ctx.out << '\n';
  }
  return o->refused.empty() ? kExitOk : kExitRefused;
}

}  // namespace

void add_import_command(CLI::App& app, Context& ctx) {
  auto* import_cmd = app.add_subcommand(
      "import", "Add reservations to the running berthd from dnsmasq, LXD or libvirt files");
  import_cmd->require_subcommand(1);
  import_cmd->footer(
      "Lease files (dnsmasq-leases, libvirt) become one MAC reservation per lease, with the "
      "lease's host name as the DNS name: every container keeps its address across the move. "
      "Remove a reservation later (reservation rm) to give its address back to the pool.");
  auto args = std::make_shared<ImportArgs>();
  auto add_import = [&](const char* name, const char* help, const char* what, ImportKind kind) {
    auto* sub = import_cmd->add_subcommand(name, help);
    sub->add_option(what, args->path, "File (or directory) to read")->required();
    sub->add_option("-b,--bridge", args->bridge, "Bridge the reservations are for")
        ->required()
        ->type_name("BRIDGE")
        ->check(bridge_check());
    sub->add_flag("-f,--force", args->force,
                  "Forget leases other clients hold on the imported addresses");
    sub->add_flag("--dry-run", args->dry_run,
                  "Print what would be added without contacting berthd");
    sub->callback([&ctx, args, kind] {
      ctx.action = [&ctx, args, kind] { return import_file(ctx, kind, *args); };
    });
  };
  add_import("dnsmasq-leases",
             "Reserve each address of a dnsmasq lease file (/var/lib/misc/dnsmasq.<bridge>.leases) "
             "for the MAC that holds it",
             "FILE", ImportKind::dnsmasq_leases);
  add_import("dnsmasq-hosts",
             "Import dnsmasq dhcp-host entries: a dnsmasq.conf, a --dhcp-hostsfile, or LXD's "
             "dnsmasq.hosts directory",
             "PATH", ImportKind::dnsmasq_hosts);
  add_import("lxd",
             "Import LXD/Incus static addresses from a network's dnsmasq.hosts directory "
             "(/var/lib/lxd/networks/<bridge>/dnsmasq.hosts)",
             "DIR", ImportKind::lxd);
  add_import("libvirt",
             "Reserve each address of a libvirt network status file "
             "(/var/lib/libvirt/dnsmasq/<bridge>.status) for the MAC that holds it",
             "FILE", ImportKind::libvirt);
}

}  // namespace berth::cli
