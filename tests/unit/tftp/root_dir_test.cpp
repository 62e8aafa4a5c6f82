// The root directory: names and links that lead out are refused.
#include "tftp/root_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace berth::tftp {
namespace {

namespace fs = std::filesystem;

class RootDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base = fs::temp_directory_path() / ("berth-tftp-" + std::to_string(::getpid()));
    fs::remove_all(base);
    fs::create_directories(base / "root" / "sub");
    std::ofstream(base / "root" / "boot.bin") << "0123456789";
    std::ofstream(base / "root" / "sub" / "x.cfg") << "cfg";
    std::ofstream(base / "secret") << "secret";
    fs::create_symlink("../secret", base / "root" / "out");
    fs::create_symlink(base / "secret", base / "root" / "abs");
    fs::create_symlink("sub/x.cfg", base / "root" / "in");
  }
  void TearDown() override { fs::remove_all(base); }

  std::string read_all(std::string_view name) {
    RootDir root((base / "root").string());
    auto opened = root.open(name);
    auto* f = std::get_if<OpenFile>(&opened);
    if (f == nullptr) return "<refused " + std::string(std::get<OpenRefusal>(opened).reason) + ">";
    Bytes buf(64);
    auto n = f->source->read(buf);
    return std::string(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n.value_or(0)));
  }

  fs::path base;
};

TEST(TftpNames, Problems) {
  EXPECT_FALSE(name_problem("pxelinux.0"));
  EXPECT_FALSE(name_problem("efi/grubx64.efi"));
  EXPECT_FALSE(name_problem("a..b"));
  EXPECT_TRUE(name_problem(""));
  EXPECT_TRUE(name_problem("/etc/passwd"));
  EXPECT_TRUE(name_problem(".."));
  EXPECT_TRUE(name_problem("../secret"));
  EXPECT_TRUE(name_problem("sub/../../secret"));
  EXPECT_TRUE(name_problem("sub/.."));
  EXPECT_TRUE(name_problem("a\nb"));
  EXPECT_TRUE(name_problem(std::string(256, 'a')));
}

TEST_F(RootDirTest, ServesFilesBelowTheRoot) {
  EXPECT_EQ(read_all("boot.bin"), "0123456789");
  EXPECT_EQ(read_all("sub/x.cfg"), "cfg");
  EXPECT_EQ(read_all("./sub//x.cfg"), "cfg");
  EXPECT_EQ(read_all("in"), "cfg");  // a link that stays inside
  RootDir root((base / "root").string());
  auto opened = root.open("boot.bin");
  ASSERT_TRUE(std::holds_alternative<OpenFile>(opened));
  EXPECT_EQ(std::get<OpenFile>(opened).size, 10u);
}

TEST_F(RootDirTest, RefusesWhatLeadsOut) {
  EXPECT_EQ(read_all("../secret"), "<refused bad_name>");
  EXPECT_EQ(read_all("/etc/passwd"), "<refused bad_name>");
  EXPECT_EQ(read_all("out"), "<refused outside_root>");
  EXPECT_EQ(read_all("abs"), "<refused outside_root>");
  EXPECT_EQ(read_all("missing"), "<refused not_found>");
  EXPECT_EQ(read_all("sub"), "<refused not_regular>");
}

TEST(TftpRoot, MissingRootThrowsWithThePath) {
  try {
    RootDir root("/nonexistent/berth-tftp");
    FAIL() << "opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/berth-tftp"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::tftp
