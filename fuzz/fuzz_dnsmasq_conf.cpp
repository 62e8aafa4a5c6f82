// libFuzzer target: berth-dnsmasq's readers (dnsmasq_compat). The input is
// up to three texts split by NUL bytes: a dnsmasq conf file, a dhcp-hosts
// file and an addn-hosts file, read through --conf-file, --dhcp-hostsfile
// and --addn-hosts beside a fixed interface. Whatever they hold, reading and
// translating must end in a Translation or an OptionError/TranslateError
// (never another exception or a crash), and a Translation must keep its
// promises: the interface served, its pool inside its subnet, every notice
// naming its option, and a config parse_config accepts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dnsmasq_compat/options.hpp"
#include "dnsmasq_compat/translate.hpp"

namespace {

namespace dc = berth::dnsmasq_compat;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  while (parts.size() < 2) {
    const size_t nul = in.find('\0');
    if (nul == std::string_view::npos) break;
    parts.emplace_back(in.substr(0, nul));
    in.remove_prefix(nul + 1);
  }
  parts.emplace_back(in);
  parts.resize(3);

  const dc::FileReader files{
      .read = [&](const std::string& p) -> std::optional<std::string> {
        if (p == "/in.conf") return parts[0];
        if (p == "/hosts") return parts[1];
        if (p == "/addn") return parts[2];
        return std::nullopt;
      },
      .list = [](const std::string&) -> std::optional<std::vector<std::string>> {
        return std::nullopt;
      },
  };
  dc::HostInterfaces host;
  host["bt0"].ipv4.push_back(*berth::Ipv4Prefix::parse("198.18.0.1/24"));
  host["bt0"].ipv6.push_back(*berth::Ipv6Prefix::parse("fd00:0:0:1::1/64"));
  const std::vector<std::string> args = {"--interface=bt0", "--conf-file=/in.conf",
                                         "--dhcp-hostsfile=/hosts", "--addn-hosts=/addn",
                                         "--no-hosts"};
  std::vector<dc::Setting> settings;
  try {
    settings = dc::parse_command_line(args, files, "");
  } catch (const dc::OptionError&) {
    return 0;
  }
  for (const dc::Setting& s : settings) check(!s.name.empty() && !s.origin.empty());
  try {
    const dc::Translation t = dc::translate(settings, host, files);
    check(!t.config.bridges.empty());
    for (const auto& b : t.config.bridges) {
      check(b.address.contains(b.pool_start) && b.address.contains(b.pool_end));
      check(b.pool_start <= b.pool_end);
      check(!b.create);
    }
    check(t.config.bridges.front().name == "bt0" || t.config.bridges.size() > 1);
    for (const dc::Notice& n : t.notices) check(!n.option.empty() && !n.message.empty());
    // What berth-dnsmasq hands the daemon reads back as a config file would.
    (void)berth::config::parse_config(berth::config::to_toml(t.config), "fuzz");
  } catch (const dc::TranslateError& e) {
    check(!e.option().empty());
  }
  return 0;
}
