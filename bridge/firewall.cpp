#include "bridge/firewall.hpp"

#include "bridge/foreign_firewall.hpp"

#include <fcntl.h>
#include <nftables/libnftables.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <tuple>

namespace berth::bridge {
namespace {

constexpr std::string_view kTable = "inet berth";
constexpr const char* kIpForwardPath = "/proc/sys/net/ipv4/ip_forward";
constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

const char* proto_name(Proto p) { return p == Proto::tcp ? "tcp" : "udp"; }

// Interface names go into nft as quoted strings. nft has no escapes inside
// them and reads a trailing '*' as a wildcard, so those characters are
// refused along with what Linux itself refuses (dev_valid_name).
void check_bridge_name(const std::string& name) {
  if (name.empty()) throw FirewallError("a bridge name in the firewall state is empty");
  if (name.size() > kMaxInterfaceName) {
    throw FirewallError("bridge name \"" + name + "\" is too long for an interface name");
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\' || c == '*' || c == '/' || c == ':') {
      throw FirewallError("bridge name \"" + name +
                          "\" cannot be written into an nftables rule (use letters, digits, "
                          "'-', '_' or '.')");
    }
  }
}

std::string quoted(const std::string& name) { return "\"" + name + "\""; }

// The subnet as nft lists it: a /32 prints as a bare address.
std::string subnet_text(const Ipv4Prefix& p) {
  if (p.length == 32) return p.address.to_string();
  return p.network().to_string() + "/" + std::to_string(p.length);
}

std::string forward_key_text(const PortForward& f) {
  return std::string(proto_name(f.proto)) + " port " + std::to_string(f.host_port) + " on " +
         (f.host_address ? f.host_address->to_string() : "any host address");
}

// Validates the state and returns the forwards in rule order: forwards bound
// to a host address first (they must win over a forward on any address with
// the same port), otherwise in the order given.
std::vector<PortForward> checked_forwards(const FirewallState& state) {
  std::set<std::string> names;
  for (const auto& b : state.bridges) {
    check_bridge_name(b.name);
    if (!names.insert(b.name).second) {
      throw FirewallError("bridge " + b.name + " appears twice in the firewall state");
    }
    if (b.address.length < 1 || b.address.length > 32) {
      throw FirewallError("bridge " + b.name + " has address " + b.address.to_string() +
                          ": the prefix length must be 1 to 32");
    }
  }
  std::set<std::tuple<Proto, bool, uint32_t, uint16_t>> seen;
  for (const auto& f : state.forwards) {
    if (!names.contains(f.bridge)) {
      throw FirewallError("port forward " + forward_key_text(f) + " names bridge \"" + f.bridge +
                          "\", which is not in the firewall state");
    }
    if (f.host_port == 0 || f.target_port == 0) {
      throw FirewallError("port forward " + forward_key_text(f) + " on bridge " + f.bridge +
                          " has port 0");
    }
    const auto key = std::make_tuple(f.proto, f.host_address.has_value(),
                                     f.host_address ? f.host_address->value() : 0u, f.host_port);
    if (!seen.insert(key).second) {
      throw FirewallError("two port forwards for " + forward_key_text(f) +
                          "; only one of them could ever match");
    }
  }
  std::vector<PortForward> ordered = state.forwards;
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const PortForward& f) { return f.host_address.has_value(); });
  return ordered;
}

bool pair_allowed(const FirewallState& state, const std::string& a, const std::string& b) {
  return std::any_of(state.allowed_pairs.begin(), state.allowed_pairs.end(), [&](const auto& p) {
    return (p.first == a && p.second == b) || (p.first == b && p.second == a);
  });
}

bool has_forwards(const std::vector<PortForward>& forwards, const std::string& bridge) {
  return std::any_of(forwards.begin(), forwards.end(),
                     [&](const PortForward& f) { return f.bridge == bridge && f.target; });
}

bool has_forwards6(const std::vector<PortForward>& forwards, const std::string& bridge) {
  return std::any_of(forwards.begin(), forwards.end(), [&](const PortForward& f) {
    return f.bridge == bridge && f.target6 && !f.host_address;
  });
}

std::string dnat_text(const PortForward& f) {
  return std::string(proto_name(f.proto)) + " dport " + std::to_string(f.host_port) +
         " dnat ip to " + f.target->to_string() + ":" + std::to_string(f.target_port);
}

std::string dnat6_text(const PortForward& f) {
  return std::string(proto_name(f.proto)) + " dport " + std::to_string(f.host_port) +
         " dnat ip6 to [" + f.target6->to_string() + "]:" + std::to_string(f.target_port);
}

std::string prefix6_text(const Ipv6Prefix& p) {
  return p.network().to_string() + "/" + std::to_string(p.length);
}

// One base chain in the layout of `nft list`.
struct Chain {
  std::string name;
  std::string type;  // "filter" or "nat"
  std::string hook;
  std::string priority;
  std::vector<std::string> rules;

  std::string text() const {
    std::string out = "\tchain " + name + " {\n\t\ttype " + type + " hook " + hook + " priority " +
                      priority + "; policy accept;\n";
    for (const auto& r : rules) out += "\t\t" + r + "\n";
    out += "\t}\n";
    return out;
  }
};

std::string errno_text(int err) {
  std::string text = std::strerror(err);
  if (err == EACCES || err == EPERM) text += " (are you root?)";
  if (err == EROFS) text += " (is /proc/sys read-only here, as in many containers?)";
  return text;
}

}  // namespace

std::string render_table(const FirewallState& state) {
  const std::vector<PortForward> forwards = checked_forwards(state);

  Chain input{.name = "input", .type = "filter", .hook = "input", .priority = "filter"};
  for (const auto& b : state.bridges) {
    const std::string iif = "iifname " + quoted(b.name);
    input.rules.push_back(iif + " udp dport 67 accept");  // DHCP, RFC 2131 §4.1
    if (b.dns_port != 0) {
      const std::string port = std::to_string(b.dns_port);
      input.rules.push_back(iif + " udp dport " + port + " accept");
      input.rules.push_back(iif + " tcp dport " + port + " accept");
    }
    if (b.tftp) input.rules.push_back(iif + " udp dport 69 accept");  // TFTP, RFC 1350
    if (b.ipv6) {
      input.rules.push_back(iif + " udp dport 547 accept");  // DHCPv6, RFC 8415 §7.2
      input.rules.push_back(iif + " icmpv6 type nd-router-solicit accept");  // RFC 4861 §6.2.6
    }
  }

  Chain forward{.name = "forward", .type = "filter", .hook = "forward", .priority = "filter"};
  // A port forward publishes a service on the host; whoever may reach the
  // host may reach it, from another berth bridge too. Replies share the
  // connection's dnat status.
  forward.rules.push_back("ct status dnat accept");
  for (const auto& from : state.bridges) {
    for (const auto& to : state.bridges) {
      if (from.name == to.name || pair_allowed(state, from.name, to.name)) continue;
      forward.rules.push_back("iifname " + quoted(from.name) + " oifname " + quoted(to.name) +
                              " drop");
    }
  }
  for (const auto& b : state.bridges) {
    forward.rules.push_back("iifname " + quoted(b.name) + " accept");
    forward.rules.push_back("oifname " + quoted(b.name) + " ct state established,related accept");
  }

  // Forwards on any address match every local address of the host, the
  // bridge addresses included, so containers reach them the same way.
  Chain prerouting{.name = "prerouting", .type = "nat", .hook = "prerouting", .priority = "dstnat"};
  // The host's own connections to its addresses; loopback is left out because
  // a packet from 127.0.0.1 cannot be routed to a bridge.
  Chain output{.name = "output", .type = "nat", .hook = "output", .priority = "-100"};
  for (const auto& f : forwards) {
    if (f.host_address) {
      if (!f.target) continue;
      const std::string rule = "ip daddr " + f.host_address->to_string() + " " + dnat_text(f);
      prerouting.rules.push_back(rule);
      output.rules.push_back(rule);
      continue;
    }
    if (f.target) {
      prerouting.rules.push_back("meta nfproto ipv4 fib daddr type local " + dnat_text(f));
      output.rules.push_back("ip daddr != 127.0.0.0/8 fib daddr type local " + dnat_text(f));
    }
    if (f.target6) {
      prerouting.rules.push_back("meta nfproto ipv6 fib daddr type local " + dnat6_text(f));
      output.rules.push_back("ip6 daddr != ::1 fib daddr type local " + dnat6_text(f));
    }
  }

  Chain postrouting{
      .name = "postrouting", .type = "nat", .hook = "postrouting", .priority = "srcnat"};
  for (const auto& b : state.bridges) {
    const std::string subnet = subnet_text(b.address);
    if (has_forwards(forwards, b.name)) {
      // Hairpin: a container reaching a forward to its own subnet must see
      // the reply come back through the host, so the host becomes the source.
      postrouting.rules.push_back("ip saddr " + subnet + " ip daddr " + subnet +
                                  " ct status dnat masquerade");
    }
    if (b.nat) {
      const std::string match = "ip saddr " + subnet + " ip daddr != " + subnet;
      postrouting.rules.push_back(b.nat_address
                                      ? match + " snat ip to " + b.nat_address->to_string()
                                      : match + " masquerade");
    }
    if (b.ipv6 && has_forwards6(forwards, b.name)) {
      const std::string prefix = prefix6_text(*b.ipv6);
      postrouting.rules.push_back("ip6 saddr " + prefix + " ip6 daddr " + prefix +
                                  " ct status dnat masquerade");
    }
    if (b.ipv6 && b.ipv6_nat) {
      const std::string prefix = prefix6_text(*b.ipv6);
      postrouting.rules.push_back("ip6 saddr " + prefix + " ip6 daddr != " + prefix +
                                  " masquerade");
    }
  }

  std::string out = "table " + std::string(kTable) + " {\n";
  out += input.text() + "\n" + forward.text() + "\n";
  if (state.reply_mark) {
    // Before any other table's forward chain (Docker's is at priority 0), so
    // their `meta mark` accepts see the mark.
    Chain reply_mark{
        .name = "reply_mark", .type = "filter", .hook = "forward", .priority = "mangle"};
    std::array<char, 16> mark{};
    std::snprintf(mark.data(), mark.size(), "0x%08x", kReplyMark);
    for (const auto& b : state.bridges) {
      reply_mark.rules.push_back("oifname " + quoted(b.name) +
                                 " ct state established,related meta mark set meta mark | " +
                                 mark.data());
    }
    out += reply_mark.text() + "\n";
  }
  out += prerouting.text() + "\n" + output.text() + "\n" + postrouting.text();
  out += "}\n";
  return out;
}

std::string render_transaction(const FirewallState& state) {
  const std::string table = "table " + std::string(kTable) + "\n";
  return table + "delete " + table + render_table(state);
}

void Nftables::ContextFree::operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }

Nftables::Nftables() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (!ctx_) throw FirewallError("cannot create a libnftables context");
  if (nft_ctx_buffer_output(ctx_.get()) != 0 || nft_ctx_buffer_error(ctx_.get()) != 0) {
    throw FirewallError("cannot buffer libnftables output");
  }
}

Nftables::~Nftables() = default;
Nftables::Nftables(Nftables&&) noexcept = default;
Nftables& Nftables::operator=(Nftables&&) noexcept = default;

namespace {

struct RunResult {
  int rc = 0;
  std::string output;
  std::string error;
};

// The output and error buffers start over after each read, so every command
// sees only its own text.
RunResult run_commands(nft_ctx* ctx, const std::string& commands) {
  RunResult r;
  r.rc = nft_run_cmd_from_buffer(ctx, commands.c_str());
  if (const char* out = nft_ctx_get_output_buffer(ctx)) r.output = out;
  if (const char* err = nft_ctx_get_error_buffer(ctx)) r.error = err;
  return r;
}

// nft's message, without the trailing newline; a permission error gets a hint.
std::string nft_message(const RunResult& r) {
  std::string text = r.error;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return "nft failed without a message (status " + std::to_string(r.rc) + ")";
  if (text.find("Operation not permitted") != std::string::npos) text += " (are you root?)";
  return text;
}

// Clears the dry-run flag again however the command ends.
class DryRun {
 public:
  explicit DryRun(nft_ctx* ctx) : ctx_(ctx) { nft_ctx_set_dry_run(ctx_, true); }
  ~DryRun() { nft_ctx_set_dry_run(ctx_, false); }
  DryRun(const DryRun&) = delete;
  DryRun& operator=(const DryRun&) = delete;

 private:
  nft_ctx* ctx_;
};

}  // namespace

std::string Nftables::run(const std::string& commands) {
  const RunResult r = run_commands(ctx_.get(), commands);
  if (r.rc != 0) throw FirewallError("nftables: " + nft_message(r));
  return r.output;
}

void Nftables::apply(const FirewallState& state) {
  const std::string transaction = render_transaction(state);
  const RunResult r = run_commands(ctx_.get(), transaction);
  if (r.rc != 0) {
    throw FirewallError("cannot apply nftables table " + std::string(kTable) + ": " +
                        nft_message(r));
  }
  applied_ = true;
  applied_listing_.clear();
  auto listing = kernel_table();
  if (!listing) {
    throw FirewallError("nftables table " + std::string(kTable) +
                        " disappeared right after it was applied");
  }
  applied_listing_ = std::move(*listing);
}

void Nftables::check(const FirewallState& state) {
  const std::string transaction = render_transaction(state);
  DryRun dry_run(ctx_.get());
  const RunResult r = run_commands(ctx_.get(), transaction);
  if (r.rc != 0) {
    throw FirewallError("nftables refuses table " + std::string(kTable) + ": " + nft_message(r));
  }
}

void Nftables::remove() {
  // Creating the table first makes the delete succeed whether or not it
  // existed, in one transaction.
  const std::string table = "table " + std::string(kTable) + "\n";
  const RunResult r = run_commands(ctx_.get(), table + "delete " + table);
  if (r.rc != 0) {
    throw FirewallError("cannot remove nftables table " + std::string(kTable) + ": " +
                        nft_message(r));
  }
  applied_ = false;
  applied_listing_.clear();
}

std::optional<std::string> Nftables::kernel_table() {
  const RunResult r = run_commands(ctx_.get(), "list table " + std::string(kTable) + "\n");
  if (r.rc == 0) return r.output;
  // ENOENT is how nft reports a missing table.
  if (r.error.find(std::strerror(ENOENT)) != std::string::npos) return std::nullopt;
  throw FirewallError("cannot list nftables table " + std::string(kTable) + ": " + nft_message(r));
}

bool Nftables::in_sync() {
  const auto listing = kernel_table();
  if (!applied_) return !listing.has_value();
  return listing.has_value() && *listing == applied_listing_;
}

std::string Nftables::list_json(const std::string& what) {
  const unsigned flags = nft_ctx_output_get_flags(ctx_.get());
  nft_ctx_output_set_flags(ctx_.get(), flags | NFT_CTX_OUTPUT_JSON);
  const RunResult r = run_commands(ctx_.get(), "list " + what + "\n");
  nft_ctx_output_set_flags(ctx_.get(), flags);
  if (r.rc == 0) return r.output.empty() ? std::string(R"({"nftables": []})") : r.output;
  // A table deleted since its chains were listed.
  if (r.error.find(std::strerror(ENOENT)) != std::string::npos) return R"({"nftables": []})";
  throw FirewallError("cannot list nftables " + what + ": " + nft_message(r));
}

const std::string& Nftables::applied_listing() const { return applied_listing_; }

bool Nftables::enable_ipv4_forwarding() {
  if (ipv4_forwarding()) return false;
  set_ipv4_forwarding(true);
  return true;
}

bool ipv4_forwarding() {
  const int fd = ::open(kIpForwardPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw FirewallError(std::string("cannot read ") + kIpForwardPath + ": " + errno_text(err));
  }
  std::array<char, 16> buf{};
  ssize_t n = 0;
  do {
    n = ::read(fd, buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    throw FirewallError(std::string("cannot read ") + kIpForwardPath + ": " + errno_text(err));
  }
  if (n >= 1 && (buf[0] == '0' || buf[0] == '1')) return buf[0] == '1';
  throw FirewallError(std::string(kIpForwardPath) + " holds neither 0 nor 1");
}

void set_ipv4_forwarding(bool on) {
  const std::string action = on ? "enable" : "disable";
  const int fd = ::open(kIpForwardPath, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw FirewallError("cannot " + action + " IPv4 forwarding (" + kIpForwardPath +
                        "): " + errno_text(err));
  }
  const char* text = on ? "1\n" : "0\n";
  ssize_t n = 0;
  do {
    n = ::write(fd, text, 2);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (n != 2) {
    throw FirewallError("cannot " + action + " IPv4 forwarding (" + kIpForwardPath +
                        "): " + (n < 0 ? errno_text(err) : std::string("short write")));
  }
}

namespace {

constexpr const char* kIpv6ConfDir = "/proc/sys/net/ipv6/conf";

// The first line of a /proc/sys file, or nullopt when it cannot be read.
std::optional<std::string> read_proc(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

void write_proc(const std::string& path, std::string_view value, const std::string& what) {
  std::ofstream out(path);
  if (out) out << value << '\n';
  out.close();
  if (!out) throw FirewallError("cannot " + what + " (" + path + "): " + errno_text(errno));
}

}  // namespace

bool ipv6_forwarding() {
  const std::string path = std::string(kIpv6ConfDir) + "/all/forwarding";
  const auto text = read_proc(path);
  if (!text) throw FirewallError("cannot read " + path + ": " + errno_text(errno));
  return *text == "1";
}

bool Nftables::enable_ipv6_forwarding() {
  if (ipv6_forwarding()) return false;
  // With forwarding on, the kernel ignores router advertisements on links
  // with accept_ra = 1; 2 keeps the host's own SLAAC addresses and routes.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kIpv6ConfDir, ec)) {
    const std::string name = entry.path().filename();
    if (name == "all" || name == "default" || name == "lo") continue;
    const std::string path = entry.path().string() + "/accept_ra";
    if (read_proc(path) == "1") write_proc(path, "2", "keep accepting router advertisements");
  }
  write_proc(std::string(kIpv6ConfDir) + "/all/forwarding", "1", "enable IPv6 forwarding");
  return true;
}

}  // namespace berth::bridge
