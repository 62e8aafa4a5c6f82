// [daemon] and [firewall]: the single tables of berthd-wide settings, read
// key by key with no cross-key checks.
#include "config/schema.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "config/values.hpp"

namespace berth::config::schema {
namespace {

// ---- [daemon] ---------------------------------------------------------------

void apply_database(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty()) v.fail("database path is empty");
  if (path.find('\0') != std::string::npos) v.fail("database path contains a NUL byte");
  d.value.database = path;
}

constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};

void apply_log_level(const Value& v, DaemonDraft& d) {
  const std::string& level = v.string();
  if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end()) {
    v.fail("log level " + quoted(level) + " is not one of trace, debug, info, warn, error");
  }
  d.value.log_level = level;
}

void apply_durability(const Value& v, DaemonDraft& d) {
  const std::string& mode = v.string();
  if (mode == "fsync") {
    d.value.durability = Durability::fsync;
  } else if (mode == "process") {
    d.value.durability = Durability::process;
  } else {
    v.fail("durability " + quoted(mode) + " is not one of fsync, process");
  }
}

void apply_commit_interval(const Value& v, DaemonDraft& d) {
  const int64_t ms = v.integer();
  if (ms < 0 || ms > 100) v.fail("commit_interval_ms " + std::to_string(ms) + " is not 0 to 100");
  d.value.commit_interval_us = static_cast<uint32_t>(ms * 1000);
}

void apply_control_socket(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty() || path.front() != '/') v.fail("control_socket must be an absolute path");
  if (path.size() >= 108) v.fail("control_socket is longer than 107 bytes (sun_path)");
  d.value.control_socket = path;
}

void apply_control_group(const Value& v, DaemonDraft& d) {
  const std::string& group = v.string();
  if (group.find_first_of(" :/\n") != std::string::npos) {
    v.fail("control_group " + quoted(group) + " is not a group name or number");
  }
  d.value.control_group = group;
}

void apply_user(const Value& v, DaemonDraft& d) {
  const std::string& user = v.string();
  if (user.find_first_of(" :/\n") != std::string::npos || user.find('\0') != std::string::npos) {
    v.fail("user " + quoted(user) + " is not a user name or number");
  }
  d.value.user = user;
}

void apply_resolved(const Value& v, DaemonDraft& d) { d.value.resolved = v.boolean(); }

// Checked when the file is read, not when the first lease changes: a typo
// in the path is a config error, not a warning in the log hours later.
void apply_lease_script(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty()) {
    d.value.lease_script.clear();
    return;
  }
  if (path.front() != '/') v.fail("lease_script must be an absolute path (no PATH search)");
  if (path.find('\0') != std::string::npos) v.fail("lease_script contains a NUL byte");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    v.fail("lease_script " + quoted(path) + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) v.fail("lease_script " + quoted(path) + " is not a regular file");
  if (::access(path.c_str(), X_OK) != 0) {
    v.fail("lease_script " + quoted(path) + " is not executable: " + std::strerror(errno));
  }
  d.value.lease_script = path;
}

// Only the form is checked: the directory may be made later (LXD makes a
// network's directory when it starts the network), and a write that fails
// is logged by berthd, which keeps serving.
void apply_lease_file(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty()) {
    d.value.lease_file.clear();
    return;
  }
  if (path.front() != '/') v.fail("lease_file must be an absolute path");
  if (path.find('\0') != std::string::npos) v.fail("lease_file contains a NUL byte");
  if (path.back() == '/') v.fail("lease_file " + quoted(path) + " names a directory, not a file");
  d.value.lease_file = path;
}

void apply_lease_script_timeout(const Value& v, DaemonDraft& d) {
  uint64_t seconds = 0;
  if (v.node().is_integer()) {
    const int64_t n = v.integer();
    if (n < 0) v.fail("lease_script_timeout " + std::to_string(n) + " is negative");
    seconds = static_cast<uint64_t>(n);
  } else if (v.node().is_string()) {
    const std::string& text = v.string();
    auto parsed = parse_lease_time(text);
    if (!parsed || text == "infinite") {
      v.fail("lease_script_timeout " + quoted(text) +
             " is not a number of seconds with an optional unit s, m or h");
    }
    seconds = *parsed;
  } else {
    v.wrong_type();
  }
  if (seconds < 1 || seconds > 3600) {
    v.fail("lease_script_timeout of " + std::to_string(seconds) +
           " seconds is not between 1 and 3600");
  }
  d.value.lease_script_timeout = static_cast<uint32_t>(seconds);
}

void apply_lease_script_renewals(const Value& v, DaemonDraft& d) {
  d.value.lease_script_renewals = v.boolean();
}

void apply_events_max_age(const Value& v, DaemonDraft& d) {
  if (v.node().is_integer()) {
    const int64_t n = v.integer();
    if (n < 0 || n > int64_t{100} * 365 * 86400) {
      v.fail("events_max_age " + std::to_string(n) + " is not between 0 and 100 years");
    }
    d.value.events_max_age = n;
    return;
  }
  if (!v.node().is_string()) v.wrong_type();
  const std::string& text = v.string();
  auto parsed = text == "infinite" ? std::nullopt : parse_lease_time(text);
  if (!parsed) {
    v.fail("events_max_age " + quoted(text) +
           " is not a number of seconds with an optional unit s, m, h or d");
  }
  if (*parsed > 100ULL * 365 * 86400)
    v.fail("events_max_age " + quoted(text) + " is over 100 years");
  d.value.events_max_age = static_cast<int64_t>(*parsed);
}

void apply_events_max_count(const Value& v, DaemonDraft& d) {
  const int64_t n = v.integer();
  if (n < 0) v.fail("events_max_count " + std::to_string(n) + " is negative");
  d.value.events_max_count = n;
}

constexpr std::array<KeyRow<DaemonDraft>, 14> kDaemonRows = {{
    {"database", "string", "`\"/var/lib/berth/berth.db\"`", false, false,
     "SQLite file holding leases and reservations; its directory is created if missing.",
     apply_database},
    {"log_level", "one of \"trace\", \"debug\", \"info\", \"warn\", \"error\"", "`\"info\"`", false,
     true, "Least severe message that is logged.", apply_log_level},
    {"durability", "one of \"fsync\", \"process\"", "`\"fsync\"`", false, false,
     "\"fsync\": an acknowledged lease survives a host crash (SQLite synchronous=FULL). "
     "\"process\": it survives a crash of berthd but not of the host (synchronous=NORMAL), "
     "for more leases per second.",
     apply_durability},
    {"commit_interval_ms", "integer", "`5`", false, true,
     "Group commit: under load, lease transactions start at least this many milliseconds "
     "apart, so the leases acknowledged meanwhile share one transaction (one fsync) rather "
     "than each paying for its own; a DHCPACK may wait up to this long. A lease after an "
     "idle spell is committed at once. 0: commit as soon as the previous commit ends. 0 to "
     "100.",
     apply_commit_interval},
    {"control_socket", "string", "`\"/run/berth/berthd.sock\"`", false, false,
     "Unix socket of the control API (berthctl); created with mode 0660.", apply_control_socket},
    {"control_group", "string", "`\"\"`", false, false,
     "Group (name or number) that owns the control socket, so its members may use berthctl "
     "without root. Empty: root's group.",
     apply_control_group},
    {"user", "string", "`\"\"`", false, false,
     "When started as root, berthd switches to this user (name or number) and its primary "
     "group once the database, sockets and control socket are open, keeping only "
     "CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE; the database directory and control "
     "socket are given to it. Empty: berthd keeps the identity it was started with.",
     apply_user},
    {"resolved", "boolean", "`true`", false, false,
     "Register each bridge's address as the DNS server of its domain and reverse zone with "
     "systemd-resolved (over D-Bus), so the host resolves container names; a no-op when "
     "resolved is not running.",
     apply_resolved},
    {"lease_script", "string", "`\"\"`", false, false,
     "Absolute path of a program run on every DHCPv4 and DHCPv6 lease change with dnsmasq's "
     "--dhcp-script arguments (`add`, `old` or `del`, MAC (DHCPv6: DUID), IP, hostname if "
     "any) and DNSMASQ_* "
     "environment, so scripts written for dnsmasq (libvirt's leaseshelper) work unchanged. "
     "One call at a time, in order, on a thread of its own: DHCP never waits for it. It runs "
     "as [daemon] user, stdin on /dev/null, stdout and stderr into berthd's log. It must "
     "exist and be executable when the config is read. Empty: no script.",
     apply_lease_script},
    {"lease_script_timeout", "integer or string", "`10`", false, false,
     "Seconds (or \"30s\", \"2m\") a lease_script call may run; then its process group is "
     "killed, the kill is logged, and the next call runs. 1 to 3600.",
     apply_lease_script_timeout},
    {"lease_script_renewals", "boolean", "`true`", false, false,
     "Call lease_script with `old` also when a renewal only moved the lease's expiry "
     "(dnsmasq's --script-on-renewal), so a script that keeps expiry times (libvirt's "
     "leaseshelper) stays current. False: `old` only when the MAC or hostname changed.",
     apply_lease_script_renewals},
    {"lease_file", "string", "`\"\"`", false, true,
     "Absolute path of a file berthd keeps in dnsmasq's lease file format "
     "(--dhcp-leasefile), for programs that read dnsmasq's file (`incus network "
     "list-leases`): one line `EXPIRY MAC IP HOSTNAME CLIENT-ID` per bound DHCPv4 lease of "
     "every bridge, newest first; when DHCPv6 is served, then `duid SERVER-DUID` and one line "
     "`EXPIRY IAID IPV6 HOSTNAME CLIENT-DUID` per bound DHCPv6 address. Rewritten whole "
     "(a new file renamed over it, mode 0644, owned by [daemon] user) at start, at most "
     "about 100 ms after lease changes, expiries and a reload; never in the DHCP reply path. "
     "Read only by others: berthd keeps its leases in the database. Empty: no file.",
     apply_lease_file},
    {"events_max_age", "integer or string", "`\"24h\"`", false, true,
     "How long the events of GET /v1/events (`berthctl events`) are kept: seconds, or a "
     "number with a unit s, m, h or d. 0: no age limit. Pruned once a minute, off the DHCP "
     "path.",
     apply_events_max_age},
    {"events_max_count", "integer", "`100000`", false, true,
     "Most events kept; the oldest go first. 0: no count limit.", apply_events_max_count},
}};

const Section<DaemonDraft> kDaemonSection = {
    "daemon",    "[daemon]",
    false,       "Settings of berthd itself. The whole table is optional; every key has a default.",
    kDaemonRows, nullptr};

// ---- [firewall] -------------------------------------------------------------

void apply_fw_enabled(const Value& v, FirewallDraft& d) { d.value.enabled = v.boolean(); }
void apply_fw_keep_rules(const Value& v, FirewallDraft& d) { d.value.keep_rules = v.boolean(); }
void apply_fw_foreign(const Value& v, FirewallDraft& d) { d.value.foreign = v.boolean(); }

constexpr std::array<KeyRow<FirewallDraft>, 3> kFirewallRows = {{
    {"enabled", "boolean", "`true`", false, true,
     "Keep the nftables table `inet berth`: accept DHCP and DNS from each bridge, forward its "
     "traffic, NAT, port forwards and isolation between bridges. When false berthd writes no "
     "rules, and `nat` and [[bridge.forward]] are refused.",
     apply_fw_enabled},
    {"keep_rules", "boolean", "`false`", false, true,
     "Leave the table in place when berthd stops, so clients keep their NAT and forwards "
     "meanwhile; otherwise it is removed, with berth's rules in other tables.",
     apply_fw_keep_rules},
    {"foreign", "boolean", "`true`", false, true,
     "An accept in `inet berth` cannot overrule a drop in another table. When another "
     "table has a forward chain with policy drop (Docker's `ip filter FORWARD`; `ip6` ones only "
     "for bridges with IPv6), berthd adds `iifname \"<bridge>\" accept` and an accept for "
     "replies to the bridge, commented \"berth\", to DOCKER-USER when that chain jumps there, "
     "else at the top of the chain, in forms iptables-nft lists. False: such chains are only "
     "reported (`berthctl firewall show`, the log) and nothing outside `inet berth` is touched.",
     apply_fw_foreign},
}};

const Section<FirewallDraft> kFirewallSection = {
    "firewall",
    "[firewall]",
    false,
    "Rules in the nftables table `inet berth`, which berthd owns and replaces whole in one "
    "transaction. Outside it berthd only reads other tables' forward chains and, with "
    "`foreign`, adds and deletes its own accept rules there. The whole table is optional.",
    kFirewallRows,
    nullptr};

}  // namespace

const Section<DaemonDraft>& daemon_section() { return kDaemonSection; }
const Section<FirewallDraft>& firewall_section() { return kFirewallSection; }

}  // namespace berth::config::schema
