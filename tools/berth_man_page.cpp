// Build-time generator of berth.toml(5): writes config_reference_man() to
// the file named on the command line, so the installed manual page is made
// from the schema berthd was built with.
//   berth_man_page VERSION OUTPUT
#include <fstream>
#include <iostream>
#include <string>

#include "config/config.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: berth_man_page VERSION OUTPUT\n";
    return 2;
  }
  const std::string page = berth::config::config_reference_man(argv[1]);
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << page;
  out.close();
  if (!out) {
    std::cerr << "berth_man_page: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
