#include "tftp/root_dir.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace berth::tftp {

namespace {

class FdSource : public BlockSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  ~FdSource() override { ::close(fd_); }
  FdSource(const FdSource&) = delete;
  FdSource& operator=(const FdSource&) = delete;

  std::optional<size_t> read(MutableByteView out) override {
    size_t n = 0;
    while (n < out.size()) {
      const ssize_t got = ::pread(fd_, out.data() + n, out.size() - n, static_cast<off_t>(offset_));
      if (got < 0) {
        if (errno == EINTR) continue;
        return std::nullopt;
      }
      if (got == 0) break;
      n += static_cast<size_t>(got);
      offset_ += static_cast<uint64_t>(got);
    }
    return n;
  }

 private:
  int fd_;
  uint64_t offset_ = 0;
};

// Opens `name` below `dir` without following any symbolic link: the
// fallback where openat2 is missing (Linux before 5.6).
int open_by_components(int dir, std::string_view name) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at <= name.size()) {
    const size_t slash = std::min(name.find('/', at), name.size());
    std::string part(name.substr(at, slash - at));
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    at = slash + 1;
  }
  if (parts.empty()) {
    errno = EISDIR;
    return -1;
  }
  int current = dir;
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    const int flags = last ? O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY
                           : O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
    const int next = ::openat(current, parts[i].c_str(), flags);
    const int saved = errno;
    if (current != dir) ::close(current);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    current = next;
  }
  return current;
}

int open_beneath(int dir, std::string_view name) {
  const std::string path(name);
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  // Links inside the root are followed; any that leads out, and /proc
  // magic links, fail with EXDEV or ELOOP.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof(how));
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  return open_by_components(dir, name);
}

}  // namespace

std::optional<std::string_view> name_problem(std::string_view name) {
  if (name.empty()) return "empty file name";
  if (name.size() > 255) return "file name longer than 255 bytes";
  if (name.front() == '/') return "absolute file name";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "control byte in file name";
  }
  size_t at = 0;
  while (at <= name.size()) {
    const size_t slash = std::min(name.find('/', at), name.size());
    if (name.substr(at, slash - at) == "..") return "'..' in file name";
    at = slash + 1;
  }
  return std::nullopt;
}

RootDir::RootDir(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) {
    throw std::runtime_error("tftp root " + path + ": cannot open: " + std::strerror(errno));
  }
}

RootDir::~RootDir() {
  if (fd_ >= 0) ::close(fd_);
}

std::variant<OpenFile, OpenRefusal> RootDir::open(std::string_view name) const {
  if (name_problem(name)) {
    return OpenRefusal{
        .code = ErrorCode::access_violation, .message = "access violation", .reason = "bad_name"};
  }
  const int fd = open_beneath(fd_, name);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return OpenRefusal{
          .code = ErrorCode::file_not_found, .message = "file not found", .reason = "not_found"};
    }
    return OpenRefusal{.code = ErrorCode::access_violation,
                       .message = "access violation",
                       .reason = errno == EXDEV || errno == ELOOP ? "outside_root" : "no_access"};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return OpenRefusal{.code = ErrorCode::access_violation,
                       .message = "not a regular file",
                       .reason = "not_regular"};
  }
  return OpenFile{.source = std::make_unique<FdSource>(fd),
                  .size = static_cast<uint64_t>(st.st_size)};
}

}  // namespace berth::tftp
