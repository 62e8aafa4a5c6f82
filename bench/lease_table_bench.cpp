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

namespace {

using berth::IpAddress;
using berth::leases::Lease;
using berth::leases::LeaseState;
using berth::leases::Reservation;

// A table as bench/startup loads it: `n` reservations and `n` bound leases
// with host names.
LeaseTable filled_table(uint32_t n) {
  const Ipv4Address first(0xC6120001);  // 198.18.0.1
  LeaseTable table("br0", first, Ipv4Address(first.value() + 2 * n + 1));
  std::vector<Reservation> reservations;
  for (uint32_t i = 0; i < n; ++i) {
    reservations.push_back(Reservation{.bridge = "br0",
                                       .mac = mac_of(0x10000000 + i),
                                       .ip = Ipv4Address(first.value() + i),
                                       .name = "r" + std::to_string(i)});
  }
  table.set_reservations(std::move(reservations));
  for (uint32_t i = 0; i < n; ++i) {
    table.put(Lease{.bridge = "br0",
                    .ip = IpAddress(Ipv4Address(first.value() + n + i)),
                    .mac = mac_of(i),
                    .hostname = "l" + std::to_string(i),
                    .state = LeaseState::bound,
                    .expires_at = 1'000'000 + i});
  }
  return table;
}

// The lookups of a REQUEST: the client's reservation, its lease, the lease at
// an address and whether another client holds it. Clients in a scattered
// order (range 1 = 1), as they come on a real link, or in address order
// (range 1 = 0), which favours a table whose memory follows the addresses.
void BM_Lookups(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  const bool scattered = state.range(1) != 0;
  const LeaseTable table = filled_table(n);
  const Ipv4Address first(0xC6120001);
  uint32_t i = 0;
  for (auto _ : state) {
    ++i;
    const uint32_t k = scattered ? static_cast<uint32_t>(uint64_t{i} * 2654435761u % n) : i % n;
    ClientKey c{.mac = mac_of(k), .client_id = {}};
    ClientKey reserved{.mac = mac_of(0x10000000 + k), .client_id = {}};
    benchmark::DoNotOptimize(table.reserved_address_for(reserved));
    benchmark::DoNotOptimize(table.reserved_address_for(c));
    benchmark::DoNotOptimize(table.reserved_options_for(reserved));
    benchmark::DoNotOptimize(table.find(c));
    const Ipv4Address ip(first.value() + n + k);
    benchmark::DoNotOptimize(table.at(ip));
    benchmark::DoNotOptimize(table.held_by_other(ip, c, 0));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookups)->Args({256, 0})->Args({65536, 0})->Args({65536, 1});

// A lease renewed: put() of a new expiry over the old record.
void BM_Renew(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  LeaseTable table = filled_table(n);
  const Ipv4Address first(0xC6120001);
  uint32_t i = 0;
  int64_t t = 2'000'000;
  for (auto _ : state) {
    const uint32_t k = i++ % n;
    Lease l = *table.at(Ipv4Address(first.value() + n + k));
    l.expires_at = ++t;
    benchmark::DoNotOptimize(table.put(std::move(l)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Renew)->Arg(256)->Arg(65536);

}  // namespace
