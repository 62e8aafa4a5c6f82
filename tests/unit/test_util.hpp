// Helpers shared by the unit tests.
#pragma once

#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string>

#include "protocol/bytes.hpp"

namespace berth::test {

// Reads a hex dump from tests/data/<path>: pairs of hex digits, whitespace
// anywhere between bytes, lines starting with '#' ignored. Throws on a
// missing file or a stray character, so a broken data file fails the test.
inline Bytes read_hex_file(const std::string& path_relative_to_data_dir) {
  const std::string path = std::string(BERTH_TEST_DATA_DIR) + "/" + path_relative_to_data_dir;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open test data file " + path);
  Bytes out;
  std::string line;
  int high = -1;
  auto digit = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad character in hex file " + path);
  };
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] == '#') continue;
    for (char c : line) {
      if (std::isspace(static_cast<unsigned char>(c))) continue;
      const int d = digit(c);
      if (high < 0) {
        high = d;
      } else {
        out.push_back(static_cast<uint8_t>(high << 4 | d));
        high = -1;
      }
    }
  }
  if (high >= 0) throw std::runtime_error("odd number of hex digits in " + path);
  return out;
}

}  // namespace berth::test

namespace berth {
using test::read_hex_file;
}  // namespace berth
