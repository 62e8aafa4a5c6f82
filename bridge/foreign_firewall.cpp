#include "bridge/foreign_firewall.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "bridge/firewall.hpp"

namespace berth::bridge {
namespace {

using json = nlohmann::json;

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string hex32(uint64_t v) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%08llx", static_cast<unsigned long long>(v));
  return buf.data();
}

// One statement of a rule in nft's words, for the few forms berth writes;
// nullopt for anything else. Counters say nothing about what a rule does.
std::optional<std::string> statement_text(const json& stmt) {
  if (!stmt.is_object() || stmt.size() != 1) return std::nullopt;
  // Not items(): its proxy is a temporary, and a structured binding to it
  // dangles (ASan: stack-use-after-scope).
  const auto first = stmt.begin();
  const std::string& key = first.key();
  const json& value = first.value();
  if (key == "counter") return std::string();
  if (key == "accept") return std::string("accept");
  if (key != "match" || !value.is_object()) return std::nullopt;
  if (string_at(value, "op") != "==") return std::nullopt;
  const json& left = value.value("left", json());
  const json& right = value.value("right", json());
  if (left.contains("meta") && right.is_string()) {
    const std::string meta = string_at(left["meta"], "key");
    if (meta == "iifname" || meta == "oifname") {
      return meta + " \"" + right.get<std::string>() + "\"";
    }
    return std::nullopt;
  }
  // {"&": [{"meta": {"key": "mark"}}, MASK]} == VALUE
  const auto band = left.find("&");
  if (band != left.end() && band->is_array() && band->size() == 2 &&
      string_at((*band)[0].value("meta", json::object()), "key") == "mark" &&
      (*band)[1].is_number_unsigned() && right.is_number_unsigned()) {
    return "meta mark & " + hex32((*band)[1].get<uint64_t>()) +
           " == " + hex32(right.get<uint64_t>());
  }
  return std::nullopt;
}

NftRule rule_of(const json& r) {
  NftRule rule{.family = string_at(r, "family"),
               .table = string_at(r, "table"),
               .chain = string_at(r, "chain"),
               .handle = r.value("handle", uint64_t{0}),
               .comment = string_at(r, "comment")};
  std::string text;
  bool known = true;
  if (const auto expr = r.find("expr"); expr != r.end() && expr->is_array()) {
    for (const json& stmt : *expr) {
      for (const char* verdict : {"jump", "goto"}) {
        if (stmt.is_object() && stmt.contains(verdict) && stmt[verdict].is_object()) {
          rule.jumps.push_back(string_at(stmt[verdict], "target"));
        }
      }
      const auto words = statement_text(stmt);
      if (!words) {
        known = false;
        continue;
      }
      if (words->empty()) continue;
      if (!text.empty()) text += ' ';
      text += *words;
    }
  } else {
    known = false;
  }
  rule.text = known ? text : "?";
  return rule;
}

using ChainKey = std::tuple<std::string, std::string, std::string>;  // family, table, chain

ChainKey key_of(const NftChain& c) { return {c.family, c.table, c.name}; }
ChainKey key_of(const NftRule& r) { return {r.family, r.table, r.chain}; }

bool is_berth_table(const std::string& family, const std::string& table) {
  return family == "inet" && table == "berth";
}

// The bridges a forward-drop chain of this family concerns; empty when the
// chain is not such a chain.
std::vector<std::string> bridges_dropped_by(const NftChain& c,
                                            const std::vector<ForeignBridge>& bridges) {
  std::vector<std::string> names;
  if (c.hook != "forward" || c.type != "filter" || c.policy != "drop") return names;
  if (is_berth_table(c.family, c.table)) return names;
  const bool ip6 = c.family == "ip6";
  if (!ip6 && c.family != "ip" && c.family != "inet") return names;
  for (const ForeignBridge& b : bridges) {
    if (!ip6 || b.ipv6) names.push_back(b.name);
  }
  return names;
}

bool is_drop_chain(const std::vector<ForeignBridge>& bridges, const NftChain& c) {
  return c.hook == "forward" && c.type == "filter" && c.policy == "drop" &&
         !is_berth_table(c.family, c.table) &&
         (c.family == "ip" || c.family == "inet" ||
          (c.family == "ip6" &&
           std::any_of(bridges.begin(), bridges.end(), [](const auto& b) { return b.ipv6; })));
}

// Names nft takes unquoted in a command: what iptables, Docker and nft
// configurations use.
bool plain_name(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string delete_command(const NftRule& r) {
  return "delete rule " + r.family + " " + r.table + " " + r.chain + " handle " +
         std::to_string(r.handle) + "\n";
}

std::vector<std::string> accept_matches(std::string_view bridge) {
  const std::string name(bridge);
  return {"iifname \"" + name + "\"",
          "oifname \"" + name + "\" meta mark & " + hex32(kReplyMark) + " == " + hex32(kReplyMark)};
}

}  // namespace

NftRuleset parse_nft_json(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") ||
      !doc["nftables"].is_array()) {
    throw FirewallError("nftables listed its ruleset in a form berth does not read");
  }
  NftRuleset out;
  for (const json& item : doc["nftables"]) {
    if (!item.is_object()) continue;
    if (const auto c = item.find("chain"); c != item.end() && c->is_object()) {
      out.chains.push_back(NftChain{.family = string_at(*c, "family"),
                                    .table = string_at(*c, "table"),
                                    .name = string_at(*c, "name"),
                                    .type = string_at(*c, "type"),
                                    .hook = string_at(*c, "hook"),
                                    .policy = string_at(*c, "policy"),
                                    .priority = c->value("prio", 0)});
    } else if (const auto r = item.find("rule"); r != item.end() && r->is_object()) {
      out.rules.push_back(rule_of(*r));
    }
  }
  return out;
}

void merge(NftRuleset& into, NftRuleset&& more) {
  for (NftChain& c : more.chains) {
    if (std::none_of(into.chains.begin(), into.chains.end(),
                     [&](const NftChain& d) { return key_of(d) == key_of(c); })) {
      into.chains.push_back(std::move(c));
    }
  }
  for (NftRule& r : more.rules) {
    if (std::none_of(into.rules.begin(), into.rules.end(), [&](const NftRule& s) {
          return key_of(s) == key_of(r) && s.handle == r.handle;
        })) {
      into.rules.push_back(std::move(r));
    }
  }
}

std::vector<std::string> foreign_accepts(std::string_view bridge) {
  std::vector<std::string> rules;
  for (const std::string& m : accept_matches(bridge)) rules.push_back(m + " accept");
  return rules;
}

std::vector<std::string> tables_to_inspect(const NftRuleset& chains,
                                           const std::vector<ForeignBridge>& bridges) {
  std::vector<std::string> tables;
  for (const NftChain& c : chains.chains) {
    if (!is_drop_chain(bridges, c) || !plain_name(c.table)) continue;
    const std::string t = c.family + " " + c.table;
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
  }
  return tables;
}

ForeignPlan plan_foreign_rules(const NftRuleset& ruleset, const std::vector<ForeignBridge>& bridges,
                               bool act) {
  ForeignPlan plan;
  // Chain -> the rules (in nft's words, counters left out) berth wants there,
  // in order.
  std::map<ChainKey, std::vector<std::string>> wanted;
  std::vector<ChainKey> wanted_order;
  for (const NftChain& c : ruleset.chains) {
    if (!is_drop_chain(bridges, c)) continue;
    ForeignFinding finding{
        .table = c.family + " " + c.table, .chain = c.name, .finding = "policy drop"};
    const std::vector<std::string> names = bridges_dropped_by(c, bridges);
    if (!act) {
      finding.action = "none (foreign = false)";
      plan.findings.push_back(std::move(finding));
      continue;
    }
    if (names.empty()) {
      finding.action = "none (no bridge concerned)";
      plan.findings.push_back(std::move(finding));
      continue;
    }
    // Docker jumps from FORWARD to DOCKER-USER first thing and leaves that
    // chain to its users.
    const bool docker_user =
        std::any_of(ruleset.chains.begin(), ruleset.chains.end(),
                    [&](const NftChain& d) {
                      return d.family == c.family && d.table == c.table &&
                             d.name == "DOCKER-USER" && d.hook.empty();
                    }) &&
        std::any_of(ruleset.rules.begin(), ruleset.rules.end(), [&](const NftRule& r) {
          return key_of(r) == key_of(c) &&
                 std::find(r.jumps.begin(), r.jumps.end(), "DOCKER-USER") != r.jumps.end();
        });
    const std::string target = docker_user ? "DOCKER-USER" : c.name;
    if (!plain_name(c.table) || !plain_name(target)) {
      finding.action = "none (berth cannot name this chain in an nft command)";
      plan.findings.push_back(std::move(finding));
      continue;
    }
    const ChainKey key{c.family, c.table, target};
    if (!wanted.contains(key)) wanted_order.push_back(key);
    const std::string table = c.family + " " + c.table;
    if (std::find(plan.tables.begin(), plan.tables.end(), table) == plan.tables.end()) {
      plan.tables.push_back(table);
    }
    std::vector<std::string>& rules = wanted[key];
    for (const std::string& name : names) {
      for (std::string& r : foreign_accepts(name)) {
        if (std::find(rules.begin(), rules.end(), r) == rules.end()) rules.push_back(std::move(r));
      }
    }
    finding.action = "accept rules for " + joined(names) +
                     (docker_user ? " in DOCKER-USER" : " at the top of " + c.name);
    plan.reply_mark = true;
    plan.findings.push_back(std::move(finding));
  }

  // Keep each wanted rule once; delete every other berth rule.
  std::map<ChainKey, std::set<std::string>> present;
  for (const NftRule& r : ruleset.rules) {
    if (r.comment != kForeignComment || is_berth_table(r.family, r.table)) continue;
    const auto w = wanted.find(key_of(r));
    const bool wanted_here = w != wanted.end() && std::find(w->second.begin(), w->second.end(),
                                                            r.text) != w->second.end();
    if (wanted_here && present[key_of(r)].insert(r.text).second) continue;
    plan.commands += delete_command(r);
  }
  for (const ChainKey& key : wanted_order) {
    const auto& [family, table, chain] = key;
    const std::vector<std::string>& rules = wanted[key];
    // `insert` puts a rule first: the last one goes in first.
    for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
      if (present[key].contains(*it)) continue;
      const std::string match = it->substr(0, it->size() - std::string_view(" accept").size());
      plan.commands += "insert rule " + family + " " + table + " " + chain + " " + match +
                       " counter accept comment \"" + std::string(kForeignComment) + "\"\n";
    }
  }
  return plan;
}

ForeignPlan inspect_foreign(Firewall& fw, const std::vector<ForeignBridge>& bridges, bool act,
                            const std::vector<std::string>& also, bool full) {
  if (full) return plan_foreign_rules(parse_nft_json(fw.list_json("ruleset")), bridges, act);
  NftRuleset ruleset = parse_nft_json(fw.list_json("chains"));
  std::vector<std::string> tables = tables_to_inspect(ruleset, bridges);
  for (const std::string& t : also) {
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
  }
  for (const std::string& t : tables) merge(ruleset, parse_nft_json(fw.list_json("table " + t)));
  return plan_foreign_rules(ruleset, bridges, act);
}

std::string removal_commands(const NftRuleset& ruleset) {
  std::string commands;
  for (const NftRule& r : ruleset.rules) {
    if (r.comment == kForeignComment && !is_berth_table(r.family, r.table)) {
      commands += delete_command(r);
    }
  }
  return commands;
}

}  // namespace berth::bridge
