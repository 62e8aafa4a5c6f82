// dnsmasq's command line and conf files (dnsmasq_compat/options.hpp).
#include "dnsmasq_compat/options.hpp"

#include <gtest/gtest.h>

#include <map>

namespace berth::dnsmasq_compat {
namespace {

struct FakeFiles {
  std::map<std::string, std::string> files;
  std::map<std::string, std::vector<std::string>> dirs;
  FileReader reader() const {
    return FileReader{
        .read = [this](const std::string& p) -> std::optional<std::string> {
          auto it = files.find(p);
          if (it == files.end()) return std::nullopt;
          return it->second;
        },
        .list = [this](const std::string& p) -> std::optional<std::vector<std::string>> {
          auto it = dirs.find(p);
          if (it == dirs.end()) return std::nullopt;
          return it->second;
        },
    };
  }
};

std::vector<Setting> parse(std::vector<std::string> args, const FakeFiles& f = {}) {
  return parse_command_line(args, f.reader(), "");
}

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<Setting>& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Setting& x : s) out.emplace_back(x.name, x.value);
  return out;
}

using P = std::vector<std::pair<std::string, std::string>>;

TEST(DnsmasqOptions, LongAndShortFormsGiveTheSameSettings) {
  auto s = parse({"--dhcp-range=198.18.0.2,198.18.0.9", "--listen-address", "198.18.0.1", "-F",
                  "198.18.1.2,198.18.1.9", "-x/run/x.pid", "-kd", "-z", "--dhcp-lease", "/l"});
  EXPECT_EQ(pairs(s), (P{{"dhcp-range", "198.18.0.2,198.18.0.9"},
                         {"listen-address", "198.18.0.1"},
                         {"dhcp-range", "198.18.1.2,198.18.1.9"},
                         {"pid-file", "/run/x.pid"},
                         {"keep-in-foreground", ""},
                         {"no-daemon", ""},
                         {"bind-interfaces", ""},
                         {"dhcp-leasefile", "/l"}}));
  EXPECT_EQ(s[1].origin, "argument 2");
  EXPECT_EQ(s[2].origin, "argument 4");
  EXPECT_TRUE(s[0].has_value);
  EXPECT_FALSE(s[4].has_value);
}

TEST(DnsmasqOptions, EmptyValuesAreValues) {
  auto s = parse({"--pid-file=", "--pid-file"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].has_value);
  EXPECT_EQ(s[0].value, "");
  EXPECT_FALSE(s[1].has_value);
}

TEST(DnsmasqOptions, BadCommandLinesAreErrorsNamingTheArgument) {
  EXPECT_THROW(parse({"--bind-interfaces=yes"}), OptionError);
  EXPECT_THROW(parse({"--dhcp-range"}), OptionError);
  EXPECT_THROW(parse({"-F"}), OptionError);
  EXPECT_THROW(parse({"-%"}), OptionError);
  EXPECT_THROW(parse({"stray"}), OptionError);
  try {
    parse({"--no-ping", "--interface"});
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "argument 2: --interface needs a value");
  }
}

TEST(DnsmasqOptions, UnknownLongOptionsAreKeptAsUnknown) {
  auto s = parse({"--made-up=1", "--also-made-up"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FALSE(s[0].known);
  EXPECT_EQ(s[0].value, "1");
  EXPECT_FALSE(s[1].has_value);
}

TEST(DnsmasqOptions, ConfFilesAreReadWhereTheyAppear) {
  FakeFiles f;
  f.files["/etc/a.conf"] =
      "# comment\n"
      "\n"
      "  interface = br0  \n"
      "dhcp-range=198.18.0.2,198.18.0.9 # trailing comment\n"
      "domain=\"a#b\"\n"
      "bind-dynamic\r\n";
  auto s = parse({"--no-ping", "--conf-file=/etc/a.conf", "--no-hosts"}, f);
  EXPECT_EQ(pairs(s), (P{{"no-ping", ""},
                         {"interface", "br0"},
                         {"dhcp-range", "198.18.0.2,198.18.0.9"},
                         {"domain", "\"a#b\""},
                         {"bind-dynamic", ""},
                         {"no-hosts", ""}}));
  EXPECT_EQ(s[1].origin, "/etc/a.conf:3");
  EXPECT_EQ(s[4].origin, "/etc/a.conf:6");
}

TEST(DnsmasqOptions, DefaultConfIsReadOnlyWithoutAConfFileOption) {
  FakeFiles f;
  f.files["/etc/dnsmasq.conf"] = "no-ping\n";
  f.files["/dev/null"] = "";
  EXPECT_EQ(parse_command_line(std::vector<std::string>{"-k"}, f.reader()).size(), 2u);
  // lxc-net's --conf-file=/dev/null: nothing read, not even the default.
  EXPECT_EQ(parse_command_line(std::vector<std::string>{"-k", "--conf-file=/dev/null"}, f.reader())
                .size(),
            1u);
}

TEST(DnsmasqOptions, EmptyConfFileReadsNothingAndMissingOneIsAnError) {
  FakeFiles f;
  f.files["/etc/dnsmasq.conf"] = "no-ping\n";
  EXPECT_EQ(parse_command_line(std::vector<std::string>{"--conf-file="}, f.reader()).size(), 0u);
  try {
    parse({"--conf-file=/missing.conf"}, f);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "argument 1: conf-file /missing.conf cannot be read");
  }
}

TEST(DnsmasqOptions, BadConfLinesNameFileAndLine) {
  FakeFiles f;
  f.files["/c"] = "no-ping\nbind-dynamic=1\n";
  try {
    parse({"-C", "/c"}, f);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "/c:2: bind-dynamic takes no value");
  }
  f.files["/c"] = "=x\n";
  EXPECT_THROW(parse({"-C", "/c"}, f), OptionError);
}

TEST(DnsmasqOptions, ConfFilesIncludingThemselvesStop) {
  FakeFiles f;
  f.files["/loop"] = "conf-file=/loop\n";
  EXPECT_THROW(parse({"--conf-file=/loop"}, f), OptionError);
  // Twice per level: stopped by the count of files, not after 2^16 reads.
  f.files["/twice"] = "conf-file=/twice\nconf-file=/twice\n";
  try {
    parse({"--conf-file=/twice"}, f);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("conf files"), std::string::npos) << e.what();
  }
}

TEST(DnsmasqOptions, ConfDirSkipsHiddenBackupsAndExcludedSuffixes) {
  FakeFiles f;
  f.dirs["/d"] = {".hidden", "a.conf", "b.conf~", "#c#", "d.dpkg-old", "e.conf", "f.txt"};
  for (const char* n : {".hidden", "a.conf", "b.conf~", "#c#", "d.dpkg-old", "e.conf", "f.txt"}) {
    f.files[std::string("/d/") + n] = std::string("domain=") + n + "\n";
  }
  auto all = parse({"--conf-dir=/d,.dpkg-old"}, f);
  EXPECT_EQ(pairs(all), (P{{"domain", "a.conf"}, {"domain", "e.conf"}, {"domain", "f.txt"}}));
  f.dirs["/d/"] = f.dirs["/d"];
  auto only = parse({"--conf-dir=/d/,*.conf"}, f);
  EXPECT_EQ(pairs(only), (P{{"domain", "a.conf"}, {"domain", "e.conf"}}));
  EXPECT_THROW(parse({"--conf-dir=/nope"}, f), OptionError);
}

TEST(DnsmasqOptions, CommaListsAndQuotes) {
  EXPECT_EQ(split_commas(" a , b,\"c,d\", "), (std::vector<std::string>{"a", "b", "\"c,d\"", ""}));
  EXPECT_EQ(unquote(" \"x y\" "), "x y");
  EXPECT_EQ(unquote("\"x"), "\"x");
}

TEST(DnsmasqOptions, EveryOptionIsFoundByNameAndLetter) {
  ASSERT_NE(find_option("dhcp-range"), nullptr);
  EXPECT_EQ(find_option("dhcp-range")->short_name, 'F');
  EXPECT_EQ(find_short_option('F')->name, "dhcp-range");
  EXPECT_EQ(find_option("conf-file")->arg, ArgKind::optional);
  EXPECT_EQ(find_option("bind-dynamic")->arg, ArgKind::none);
  EXPECT_EQ(find_option("no-such-option"), nullptr);
  EXPECT_EQ(find_short_option('\0'), nullptr);
}

}  // namespace
}  // namespace berth::dnsmasq_compat
