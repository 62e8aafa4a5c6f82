// berthctl's commands: what they share (the global options, the connection
// to berthd, the output streams, the answer printed), and one function per
// command that registers its subcommands, options and action with CLI11.
// run() (app.cpp) calls them in the order `berthctl --help` lists them.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "api/client.hpp"
#include "api/router.hpp"

namespace berth::cli {

struct Context {
  std::ostream& out;
  std::ostream& err;
  std::string socket = api::kDefaultSocketPath;
  bool json = false;
  int timeout_s = 60;
  std::unique_ptr<api::ControlClient> connection;
  // What the chosen subcommand does: its CLI11 callback sets it during the
  // parse, run() calls it once the whole command line is read.
  std::function<int()> action;

  // Connects on first use, so offline commands never need berthd.
  api::ControlClient& client();
  void fail(const std::string& sentence) const;
};

// berthd's JSON indented for a person; other text as it is.
std::string pretty(const std::string& body);

// The sentence berthd gave with a refusal, or what it sent instead.
std::string refusal_text(const api::HttpReply& reply);

// Sends `req`. On success prints the answer (JSON as it is with --json,
// else what `human` makes of it) and returns 0; on a refusal prints
// berthd's sentence and returns 1.
int call(Context& ctx, const api::Request& req,
         const std::function<std::string(const nlohmann::json&)>& human);

// "added reservation 7 on br0: ... -> ..." and a line per forgotten lease.
std::string render_change(const char* verb, const nlohmann::json& j);

// A CLI11 check from one of the api's validators; `what` names the value in
// the message (CLI11 puts the option's name in front).
CLI::Validator check(
    std::function<std::optional<std::string>(std::string_view, std::string_view)> problem,
    std::string what);
std::optional<std::string> label_problem(std::string_view what, std::string_view s);
CLI::Validator bridge_check();
// --option "[force:]CODE:TYPE:VALUE" (dhcp4::parse_configured_option).
std::optional<std::string> option_problem(std::string_view what, std::string_view s);
std::vector<dhcp4::ConfiguredOption> parse_options(const std::vector<std::string>& lines);

// daemon_commands.cpp
void add_status_command(CLI::App& app, Context& ctx);    // status
void add_bridges_command(CLI::App& app, Context& ctx);   // bridges
void add_reload_command(CLI::App& app, Context& ctx);    // reload
void add_metrics_command(CLI::App& app, Context& ctx);   // metrics
void add_firewall_command(CLI::App& app, Context& ctx);  // firewall show

// lease_commands.cpp
void add_leases_command(CLI::App& app, Context& ctx);       // leases
void add_lease_command(CLI::App& app, Context& ctx);        // lease forget
void add_reservation_command(CLI::App& app, Context& ctx);  // reservation add|rm|set|list

// bridge_commands.cpp
void add_attach_commands(CLI::App& app, Context& ctx);  // attach, detach
void add_forward_command(CLI::App& app, Context& ctx);  // forward add|rm|list

// event_commands.cpp
void add_events_command(CLI::App& app, Context& ctx);  // events
// record_commands.cpp
void add_record_command(CLI::App& app, Context& ctx);  // record add|rm|list

// file_commands.cpp: without berthd, or reading files before asking it
void add_config_command(CLI::App& app, Context& ctx);  // config check
void add_import_command(CLI::App& app, Context& ctx);  // import dnsmasq-leases|...

}  // namespace berth::cli
