// berthctl: the command line of the control API, plus offline commands
// (config check). main() is run(); tests call it with their own streams.
#pragma once

#include <ostream>

namespace berth::cli {

inline constexpr int kExitOk = 0;
// berthd refused the request (its sentence is printed), could not be
// reached, or answered something berthctl cannot read.
inline constexpr int kExitRefused = 1;
// Bad command line, or a bad file given on it (config check, import).
inline constexpr int kExitUsage = 2;

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace berth::cli
