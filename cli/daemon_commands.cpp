// berthd as a whole: status, bridges, reload, metrics, firewall show.
#include "api/types.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace berth::cli {

using nlohmann::json;

void add_status_command(CLI::App& app, Context& ctx) {
  app.add_subcommand("status", "Show berthd's version, uptime, database and lease counts")
      ->callback([&ctx] {
        ctx.action = [&ctx] {
          return call(ctx, api::GetStatus{},
                      [](const json& j) { return render_status(j.get<api::Status>()); });
        };
      });
}

void add_bridges_command(CLI::App& app, Context& ctx) {
  app.add_subcommand("bridges", "List the served bridges with their pools and use")
      ->callback([&ctx] {
        ctx.action = [&ctx] {
          return call(ctx, api::ListBridges{},
                      [](const json& j) { return render_bridges(j.get<api::BridgeList>()); });
        };
      });
}

void add_reload_command(CLI::App& app, Context& ctx) {
  app.add_subcommand("reload",
                     "Re-read berthd's config file, as SIGHUP does; a bad file is refused whole "
                     "and the running config stays")
      ->callback([&ctx] {
        ctx.action = [&ctx] {
          return call(ctx, api::Reload{},
                      [](const json& j) { return render_reload(j.get<api::ReloadResult>()); });
        };
      });
}

namespace {

// The Prometheus text as berthd sends it: not JSON, so not through call().
int print_metrics(Context& ctx) {
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
}

}  // namespace

void add_metrics_command(CLI::App& app, Context& ctx) {
  app.add_subcommand("metrics", "Print berthd's counters in the Prometheus text format")
      ->callback([&ctx] { ctx.action = [&ctx] { return print_metrics(ctx); }; });
}

void add_firewall_command(CLI::App& app, Context& ctx) {
  auto* fw_cmd = app.add_subcommand("firewall", "berthd's nftables table (inet berth)");
  fw_cmd->require_subcommand(1);
  fw_cmd
      ->add_subcommand("show",
                       "Print the table berthd wants, the kernel's, and whether they are in sync")
      ->callback([&ctx] {
        ctx.action = [&ctx] {
          return call(ctx, api::GetFirewall{},
                      [](const json& j) { return render_firewall(j.get<api::FirewallInfo>()); });
        };
      });
}

}  // namespace berth::cli
