// berthctl: the command line of berthd's control API.
#include <iostream>

#include "cli/app.hpp"

int main(int argc, char** argv) { return berth::cli::run(argc, argv, std::cout, std::cerr); }
