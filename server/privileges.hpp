// Running berthd as an unprivileged user ([daemon] user). Started as root,
// berthd opens what needs root (the database, raw and port-53 sockets,
// the control socket), gives the files it owns to the user, then becomes it,
// keeping only CAP_NET_ADMIN (bridges, addresses, nftables, net sysctls),
// CAP_NET_RAW (packet and ICMPv6 sockets of bridges that come back) and
// CAP_NET_BIND_SERVICE (DNS on port 53 of a bridge added by a reload).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::server {

struct Identity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the user's primary group
};

// The user named by `user` (a name, or a number with or without a passwd
// entry). Throws std::runtime_error with a sentence when there is none.
Identity lookup_user(const std::string& user);

// True when `dir` holds nothing but files whose names start with `stem`
// (berth.db, berth.db-wal, ...): a directory berthd may give away without
// taking anything of someone else's with it.
bool holds_only(const std::filesystem::path& dir, const std::string& stem);

// Gives `paths` (files, and directories that holds_only() them) to `who`;
// Throws on failure.
void give_to(const Identity& who, const std::vector<std::filesystem::path>& files,
             const std::vector<std::filesystem::path>& dirs);

// Becomes `who` (supplementary groups: its own, from initgroups), keeping
// CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE permitted and
// effective in the calling thread, the one that does all network work;
// every other thread ends up with the user's ids and no capabilities.
// Throws with a sentence when berthd is not root or a step fails.
void become(const Identity& who);

// The capability sets berthd keeps, as /proc/PID/status prints them.
constexpr unsigned long long kKeptCapabilities = (1ull << 10) | (1ull << 12) | (1ull << 13);

}  // namespace berth::server
