#include "server/local_names.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dhcp/dhcp4_service.hpp"
#include "dhcp/reservations.hpp"
#include "server/dns_server.hpp"

namespace berth::server {
namespace asio = boost::asio;

LocalNames::LocalNames(asio::io_context& io, DnsServer* dns, std::function<void()> published)
    : io_(io), dns_(dns), published_(std::move(published)), timer_(io) {}

void LocalNames::set_statics(const config::DnsConfig& dns) {
  statics_.local_ttl = dns.local_ttl;
  statics_.hosts = dns.hosts;
  statics_.cnames = dns.cnames;
  statics_.srvs = dns.srvs;
  statics_.txts = dns.txts;
  changed();
}

void LocalNames::set_records(std::vector<dns::UserRecord> records) {
  records_ = std::move(records);
  changed();
}

void LocalNames::set_bridge(size_t index, dns::DnsBridge bridge) {
  if (bridges_.size() <= index) bridges_.resize(index + 1);
  bridges_[index].dns = std::move(bridge);
  bridges_[index].dns.serving = true;
  changed();
}

void LocalNames::remove_bridge(size_t index) {
  if (index >= bridges_.size()) return;
  bridges_[index] = Bridge{};
  for (uint32_t slot = 0; slot < leased_.size(); ++slot) {
    if (!leased_[slot].label.empty() && leased_[slot].bridge == index) erase_leased(slot);
  }
  changed();
}

namespace {
uint32_t key_hash(size_t index, const IpAddress& ip) {
  if (ip.is_v4()) return flat_hash(uint64_t{index} << 32 | ip.v4().value());
  const auto& b = ip.v6().to_bytes();
  uint64_t hi = 0, lo = 0;
  for (size_t i = 0; i < 8; ++i) hi = hi << 8 | b[i];
  for (size_t i = 8; i < 16; ++i) lo = lo << 8 | b[i];
  return flat_hash(hi ^ flat_hash(lo) ^ (uint64_t{index} << 40) ^ 0x9e3779b97f4a7c15ULL);
}
}  // namespace

uint32_t LocalNames::leased_slot(size_t index, const IpAddress& ip) const {
  return leased_index_.find(key_hash(index, ip), [&](uint32_t slot) {
    return leased_[slot].bridge == index && leased_[slot].ip == ip;
  });
}

void LocalNames::erase_leased(uint32_t slot) {
  Named& n = leased_[slot];
  leased_index_.erase(key_hash(n.bridge, n.ip), slot);
  n = Named{};
  leased_free_.push_back(slot);
}

void LocalNames::add_reserved(size_t index, std::string_view name, Ipv4Address ip,
                              const std::optional<Ipv6Address>& ipv6) {
  if (name.empty()) return;
  std::vector<Named>& reserved = bridges_[index].reserved;
  const auto bridge = static_cast<uint32_t>(index);
  reserved.push_back(Named{.ip = ip, .bridge = bridge, .label = PackedBytes(name)});
  // AAAA only inside the bridge's prefix (the daemon dropped the rest).
  const std::optional<Ipv6Prefix>& prefix6 = bridges_[index].dns.ipv6;
  if (ipv6 && prefix6 && prefix6->contains(*ipv6)) {
    reserved.push_back(Named{.ip = *ipv6, .bridge = bridge, .label = PackedBytes(name)});
  }
}

void LocalNames::set_reservations(size_t index, const leases::LeaseTable& table) {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return;
  bridges_[index].reserved.clear();
  bridges_[index].reserved.shrink_to_fit();
  table.for_each_reservation_name(
      [&](std::string_view name, Ipv4Address ip, const std::optional<Ipv6Address>& ipv6) {
        add_reserved(index, name, ip, ipv6);
      });
  changed();
}

void LocalNames::note_lease(size_t index, const leases::Lease& lease, int64_t now) {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return;
  // DHCPv4 hostnames are labels already (Dhcp4Service made them so); a
  // DHCPv6 client names itself with a Client FQDN (RFC 4704), often whole.
  const std::string hostname =
      lease.ip.is_v6() ? dhcp::sanitize_hostname(lease.hostname) : lease.hostname;
  const bool named = lease.state_at(now) == leases::LeaseState::bound && !hostname.empty();
  const uint32_t slot = leased_slot(index, lease.ip);
  if (named) {
    if (slot != FlatIndex::kNone) {
      if (leased_[slot].label.text() == hostname) return;
      leased_[slot].label = PackedBytes(std::string_view(hostname));
    } else {
      uint32_t fresh;
      if (!leased_free_.empty()) {
        fresh = leased_free_.back();
        leased_free_.pop_back();
      } else {
        fresh = static_cast<uint32_t>(leased_.size());
        // By a quarter, not double: a record per named lease.
        if (leased_.size() == leased_.capacity()) {
          leased_.reserve(leased_.capacity() + leased_.capacity() / 4 + 16);
        }
        leased_.emplace_back();
      }
      leased_[fresh] = Named{.ip = lease.ip,
                             .bridge = static_cast<uint32_t>(index),
                             .label = PackedBytes(std::string_view(hostname))};
      leased_index_.insert(key_hash(index, lease.ip), fresh, [](uint32_t) { return false; });
    }
  } else {
    if (slot == FlatIndex::kNone) return;
    erase_leased(slot);
  }
  changed();
}

void LocalNames::changed() {
  if (pending_) return;
  pending_ = true;
  // A snapshot costs time in proportion to the names; under a burst of
  // changes, build at most every 4 build-times (at least 1 ms apart).
  const auto now = std::chrono::steady_clock::now();
  const auto earliest =
      built_at_ +
      std::max(build_time_ * 4, std::chrono::steady_clock::duration(std::chrono::milliseconds(1)));
  timer_.expires_at(std::max(now, earliest));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) build();
  });
}

void LocalNames::build_now() {
  timer_.cancel();
  build();
}

void LocalNames::build() {
  pending_ = false;
  const auto started = std::chrono::steady_clock::now();
  if (dns_ != nullptr) {
    dns::NameTableSpec spec;
    spec.host_name = host_name_;
    spec.local_ttl = statics_.local_ttl;
    spec.serial = ++serial_;
    spec.statics = statics_;
    spec.records = records_;
    spec.bridges.reserve(bridges_.size());
    size_t names = leased_.size();
    for (const Bridge& b : bridges_) names += b.reserved.size();
    spec.names.reserve(names);
    for (const Bridge& b : bridges_) {
      spec.bridges.push_back(b.dns);
      for (const Named& n : b.reserved) {
        spec.names.push_back(dns::NamedAddress{n.bridge, n.label.to_string(), n.ip, true});
      }
    }
    for (const Named& n : leased_) {
      if (n.label.empty()) continue;
      spec.names.push_back(dns::NamedAddress{n.bridge, n.label.to_string(), n.ip, false});
    }
    std::vector<std::string> clashes;
    auto previous = dns_->table();
    dns_->publish(dns::NameTable::build(spec, previous.get(), &clashes));
    for (const std::string& c : clashes) {
      if (std::find(clashes_.begin(), clashes_.end(), c) == clashes_.end()) {
        spdlog::warn("dns: {}", c);
      }
    }
    clashes_ = std::move(clashes);
  }
  built_at_ = std::chrono::steady_clock::now();
  build_time_ = built_at_ - started;
  if (published_) published_();
}

std::optional<Ipv4Address> LocalNames::address_of(std::string_view label, size_t index) const {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return std::nullopt;
  const Bridge& b = bridges_[index];
  for (const Named& r : b.reserved) {
    if (r.ip.is_v4() && dhcp::equal_ci(r.label.text(), label)) return r.ip.v4();
  }
  // The current holder of a dynamic name: the DNS snapshot settles clashes.
  if (dns_ != nullptr) {
    if (auto table = dns_->table()) {
      for (Ipv4Address a : table->addresses(label, index)) {
        if (b.dns.address.contains(a) && a != b.dns.address.address) return a;
      }
      return std::nullopt;
    }
  }
  std::optional<Ipv4Address> best;
  for (const Named& n : leased_) {
    if (!n.label.empty() && n.bridge == index && n.ip.is_v4() &&
        dhcp::equal_ci(n.label.text(), label)) {
      const Ipv4Address a = n.ip.v4();
      if (!best || a < *best) best = a;
    }
  }
  return best;
}

std::optional<Ipv6Address> LocalNames::address6_of(std::string_view label, size_t index) const {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return std::nullopt;
  const Bridge& b = bridges_[index];
  if (!b.dns.ipv6) return std::nullopt;
  for (const Named& r : b.reserved) {
    if (r.ip.is_v6() && dhcp::equal_ci(r.label.text(), label)) return r.ip.v6();
  }
  const auto usable = [&](const Ipv6Address& a) {
    return b.dns.ipv6->contains(a) && a != b.dns.ipv6->address;
  };
  if (dns_ != nullptr) {
    if (auto table = dns_->table()) {
      for (const Ipv6Address& a : table->addresses6(label, index)) {
        if (usable(a)) return a;
      }
      return std::nullopt;
    }
  }
  std::optional<Ipv6Address> best;
  for (const Named& n : leased_) {
    if (!n.label.empty() && n.bridge == index && n.ip.is_v6() && usable(n.ip.v6()) &&
        dhcp::equal_ci(n.label.text(), label)) {
      if (!best || n.ip.v6() < *best) best = n.ip.v6();
    }
  }
  return best;
}

size_t LocalNames::name_count() const {
  if (dns_ == nullptr) return 0;
  auto table = dns_->table();
  return table ? table->name_count() : 0;
}

}  // namespace berth::server
