// DHCPv4 on the wire: the link-layer socket of each bridge and the UDP
// socket of port 67 (behind server/dhcp4_io.hpp's interfaces), frames and
// datagrams parsed into messages, the decisions of the engine
// (dhcp/dhcp4_service.hpp), lease commits (server/lease_committer.hpp) and
// the replies. A reply that carries a lease leaves only once its commit is
// durable; when the commit fails, the engine's table is put back and
// nothing is sent.
//
// Runs on the daemon's io_context thread. The daemon hears about committed
// lease changes through the observer (DNS names and port forwards follow
// them), after the reply is on its way.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dhcp/dhcp4_service.hpp"
#include "leases/lease.hpp"
#include "protocol/address.hpp"
#include "server/dhcp4_io.hpp"
#include "server/lease_committer.hpp"

namespace berth::server {

class Dhcp4Server {
 public:
  // Seconds since the epoch, UTC: the clock of leases.
  using Clock = std::function<int64_t()>;
  // Lease changes of `bridge` that are durable now.
  using CommitObserver =
      std::function<void(size_t bridge, const std::vector<leases::LeaseChange>& changes)>;

  Dhcp4Server(Dhcp4Network& network, LeaseCommitter& commits, Clock clock,
              CommitObserver on_commit);
  // Every decision whose commit is durable, after the observer above, with
  // what each address held before (undo) and the request's script_request
  // ([daemon] lease_script). Set before start().
  using DecisionObserver = std::function<void(size_t bridge, const dhcp::Decision& decision)>;
  void set_decision_observer(DecisionObserver observer) { on_decision_ = std::move(observer); }
  ~Dhcp4Server();
  Dhcp4Server(const Dhcp4Server&) = delete;
  Dhcp4Server& operator=(const Dhcp4Server&) = delete;

  // Opens the link-layer socket of a bridge, for add_bridge; throws with a
  // sentence naming the interface. Split from add_bridge so a caller can
  // open everything before it changes anything.
  std::unique_ptr<FrameLink> open_link(int ifindex, const std::string& name);

  // Serves a bridge with the leases the store holds for it; returns its
  // index (the engine's, never reused). It reads frames once start() ran
  // (at once when it already has).
  size_t add_bridge(dhcp::BridgeSettings settings, const std::vector<leases::Lease>& stored,
                    int ifindex, MacAddress mac, std::unique_ptr<FrameLink> link);
  // Stops serving a bridge: its socket closes, the engine forgets its table
  // (the store keeps its leases). Replies whose commit is still running are
  // dropped when it completes.
  void remove_bridge(size_t bridge);
  // The bridge came back with another ifindex (deleted and created again):
  // opens a socket on it and closes the old one. Throws, changing nothing.
  void rebind(size_t bridge, int ifindex, MacAddress mac);

  // Opens UDP port 67 for relayed requests. A failure is logged (relays are
  // then not served) and returns false; local clients are still served.
  bool open_relay_socket();

  // Starts reading every socket.
  void start();
  // Stops reading; commits under way still complete (and reply).
  void stop();

  // Commits a decision made outside a packet (a lease forgotten through the
  // control API), then calls `then(ok)` on the io thread. A failed commit
  // puts the table back. Its reply, if any, is sent as for a packet.
  void commit(size_t bridge, dhcp::Decision decision, std::function<void(bool ok)> then);

  // Drops timed-out offers and returns the leases that expired since the
  // last call; call about once a second.
  std::vector<leases::Lease> tick();

  dhcp::Dhcp4Service& engine() { return engine_; }
  const dhcp::Dhcp4Service& engine() const { return engine_; }

  // What each kind of socket handed over, before any parsing: frames from
  // the bridges' packet sockets and datagrams from the UDP socket. A local
  // client's message is the packet socket's alone (the UDP socket's filter
  // keeps it out), so it is read once.
  struct SocketCounts {
    uint64_t frames = 0;
    uint64_t datagrams = 0;
  };
  const SocketCounts& socket_counts() const { return socket_counts_; }

  // A frame or a datagram as the sockets hand them over (public for the
  // tests' fake sockets, which call them as the real ones do).
  void on_frame(size_t bridge, ByteView frame, bool checksum_not_ready);
  void on_datagram(Ipv4Address from, uint16_t port, ByteView payload);

 private:
  struct Link {
    size_t index = 0;
    int ifindex = 0;
    MacAddress mac;
    Ipv4Address address;  // the bridge's own: the replies' source
    std::string name;
    std::unique_ptr<FrameLink> socket;
  };

  Link* link_at(size_t bridge);
  void start_link(Link& link);
  // Closes a socket now and frees it once handlers already queued have run.
  void retire_socket(std::unique_ptr<FrameLink> socket);
  void process(size_t bridge, const dhcp4::Message& msg);
  void execute(size_t bridge, dhcp::Decision decision, std::function<void(bool ok)> then);
  void send(size_t bridge, const dhcp::Reply& reply);

  Dhcp4Network& network_;
  LeaseCommitter& commits_;
  Clock clock_;
  CommitObserver on_commit_;
  DecisionObserver on_decision_;
  dhcp::Dhcp4Service engine_;
  std::vector<Link> links_;
  std::unique_ptr<RelaySocket> relay_;
  std::vector<std::unique_ptr<FrameLink>> retired_;  // closed, freed on the next tick
  std::vector<uint8_t> encode_buffer_;
  std::vector<uint8_t> frame_buffer_;
  SocketCounts socket_counts_;
  bool started_ = false;
};

}  // namespace berth::server
