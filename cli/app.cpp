#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "api/response.hpp"
#include "api/router.hpp"
#include "api/types.hpp"
#include "cli/forward_spec.hpp"
#include "cli/imports.hpp"
#include "cli/output.hpp"
#include "config/config.hpp"
#include "leases/importers.hpp"

namespace berth::cli {

namespace {

using nlohmann::json;

constexpr const char* kDefaultConfigPath = "/etc/berth/berth.toml";

struct Context {
  std::ostream& out;
  std::ostream& err;
  std::string socket = api::kDefaultSocketPath;
  bool json = false;
  int timeout_s = 60;
  std::unique_ptr<api::ControlClient> connection;

  api::ControlClient& client() {
    if (!connection) {
      connection = std::make_unique<api::ControlClient>(socket, std::chrono::seconds(timeout_s));
    }
    return *connection;
  }
  void fail(const std::string& sentence) const { err << "berthctl: " << sentence << '\n'; }
};

std::string pretty(const std::string& body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return body;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// The sentence berthd gave with a refusal, or what it sent instead.
std::string refusal_text(const api::HttpReply& reply) {
  const json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return printable(j["error"].get<std::string>());
  }
  std::string body = reply.body.substr(0, 200);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return "berthd answered " + std::to_string(reply.status) + " " +
         std::string(api::reason_phrase(reply.status)) +
         (body.empty() ? "" : ": " + printable(body));
}

// Sends `req`. On success prints the answer (JSON as it is with --json,
// else what `human` makes of it) and returns 0; on a refusal prints
// berthd's sentence and returns 1.
int call(Context& ctx, const api::Request& req,
         const std::function<std::string(const json&)>& human) {
  api::HttpReply reply;
  try {
    reply = ctx.client().send(api::to_http(req));
  } catch (const api::ConnectError& e) {
    ctx.fail(e.what());
    return kExitRefused;
  }
  if (reply.status < 200 || reply.status >= 300) {
    if (ctx.json) {
      ctx.err << pretty(reply.body);
    } else {
      ctx.fail(refusal_text(reply));
    }
    return kExitRefused;
  }
  if (ctx.json) {
    ctx.out << pretty(reply.body);
    return kExitOk;
  }
  try {
    ctx.out << human(json::parse(reply.body));
  } catch (const std::exception& e) {
    ctx.fail(std::string("cannot read berthd's answer: ") + e.what());
    return kExitRefused;
  }
  return kExitOk;
}

std::string render_change(const char* verb, const json& j) {
  const auto change = j.get<api::ReservationChange>();
  std::string out = std::string(verb) + " " + describe(change.reservation) + "\n";
  for (const auto& lease : change.forgotten_leases) out += "forgot " + describe(lease) + "\n";
  return out;
}

// A CLI11 check from one of the api's validators; `what` names the value in
// the message (CLI11 puts the option's name in front).
CLI::Validator check(
    std::function<std::optional<std::string>(std::string_view, std::string_view)> problem,
    std::string what) {
  return CLI::Validator(
      [problem, what](std::string& s) -> std::string { return problem(what, s).value_or(""); }, "");
}

std::optional<std::string> label_problem(std::string_view what, std::string_view s) {
  return api::dns_label_problem(what, s);
}

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

enum class ImportKind { dnsmasq_leases, dnsmasq_hosts, lxd, libvirt };

struct ImportArgs {
  std::string path;
  std::string bridge;
  bool force = false;
  bool dry_run = false;
};

int import_file(Context& ctx, ImportKind kind, const ImportArgs& a) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  leases::ImportResult result;
  std::vector<api::ReservationCreate> wanted;
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(a.path, ec);
  if (kind == ImportKind::lxd || (kind == ImportKind::dnsmasq_hosts && is_dir)) {
    if (!is_dir) {
      ctx.fail(a.path +
               " is not a directory: LXD keeps one file per instance in "
               ".../networks/<bridge>/dnsmasq.hosts/");
      return kExitUsage;
    }
    result = leases::import_lxd_hosts_dir(a.path, a.bridge);
    wanted = reservations_from_hosts(result.reservations, a.force);
  } else {
    std::string text;
    if (auto problem = read_file(a.path, text)) {
      ctx.fail(*problem);
      return kExitUsage;
    }
    switch (kind) {
      case ImportKind::dnsmasq_leases:
        result = leases::import_dnsmasq_leases(text, a.bridge, now, a.path);
        wanted = reservations_from_leases(result.leases, a.force);
        break;
      case ImportKind::libvirt:
        result = leases::import_libvirt_status(text, a.bridge, now, a.path);
        wanted = reservations_from_leases(result.leases, a.force);
        break;
      default:
        result = leases::import_dnsmasq_hosts(text, a.bridge, a.path);
        wanted = reservations_from_hosts(result.reservations, a.force);
        break;
    }
  }
  json problems = json::array();
  for (const auto& p : result.problems) {
    if (ctx.json) {
      problems.push_back(json{{"source", p.source}, {"line", p.line}, {"message", p.message}});
    } else {
      ctx.err << "berthctl: warning: " << format_problem(p) << '\n';
    }
  }

  if (a.dry_run) {
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
    ctx.out << wanted.size() << " reservation(s) would be added from " << printable(a.path)
            << " (dry run: berthd was not contacted)\n";
    return kExitOk;
  }

  // What berthd has already: an import run twice adds nothing the second
  // time and says so, instead of reporting every entry as refused.
  api::ReservationList existing;
  try {
    api::HttpReply have =
        ctx.client().send(api::to_http(api::ListReservations{.bridge = a.bridge}));
    if (have.status == 200) {
      existing = json::parse(have.body).get<api::ReservationList>();
    }
  } catch (const api::ConnectError& e) {
    ctx.fail(e.what());
    return kExitRefused;
  } catch (const std::exception&) {
    existing = {};  // an answer we cannot read: let each add speak for itself
  }
  auto already_there = [&](const api::ReservationCreate& c) {
    for (const api::ReservationInfo& r : existing.reservations) {
      if (r.bridge != c.bridge || r.match != c.match || r.ip != c.ip || r.name != c.name) continue;
      if ((c.match == api::MatchKind::mac && r.mac == c.mac) ||
          (c.match == api::MatchKind::client_id && r.client_id == c.client_id) ||
          (c.match == api::MatchKind::hostname && r.hostname == c.hostname)) {
        return true;
      }
    }
    return false;
  };

  json added = json::array();
  json refused = json::array();
  json present = json::array();
  for (const auto& c : wanted) {
    if (already_there(c)) {
      present.push_back(c);
      continue;
    }
    api::HttpReply reply;
    try {
      reply = ctx.client().send(api::to_http(api::AddReservation{.reservation = c}));
    } catch (const api::ConnectError& e) {
      ctx.fail(std::string(e.what()) + "; " + std::to_string(added.size()) + " of " +
               std::to_string(wanted.size()) + " reservations were added before");
      return kExitRefused;
    }
    if (reply.status >= 200 && reply.status < 300) {
      const json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
      added.push_back(j);
      if (!ctx.json) {
        try {
          ctx.out << render_change("added", j);
        } catch (const std::exception& e) {
          ctx.out << "added " << client_of(c) << " -> " << c.ip.to_string() << '\n';
        }
      }
    } else {
      const std::string why = refusal_text(reply);
      refused.push_back(json{{"reservation", c}, {"status", reply.status}, {"error", why}});
      if (!ctx.json) ctx.fail(client_of(c) + " -> " + c.ip.to_string() + ": " + why);
    }
  }
  if (ctx.json) {
    ctx.out << json{{"added", added},
                    {"already_present", present},
                    {"refused", refused},
                    {"problems", problems}}
                   .dump(2, ' ', false, json::error_handler_t::replace)
            << "\n";
  } else {
    ctx.out << "imported " << added.size() << " of " << wanted.size() << " reservation(s) from "
            << printable(a.path);
    if (!present.empty()) ctx.out << ", " << present.size() << " already there";
    if (!refused.empty()) ctx.out << ", " << refused.size() << " refused";
    if (!result.problems.empty()) ctx.out << ", " << result.problems.size() << " entries skipped";
    ctx.out << '\n';
  }
  return refused.empty() ? kExitOk : kExitRefused;
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context ctx{.out = out, .err = err};
  std::function<int()> action;

  CLI::App app{
      "berthctl drives berthd, the DHCP and DNS server for container and VM bridges, through "
      "its control socket: leases, reservations, port forwards, veth attach, reload. Changes take "
      "effect at once, without a restart.",
      "berthctl"};
  app.set_version_flag("--version", std::string("berthctl ") + BERTH_VERSION);
  app.fallthrough();  // global options are accepted after the subcommand too
  app.require_subcommand(1);
  app.add_option("-s,--socket", ctx.socket, "berthd's control socket")
      ->envname("BERTH_SOCKET")
      ->capture_default_str();
  app.add_flag("--json", ctx.json, "Print berthd's answers as JSON, for scripts");
  app.add_option("--timeout", ctx.timeout_s, "Seconds to wait for berthd")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.footer(
      "Exit status: 0 on success, 1 when berthd refused the request (its reason is printed) or "
      "cannot be reached, 2 for usage errors. See berthctl(1).");

  const auto bridge_check = check(api::interface_name_problem, "the bridge name");

  // status, bridges
  app.add_subcommand("status", "Show berthd's version, uptime, database and lease counts")
      ->callback([&] {
        action = [&] {
          return call(ctx, api::GetStatus{},
                      [](const json& j) { return render_status(j.get<api::Status>()); });
        };
      });
  app.add_subcommand("bridges", "List the served bridges with their pools and use")->callback([&] {
    action = [&] {
      return call(ctx, api::ListBridges{},
                  [](const json& j) { return render_bridges(j.get<api::BridgeList>()); });
    };
  });

  // leases, lease forget
  std::string leases_bridge;
  auto* leases_cmd = app.add_subcommand("leases", "List leases, on every bridge or on one");
  leases_cmd->add_option("-b,--bridge", leases_bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check);
  leases_cmd->callback([&] {
    action = [&] {
      api::ListLeases req;
      if (!leases_bridge.empty()) req.bridge = leases_bridge;
      return call(ctx, req, [](const json& j) { return render_leases(j.get<api::LeaseList>()); });
    };
  });

  auto* lease_cmd = app.add_subcommand("lease", "Act on one lease");
  lease_cmd->require_subcommand(1);
  std::string forget_bridge;
  std::string forget_ip;
  auto* forget = lease_cmd->add_subcommand(
      "forget",
      "Forget a lease now: its address goes back to the pool and its DNS name stops resolving");
  forget->add_option("-b,--bridge", forget_bridge, "Bridge of the lease")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check);
  forget->add_option("IP", forget_ip, "Address of the lease")
      ->required()
      ->check(check(
          [](std::string_view what, std::string_view s) -> std::optional<std::string> {
            if (Ipv4Address::parse(s)) return std::nullopt;
            return std::string(what) + " " + api::quote_text(s) + " is not an IPv4 address";
          },
          "the address"));
  forget->callback([&] {
    action = [&] {
      return call(
          ctx, api::ForgetLease{.bridge = forget_bridge, .ip = *Ipv4Address::parse(forget_ip)},
          [](const json& j) { return "forgot " + describe(j.get<api::LeaseInfo>()) + "\n"; });
    };
  });

  // reservation add|rm|set|list
  auto* res_cmd = app.add_subcommand("reservation",
                                     "Add, change, remove or list reservations (fixed addresses)");
  res_cmd->require_subcommand(1);

  struct AddArgs {
    std::string bridge, mac, client_id, hostname, ip, name;
    bool force = false;
  } add_args;
  auto* add = res_cmd->add_subcommand(
      "add",
      "Reserve an address for a client, by MAC, client identifier or host name; it takes effect "
      "for the client's next packet");
  add->add_option("-b,--bridge", add_args.bridge, "Bridge the reservation is on")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check);
  auto* who = add->add_option_group("client", "Which client (exactly one)");
  who->add_option("--mac", add_args.mac, "The client's MAC address, e.g. 00:16:3e:aa:bb:cc")
      ->type_name("MAC")
      ->check(check(api::mac_problem, "the MAC address"));
  who->add_option("--client-id", add_args.client_id,
                  "The client identifier it sends (option 61), hex bytes with ':'")
      ->type_name("HEX")
      ->check(check(api::client_id_problem, "the client identifier"));
  who->add_option("--hostname", add_args.hostname, "The host name it sends (option 12)")
      ->type_name("HOST")
      ->check(check(label_problem, "the host name"));
  who->require_option(1);
  add->add_option("--ip", add_args.ip, "The address to reserve")
      ->required()
      ->type_name("IP")
      ->check(check(api::reservable_ip_problem, "the address"));
  add->add_option("-n,--name", add_args.name, "DNS name for the address (one label)")
      ->type_name("NAME")
      ->check(check(label_problem, "the name"));
  add->add_flag("-f,--force", add_args.force,
                "Forget the lease another client holds on the address instead of refusing");
  add->callback([&] {
    action = [&] {
      api::ReservationCreate c{.bridge = add_args.bridge,
                               .match = api::MatchKind::mac,
                               .mac = {},
                               .client_id = {},
                               .hostname = {},
                               .ip = *Ipv4Address::parse(add_args.ip),
                               .name = add_args.name,
                               .force = add_args.force};
      if (!add_args.mac.empty()) {
        c.mac = *MacAddress::parse(add_args.mac);
      } else if (!add_args.client_id.empty()) {
        c.match = api::MatchKind::client_id;
        c.client_id = *parse_hex_colon(add_args.client_id);
      } else {
        c.match = api::MatchKind::hostname;
        c.hostname = add_args.hostname;
      }
      return call(ctx, api::AddReservation{.reservation = c},
                  [](const json& j) { return render_change("added", j); });
    };
  });

  int64_t rm_id = 0;
  auto* rm = res_cmd->add_subcommand("rm",
                                     "Remove a reservation; its client keeps its lease "
                                     "until the lease ends");
  rm->add_option("ID", rm_id, "The reservation's id (see reservation list)")
      ->required()
      ->check(CLI::PositiveNumber);
  rm->callback([&] {
    action = [&] {
      return call(ctx, api::DeleteReservation{.id = rm_id},
                  [](const json& j) { return render_change("removed", j); });
    };
  });

  struct SetArgs {
    int64_t id = 0;
    std::string ip, name;
    bool no_name = false, force = false;
  } set_args;
  auto* set = res_cmd->add_subcommand(
      "set", "Change a reservation's address or name; the client moves at its next renewal");
  set->add_option("ID", set_args.id, "The reservation's id (see reservation list)")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* set_ip = set->add_option("--ip", set_args.ip, "New address")
                     ->type_name("IP")
                     ->check(check(api::reservable_ip_problem, "the address"));
  auto* set_name = set->add_option("-n,--name", set_args.name, "New DNS name")
                       ->type_name("NAME")
                       ->check(check(label_problem, "the name"));
  set->add_flag("--no-name", set_args.no_name, "Remove the reservation's DNS name")
      ->excludes(set_name);
  set->add_flag("-f,--force", set_args.force,
                "Forget the lease another client holds on the new address instead of refusing");
  set->callback([&] {
    action = [&, set_ip, set_name] {
      if (set_ip->count() == 0 && set_name->count() == 0 && !set_args.no_name) {
        ctx.fail("reservation set needs --ip, --name or --no-name: there is nothing to change");
        return kExitUsage;
      }
      api::ReservationPatch p;
      if (set_ip->count() > 0) p.ip = *Ipv4Address::parse(set_args.ip);
      if (set_name->count() > 0) p.name = set_args.name;
      if (set_args.no_name) p.name = "";
      p.force = set_args.force;
      return call(ctx, api::PatchReservation{.id = set_args.id, .patch = p},
                  [](const json& j) { return render_change("changed", j); });
    };
  });

  std::string list_bridge;
  auto* list = res_cmd->add_subcommand("list", "List reservations, on every bridge or on one");
  list->add_option("-b,--bridge", list_bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check);
  list->callback([&] {
    action = [&] {
      api::ListReservations req;
      if (!list_bridge.empty()) req.bridge = list_bridge;
      return call(ctx, req,
                  [](const json& j) { return render_reservations(j.get<api::ReservationList>()); });
    };
  });

  // reload, metrics
  app.add_subcommand("reload",
                     "Re-read berthd's config file, as SIGHUP does; a bad file is refused whole "
                     "and the running config stays")
      ->callback([&] {
        action = [&] {
          return call(ctx, api::Reload{},
                      [](const json& j) { return render_reload(j.get<api::ReloadResult>()); });
        };
      });
  app.add_subcommand("metrics", "Print berthd's counters in the Prometheus text format")
      ->callback([&] {
        action = [&] {
          api::HttpReply reply;
          try {
            reply = ctx.client().send(api::to_http(api::GetMetrics{}));
          } catch (const api::ConnectError& e) {
            ctx.fail(e.what());
            return kExitRefused;
          }
          if (reply.status != 200) {
            ctx.fail(refusal_text(reply));
            return kExitRefused;
          }
          ctx.out << reply.body;
          return kExitOk;
        };
      });

  // attach, detach: veth pairs into network namespaces
  struct NamespaceArgs {
    std::string bridge, netns, ifname = "eth0", mac;
    int pid = 0;
  };
  const auto ifname_check = check(
      [](std::string_view what, std::string_view s) -> std::optional<std::string> {
        if (s.empty()) return std::string(what) + " is empty";
        return api::interface_name_problem(what, s);
      },
      "the interface name");
  // --netns or --pid, for attach and detach; `verb` says what happens there.
  auto add_namespace_options = [&](CLI::App* sub, NamespaceArgs& a, const char* verb) {
    sub->add_option("-b,--bridge", a.bridge, "The bridge")
        ->required()
        ->type_name("BRIDGE")
        ->check(bridge_check);
    auto* where = sub->add_option_group("namespace", "Which network namespace (exactly one)");
    where
        ->add_option("--netns", a.netns,
                     "A named namespace, as `ip netns list` shows it (/run/netns/NAME)")
        ->type_name("NAME")
        ->check(check(api::netns_name_problem, "the namespace name"));
    where->add_option("--pid", a.pid, "A process in the namespace (a container's init)")
        ->type_name("PID")
        ->check(CLI::Range(1, static_cast<int>(api::kMaxPid)));
    where->require_option(1);
    sub->add_option("--ifname", a.ifname, std::string("The interface ") + verb)
        ->type_name("IFNAME")
        ->check(ifname_check)
        ->capture_default_str();
  };
  auto namespace_text = [](const NamespaceArgs& a) {
    return a.netns.empty() ? "pid " + std::to_string(a.pid) : "netns " + printable(a.netns);
  };

  NamespaceArgs attach_args;
  auto* attach = app.add_subcommand(
      "attach",
      "Connect a container's network namespace to a bridge: a veth pair, one end inside the "
      "namespace, the other enslaved to the bridge, both up");
  add_namespace_options(attach, attach_args, "to create inside the namespace");
  attach
      ->add_option("--mac", attach_args.mac,
                   "MAC of the interface inside the namespace (default: the kernel picks one)")
      ->type_name("MAC")
      ->check(check(api::unicast_mac_problem, "the MAC address"));
  attach->callback([&] {
    action = [&] {
      api::Attach req{.bridge = attach_args.bridge,
                      .netns = std::nullopt,
                      .pid = std::nullopt,
                      .ifname = attach_args.ifname,
                      .mac = std::nullopt};
      if (!attach_args.netns.empty()) {
        req.netns = attach_args.netns;
      } else {
        req.pid = attach_args.pid;
      }
      if (!attach_args.mac.empty()) req.mac = *MacAddress::parse(attach_args.mac);
      const std::string where = namespace_text(attach_args);
      return call(ctx, req, [where](const json& j) {
        const auto r = j.get<api::AttachResult>();
        return "attached " + printable(r.ifname) + " (" + r.mac.to_string() + ") in " + where +
               " to " + printable(r.bridge) + " through " + printable(r.host_ifname) + "\n";
      });
    };
  });

  NamespaceArgs detach_args;
  auto* detach = app.add_subcommand(
      "detach",
      "Remove an interface that attach made from a network namespace (the veth pair goes with "
      "it)");
  add_namespace_options(detach, detach_args, "to remove inside the namespace");
  detach->callback([&] {
    action = [&] {
      api::Detach req{.bridge = detach_args.bridge,
                      .netns = std::nullopt,
                      .pid = std::nullopt,
                      .ifname = detach_args.ifname};
      if (!detach_args.netns.empty()) {
        req.netns = detach_args.netns;
      } else {
        req.pid = detach_args.pid;
      }
      const std::string where = namespace_text(detach_args);
      return call(ctx, req, [where](const json& j) {
        const auto r = j.get<api::DetachResult>();
        return "detached " + printable(r.ifname) + " in " + where + " from " + printable(r.bridge) +
               "\n";
      });
    };
  });

  // forward add|rm|list
  auto* fwd_cmd = app.add_subcommand(
      "forward", "Add, remove or list port forwards from the host to containers");
  fwd_cmd->require_subcommand(1);
  struct ForwardArgs {
    std::string bridge, proto, to, host_address;
    int host_port = 0;
  } fwd_args;
  auto* fwd_add = fwd_cmd->add_subcommand(
      "add",
      "Forward a port of the host to a container, by address or by name (a name follows the "
      "container's lease)");
  fwd_add->add_option("-b,--bridge", fwd_args.bridge, "Bridge the container is on")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check);
  fwd_add->add_option("PROTO", fwd_args.proto, "tcp or udp")
      ->required()
      ->check(CLI::IsMember({"tcp", "udp"}));
  fwd_add->add_option("HOST_PORT", fwd_args.host_port, "The port on the host")
      ->required()
      ->check(CLI::Range(1, 65535));
  fwd_add
      ->add_option("TO", fwd_args.to,
                   "TO[:PORT]: the container's name or address, and its port (default HOST_PORT), "
                   "e.g. web:80")
      ->required()
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            auto r = parse_forward_target(s);
            if (auto* e = std::get_if<std::string>(&r)) return *e;
            return {};
          },
          ""));
  fwd_add
      ->add_option("--host-address", fwd_args.host_address,
                   "Only traffic to this address of the host (default: every address)")
      ->type_name("IP")
      ->check(check(api::forward_host_address_problem, "the host address"));
  fwd_add->callback([&] {
    action = [&] {
      const auto target = std::get<ForwardTarget>(parse_forward_target(fwd_args.to));
      api::ForwardCreate f{
          .bridge = fwd_args.bridge,
          .proto = *api::forward_proto_from_string(fwd_args.proto),
          .host_address = std::nullopt,
          .host_port = static_cast<uint16_t>(fwd_args.host_port),
          .to = target.to,
          .to_port = target.port.value_or(static_cast<uint16_t>(fwd_args.host_port))};
      if (!fwd_args.host_address.empty()) {
        const Ipv4Address a = *Ipv4Address::parse(fwd_args.host_address);
        if (!a.is_unspecified()) f.host_address = a;
      }
      return call(ctx, api::AddForward{.forward = f}, [](const json& j) {
        return "added " + describe(j.get<api::ForwardInfo>()) + "\n";
      });
    };
  });

  int64_t fwd_rm_id = 0;
  auto* fwd_rm = fwd_cmd->add_subcommand("rm", "Remove a port forward made with forward add");
  fwd_rm->add_option("ID", fwd_rm_id, "The forward's id (see forward list)")
      ->required()
      ->check(CLI::PositiveNumber);
  fwd_rm->callback([&] {
    action = [&] {
      return call(ctx, api::DeleteForward{.id = fwd_rm_id}, [](const json& j) {
        return "removed " + describe(j.get<api::ForwardInfo>()) + "\n";
      });
    };
  });

  std::string fwd_list_bridge;
  auto* fwd_list = fwd_cmd->add_subcommand(
      "list", "List port forwards (from the API and the config file) and where they go now");
  fwd_list->add_option("-b,--bridge", fwd_list_bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check);
  fwd_list->callback([&] {
    action = [&] {
      api::ListForwards req;
      if (!fwd_list_bridge.empty()) req.bridge = fwd_list_bridge;
      return call(ctx, req,
                  [](const json& j) { return render_forwards(j.get<api::ForwardList>()); });
    };
  });

  // firewall show
  auto* fw_cmd = app.add_subcommand("firewall", "berthd's nftables table (inet berth)");
  fw_cmd->require_subcommand(1);
  fw_cmd
      ->add_subcommand("show",
                       "Print the table berthd wants, the kernel's, and whether they are in sync")
      ->callback([&] {
        action = [&] {
          return call(ctx, api::GetFirewall{},
                      [](const json& j) { return render_firewall(j.get<api::FirewallInfo>()); });
        };
      });

  // config check (offline)
  auto* config_cmd = app.add_subcommand("config", "Work on config files without berthd");
  config_cmd->require_subcommand(1);
  std::string config_path = kDefaultConfigPath;
  auto* config_check_cmd = config_cmd->add_subcommand(
      "check",
      "Validate a config file as berthd would; print OK with its bridges, or the error with "
      "file, line and key (exit status 2)");
  config_check_cmd->add_option("FILE", config_path, "The config file")->capture_default_str();
  config_check_cmd->callback([&] { action = [&] { return config_check(ctx, config_path); }; });

  // import
  auto* import_cmd = app.add_subcommand(
      "import", "Add reservations to the running berthd from dnsmasq, LXD or libvirt files");
  import_cmd->require_subcommand(1);
  import_cmd->footer(
      "Lease files (dnsmasq-leases, libvirt) become one MAC reservation per lease, with the "
      "lease's host name as the DNS name: every container keeps its address across the move. "
      "Remove a reservation later (reservation rm) to give its address back to the pool.");
  ImportArgs import_args;
  auto add_import = [&](const char* name, const char* help, const char* what, ImportKind kind) {
    auto* sub = import_cmd->add_subcommand(name, help);
    sub->add_option(what, import_args.path, "File (or directory) to read")->required();
    sub->add_option("-b,--bridge", import_args.bridge, "Bridge the reservations are for")
        ->required()
        ->type_name("BRIDGE")
        ->check(bridge_check);
    sub->add_flag("-f,--force", import_args.force,
                  "Forget leases other clients hold on the imported addresses");
    sub->add_flag("--dry-run", import_args.dry_run,
                  "Print what would be added without contacting berthd");
    sub->callback(
        [&, kind] { action = [&, kind] { return import_file(ctx, kind, import_args); }; });
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (!action) {
    err << "berthctl: no command given; see berthctl --help\n";
    return kExitUsage;
  }
  return action();
}

}  // namespace berth::cli
