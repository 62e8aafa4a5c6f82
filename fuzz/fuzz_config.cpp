// libFuzzer target: the TOML config reader. Any input either parses or
// throws ConfigError; any other exception or crash is a bug. A config that
// parses must satisfy its own invariants and survive to_toml() and back.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"
#include "config/values.hpp"

namespace {

void check_invariants(const berth::config::Config& config) {
  using namespace berth::config;
  if (config.bridges.empty()) std::abort();
  for (size_t i = 0; i < config.bridges.size(); ++i) {
    const BridgeConfig& b = config.bridges[i];
    if (interface_name_problem(b.name) || dns_domain_problem(b.domain)) std::abort();
    // An address = "auto" bridge gets its address when berthd starts.
    if (!b.address_auto && (bridge_address_problem(b.address) ||
                            pool_problem(b.address, AddressRange{b.pool_start, b.pool_end}))) {
      std::abort();
    }
    if (b.address_auto && !b.reservations.empty()) std::abort();
    if (b.lease_time < kMinLeaseTime) std::abort();
    if (b.mtu && *b.mtu < kMinMtu) std::abort();
    if (b.nat_address && !b.nat) std::abort();
    for (const ForwardConfig& f : b.forwards) {
      if (f.host_port == 0 || f.to_port == 0) std::abort();
      if (auto to = f.to_address(); to && (b.address_auto || !b.address.contains(*to))) {
        std::abort();
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (config.bridges[j].name == b.name) std::abort();
      if (!b.address_auto && !config.bridges[j].address_auto &&
          subnets_overlap(config.bridges[j].address, b.address)) {
        std::abort();
      }
      if (!b.uplink.empty() && config.bridges[j].uplink == b.uplink) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  berth::config::Config config;
  try {
    config = berth::config::parse_config(text, "fuzz");
  } catch (const berth::config::ConfigError& e) {
    if (e.file() != "fuzz" || e.message().empty()) std::abort();
    return 0;
  }
  check_invariants(config);
  // What to_toml() writes must read back as the same config.
  berth::config::Config again = berth::config::parse_config(berth::config::to_toml(config), "fuzz");
  if (again != config) std::abort();
  return 0;
}
