// DHCPv6 on the wire: the UDP socket of each bridge with IPv6 (behind
// server/dhcp6_io.hpp), datagrams parsed into messages, the decisions of
// the engine (dhcp/dhcp6_service.hpp), lease commits (the same
// LeaseCommitter as DHCPv4: one group commit for both families) and the
// replies. A REPLY that carries a binding leaves only once its commit is
// durable; when the commit fails, the table is put back and nothing is sent.
//
// Bridges are named by the caller's key (the daemon's bridge index), so
// DHCPv4, DHCPv6, DNS and names agree on which bridge is which even though
// only some bridges have IPv6. Runs on the daemon's io_context thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dhcp/dhcp6_service.hpp"
#include "leases/lease.hpp"
#include "protocol/address.hpp"
#include "server/dhcp6_io.hpp"
#include "server/lease_committer.hpp"

namespace berth::server {

class Dhcp6Server {
 public:
  using Clock = std::function<int64_t()>;
  // Lease changes of bridge `key` that are durable now.
  using CommitObserver =
      std::function<void(size_t key, const std::vector<leases::LeaseChange>& changes)>;

  Dhcp6Server(Dhcp6Network& network, LeaseCommitter& commits, Clock clock, CommitObserver on_commit,
              Bytes server_duid);
  // Every decision whose commit is durable, after the observer above, with
  // what each address held before (undo): [daemon] lease_script. Set
  // before start().
  using DecisionObserver = std::function<void(const dhcp::Dhcp6Decision& decision)>;
  void set_decision_observer(DecisionObserver observer) { on_decision_ = std::move(observer); }
  ~Dhcp6Server();
  Dhcp6Server(const Dhcp6Server&) = delete;
  Dhcp6Server& operator=(const Dhcp6Server&) = delete;

  // Opens the socket of a bridge, for add_bridge; throws with a sentence
  // naming the interface.
  std::unique_ptr<Dhcp6Link> open_link(int ifindex, const std::string& name);
  // Serves bridge `key` with the leases the store holds (its IPv6 ones are
  // taken). `link` may be null in slaac mode (nothing to hear).
  void add_bridge(size_t key, dhcp::Dhcp6Settings settings,
                  const std::vector<leases::Lease>& stored, std::unique_ptr<Dhcp6Link> link);
  // Stops serving bridge `key` (its socket closes; the store keeps its
  // leases). Nothing when it is not served.
  void remove_bridge(size_t key);
  bool serves(size_t key) const { return links_.count(key) != 0; }
  // The bridge came back with a new ifindex: a new socket on it.
  void rebind(size_t key, std::unique_ptr<Dhcp6Link> link);

  void start();
  void stop();
  // Drops timed-out offers; returns the bindings that expired. About once a second.
  std::vector<leases::Lease> tick();

  dhcp::Dhcp6Service& engine() { return engine_; }
  const dhcp::Dhcp6Service& engine() const { return engine_; }
  // The engine's index of bridge `key`, if served.
  std::optional<size_t> engine_index(size_t key) const;

  // Messages dropped before the engine saw them (unparsable, relayed) or
  // after (a reply that would not encode), by reason; the engine counts
  // its own drops.
  const std::map<std::string, uint64_t, std::less<>>& dropped() const { return dropped_; }

  // A datagram as the socket hands it over (public for the tests' fakes).
  void on_datagram(size_t key, const Ipv6Address& from, const Ipv6Address& to, uint16_t port,
                   ByteView payload);

 private:
  struct Link {
    size_t index = 0;  // the engine's
    std::string name;
    std::unique_ptr<Dhcp6Link> socket;
  };
  void start_link(size_t key, Link& link);
  void retire_socket(std::unique_ptr<Dhcp6Link> socket);
  void send(size_t key, const dhcp::Dhcp6Reply& reply);

  Dhcp6Network& network_;
  LeaseCommitter& commits_;
  Clock clock_;
  CommitObserver on_commit_;
  DecisionObserver on_decision_;
  dhcp::Dhcp6Service engine_;
  std::map<size_t, Link> links_;
  std::vector<std::unique_ptr<Dhcp6Link>> retired_;  // closed, freed on the next tick
  std::vector<uint8_t> encode_buffer_;
  std::map<std::string, uint64_t, std::less<>> dropped_;
  bool started_ = false;
};

}  // namespace berth::server
