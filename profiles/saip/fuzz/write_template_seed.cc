// Writes a generated SAIP template to argv[1] as the seed of the
// profile_package fuzzer (tools/fuzz.sh).
#include <fstream>
#include <iostream>

#include "profiles/saip/template_builder.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto upp = smdp::profiles::saip::BuildTemplate();
  if (!upp.ok()) {
    std::cerr << upp.status() << "\n";
    return 1;
  }
  std::ofstream(argv[1], std::ios::binary) << *upp;
  return 0;
}
