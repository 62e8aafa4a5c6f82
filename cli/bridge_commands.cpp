// The bridge companion: attach and detach (veth pairs into network
// namespaces), forward add|rm|list (port forwards to containers).
#include <memory>
#include <string>
#include <variant>

#include "api/types.hpp"
#include "cli/commands.hpp"
#include "cli/forward_spec.hpp"
#include "cli/output.hpp"

namespace berth::cli {

using nlohmann::json;

namespace {

struct NamespaceArgs {
  std::string bridge, netns, ifname = "eth0", mac;
  int pid = 0;
};

// --bridge, then --netns or --pid, then --ifname: for attach and detach;
// `verb` says what happens to the interface.
void add_namespace_options(CLI::App& sub, NamespaceArgs& a, const char* verb) {
  sub.add_option("-b,--bridge", a.bridge, "The bridge")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check());
  auto* where = sub.add_option_group("namespace", "Which network namespace (exactly one)");
  where
      ->add_option("--netns", a.netns,
                   "A named namespace, as `ip netns list` shows it (/run/netns/NAME)")
      ->type_name("NAME")
      ->check(check(api::netns_name_problem, "the namespace name"));
  where->add_option("--pid", a.pid, "A process in the namespace (a container's init)")
      ->type_name("PID")
      ->check(CLI::Range(1, static_cast<int>(api::kMaxPid)));
  where->require_option(1);
  sub.add_option("--ifname", a.ifname, std::string("The interface ") + verb)
      ->type_name("IFNAME")
      ->check(check(
          [](std::string_view what, std::string_view s) -> std::optional<std::string> {
            if (s.empty()) return std::string(what) + " is empty";
            return api::interface_name_problem(what, s);
          },
          "the interface name"))
      ->capture_default_str();
}

// "netns web", "pid 4242".
std::string namespace_text(const NamespaceArgs& a) {
  return a.netns.empty() ? "pid " + std::to_string(a.pid) : "netns " + printable(a.netns);
}

int attach(Context& ctx, const NamespaceArgs& a) {
  api::Attach req{.bridge = a.bridge,
                  .netns = std::nullopt,
                  .pid = std::nullopt,
                  .ifname = a.ifname,
                  .mac = std::nullopt};
  if (!a.netns.empty()) {
    req.netns = a.netns;
  } else {
    req.pid = a.pid;
  }
  if (!a.mac.empty()) req.mac = *MacAddress::parse(a.mac);
  const std::string where = namespace_text(a);
  return call(ctx, req, [where](const json& j) {
    const auto r = j.get<api::AttachResult>();
    return "attached " + printable(r.ifname) + " (" + r.mac.to_string() + ") in " + where + " to " +
           printable(r.bridge) + " through " + printable(r.host_ifname) + "\n";
  });
}

int detach(Context& ctx, const NamespaceArgs& a) {
  api::Detach req{
      .bridge = a.bridge, .netns = std::nullopt, .pid = std::nullopt, .ifname = a.ifname};
  if (!a.netns.empty()) {
    req.netns = a.netns;
  } else {
    req.pid = a.pid;
  }
  const std::string where = namespace_text(a);
  return call(ctx, req, [where](const json& j) {
    const auto r = j.get<api::DetachResult>();
    return "detached " + printable(r.ifname) + " in " + where + " from " + printable(r.bridge) +
           "\n";
  });
}

}  // namespace

void add_attach_commands(CLI::App& app, Context& ctx) {
  auto attach_args = std::make_shared<NamespaceArgs>();
  auto* attach_cmd = app.add_subcommand(
      "attach",
      "Connect a container's network namespace to a bridge: a veth pair, one end inside the "
      "namespace, the other enslaved to the bridge, both up");
  add_namespace_options(*attach_cmd, *attach_args, "to create inside the namespace");
  attach_cmd
      ->add_option("--mac", attach_args->mac,
                   "MAC of the interface inside the namespace (default: the kernel picks one)")
      ->type_name("MAC")
      ->check(check(api::unicast_mac_problem, "the MAC address"));
  attach_cmd->callback([&ctx, attach_args] {
    ctx.action = [&ctx, attach_args] { return attach(ctx, *attach_args); };
  });

  auto detach_args = std::make_shared<NamespaceArgs>();
  auto* detach_cmd = app.add_subcommand(
      "detach",
      "Remove an interface that attach made from a network namespace (the veth pair goes with "
      "it)");
  add_namespace_options(*detach_cmd, *detach_args, "to remove inside the namespace");
  detach_cmd->callback([&ctx, detach_args] {
    ctx.action = [&ctx, detach_args] { return detach(ctx, *detach_args); };
  });
}

namespace {

struct ForwardArgs {
  std::string bridge, proto, to, host_address;
  int host_port = 0;
};

int add_forward(Context& ctx, const ForwardArgs& a) {
  const auto target = std::get<ForwardTarget>(parse_forward_target(a.to));
  api::ForwardCreate f{.bridge = a.bridge,
                       .proto = *api::forward_proto_from_string(a.proto),
                       .host_address = std::nullopt,
                       .host_port = static_cast<uint16_t>(a.host_port),
                       .to = target.to,
                       .to_port = target.port.value_or(static_cast<uint16_t>(a.host_port))};
  if (!a.host_address.empty()) {
    const Ipv4Address address = *Ipv4Address::parse(a.host_address);
    if (!address.is_unspecified()) f.host_address = address;
  }
  return call(ctx, api::AddForward{.forward = f},
              [](const json& j) { return "added " + describe(j.get<api::ForwardInfo>()) + "\n"; });
}

void add_forward_add(CLI::App& fwd_cmd, Context& ctx) {
  auto args = std::make_shared<ForwardArgs>();
  auto* fwd_add = fwd_cmd.add_subcommand(
      "add",
      "Forward a port of the host to a container, by address or by name (a name follows the "
      "container's lease)");
  fwd_add->add_option("-b,--bridge", args->bridge, "Bridge the container is on")
      ->required()
      ->type_name("BRIDGE")
      ->check(bridge_check());
  fwd_add->add_option("PROTO", args->proto, "tcp or udp")
      ->required()
      ->check(CLI::IsMember({"tcp", "udp"}));
  fwd_add->add_option("HOST_PORT", args->host_port, "The port on the host")
      ->required()
      ->check(CLI::Range(1, 65535));
  fwd_add
      ->add_option("TO", args->to,
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
      ->add_option("--host-address", args->host_address,
                   "Only traffic to this address of the host (default: every address)")
      ->type_name("IP")
      ->check(check(api::forward_host_address_problem, "the host address"));
  fwd_add->callback(
      [&ctx, args] { ctx.action = [&ctx, args] { return add_forward(ctx, *args); }; });
}

void add_forward_rm(CLI::App& fwd_cmd, Context& ctx) {
  auto id = std::make_shared<int64_t>(0);
  auto* fwd_rm = fwd_cmd.add_subcommand("rm", "Remove a port forward made with forward add");
  fwd_rm->add_option("ID", *id, "The forward's id (see forward list)")
      ->required()
      ->check(CLI::PositiveNumber);
  fwd_rm->callback([&ctx, id] {
    ctx.action = [&ctx, id] {
      return call(ctx, api::DeleteForward{.id = *id}, [](const json& j) {
        return "removed " + describe(j.get<api::ForwardInfo>()) + "\n";
      });
    };
  });
}

void add_forward_list(CLI::App& fwd_cmd, Context& ctx) {
  auto bridge = std::make_shared<std::string>();
  auto* fwd_list = fwd_cmd.add_subcommand(
      "list", "List port forwards (from the API and the config file) and where they go now");
  fwd_list->add_option("-b,--bridge", *bridge, "Only this bridge")
      ->type_name("BRIDGE")
      ->check(bridge_check());
  fwd_list->callback([&ctx, bridge] {
    ctx.action = [&ctx, bridge] {
      api::ListForwards req;
      if (!bridge->empty()) req.bridge = *bridge;
      return call(ctx, req,
                  [](const json& j) { return render_forwards(j.get<api::ForwardList>()); });
    };
  });
}

}  // namespace

void add_forward_command(CLI::App& app, Context& ctx) {
  auto* fwd_cmd = app.add_subcommand(
      "forward", "Add, remove or list port forwards from the host to containers");
  fwd_cmd->require_subcommand(1);
  add_forward_add(*fwd_cmd, ctx);
  add_forward_rm(*fwd_cmd, ctx);
  add_forward_list(*fwd_cmd, ctx);
}

}  // namespace berth::cli
