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
  std::erase_if(leased_, [&](const auto& e) { return e.first.first == index; });
  changed();
}

void LocalNames::set_reservations(size_t index,
                                  const std::vector<leases::Reservation>& reservations) {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return;
  std::vector<dns::NamedAddress>& reserved = bridges_[index].reserved;
  reserved.clear();
  const std::optional<Ipv6Prefix>& prefix6 = bridges_[index].dns.ipv6;
  for (const leases::Reservation& r : reservations) {
    if (r.name.empty()) continue;
    reserved.push_back(dns::NamedAddress{index, r.name, r.ip, true});
    // AAAA only inside the bridge's prefix (the daemon dropped the rest).
    if (r.ipv6 && prefix6 && prefix6->contains(*r.ipv6)) {
      reserved.push_back(dns::NamedAddress{index, r.name, *r.ipv6, true});
    }
  }
  changed();
}

void LocalNames::note_lease(size_t index, const leases::Lease& lease, int64_t now) {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return;
  const auto key = std::pair(index, lease.ip);
  // DHCPv4 hostnames are labels already (Dhcp4Service made them so); a
  // DHCPv6 client names itself with a Client FQDN (RFC 4704), often whole.
  const std::string hostname =
      lease.ip.is_v6() ? dhcp::sanitize_hostname(lease.hostname) : lease.hostname;
  const bool named = lease.state_at(now) == leases::LeaseState::bound && !hostname.empty();
  auto it = leased_.find(key);
  if (named) {
    if (it != leased_.end() && it->second == hostname) return;
    leased_[key] = hostname;
  } else {
    if (it == leased_.end()) return;
    leased_.erase(it);
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
    for (const Bridge& b : bridges_) {
      spec.bridges.push_back(b.dns);
      spec.names.insert(spec.names.end(), b.reserved.begin(), b.reserved.end());
    }
    for (const auto& [key, name] : leased_) {
      spec.names.push_back(dns::NamedAddress{key.first, name, key.second, false});
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
  for (const dns::NamedAddress& r : b.reserved) {
    if (r.ip.is_v4() && dhcp::equal_ci(r.label, label)) return r.ip.v4();
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
  for (const auto& [key, name] : leased_) {
    if (key.first == index && key.second.is_v4() && dhcp::equal_ci(name, label)) {
      const Ipv4Address a = key.second.v4();
      if (!best || a < *best) best = a;
    }
  }
  return best;
}

std::optional<Ipv6Address> LocalNames::address6_of(std::string_view label, size_t index) const {
  if (index >= bridges_.size() || !bridges_[index].dns.serving) return std::nullopt;
  const Bridge& b = bridges_[index];
  if (!b.dns.ipv6) return std::nullopt;
  for (const dns::NamedAddress& r : b.reserved) {
    if (r.ip.is_v6() && dhcp::equal_ci(r.label, label)) return r.ip.v6();
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
  for (const auto& [key, name] : leased_) {
    if (key.first == index && key.second.is_v6() && usable(key.second.v6()) &&
        dhcp::equal_ci(name, label)) {
      if (!best || key.second.v6() < *best) best = key.second.v6();
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
