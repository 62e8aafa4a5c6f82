// Allocation cost in the in-memory lease table: a /16 pool must allocate as
// fast as a /24 (bitmap search, not a scan of leases).
#include <benchmark/benchmark.h>

#include "leases/lease_table.hpp"

namespace {

using berth::Ipv4Address;
using berth::MacAddress;
using berth::leases::ClientKey;
using berth::leases::LeaseTable;

MacAddress mac_of(uint32_t n) {
  return MacAddress({0x02, 0x42, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                     static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

// Fills `fill` of the pool with offers, then measures allocate + offer for new
// clients (one DISCOVER's worth of table work).
void BM_AllocateAndOffer(benchmark::State& state) {
  const uint32_t pool_size = static_cast<uint32_t>(state.range(0));
  const Ipv4Address first(0xC6120001);  // 198.18.0.1
  const Ipv4Address last(first.value() + pool_size - 1);
  LeaseTable table("br0", first, last);
  const uint32_t prefill = pool_size * 9 / 10;
  for (uint32_t i = 0; i < prefill; ++i) {
    ClientKey c{.mac = mac_of(i), .client_id = {}};
    auto a = table.allocate(c, std::nullopt, 0);
    if (!a) break;
    table.put_offer(*a, c, 1'000'000);
  }
  uint32_t n = prefill;
  for (auto _ : state) {
    ClientKey c{.mac = mac_of(++n), .client_id = {}};
    auto a = table.allocate(c, std::nullopt, 0);
    benchmark::DoNotOptimize(a);
    if (a) {
      table.put_offer(*a, c, 1'000'000);
      table.drop_offer(*a);  // keep the fill level constant
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocateAndOffer)->Arg(254)->Arg(65534);

}  // namespace
