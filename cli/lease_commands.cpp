// Leases and reservations: leases, lease forget, reservation add|rm|set|list.
#include <memory>
#include <string>

#include "api/types.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace berth::cli {

using nlohmann::json;

void add_leases_command(CLI::App& app, Context& ctx) {
  auto bridge = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("leases", "List leases, on every bridge or on one");
  cmd->add_option("-b,--bridge", *bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check());
  cmd->callback([&ctx, bridge] {
    ctx.action = [&ctx, bridge] {
      api::ListLeases req;
      if (!bridge->empty()) req.bridge = *bridge;
      return call(ctx, req, [](const json& j) { return render_leases(j.get<api::LeaseList>()); });
    };
  });
}

void add_lease_command(CLI::App& app, Context& ctx) {
  auto* lease_cmd = app.add_subcommand("lease", "Act on one lease");
  lease_cmd->require_subcommand(1);
  struct ForgetArgs {
    std::string bridge;
    std::string ip;
  };
  auto args = std::make_shared<ForgetArgs>();
  auto* forget = lease_cmd->add_subcommand(
      "forget",
      "Forget a lease now: its address goes back to the pool and its DNS name stops resolving");
  forget->add_option("-b,--bridge", args->bridge, "Bridge of the lease")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check());
  forget->add_option("IP", args->ip, "Address of the lease")
      ->required()
      ->check(check(
          [](std::string_view what, std::string_view s) -> std::optional<std::string> {
            if (Ipv4Address::parse(s)) return std::nullopt;
            return std::string(what) + " " + api::quote_text(s) + " is not an IPv4 address";
          },
          "the address"));
  forget->callback([&ctx, args] {
    ctx.action = [&ctx, args] {
      return call(
          ctx, api::ForgetLease{.bridge = args->bridge, .ip = *Ipv4Address::parse(args->ip)},
          [](const json& j) { return "forgot " + describe(j.get<api::LeaseInfo>()) + "\n"; });
    };
  });
}

namespace {

void add_reservation_add(CLI::App& res_cmd, Context& ctx) {
  struct AddArgs {
    std::string bridge, mac, client_id, hostname, ip, ipv6, duid, name;
    std::vector<std::string> options;
    bool force = false;
  };
  auto args = std::make_shared<AddArgs>();
  auto* add = res_cmd.add_subcommand(
      "add",
      "Reserve an address for a client, by MAC, client identifier or host name; it takes effect "
      "for the client's next packet");
  add->add_option("-b,--bridge", args->bridge, "Bridge the reservation is on")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check());
  auto* who = add->add_option_group("client", "Which client (exactly one)");
  who->add_option("--mac", args->mac, "The client's MAC address, e.g. 00:16:3e:aa:bb:cc")
      ->type_name("MAC")
      ->check(check(api::mac_problem, "the MAC address"));
  who->add_option("--client-id", args->client_id,
                  "The client identifier it sends (option 61), hex bytes with ':'")
      ->type_name("HEX")
      ->check(check(api::client_id_problem, "the client identifier"));
  who->add_option("--hostname", args->hostname, "The host name it sends (option 12)")
      ->type_name("HOST")
      ->check(check(label_problem, "the host name"));
  who->require_option(1);
  add->add_option("--ip", args->ip, "The address to reserve")
      ->required()
      ->type_name("IP")
      ->check(check(api::reservable_ip_problem, "the address"));
  auto* ipv6 = add->add_option("--ipv6", args->ipv6,
                               "Also an IPv6 address in the bridge's prefix: DHCPv6 gives it to "
                               "the client on a stateful bridge, and the name gets an AAAA record")
                   ->type_name("IPV6")
                   ->check(check(api::reservable_ipv6_problem, "the IPv6 address"));
  add->add_option("--duid", args->duid,
                  "The DHCPv6 client's DUID, hex bytes with ':' (without it, --ipv6 goes to the "
                  "client with the reservation's MAC)")
      ->type_name("HEX")
      ->check(check(api::duid_problem, "the DUID"))
      ->needs(ipv6);
  add->add_option("-n,--name", args->name, "DNS name for the address (one label)")
      ->type_name("NAME")
      ->check(check(label_problem, "the name"));
  add->add_option("-o,--option", args->options,
                  "A DHCPv4 option for this client only, CODE:TYPE:VALUE (types ip, ips, string, "
                  "u8, u16, u32, bool, hex; force:CODE:TYPE:VALUE sends it unasked); repeatable")
      ->type_name("OPTION")
      ->check(check(option_problem, "the option"));
  add->add_flag("-f,--force", args->force,
                "Forget the lease another client holds on the address instead of refusing");
  add->callback([&ctx, args] {
    ctx.action = [&ctx, args] {
      if (!args->ipv6.empty() && args->duid.empty() && args->mac.empty()) {
        ctx.fail(
            "--ipv6 needs --duid, or --mac as the client: a DHCPv6 client sends neither "
            "its DHCPv4 client identifier nor a host name to match");
        return kExitUsage;
      }
      api::ReservationCreate c{.bridge = args->bridge,
                               .match = api::MatchKind::mac,
                               .mac = {},
                               .client_id = {},
                               .hostname = {},
                               .ip = *Ipv4Address::parse(args->ip),
                               .ipv6 = std::nullopt,
                               .duid = {},
                               .name = args->name,
                               .options = parse_options(args->options),
                               .force = args->force};
      if (!args->ipv6.empty()) c.ipv6 = *Ipv6Address::parse(args->ipv6);
      if (!args->duid.empty()) c.duid = *parse_hex_colon(args->duid);
      if (!args->mac.empty()) {
        c.mac = *MacAddress::parse(args->mac);
      } else if (!args->client_id.empty()) {
        c.match = api::MatchKind::client_id;
        c.client_id = *parse_hex_colon(args->client_id);
      } else {
        c.match = api::MatchKind::hostname;
        c.hostname = args->hostname;
      }
      return call(ctx, api::AddReservation{.reservation = c},
                  [](const json& j) { return render_change("added", j); });
    };
  });
}

void add_reservation_rm(CLI::App& res_cmd, Context& ctx) {
  auto id = std::make_shared<int64_t>(0);
  auto* rm = res_cmd.add_subcommand("rm",
                                    "Remove a reservation; its client keeps its lease "
                                    "until the lease ends");
  rm->add_option("ID", *id, "The reservation's id (see reservation list)")
      ->required()
      ->check(CLI::PositiveNumber);
  rm->callback([&ctx, id] {
    ctx.action = [&ctx, id] {
      return call(ctx, api::DeleteReservation{.id = *id},
                  [](const json& j) { return render_change("removed", j); });
    };
  });
}

void add_reservation_set(CLI::App& res_cmd, Context& ctx) {
  struct SetArgs {
    int64_t id = 0;
    std::string ip, ipv6, name;
    std::vector<std::string> options;
    bool no_name = false, no_ipv6 = false, no_options = false, force = false;
  };
  auto args = std::make_shared<SetArgs>();
  auto* set = res_cmd.add_subcommand(
      "set",
      "Change a reservation's addresses, name or options; the client moves at its next renewal");
  set->add_option("ID", args->id, "The reservation's id (see reservation list)")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* set_ip = set->add_option("--ip", args->ip, "New address")
                     ->type_name("IP")
                     ->check(check(api::reservable_ip_problem, "the address"));
  auto* set_ipv6 = set->add_option("--ipv6", args->ipv6, "New IPv6 address")
                       ->type_name("IPV6")
                       ->check(check(api::reservable_ipv6_problem, "the IPv6 address"));
  set->add_flag("--no-ipv6", args->no_ipv6, "Remove the reservation's IPv6 address")
      ->excludes(set_ipv6);
  auto* set_name = set->add_option("-n,--name", args->name, "New DNS name")
                       ->type_name("NAME")
                       ->check(check(label_problem, "the name"));
  set->add_flag("--no-name", args->no_name, "Remove the reservation's DNS name")
      ->excludes(set_name);
  auto* set_options =
      set->add_option("-o,--option", args->options,
                      "The client's DHCPv4 options, CODE:TYPE:VALUE, replacing those it had; "
                      "repeatable")
          ->type_name("OPTION")
          ->check(check(option_problem, "the option"));
  set->add_flag("--no-options", args->no_options, "Remove the reservation's DHCPv4 options")
      ->excludes(set_options);
  set->add_flag("-f,--force", args->force,
                "Forget the lease another client holds on the new address instead of refusing");
  set->callback([&ctx, args, set_ip, set_ipv6, set_name, set_options] {
    ctx.action = [&ctx, args, set_ip, set_ipv6, set_name, set_options] {
      if (set_ip->count() == 0 && set_ipv6->count() == 0 && set_name->count() == 0 &&
          set_options->count() == 0 && !args->no_name && !args->no_ipv6 && !args->no_options) {
        ctx.fail(
            "reservation set needs --ip, --ipv6, --no-ipv6, --name, --no-name, --option or "
            "--no-options: there is nothing to change");
        return kExitUsage;
      }
      api::ReservationPatch p;
      if (set_ip->count() > 0) p.ip = *Ipv4Address::parse(args->ip);
      if (set_ipv6->count() > 0) p.ipv6 = Ipv6Address::parse(args->ipv6);
      if (args->no_ipv6) p.ipv6 = std::optional<Ipv6Address>();
      if (set_name->count() > 0) p.name = args->name;
      if (args->no_name) p.name = "";
      if (set_options->count() > 0) p.options = parse_options(args->options);
      if (args->no_options) p.options = std::vector<dhcp4::ConfiguredOption>{};
      p.force = args->force;
      return call(ctx, api::PatchReservation{.id = args->id, .patch = p},
                  [](const json& j) { return render_change("changed", j); });
    };
  });
}

void add_reservation_list(CLI::App& res_cmd, Context& ctx) {
  auto bridge = std::make_shared<std::string>();
  auto* list = res_cmd.add_subcommand("list", "List reservations, on every bridge or on one");
  list->add_option("-b,--bridge", *bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check());
  list->callback([&ctx, bridge] {
    ctx.action = [&ctx, bridge] {
      api::ListReservations req;
      if (!bridge->empty()) req.bridge = *bridge;
      return call(ctx, req,
                  [](const json& j) { return render_reservations(j.get<api::ReservationList>()); });
    };
  });
}

}  // namespace

void add_reservation_command(CLI::App& app, Context& ctx) {
  auto* res_cmd = app.add_subcommand("reservation",
                                     "Add, change, remove or list reservations (fixed addresses)");
  res_cmd->require_subcommand(1);
  add_reservation_add(*res_cmd, ctx);
  add_reservation_rm(*res_cmd, ctx);
  add_reservation_set(*res_cmd, ctx);
  add_reservation_list(*res_cmd, ctx);
}

}  // namespace berth::cli
