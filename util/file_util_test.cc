#include "util/file_util.h"

#include <sys/stat.h>

#include "gtest/gtest.h"

namespace smdp {
namespace {

TEST(FileUtilTest, AtomicWriteThenRead) {
  std::string dir = ::testing::TempDir() + "/file_util_test/a/b";
  ASSERT_TRUE(MakeDirs(dir).ok());
  std::string path = dir + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two", 0600).ok());
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(FileExists(path));
}

TEST(FileUtilTest, Errors) {
  EXPECT_EQ(ReadFile("/nonexistent/x").status().code(),
            absl::StatusCode::kNotFound);
  std::string path = ::testing::TempDir() + "/big";
  ASSERT_TRUE(WriteFileAtomically(path, std::string(100, 'x')).ok());
  EXPECT_EQ(ReadFile(path, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDirs(path + "/sub").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MakeDirs(path).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace smdp
