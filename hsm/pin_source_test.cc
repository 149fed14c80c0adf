#include "hsm/pin_source.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"

namespace smdp::hsm {
namespace {

using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPin[] = "s3cr3t-PIN";

std::string WriteFile(const std::string& name, const std::string& content,
                      mode_t mode) {
  const char* base = getenv("TEST_TMPDIR");
  const std::string path = std::string(base ? base : "/tmp") + "/" + name;
  unlink(path.c_str());
  std::ofstream(path) << content;
  chmod(path.c_str(), mode);
  return path;
}

TEST(ReadPin, FromEnvironment) {
  setenv("SMDP_TEST_PIN", "1234\n", 1);
  ASSERT_OK_AND_ASSIGN(std::string pin, ReadPin({.env_var = "SMDP_TEST_PIN"}));
  EXPECT_EQ(pin, "1234");
}

TEST(ReadPin, EnvironmentErrorsNameTheVariable) {
  unsetenv("SMDP_TEST_UNSET");
  auto missing = ReadPin({.env_var = "SMDP_TEST_UNSET"});
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("SMDP_TEST_UNSET"));
  setenv("SMDP_TEST_EMPTY", "", 1);
  EXPECT_THAT(ReadPin({.env_var = "SMDP_TEST_EMPTY"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ReadPin, FromFileTrimsNewline) {
  const std::string path =
      WriteFile("pin_ok", std::string(kPin) + "\r\n", 0600);
  ASSERT_OK_AND_ASSIGN(std::string pin, ReadPin({.file = path}));
  EXPECT_EQ(pin, kPin);
  const std::string ro = WriteFile("pin_ro", kPin, 0400);
  ASSERT_OK_AND_ASSIGN(pin, ReadPin({.file = ro}));
  EXPECT_EQ(pin, kPin);
  // A symlink to a private file is fine (Kubernetes mounts secrets so).
  const std::string link = path + ".link";
  unlink(link.c_str());
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(pin, ReadPin({.file = link}));
  EXPECT_EQ(pin, kPin);
}

TEST(ReadPin, RefusesFileReadableByOthersWithoutLeakingThePin) {
  const std::string path = WriteFile("pin_loose", kPin, 0644);
  auto pin = ReadPin({.file = path});
  EXPECT_THAT(pin, StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::string message(pin.status().message());
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("0644"));
  EXPECT_THAT(message, Not(HasSubstr(kPin)));
  const std::string group = WriteFile("pin_group", kPin, 0640);
  EXPECT_THAT(ReadPin({.file = group}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ReadPin, FileErrors) {
  auto missing = ReadPin({.file = "/nonexistent/pin"});
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("/nonexistent/pin"));
  const std::string empty = WriteFile("pin_empty", "\n", 0600);
  EXPECT_THAT(ReadPin({.file = empty}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const char* base = getenv("TEST_TMPDIR");
  EXPECT_THAT(ReadPin({.file = base ? base : "/tmp"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ReadPin({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace smdp::hsm
