// [daemon] lease_file: berthd keeps a file in dnsmasq's --dhcp-leasefile
// format (leases/dnsmasq_lease_file.hpp) for programs that read dnsmasq's
// file, such as `incus network list-leases`. The database stays the only
// record berthd reads; this file is written, never read.
//
// When: once at start-up (before the privilege drop, so the file exists to
// be given to [daemon] user), then about 100 ms after any committed lease
// change (DHCPv4, DHCPv6, a lease forgotten through the API), an expiry the
// tick noticed, or a reload. A burst of changes is one write: the first
// arms the timer, the others find it armed. Nothing here runs in the DHCP
// reply path: on_committed only arms the timer.
//
// How: the text goes to NAME.tmp in the same directory, which is renamed
// over NAME, so a reader sees the old file or the new one, never half of
// one. When the directory is not berthd's to write (a root-owned LXD
// network directory, berthd running as [daemon] user), the file itself is
// rewritten in place instead, as dnsmasq does. Mode 0644.
//
// Leases come from the in-memory tables, bound ones only, newest first
// (updated_at descending, then bridge and address); DHCPv6 ones, after the
// server's DUID, only while a bridge serves DHCPv6. A write that fails is
// logged once (and once more when writing works again), counted in
// berth_lease_file_writes_total{result="failed"} and retried 10 s later.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "leases/dnsmasq_lease_file.hpp"
#include "server/daemon.hpp"
#include "server/privileges.hpp"

namespace berth::server {

namespace {

constexpr auto kCoalesce = std::chrono::milliseconds(100);
constexpr auto kRetry = std::chrono::seconds(10);
constexpr mode_t kMode = 0644;

// What failed: the step ("open", "rename") and its errno; code 0: nothing.
struct FileError {
  int code = 0;
  const char* step = "";
  std::string text() const { return std::string(step) + ": " + std::strerror(code); }
};

// Writes all of `text` to a new or truncated `path`, mode 0644.
FileError write_whole(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, kMode);
  if (fd < 0) return {errno, "open"};
  FileError error;
  if (::fchmod(fd, kMode) != 0) error = {errno, "chmod"};  // the umask may have taken bits
  size_t done = 0;
  while (error.code == 0 && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno != EINTR) error = {errno, "write"};
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && error.code == 0) error = {errno, "close"};
  return error;
}

// The new text replaces `path` whole (a temporary file renamed over it),
// else, when the directory refuses new files, `path` is rewritten in place.
FileError replace_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  FileError error = write_whole(tmp, text);
  if (error.code == 0) {
    if (::rename(tmp.c_str(), path.c_str()) == 0) return {};
    error = {errno, "rename"};
  }
  if (std::strcmp(error.step, "open") != 0) {
    ::unlink(tmp.c_str());
    return error;
  }
  if (error.code == EACCES || error.code == EPERM || error.code == EROFS) {
    // The directory is not ours; the file may be (given to [daemon] user).
    if (write_whole(path, text).code == 0) return {};
  }
  return error;
}

}  // namespace

void Daemon::start_lease_file() {
  if (config_.daemon.lease_file.empty()) return;
  spdlog::info("lease_file {} (dnsmasq's format)", config_.daemon.lease_file);
  write_lease_file();
}

void Daemon::lease_file_changed() {
  if (config_.daemon.lease_file.empty() || lease_file_.pending) return;
  lease_file_.pending = true;
  lease_file_.timer.expires_after(kCoalesce);
  lease_file_.timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    lease_file_.pending = false;
    write_lease_file();
  });
}

void Daemon::flush_lease_file() {
  if (!lease_file_.pending) return;
  lease_file_.timer.cancel();
  lease_file_.pending = false;
  write_lease_file();
}

void Daemon::lease_file_reloaded(const std::string& before) {
  if (config_.daemon.lease_file != before) {
    // The old file stays: another program may still read it.
    if (!config_.daemon.lease_file.empty()) {
      spdlog::info("lease_file {} (was {})", config_.daemon.lease_file,
                   before.empty() ? std::string("none") : before);
    }
    lease_file_.failing = false;  // a failure of the new path is logged anew
  }
  // Bridges and reservations may have changed; a retry waits no longer.
  lease_file_.timer.cancel();
  lease_file_.pending = false;
  lease_file_changed();
}

void Daemon::write_lease_file() {
  const std::string& path = config_.daemon.lease_file;
  if (path.empty()) return;
  std::vector<leases::Lease> all;
  bool dhcp6 = false;
  for (const BridgeLink& link : bridges_) {
    if (dhcp4_->engine().active(link.index)) {
      for (leases::Lease& l : dhcp4_->engine().table(link.index).leases()) {
        all.push_back(std::move(l));
      }
    }
    if (auto index6 = dhcp6_->engine_index(link.index)) {
      dhcp6 = true;
      for (leases::Lease& l : dhcp6_->engine().table(*index6).leases()) {
        all.push_back(std::move(l));
      }
    }
  }
  leases::sort_newest_first(all);
  const Bytes no_duid;
  const std::string text = leases::format_dnsmasq_leases(
      all, dhcp6 ? dhcp6_->engine().server_duid() : no_duid, unix_now());
  const FileError error = replace_file(path, text);
  if (error.code == 0) {
    ++lease_file_.written;
    if (lease_file_.failing) spdlog::info("lease_file {} written again", path);
    lease_file_.failing = false;
    return;
  }
  ++lease_file_.failed;
  if (!lease_file_.failing) {
    spdlog::error("lease_file {} not written ({}); retrying every {} s, logged once", path,
                  error.text(), kRetry.count());
  }
  lease_file_.failing = true;
  lease_file_.pending = true;
  lease_file_.timer.expires_after(kRetry);
  lease_file_.timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    lease_file_.pending = false;
    write_lease_file();
  });
}

void Daemon::lease_file_ownership(std::vector<std::filesystem::path>& files,
                                  std::vector<std::filesystem::path>& dirs) const {
  if (config_.daemon.lease_file.empty()) return;
  const std::filesystem::path file(config_.daemon.lease_file);
  files.push_back(file);
  // Its own directory (nothing but the file and its .tmp) goes with it, so
  // the file can still be replaced whole; in a shared one (LXD's network
  // directory) the file is rewritten in place.
  const std::filesystem::path dir = file.parent_path();
  if (!dir.empty() && dir != dir.root_path() && holds_only(dir, file.filename().string())) {
    dirs.push_back(dir);
  }
}

void Daemon::lease_file_metrics(std::string& out) const {
  if (config_.daemon.lease_file.empty()) return;
  out +=
      "# HELP berth_lease_file_writes_total Rewrites of [daemon] lease_file, by outcome.\n"
      "# TYPE berth_lease_file_writes_total counter\n";
  out += fmt::format("berth_lease_file_writes_total{{result=\"ok\"}} {}\n", lease_file_.written);
  out += fmt::format("berth_lease_file_writes_total{{result=\"failed\"}} {}\n", lease_file_.failed);
}

}  // namespace berth::server
