// The one directory a TFTP server reads from. Names are relative to it; no
// name, `..` or symbolic link can lead out of it (openat2 RESOLVE_BENEATH,
// or component by component without following links on kernels before 5.6).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "tftp/packet.hpp"
#include "tftp/transfer.hpp"

namespace berth::tftp {

// Why a requested name is refused before the file system is asked:
// absolute, a `..` component, a NUL or control byte, longer than 255 bytes.
std::optional<std::string_view> name_problem(std::string_view name);

// An open regular file below the root.
struct OpenFile {
  std::unique_ptr<BlockSource> source;  // reads it front to back
  uint64_t size = 0;
};

// A refused open: the error to send back, and a word for the counters.
struct OpenRefusal {
  ErrorCode code = ErrorCode::file_not_found;
  std::string_view message;
  std::string_view reason;
};

class RootDir {
 public:
  // Opens `path` (a directory). Throws std::runtime_error with a sentence.
  explicit RootDir(const std::string& path);
  ~RootDir();
  RootDir(const RootDir&) = delete;
  RootDir& operator=(const RootDir&) = delete;

  std::variant<OpenFile, OpenRefusal> open(std::string_view name) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace berth::tftp
