// Other tables that drop what berth forwards (issue 13). An accept in table
// `inet berth` ends only that table's evaluation of a packet; a base chain in
// another table with `hook forward` and `policy drop` still drops it. Docker
// (iptables-nft: `ip filter FORWARD`, policy drop, jumping to DOCKER-USER) is
// the common case: containers on a berth bridge get an address and cannot get
// out.
//
// This part is pure: it reads `nft -j list ...` output (the libnftables JSON
// schema) and decides which accept rules berth puts into those foreign chains
// and which of its earlier ones it deletes. The rules are in a form
// iptables-nft lists and saves (`-i br -j ACCEPT`, `-o br -m mark --mark`):
// iptables-nft cannot parse a native `ct state` match, and a chain it cannot
// parse makes `iptables -L` and `iptables-save` fail for the whole table. So
// the replies are recognised by a mark that table inet berth sets on
// established and related packets to its bridges (FirewallState::reply_mark).
// Every such rule carries the comment kForeignComment, so it is found again
// by handle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::bridge {

// The comment on every rule berth puts into another table.
inline constexpr std::string_view kForeignComment = "berth";
// The packet mark bit table inet berth sets on established and related
// packets to its bridges, when a foreign chain needs it. Outside the bits
// kube-proxy (0x4000, 0x8000), Cilium (0x0f00) and Tailscale (0xff0000) use.
inline constexpr uint32_t kReplyMark = 0x10000000;

// One chain of `nft -j list ...`; base chains have a hook.
struct NftChain {
  std::string family;  // "ip", "ip6", "inet", ...
  std::string table;
  std::string name;
  std::string type;    // "" for a regular chain
  std::string hook;    // "" for a regular chain
  std::string policy;  // "" for a regular chain
  int priority = 0;
  bool operator==(const NftChain&) const = default;
};

// One rule, reduced to what the decision needs.
struct NftRule {
  std::string family;
  std::string table;
  std::string chain;
  uint64_t handle = 0;
  std::string comment;
  // The rule in nft's words for the expressions berth writes
  // (`iifname "br0" accept`, counters left out); "?" for anything else.
  std::string text;
  std::vector<std::string> jumps;  // targets of jump and goto statements
  bool operator==(const NftRule&) const = default;
};

struct NftRuleset {
  std::vector<NftChain> chains;
  std::vector<NftRule> rules;
};

// Parses `nft -j list ruleset | chains | table ...` output; several outputs
// can be merged by calling it once for each. Throws FirewallError when the
// text is not nft's JSON.
NftRuleset parse_nft_json(std::string_view json);
void merge(NftRuleset& into, NftRuleset&& more);

// A berth bridge as the decision sees it.
struct ForeignBridge {
  std::string name;
  bool ipv6 = false;
  bool operator==(const ForeignBridge&) const = default;
};

// One line of `berthctl firewall show`'s foreign list: a chain outside table
// inet berth that matters to berth's bridges, what is wrong with it and what
// berth does about it. Other detectors (firewalld) add entries of the same
// shape.
struct ForeignFinding {
  std::string table;    // "ip filter"
  std::string chain;    // "FORWARD"
  std::string finding;  // "policy drop"
  std::string action;   // "accept rules for berth0 in DOCKER-USER", "none (foreign = false)"
  bool operator==(const ForeignFinding&) const = default;
};

struct ForeignPlan {
  std::vector<ForeignFinding> findings;
  // nft commands, as for `nft -f`: deletes by handle first, then inserts.
  // Empty when the ruleset already is as it should be.
  std::string commands;
  // Whether table inet berth must mark replies (kReplyMark) for the rules.
  bool reply_mark = false;
  // The tables ("ip filter") that hold berth's rules once `commands` ran.
  std::vector<std::string> tables;
};

// The base chains that can drop a berth bridge's forwarded traffic: filter
// chains on the forward hook with policy drop in a table other than inet
// berth, of family ip or inet, and ip6 when a bridge has IPv6. The tables to
// list with their rules before calling plan_foreign_rules ("ip filter").
std::vector<std::string> tables_to_inspect(const NftRuleset& chains,
                                           const std::vector<ForeignBridge>& bridges);

// What to do about each such chain. With `act`, the accepts go into
// DOCKER-USER when the drop chain jumps there (Docker's place for user
// rules, which Docker never flushes), else at the top of the drop chain
// itself; rules berth made before that are still right stay, duplicates and
// stale ones (another bridge, a chain that no longer drops) are deleted by
// handle. Without `act`, findings are reported and every berth rule found is
// deleted. `ruleset` must hold the rules of tables_to_inspect's tables and of
// every table that may hold earlier berth rules.
ForeignPlan plan_foreign_rules(const NftRuleset& ruleset, const std::vector<ForeignBridge>& bridges,
                               bool act);

class Firewall;

// Lists through `fw` what plan_foreign_rules needs and plans: the chains,
// then the rules of the tables with a drop chain and of `also` (tables that
// held berth rules before); with `full`, the whole ruleset instead (to find
// rules an earlier berthd left). Runs nothing. Throws FirewallError.
ForeignPlan inspect_foreign(Firewall& fw, const std::vector<ForeignBridge>& bridges, bool act,
                            const std::vector<std::string>& also, bool full);

// Deletes by handle every rule with kForeignComment outside table inet berth.
std::string removal_commands(const NftRuleset& ruleset);

// The two rules that let `bridge` forward, in nft's words without counter
// and comment (what NftRule::text holds for them).
std::vector<std::string> foreign_accepts(std::string_view bridge);

}  // namespace berth::bridge
