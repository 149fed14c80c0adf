#include "profiles/profile_store.h"

#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace smdp::profiles {
namespace {

using store::ProfileState;

// The table of DESIGN.md "Profile and order states", written out once more,
// independently of the implementation.
const std::set<std::pair<ProfileState, ProfileState>>& AllowedChanges() {
  static const auto* const kAllowed =
      new std::set<std::pair<ProfileState, ProfileState>>{
          {store::AVAILABLE, store::ALLOCATED},
          {store::AVAILABLE, store::UNAVAILABLE},
          {store::ALLOCATED, store::LINKED},
          {store::ALLOCATED, store::CONFIRMED},
          {store::ALLOCATED, store::RELEASED},
          {store::ALLOCATED, store::AVAILABLE},
          {store::ALLOCATED, store::UNAVAILABLE},
          {store::LINKED, store::CONFIRMED},
          {store::LINKED, store::RELEASED},
          {store::LINKED, store::AVAILABLE},
          {store::LINKED, store::UNAVAILABLE},
          {store::CONFIRMED, store::RELEASED},
          {store::CONFIRMED, store::LINKED},
          {store::CONFIRMED, store::AVAILABLE},
          {store::CONFIRMED, store::UNAVAILABLE},
          {store::RELEASED, store::DOWNLOADED},
          {store::RELEASED, store::ERROR},
          {store::RELEASED, store::AVAILABLE},
          {store::RELEASED, store::UNAVAILABLE},
          {store::DOWNLOADED, store::INSTALLED},
          {store::DOWNLOADED, store::ERROR},
          {store::DOWNLOADED, store::RELEASED},
          {store::DOWNLOADED, store::UNAVAILABLE},
          {store::ERROR, store::AVAILABLE},
          {store::ERROR, store::UNAVAILABLE},
          // The eUICC's signed result after an LPA reported a failure.
          {store::ERROR, store::INSTALLED},
      };
  return *kAllowed;
}

TEST(IsAllowedTransitionTest, MatchesTheDesignTableForEveryPair) {
  int allowed = 0;
  for (int f = store::AVAILABLE; f <= store::UNAVAILABLE; ++f) {
    for (int t = store::AVAILABLE; t <= store::UNAVAILABLE; ++t) {
      auto from = static_cast<ProfileState>(f);
      auto to = static_cast<ProfileState>(t);
      bool want = from == to || AllowedChanges().count({from, to}) > 0;
      EXPECT_EQ(IsAllowedTransition(from, to), want)
          << StateName(from) << " -> " << StateName(to);
      allowed += want;
    }
  }
  EXPECT_EQ(allowed, 26 + 9);
}

TEST(IsAllowedTransitionTest, FinalStatesHaveNoWayOut) {
  for (ProfileState final_state : {store::INSTALLED, store::UNAVAILABLE}) {
    for (int t = store::AVAILABLE; t <= store::UNAVAILABLE; ++t) {
      auto to = static_cast<ProfileState>(t);
      EXPECT_EQ(IsAllowedTransition(final_state, to), to == final_state)
          << StateName(final_state) << " -> " << StateName(to);
    }
  }
}

TEST(IsAllowedTransitionTest, UnknownStatesAreRefused) {
  EXPECT_FALSE(
      IsAllowedTransition(store::PROFILE_STATE_UNSPECIFIED, store::AVAILABLE));
  EXPECT_FALSE(
      IsAllowedTransition(store::AVAILABLE, store::PROFILE_STATE_UNSPECIFIED));
  EXPECT_FALSE(IsAllowedTransition(store::PROFILE_STATE_UNSPECIFIED,
                                   store::PROFILE_STATE_UNSPECIFIED));
  EXPECT_FALSE(
      IsAllowedTransition(static_cast<ProfileState>(42), store::AVAILABLE));
  EXPECT_FALSE(
      IsAllowedTransition(store::AVAILABLE, static_cast<ProfileState>(-1)));
}

TEST(StateNameTest, NamesEveryState) {
  EXPECT_EQ(StateName(store::AVAILABLE), "AVAILABLE");
  EXPECT_EQ(StateName(store::ALLOCATED), "ALLOCATED");
  EXPECT_EQ(StateName(store::LINKED), "LINKED");
  EXPECT_EQ(StateName(store::CONFIRMED), "CONFIRMED");
  EXPECT_EQ(StateName(store::RELEASED), "RELEASED");
  EXPECT_EQ(StateName(store::DOWNLOADED), "DOWNLOADED");
  EXPECT_EQ(StateName(store::INSTALLED), "INSTALLED");
  EXPECT_EQ(StateName(store::ERROR), "ERROR");
  EXPECT_EQ(StateName(store::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_EQ(StateName(store::PROFILE_STATE_UNSPECIFIED), "UNSPECIFIED");
  EXPECT_EQ(StateName(static_cast<ProfileState>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace smdp::profiles
