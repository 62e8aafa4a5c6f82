// berthd: DHCP (and, later, DNS) for container and VM bridges.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "config/config.hpp"
#include "leases/store.hpp"
#include "server/daemon.hpp"

namespace {

constexpr const char* kDefaultConfigPath = "/etc/berth/berth.toml";

// Exit statuses: 0 ok, 1 runtime failure, 2 bad config or usage.
constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "berthd serves DHCPv4 on Linux container and VM bridges.\n"
      "Without --config it reads " +
      std::string(kDefaultConfigPath) +
      " when present, else serves the built-in default bridge berth0 at 10.0.3.1/24."};
  std::string config_path;
  bool check_only = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "TOML configuration file");
  app.add_flag("--check-config", check_only,
               "Validate the configuration, print a summary and exit (status 2 when invalid)");
  app.add_option("--log-level", log_level, "Override the configured log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.set_version_flag("--version", std::string("berthd ") + BERTH_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitConfig;
  }

  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");

  berth::config::Config cfg;
  try {
    if (config_path.empty() && std::filesystem::exists(kDefaultConfigPath)) {
      config_path = kDefaultConfigPath;
    }
    cfg = config_path.empty() ? berth::config::default_config()
                              : berth::config::load_config_file(config_path);
  } catch (const berth::config::ConfigError& e) {
    std::cerr << "berthd: " << e.what() << '\n';
    return kExitConfig;
  }
  if (check_only) {
    std::cout << cfg.source << ": OK, " << cfg.bridges.size() << " bridge(s)\n";
    for (const auto& b : cfg.bridges) {
      if (b.address_auto) {
        std::cout << "  " << b.name << " address auto (chosen at start)";
      } else {
        std::cout << "  " << b.name << " " << b.address.to_string() << " pool "
                  << b.pool_start.to_string() << "-" << b.pool_end.to_string();
      }
      std::cout << " lease " << b.lease_time << "s domain " << b.domain << ", "
                << b.reservations.size() << " reservation(s), " << b.forwards.size()
                << " forward(s)" << (b.nat ? ", nat" : "")
                << (b.uplink.empty() ? "" : ", uplink " + b.uplink);
      if (b.has_ipv6()) {
        std::cout << ", ipv6 " << (b.ipv6_auto ? "auto" : b.ipv6->to_string()) << " "
                  << to_string(b.ipv6_mode) << (b.ipv6_nat ? " nat66" : "");
      }
      std::cout << "\n";
    }
    std::cout << "  firewall " << (cfg.firewall.enabled ? "on" : "off")
              << (cfg.firewall.keep_rules ? ", rules kept on stop" : "") << "\n";
    const auto& d = cfg.dns;
    if (d.enabled) {
      std::cout << "  dns port " << d.port << ", upstreams "
                << (d.upstreams.empty() ? "from " + d.resolv_conf
                                        : std::to_string(d.upstreams.size()) + " configured")
                << ", " << d.servers.size() << " per-domain, "
                << d.hosts.size() + d.cnames.size() + d.srvs.size() + d.txts.size()
                << " static record(s)\n";
    } else {
      std::cout << "  dns disabled\n";
    }
    return 0;
  }

  spdlog::set_level(spdlog::level::from_str(log_level.empty() ? cfg.daemon.log_level : log_level));
  // A write per line would cost the DHCP thread a syscall per decision:
  // flush warnings at once and the rest every second.
  spdlog::flush_on(spdlog::level::warn);
  spdlog::flush_every(std::chrono::seconds(1));
  spdlog::info("berthd {} starting with {}", BERTH_VERSION, cfg.source);
  try {
    berth::server::Daemon daemon(std::move(cfg));
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return kExitFailure;
  }
}
