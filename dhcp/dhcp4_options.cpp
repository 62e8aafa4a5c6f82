#include "dhcp/dhcp4_options.hpp"

#include <algorithm>
#include <map>

namespace berth::dhcp {
namespace {

namespace opt = dhcp4::opt;
using dhcp4::ClassMatch;
using dhcp4::ConfiguredOption;

constexpr uint8_t kNtpServers = 42;
constexpr uint8_t kUserClass = 77;
constexpr uint8_t kClientArch = 93;
constexpr uint8_t kMsClasslessRoutes = 249;  // Microsoft's code for option 121

uint8_t code_of(ClassMatch m) {
  switch (m) {
    case ClassMatch::vendor_class:
      return opt::vendor_class;
    case ClassMatch::user_class:
      return kUserClass;
    case ClassMatch::arch:
      return kClientArch;
  }
  return opt::vendor_class;
}

bool class_applies(const dhcp4::ClientClass& c, const dhcp4::Message& request) {
  return dhcp4::class_matches(c.match, c.value, request.options.get(code_of(c.match)));
}

struct Chosen {
  Bytes value;
  bool always = false;
  bool routes = false;  // from the `routes` key: the default route is still to add
};

}  // namespace

std::vector<std::string> client_classes(const dhcp4::BridgeOptions& options,
                                        const dhcp4::Message& request) {
  std::vector<std::string> names;
  for (const dhcp4::ClientClass& c : options.classes) {
    if (class_applies(c, request)) names.push_back(c.name);
  }
  return names;
}

void add_configured_options(const dhcp4::BridgeOptions& options, const dhcp4::Message& request,
                            ByteView wanted, std::span<const dhcp4::ConfiguredOption> reserved,
                            Ipv4Address router, dhcp4::OptionList& reply) {
  std::map<uint8_t, Chosen> chosen;
  if (!options.routes.empty()) {
    Chosen routes{.value = dhcp4::encode_classless_routes(options.routes), .routes = true};
    chosen[opt::classless_static_route] = routes;
    chosen[kMsClasslessRoutes] = routes;
  }
  if (!options.search.empty()) {
    // Checked when the config was read; a failure here leaves the option out.
    if (auto wire = dhcp4::encode_domain_search(options.search)) {
      chosen[opt::domain_search] = Chosen{.value = std::move(*wire)};
    }
  }
  if (!options.ntp_servers.empty()) {
    Bytes v;
    for (Ipv4Address a : options.ntp_servers) {
      const auto b = a.to_bytes();
      v.insert(v.end(), b.begin(), b.end());
    }
    chosen[kNtpServers] = Chosen{.value = std::move(v)};
  }
  auto take = [&](std::span<const ConfiguredOption> list) {
    for (const ConfiguredOption& o : list) {
      chosen[o.code] = Chosen{.value = o.value, .always = o.always};
    }
  };
  take(options.options);
  for (const dhcp4::ClientClass& c : options.classes) {
    if (class_applies(c, request)) take(c.options);
  }
  take(reserved);
  if (chosen.empty()) return;

  // The router the default route goes through, once option 3 is settled.
  auto router_now = [&]() {
    if (auto it = chosen.find(opt::router); it != chosen.end() && it->second.value.size() >= 4) {
      return Ipv4Address::from_bytes(it->second.value);
    }
    if (auto r = reply.get_ipv4_list(opt::router); r && !r->empty()) return r->front();
    return router;
  };
  auto send = [&](uint8_t code, const Chosen& c) {
    if (!c.routes) {
      reply.set(code, c.value);
      return;
    }
    std::vector<dhcp4::StaticRoute> routes = options.routes;
    const bool has_default = std::ranges::any_of(
        routes, [](const dhcp4::StaticRoute& r) { return r.destination.length == 0; });
    if (!has_default) {
      routes.push_back(dhcp4::StaticRoute{.destination = Ipv4Prefix{}, .gateway = router_now()});
    }
    reply.set(code, dhcp4::encode_classless_routes(routes));
  };
  // In the order the client asked, then those sent regardless.
  for (uint8_t code : wanted) {
    if (auto it = chosen.find(code); it != chosen.end()) send(code, it->second);
  }
  for (const auto& [code, c] : chosen) {
    if (c.always && std::ranges::find(wanted, code) == wanted.end()) send(code, c);
  }
}

}  // namespace berth::dhcp
