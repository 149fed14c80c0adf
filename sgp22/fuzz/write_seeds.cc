// Writes a seed corpus for every fuzz target: the encoded sample messages of
// test_messages.h, one file each, under <dir>/<TargetName>/. The "Der" target
// gets every sample; PendingNotification gets both notification kinds.
//
//   write_seeds /tmp/smdp-fuzz/corpus
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "sgp22/fuzz/fuzz_targets.h"
#include "sgp22/test_messages.h"

namespace {

bool WriteFile(const std::string& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

bool Wanted(const std::string& target, const std::string& type) {
  if (target == "Der" || target == type) return true;
  return target == "PendingNotification" &&
         (type == "ProfileInstallationResult" ||
          type == "OtherSignedNotification");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  mkdir(root.c_str(), 0755);
  for (const smdp::sgp22::fuzz::Target& t : smdp::sgp22::fuzz::Targets()) {
    const std::string dir = root + "/" + t.name;
    mkdir(dir.c_str(), 0755);
    for (const auto& [name, der] : smdp::sgp22::testing::AllEncodedSamples()) {
      if (!Wanted(t.name, name.substr(0, name.find('.')))) continue;
      if (!WriteFile(dir + "/seed-" + name, der)) {
        std::perror((dir + "/seed-" + name).c_str());
        return 1;
      }
    }
  }
  return 0;
}
