// dnsmasq's command line and conf-file syntax, read into a flat list of
// settings in the order dnsmasq would apply them (berth-dnsmasq, issue 16).
// Pure: files are read through the injected FileReader, so the parser runs
// in tests and under the fuzzer without touching the disk.
//
// Both forms name options by dnsmasq's long names: "--dhcp-range=a,b" and
// "-F a,b" on the command line, "dhcp-range=a,b" in a conf file, all give the
// setting {"dhcp-range", "a,b"}. --conf-file and --conf-dir are followed at
// the point they appear; their settings take the place of the option.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace berth::dnsmasq_compat {

enum class ArgKind : uint8_t { none, required, optional };

// An option dnsmasq has, as far as berth-dnsmasq knows it: long name, short
// letter ('\0': none), and whether it takes a value.
struct OptionSpec {
  std::string_view name;
  char short_name = '\0';
  ArgKind arg = ArgKind::none;
};

// Every dnsmasq option berth-dnsmasq recognises (what it does with each is
// translate.cpp's business); nullptr for a name dnsmasq does not have.
const OptionSpec* find_option(std::string_view long_name);
const OptionSpec* find_short_option(char letter);

struct Setting {
  std::string name;   // long name, e.g. "dhcp-range"
  std::string value;  // as written, quotes kept; empty for flags
  bool has_value = false;
  bool known = true;   // a dnsmasq option find_option knows
  std::string origin;  // "argument 4" or "/etc/lxc/dnsmasq.conf:12"

  bool operator==(const Setting&) const = default;
};

// Bad syntax: what() reads "ORIGIN: MESSAGE".
class OptionError : public std::runtime_error {
 public:
  OptionError(const std::string& origin, const std::string& message)
      : std::runtime_error(origin + ": " + message) {}
};

// Reads a whole file (nullopt: it cannot be read) and lists a directory's
// entries, sorted by name (nullopt: not a directory or unreadable).
struct FileReader {
  std::function<std::optional<std::string>(const std::string& path)> read;
  std::function<std::optional<std::vector<std::string>>(const std::string& path)> list;
};

// dnsmasq reads this when the command line names no --conf-file.
inline constexpr std::string_view kDefaultConfFile = "/etc/dnsmasq.conf";

// The command line (argv without argv[0]). Short options may be bundled
// ("-kd") and take their value attached ("-xPATH") or as the next argument;
// long ones "--name=value" or "--name value" (required values only). A
// missing default conf file is fine; a named one that cannot be read is an
// error, as in dnsmasq. Throws OptionError on bad syntax, an unknown short
// option, a value given to a flag, or conf files nested deeper than 16.
std::vector<Setting> parse_command_line(std::span<const std::string> args, const FileReader& files,
                                        std::string_view default_conf = kDefaultConfFile);

// One conf file's text: "name=value" or "name" per line; blank lines and
// lines starting with '#' are skipped, and so is a '#' comment after a
// blank outside quotes. Nested conf-file/conf-dir lines are followed.
std::vector<Setting> parse_conf_text(std::string_view text, const std::string& source,
                                     const FileReader& files);

// "a,b , c" -> {"a", "b", "c"}: dnsmasq's comma lists, blanks trimmed, a
// comma inside double quotes kept.
std::vector<std::string> split_commas(std::string_view value);

// A value without the surrounding double quotes, if it had them.
std::string unquote(std::string_view value);

}  // namespace berth::dnsmasq_compat
