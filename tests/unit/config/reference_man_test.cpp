// config_reference_man(): berth.toml(5) describes every key of every schema
// table, and is roff that a formatter reads literally.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace berth::config {
namespace {

struct KeyEntry {
  std::string header;
  std::string key;
};

template <class D>
void add_keys(std::vector<KeyEntry>& out, const schema::Section<D>& section) {
  for (const auto& row : section.rows) {
    out.push_back({std::string(section.header), std::string(row.key)});
  }
}

std::vector<KeyEntry> every_schema_key() {
  std::vector<KeyEntry> keys;
  add_keys(keys, schema::daemon_section());
  add_keys(keys, schema::bridge_section());
  add_keys(keys, schema::reservation_section());
  add_keys(keys, schema::forward_section());
  add_keys(keys, schema::dns_section());
  add_keys(keys, schema::dns_server_section());
  add_keys(keys, schema::dns_host_section());
  add_keys(keys, schema::dns_cname_section());
  add_keys(keys, schema::dns_srv_section());
  add_keys(keys, schema::dns_txt_section());
  add_keys(keys, schema::firewall_section());
  return keys;
}

// The part of the page under `.SS "HEADER"`, up to the next section.
std::string section_text(const std::string& page, const std::string& header) {
  const std::string start = ".SS \"" + header + "\"\n";
  const size_t begin = page.find(start);
  if (begin == std::string::npos) return {};
  size_t end = page.find("\n.S", begin + start.size());
  if (end == std::string::npos) end = page.size();
  return page.substr(begin, end - begin);
}

TEST(ConfigReferenceMan, EveryKeyIsATaggedParagraphOfItsSection) {
  const std::string page = config_reference_man("1.2.3");
  const auto keys = every_schema_key();
  ASSERT_GT(keys.size(), 40u);
  for (const auto& [header, key] : keys) {
    const std::string section = section_text(page, header);
    ASSERT_FALSE(section.empty()) << header;
    EXPECT_NE(section.find(".TP\n\\fB" + key + "\\fR ("), std::string::npos)
        << header << " " << key;
  }
}

TEST(ConfigReferenceMan, HeaderAndFooter) {
  const std::string page = config_reference_man("1.2.3");
  EXPECT_NE(page.find(".TH BERTH.TOML 5 \"2026\" \"berth 1.2.3\" \"File Formats\"\n"),
            std::string::npos);
  EXPECT_NE(page.find(".SH NAME\nberth.toml \\- "), std::string::npos);
  EXPECT_NE(page.find(".BR berthctl (8)"), std::string::npos);
  // The example is the built-in defaults, as the file would be written.
  EXPECT_NE(page.find("name = \"berth0\"\n"), std::string::npos);
}

TEST(ConfigReferenceMan, PlainAsciiAndNoStrayControlLines) {
  const std::string page = config_reference_man("0.1.0");
  size_t begin = 0;
  while (begin < page.size()) {
    size_t end = page.find('\n', begin);
    ASSERT_NE(end, std::string::npos) << "the page ends with a newline";
    const std::string line = page.substr(begin, end - begin);
    for (char c : line) {
      EXPECT_LT(static_cast<unsigned char>(c), 0x80u) << line;
    }
    // Every control line is one of the man macros the renderer writes; a
    // text line that happened to start with '.' or '\'' would be eaten.
    if (!line.empty() && (line.front() == '.' || line.front() == '\'')) {
      const std::string name = line.substr(0, line.find(' '));
      EXPECT_TRUE(name == ".TH" || name == ".SH" || name == ".SS" || name == ".TP" ||
                  name == ".PP" || name == ".EX" || name == ".EE" || name == ".B" ||
                  name == ".BR" || name == ".I" || name == ".IR" || name == ".\\\"")
          << line;
    }
    EXPECT_FALSE(line.empty()) << "an empty line is a paragraph break in roff";
    begin = end + 1;
  }
}

TEST(ConfigReferenceMan, CodeIsBoldAndMinusIsEscaped) {
  const std::string page = config_reference_man("0.1.0");
  // [firewall] enabled's doc names `inet berth`.
  EXPECT_NE(page.find("\\fBinet berth\\fR"), std::string::npos);
  EXPECT_EQ(page.find('`'), std::string::npos);
  EXPECT_NE(page.find("\\-\\-config"), std::string::npos);
}

}  // namespace
}  // namespace berth::config
