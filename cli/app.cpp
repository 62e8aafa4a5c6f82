#include "cli/app.hpp"

#include <CLI/CLI.hpp>

#include <string>

#include "cli/commands.hpp"

namespace berth::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context ctx{.out = out, .err = err};

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
      "cannot be reached, 2 for usage errors. See berthctl(8).");

  // In the order --help lists them.
  add_status_command(app, ctx);
  add_bridges_command(app, ctx);
  add_leases_command(app, ctx);
  add_lease_command(app, ctx);
  add_reservation_command(app, ctx);
  add_reload_command(app, ctx);
  add_metrics_command(app, ctx);
  add_attach_commands(app, ctx);
  add_forward_command(app, ctx);
  add_record_command(app, ctx);
  add_firewall_command(app, ctx);
  add_events_command(app, ctx);
  add_config_command(app, ctx);
  add_import_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (!ctx.action) {
    err << "berthctl: no command given; see berthctl --help\n";
    return kExitUsage;
  }
  return ctx.action();
}

}  // namespace berth::cli
