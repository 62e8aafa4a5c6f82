#include "server/daemon.hpp"
#include "dhcp/reservations.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>

#include <unistd.h>

#include "bridge/netlink.hpp"
#include "protocol/frame.hpp"

namespace berth::server {
namespace asio = boost::asio;

namespace {

leases::Durability durability_of(config::Durability d) {
  return d == config::Durability::fsync ? leases::Durability::fsync : leases::Durability::process;
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Daemon::Daemon(config::Config cfg)
    : config_(std::move(cfg)),
      relay_buffer_(65536),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      tick_(io_),
      encode_buffer_(1500),
      frame_buffer_(1600),
      names_timer_(io_),
      firewall_timer_(io_),
      reconcile_timer_(io_) {
  signals_.add(SIGUSR1);
  const std::string& db = config_.daemon.database;
  if (auto parent = std::filesystem::path(db).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error("cannot create " + parent.string() + ": " + ec.message());
  }
  store_ = std::make_unique<leases::LeaseStore>(db, durability_of(config_.daemon.durability));
  std::vector<leases::Lease> stored = store_->load_all();
  writer_ = std::make_unique<leases::LeaseWriter>(*store_);
  reader_ = std::make_unique<leases::LeaseStore>(db, durability_of(config_.daemon.durability));
  spdlog::info("lease database {}: {} lease(s)", db, stored.size());

  resolve_auto_addresses(config_, *store_);
  for (const config::BridgeConfig& bc : config_.bridges) {
    serve_bridge(prepare_bridge(bc), stored);
  }
  attach_uplinks();
  stored.clear();
  if (config_.dns.enabled) {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0) {
      std::string first(host.data());
      first = first.substr(0, first.find('.'));
      host_name_ = dhcp::sanitize_hostname(first);
    }
    std::vector<dns::DnsBridge> dns_bridges;
    for (const config::BridgeConfig& bc : config_.bridges) {
      dns_bridges.push_back(dns::DnsBridge{bc.name, bc.address, bc.domain});
    }
    dns_ = std::make_unique<DnsServer>(config_.dns, std::move(dns_bridges));
  }
  reload_reservations();

  // Relayed requests arrive as plain UDP to port 67; the socket also keeps
  // the kernel from answering unicast renewals with port-unreachable.
  try {
    auto sock = std::make_unique<asio::ip::udp::socket>(io_, asio::ip::udp::v4());
    sock->set_option(asio::socket_base::reuse_address(true));
    sock->set_option(asio::socket_base::receive_buffer_size(4 << 20));
    sock->bind(asio::ip::udp::endpoint(asio::ip::address_v4::any(), dhcp4::kServerPort));
    sock->non_blocking(true);
    relay_socket_ = std::move(sock);
  } catch (const boost::system::system_error& e) {
    spdlog::warn("cannot bind UDP port 67 ({}): relayed requests will not be served", e.what());
  }
}

Daemon::~Daemon() {
  // The writer commits what is queued before the store closes.
  writer_.reset();
}

dhcp::BridgeSettings settings_of(const config::BridgeConfig& bc) {
  return dhcp::BridgeSettings{.name = bc.name,
                              .address = bc.address,
                              .pool_first = bc.pool_start,
                              .pool_last = bc.pool_end,
                              .lease_time = bc.lease_time,
                              .domain = bc.domain,
                              .mtu = bc.mtu,
                              .decline_quarantine = bc.decline_quarantine,
                              .authoritative = bc.authoritative,
                              .ignore_client_id = bc.ignore_client_id,
                              .rapid_commit = bc.rapid_commit};
}

Daemon::PreparedBridge Daemon::prepare_bridge(const config::BridgeConfig& bc) {
  PreparedBridge p;
  p.config = bc;
  p.info = bridge::ensure_bridge(bridge::BridgeSpec{
      .name = bc.name, .address = bc.address, .mtu = bc.mtu, .create = bc.create, .mac = bc.mac});
  p.socket = std::make_unique<PacketSocket>(io_, p.info.ifindex, bc.name);
  if (dns_) p.dns = dns_->open_sockets(dns::DnsBridge{bc.name, bc.address, bc.domain});
  return p;
}

size_t Daemon::serve_bridge(PreparedBridge p, const std::vector<leases::Lease>& stored) {
  const config::BridgeConfig& bc = p.config;
  const size_t index = dhcp_.add_bridge(settings_of(bc), stored);
  links_.push_back(BridgeLink{.index = index,
                              .ifindex = p.info.ifindex,
                              .mac = p.info.mac,
                              .address = bc.address,
                              .name = bc.name,
                              .socket = std::move(p.socket)});
  if (dns_ && p.dns) {
    dns_->add_bridge(index, dns::DnsBridge{bc.name, bc.address, bc.domain}, std::move(*p.dns));
  }
  const int64_t now = unix_now();
  for (const leases::Lease& l : stored) {
    if (l.bridge == bc.name) note_lease(index, l, now);
  }
  if (started_at_ != 0) start_link(links_.back());
  return index;
}

void Daemon::start_link(BridgeLink& link) {
  link.socket->start([this, index = link.index](ByteView frame, bool csum_not_ready) {
    on_frame(index, frame, csum_not_ready);
  });
  const dhcp::BridgeSettings& s = dhcp_.settings(link.index);
  spdlog::info("serving DHCP on {} (ifindex {}) at {}, pool {}-{}, lease time {} s, domain {}",
               link.name, link.ifindex, link.address.to_string(), s.pool_first.to_string(),
               s.pool_last.to_string(), s.lease_time, s.domain);
  if (dns_ && started_at_ != 0) {
    spdlog::info("serving DNS on {} at {}:{} ({} worker(s)), domain {}", link.name,
                 link.address.address.to_string(), config_.dns.port, dns_->worker_count(),
                 s.domain);
  }
}

void Daemon::retire_bridge(size_t index) {
  auto it = std::find_if(links_.begin(), links_.end(),
                         [&](const BridgeLink& l) { return l.index == index; });
  if (it == links_.end()) return;
  spdlog::info("{}: no longer served (its leases stay in the database)", it->name);
  it->socket->stop();
  // A frame handler may already be queued: delete the socket after it.
  asio::post(io_, [sock = std::shared_ptr<PacketSocket>(std::move(it->socket))] {});
  links_.erase(it);
  dhcp_.remove_bridge(index);
  if (dns_) dns_->remove_bridge(index);
  std::erase_if(named_leases_, [&](const auto& e) { return e.first.first == index; });
  names_changed();
}

Daemon::BridgeLink* Daemon::link_at(size_t index) {
  for (BridgeLink& l : links_) {
    if (l.index == index) return &l;
  }
  return nullptr;
}

const Daemon::BridgeLink* Daemon::link_at(size_t index) const {
  for (const BridgeLink& l : links_) {
    if (l.index == index) return &l;
  }
  return nullptr;
}

int Daemon::run() {
  started_at_ = unix_now();
  for (BridgeLink& link : links_) start_link(link);
  try {
    std::optional<std::string> group;
    if (!config_.daemon.control_group.empty()) group = config_.daemon.control_group;
    control_ = std::make_unique<ControlServer>(io_, config_.daemon.control_socket,
                                               kDefaultControlSocketMode, group, *this);
    spdlog::info("control API on {}", config_.daemon.control_socket);
  } catch (const std::exception& e) {
    spdlog::error("no control API: {}", e.what());
    throw;
  }
  if (dns_) {
    rebuild_names();
    dns_->start();
    spdlog::info("dns: {} local names", dns_->table()->name_count());
  }
  spdlog::default_logger()->flush();  // "serving" is what supervisors and tests wait for
  if (relay_socket_) receive_relay();
  start_link_monitor();
  start_firewall();
  arm_tick();
  wait_signals();
  io_.run();
  stop_firewall();
  if (control_) control_->stop();
  if (dns_) dns_->stop();
  writer_->flush();
  log_stats();
  spdlog::info("berthd stopped");
  return 0;
}

void Daemon::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    switch (sig) {
      case SIGUSR1:
        log_stats();
        break;
      case SIGHUP:
        spdlog::info("SIGHUP: reloading {}", config_.source);
        (void)reload();  // a refusal is logged; the running config stays
        break;
      default:
        spdlog::info("signal {}: shutting down", sig);
        io_.stop();
        return;
    }
    wait_signals();
  });
}

void Daemon::arm_tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const int64_t now = unix_now();
    for (const leases::Lease& l : dhcp_.tick(now)) {
      spdlog::info("lease expired: {} {} {} {}", l.bridge, l.ip.to_string(), l.mac.to_string(),
                   l.hostname);
      for (const BridgeLink& link : links_) {
        if (link.name == l.bridge) {
          leases::Lease gone = l;
          gone.state = leases::LeaseState::expired;
          note_lease(link.index, gone, now);
        }
      }
    }
    try {
      if (reader_->reservations_version() != reservations_version_) reload_reservations();
    } catch (const std::exception& e) {
      spdlog::error("cannot read reservations: {}", e.what());
    }
    arm_tick();
  });
}

void Daemon::reload_reservations() {
  reservations_version_ = reader_->reservations_version();
  db_reservations_ = reader_->load_reservations();
  apply_reservations(std::nullopt);
}

void Daemon::apply_reservations(std::optional<size_t> only) {
  const std::vector<leases::Reservation> configured = dhcp::config_reservations(config_);
  for (const BridgeLink& link : links_) {
    if (only && link.index != *only) continue;
    const dhcp::BridgeSettings& s = dhcp_.settings(link.index);
    std::vector<leases::Reservation> file, database;
    for (const leases::Reservation& r : configured) {
      if (r.bridge == link.name) file.push_back(r);
    }
    for (const leases::Reservation& r : db_reservations_) {
      if (r.bridge != link.name) continue;
      if (auto problem = dhcp::reservation_problem(r, s)) {
        spdlog::warn("reservation {} on {} ignored: {}", r.id, link.name, *problem);
        continue;
      }
      database.push_back(r);
    }
    dhcp::MergedReservations merged = dhcp::merge_reservations(file, database);
    for (const std::string& why : merged.ignored) spdlog::warn("{}: {}", link.name, why);
    if (!only) {
      spdlog::info("{}: {} reservation(s), {} from the config file", link.name, merged.kept.size(),
                   file.size());
    }
    dhcp_.set_reservations(link.index, std::move(merged.kept));
  }
  names_changed();
}

void Daemon::note_lease(size_t bridge, const leases::Lease& lease, int64_t now) {
  if (!config_.dns.enabled || !dhcp_.active(bridge)) return;
  const auto key = std::pair(bridge, lease.ip.value());
  const bool named = lease.state_at(now) == leases::LeaseState::bound && !lease.hostname.empty();
  auto it = named_leases_.find(key);
  if (named) {
    if (it != named_leases_.end() && it->second == lease.hostname) return;
    named_leases_[key] = lease.hostname;
  } else {
    if (it == named_leases_.end()) return;
    named_leases_.erase(it);
  }
  names_changed();
}

// Many changes (a group commit, a reservation reload) make one new snapshot.
void Daemon::names_changed() {
  if (!dns_ || names_pending_) return;
  names_pending_ = true;
  // A snapshot costs time in proportion to the names; under a burst of
  // changes, build at most every 4 build-times (at least 1 ms apart), so
  // building stays under a fifth of the thread while a single change is
  // visible at once.
  const auto now = std::chrono::steady_clock::now();
  const auto earliest =
      names_built_at_ + std::max(names_build_time_ * 4,
                                 std::chrono::steady_clock::duration(std::chrono::milliseconds(1)));
  if (now >= earliest) {
    asio::post(io_, [this] { rebuild_names(); });
    return;
  }
  names_timer_.expires_at(earliest);
  names_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) rebuild_names();
  });
}

void Daemon::rebuild_names() {
  names_pending_ = false;
  if (!dns_) return;
  const auto started = std::chrono::steady_clock::now();
  dns::NameTableSpec spec;
  spec.host_name = host_name_;
  spec.local_ttl = config_.dns.local_ttl;
  spec.serial = ++names_serial_;
  spec.statics.hosts = config_.dns.hosts;
  spec.statics.cnames = config_.dns.cnames;
  spec.statics.srvs = config_.dns.srvs;
  spec.statics.txts = config_.dns.txts;
  spec.bridges.assign(dhcp_.bridge_count(), dns::DnsBridge{.serving = false});
  for (const BridgeLink& link : links_) {
    spec.bridges[link.index] =
        dns::DnsBridge{link.name, link.address, dhcp_.settings(link.index).domain};
    for (const leases::Reservation& r : dhcp_.table(link.index).reservations()) {
      if (!r.name.empty()) spec.names.push_back(dns::NamedAddress{link.index, r.name, r.ip, true});
    }
  }
  for (const auto& [key, name] : named_leases_) {
    spec.names.push_back(dns::NamedAddress{key.first, name, Ipv4Address(key.second), false});
  }
  std::vector<std::string> clashes;
  auto previous = dns_->table();
  dns_->publish(dns::NameTable::build(spec, previous.get(), &clashes));
  for (const std::string& c : clashes) {
    if (std::find(name_clashes_.begin(), name_clashes_.end(), c) == name_clashes_.end()) {
      spdlog::warn("dns: {}", c);
    }
  }
  name_clashes_ = std::move(clashes);
  names_built_at_ = std::chrono::steady_clock::now();
  names_build_time_ = names_built_at_ - started;
  apply_firewall(false);  // a forward to a name follows the name's address
}

void Daemon::on_frame(size_t index, ByteView bytes, bool checksum_not_ready) {
  BridgeLink* found = link_at(index);
  if (found == nullptr) return;  // retired by a reload meanwhile
  const BridgeLink& link = *found;
  auto frame = parse_udp_frame(bytes, checksum_not_ready);
  if (!frame) {
    dhcp_.counters().drop(fmt::format("frame_{}", to_string(frame.error().code)));
    spdlog::debug("{}: dropped frame: {}", link.name, frame.error().what);
    return;
  }
  // The raw socket hears every frame to port 67 on the bridge; ours are those
  // broadcast or sent to the bridge's address.
  if (frame->dst_ip != Ipv4Address::broadcast() && frame->dst_ip != link.address.address) return;
  auto msg = dhcp4::parse_message(frame->payload);
  if (!msg) {
    dhcp_.counters().drop(fmt::format("dhcp_{}", to_string(msg.error().code)));
    spdlog::debug("{}: dropped DHCP message from {}: {}", link.name, frame->src_mac.to_string(),
                  msg.error().what);
    return;
  }
  // Relayed requests are filtered out in the kernel; the UDP socket has them.
  if (!msg->giaddr.is_unspecified()) return;
  process(link.index, *msg);
}

void Daemon::receive_relay() {
  relay_socket_->async_wait(
      asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
        if (ec == asio::error::operation_aborted) return;
        // Drain what is queued (bounded, so the bridges' sockets get their turn).
        for (int i = 0; !ec && i < 64; ++i) {
          boost::system::error_code rec;
          size_t n = relay_socket_->receive_from(asio::buffer(relay_buffer_), relay_from_, 0, rec);
          if (rec) break;  // would_block: drained
          on_relay_datagram(n);
        }
        receive_relay();
      });
}

void Daemon::on_relay_datagram(size_t n) {
  auto msg = dhcp4::parse_message(ByteView(relay_buffer_.data(), n));
  if (!msg) {
    // Local clients (port 68) land here too and are counted by the packet
    // socket; relay agents send from port 67 and are only seen here.
    if (relay_from_.port() == dhcp4::kServerPort) {
      dhcp_.counters().drop(fmt::format("dhcp_{}", to_string(msg.error().code)));
      spdlog::debug("relayed message from {}: {}", relay_from_.address().to_string(),
                    msg.error().what);
    }
    return;
  }
  if (msg->giaddr.is_unspecified()) return;  // a local client: the packet socket has it
  auto bridge = dhcp_.bridge_for_relay(msg->giaddr);
  if (!bridge) {
    dhcp_.counters().drop("relay_unknown_subnet");
    spdlog::debug("relayed request via {}: no bridge serves that subnet", msg->giaddr.to_string());
    return;
  }
  process(*bridge, *msg);
}

void Daemon::process(size_t bridge, const dhcp4::Message& msg) {
  dhcp::Decision d = dhcp_.handle(bridge, msg, unix_now());
  if (!d.reply && d.commit.empty()) {
    if (!d.drop_reason.empty()) {
      spdlog::debug("{} from {} dropped: {}", msg.type() ? to_string(*msg.type()) : "BOOTP",
                    msg.mac().to_string(), d.drop_reason);
    }
    return;
  }
  execute(bridge, std::move(d));
}

void Daemon::execute(size_t bridge, dhcp::Decision decision) {
  if (decision.commit.empty()) {
    if (decision.reply) send(bridge, *decision.reply);
    return;
  }
  auto shared = std::make_shared<dhcp::Decision>(std::move(decision));
  std::vector<leases::LeaseChange> changes = shared->commit;
  writer_->submit(std::move(changes), [this, bridge, shared](bool ok) {
    bool first;
    {
      std::lock_guard lock(committed_mu_);
      first = committed_.empty();
      committed_.push_back(Committed{bridge, shared, ok});
    }
    if (first) asio::post(io_, [this] { send_committed(); });
  });
}

void Daemon::send_committed() {
  {
    std::lock_guard lock(committed_mu_);
    sending_.swap(committed_);
  }
  for (const Committed& c : sending_) {
    if (!c.ok) {
      dhcp_.commit_failed(c.bridge, *c.decision);
      if (c.decision->reply) {
        spdlog::error("{}: not sent, the lease could not be stored", c.decision->reply->log_line);
      }
    } else {
      const int64_t now = unix_now();
      for (const leases::LeaseChange& change : c.decision->commit) {
        leases::Lease l = change.lease;
        if (change.kind == leases::LeaseChange::Kind::erase) l.state = leases::LeaseState::released;
        note_lease(c.bridge, l, now);
      }
      if (c.decision->reply) send(c.bridge, *c.decision->reply);
    }
  }
  sending_.clear();
}

void Daemon::send(size_t bridge, const dhcp::Reply& reply) {
  auto encoded = dhcp4::encode_message(reply.message, encode_buffer_, reply.max_size);
  if (!encoded) {
    dhcp_.counters().drop("reply_encode");
    spdlog::error("{}: cannot encode reply: {}", reply.log_line, encoded.error().what);
    return;
  }
  ByteView payload(encode_buffer_.data(), *encoded);
  spdlog::info("{}", reply.log_line);

  if (reply.delivery == dhcp::Delivery::relay) {
    if (!relay_socket_) return;
    boost::system::error_code ec;
    auto to = asio::ip::udp::endpoint(asio::ip::address_v4(reply.dst_ip.value()), reply.dst_port);
    relay_socket_->send_to(asio::buffer(payload.data(), payload.size()), to, 0, ec);
    if (ec) spdlog::warn("reply to relay {}: {}", reply.dst_ip.to_string(), ec.message());
    return;
  }
  BridgeLink* link = link_at(bridge);
  if (link == nullptr) return;  // the bridge was removed while the lease was committed
  UdpFrameSpec spec{.src_mac = link->mac,
                    .dst_mac = reply.dst_mac,
                    .src_ip = link->address.address,
                    .dst_ip = reply.dst_ip,
                    .src_port = dhcp4::kServerPort,
                    .dst_port = reply.dst_port};
  auto frame = build_udp_frame(spec, payload, frame_buffer_);
  if (!frame) {
    spdlog::error("{}: cannot build frame: {}", reply.log_line, frame.error().what);
    return;
  }
  link->socket->send(ByteView(frame_buffer_.data(), *frame));
}

void Daemon::log_stats() const {
  const dhcp::DhcpCounters& c = dhcp_.counters();
  using T = dhcp4::MessageType;
  std::string received, sent, dropped;
  for (T t : {T::discover, T::request, T::decline, T::release, T::inform}) {
    received += fmt::format(" {}={}", to_string(t), c.received[static_cast<size_t>(t)]);
  }
  for (T t : {T::offer, T::ack, T::nak}) {
    sent += fmt::format(" {}={}", to_string(t), c.sent[static_cast<size_t>(t)]);
  }
  for (const auto& [reason, n] : c.dropped) dropped += fmt::format(" {}={}", reason, n);
  spdlog::info("stats: received{}", received);
  spdlog::info("stats: sent{}", sent);
  spdlog::info("stats: dropped{}", dropped.empty() ? " none" : dropped);
  auto w = writer_->stats();
  spdlog::info("stats: pool_exhausted={} commit_failed={} transactions={} leases_written={}",
               c.pool_exhausted, c.commit_failed, w.transactions, w.leases_written);
  if (dns_) {
    auto d = dns_->counters();
    std::string line;
    for (size_t i = 0; i < d.size(); ++i) {
      line += fmt::format(" {}={}", to_string(static_cast<DnsCounters::Kind>(i)), d[i]);
    }
    spdlog::info("stats: dns{} cache_hits={} names={}", line, dns_->cache_hits(),
                 dns_->table()->name_count());
  }
  int64_t now = unix_now();
  for (const BridgeLink& l : links_) {
    auto counts = dhcp_.table(l.index).counts(now);
    spdlog::info("stats: {} leases bound={} offered={} released={} expired={} declined={} pool={}",
                 l.name, counts.bound, counts.offered, counts.released, counts.expired,
                 counts.declined, dhcp_.table(l.index).pool().size());
  }
}

}  // namespace berth::server
