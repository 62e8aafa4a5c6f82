// The nftables table `inet berth`: rendered whole from a FirewallState and
// replaced in one transaction through libnftables. berth owns that table;
// outside it, berth only reads other tables' forward chains and adds or
// deletes its own accept rules there, each commented "berth"
// (bridge/foreign_firewall.hpp).
//
// Every chain has policy accept, so the table never breaks the host's other
// traffic: the only packets it drops are forwarded between two berth bridges
// whose pair is not allowed. The accepts in the input and forward chains
// state what berth needs; an accept ends only this table's evaluation of a
// packet, so a drop in another table still wins: hence the foreign rules.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "protocol/address.hpp"

struct nft_ctx;

namespace berth::bridge {

enum class Proto { tcp, udp };

struct FirewallBridge {
  std::string name;                        // bridge interface
  Ipv4Prefix address;                      // host address on the bridge + prefix, e.g. 10.0.3.1/24
  bool nat = false;                        // masquerade subnet -> outside
  std::optional<Ipv4Address> nat_address;  // SNAT to this instead of masquerade (only with nat)
  uint16_t dns_port = 53;                  // 0: no DNS input rule for this bridge
  std::optional<Ipv6Prefix> ipv6;          // the bridge's IPv6 address and prefix, when it has one
  bool ipv6_nat = false;                   // masquerade the IPv6 prefix -> outside (NAT66)
  bool tftp = false;                       // accept TFTP requests (udp/69) for network boot
  bool operator==(const FirewallBridge&) const = default;
};

struct PortForward {  // already resolved to an address by the daemon
  std::string bridge;
  Proto proto = Proto::tcp;
  std::optional<Ipv4Address> host_address;  // nullopt: any local address of the host
  uint16_t host_port = 0;
  // Where it goes: IPv4, and IPv6 too for a forward to a name that has an
  // IPv6 address (only on every host address: `host_address` is IPv4). A
  // forward with neither has no rule.
  std::optional<Ipv4Address> target;
  uint16_t target_port = 0;
  std::optional<Ipv6Address> target6;
  bool operator==(const PortForward&) const = default;
};

struct FirewallState {
  std::vector<FirewallBridge> bridges;
  std::vector<PortForward> forwards;
  // Unordered pairs of bridge names whose members may forward to each other.
  // Names that are not in `bridges` have no effect.
  std::vector<std::pair<std::string, std::string>> allowed_pairs;
  // Mark established and related packets to each bridge with kReplyMark
  // (chain reply_mark, before other tables' forward chains), for the accept
  // rules berth put into another table's forward chain.
  bool reply_mark = false;
  bool operator==(const FirewallState&) const = default;
};

// A state that cannot be rendered, or nftables refused a command. what() is a
// sentence for the user; for nftables errors it carries nft's own message.
class FirewallError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// "table inet berth { ... }" in the layout `nft list table inet berth`
// prints, so a freshly applied table lists exactly as rendered. The same state
// always renders the same text. Bridges keep their order; forwards keep
// theirs, except that forwards bound to a host address come before forwards
// on any address so the more specific one wins. Throws FirewallError for a
// state that has no sound table: a bad or duplicate bridge name, a prefix
// length outside 1..32, a forward on an unknown bridge, a zero port, or two
// forwards for the same protocol, host address and host port.
std::string render_table(const FirewallState& state);

// Creates the table if missing, deletes it and defines it anew: one batch,
// so the kernel swaps the whole table atomically or changes nothing.
std::string render_transaction(const FirewallState& state);

// What the daemon asks of a firewall (STYLE 11: a driver with a no-op
// variant). Nftables is the real one; NoFirewall is for `[firewall]
// enabled = false` and for tests.
class Firewall {
 public:
  virtual ~Firewall() = default;
  // Makes the table what `state` renders, in one transaction. Throws
  // FirewallError; the kernel then keeps the previous table.
  virtual void apply(const FirewallState& state) = 0;
  // Deletes the table; quiet when it is absent.
  virtual void remove() = 0;
  // The table as the kernel lists it, or nullopt when absent.
  virtual std::optional<std::string> kernel_table() = 0;
  // Whether the kernel still has what the last apply() made (or nothing,
  // after remove() or before any apply()).
  virtual bool in_sync() = 0;
  // Switches IPv4 forwarding on, as NAT and port forwards need; true when it
  // was off. Throws FirewallError when it cannot.
  virtual bool enable_ipv4_forwarding() = 0;
  // Switches IPv6 forwarding on (net.ipv6.conf.all.forwarding), as NAT66
  // needs; interfaces that took router advertisements (accept_ra = 1) are
  // set to accept_ra = 2 first, so the host keeps its own IPv6 routes. True
  // when forwarding was off. Throws FirewallError when it cannot.
  virtual bool enable_ipv6_forwarding() = 0;
  // `list <what>` ("ruleset", "chains", "table ip filter") in nft's JSON
  // form; an absent table lists as empty. Throws FirewallError.
  virtual std::string list_json(const std::string& what) {
    (void)what;
    return R"({"nftables": []})";
  }
  // Runs nft commands as for `nft -f`, in one transaction. Throws
  // FirewallError.
  virtual void execute(const std::string& commands) { (void)commands; }
};

// Touches nothing: remembers the state it was given and is always in sync.
class NoFirewall final : public Firewall {
 public:
  void apply(const FirewallState& state) override { applied_ = state; }
  void remove() override { applied_.reset(); }
  std::optional<std::string> kernel_table() override { return std::nullopt; }
  bool in_sync() override { return true; }
  bool enable_ipv4_forwarding() override { return false; }
  bool enable_ipv6_forwarding() override { return false; }
  const std::optional<FirewallState>& applied() const { return applied_; }

 private:
  std::optional<FirewallState> applied_;
};

// One libnftables context; one per daemon. Not thread-safe.
class Nftables final : public Firewall {
 public:
  Nftables();  // throws FirewallError when libnftables cannot make a context
  ~Nftables() override;
  Nftables(Nftables&&) noexcept;
  Nftables& operator=(Nftables&&) noexcept;
  Nftables(const Nftables&) = delete;
  Nftables& operator=(const Nftables&) = delete;

  // Replaces table inet berth with render_table(state) in one transaction and
  // remembers the kernel's listing of the result. Throws FirewallError with
  // nft's message; the kernel then keeps the previous table.
  void apply(const FirewallState& state) override;

  // The same transaction as a dry run (`nft -c`): the kernel validates it and
  // changes nothing. Throws FirewallError with nft's message.
  void check(const FirewallState& state);

  // Deletes table inet berth; quiet when it is absent.
  void remove() override;

  // `list table inet berth`, or nullopt when the table is absent.
  std::optional<std::string> kernel_table() override;

  // Whether the kernel matches what this object did last: the table lists as
  // it did right after the last apply(), or, after remove() or before any
  // apply(), there is no table.
  bool in_sync() override;

  // Through /proc/sys/net/ipv4/ip_forward of the current namespace.
  bool enable_ipv4_forwarding() override;
  // Through /proc/sys/net/ipv6/conf of the current namespace.
  bool enable_ipv6_forwarding() override;

  // The listing taken right after the last apply(); empty when the last call
  // was remove() or nothing was applied yet.
  const std::string& applied_listing() const;

  // Runs nft commands as they would appear in a file given to `nft -f`;
  // returns nft's output. Throws FirewallError with nft's message.
  std::string run(const std::string& commands);

  std::string list_json(const std::string& what) override;
  void execute(const std::string& commands) override { run(commands); }

 private:
  struct ContextFree {
    void operator()(nft_ctx* ctx) const;
  };
  std::unique_ptr<nft_ctx, ContextFree> ctx_;
  std::string applied_listing_;
  bool applied_ = false;
};

// IPv4 forwarding (/proc/sys/net/ipv4/ip_forward) of the current network
// namespace. Both throw FirewallError when the file cannot be read or written.
bool ipv4_forwarding();
void set_ipv4_forwarding(bool on);
// net.ipv6.conf.all.forwarding of the current namespace.
bool ipv6_forwarding();

}  // namespace berth::bridge
