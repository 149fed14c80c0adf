#include "profiles/profile_store.h"

namespace smdp::profiles {
namespace {

// Bit `to` is set in kAllowed[from] when `from` → `to` is a state change the
// state machine allows (DESIGN.md "Profile and order states").
constexpr uint32_t Bit(store::ProfileState s) { return 1u << s; }

constexpr uint32_t AllowedFrom(store::ProfileState from) {
  switch (from) {
    case store::AVAILABLE:
      return Bit(store::ALLOCATED) | Bit(store::UNAVAILABLE);
    case store::ALLOCATED:
      return Bit(store::LINKED) | Bit(store::CONFIRMED) | Bit(store::RELEASED) |
             Bit(store::AVAILABLE) | Bit(store::UNAVAILABLE);
    case store::LINKED:
      return Bit(store::CONFIRMED) | Bit(store::RELEASED) |
             Bit(store::AVAILABLE) | Bit(store::UNAVAILABLE);
    case store::CONFIRMED:
      return Bit(store::RELEASED) | Bit(store::LINKED) | Bit(store::AVAILABLE) |
             Bit(store::UNAVAILABLE);
    case store::RELEASED:
      return Bit(store::DOWNLOADED) | Bit(store::ERROR) |
             Bit(store::AVAILABLE) | Bit(store::UNAVAILABLE);
    case store::DOWNLOADED:
      return Bit(store::INSTALLED) | Bit(store::ERROR) | Bit(store::RELEASED) |
             Bit(store::UNAVAILABLE);
    case store::ERROR:
      // INSTALLED: the eUICC's signed result says the profile was installed
      // after all (an LPA reported a failure that was not one).
      return Bit(store::AVAILABLE) | Bit(store::UNAVAILABLE) |
             Bit(store::INSTALLED);
    case store::INSTALLED:
    case store::UNAVAILABLE:
      return 0;
    default:
      return 0;
  }
}

bool IsKnownState(store::ProfileState s) {
  return s >= store::AVAILABLE && s <= store::UNAVAILABLE;
}

}  // namespace

bool IsAllowedTransition(store::ProfileState from, store::ProfileState to) {
  if (!IsKnownState(from) || !IsKnownState(to)) return false;
  if (from == to) return true;  // an update within the state
  return (AllowedFrom(from) & Bit(to)) != 0;
}

absl::string_view StateName(store::ProfileState state) {
  switch (state) {
    case store::PROFILE_STATE_UNSPECIFIED:
      return "UNSPECIFIED";
    case store::AVAILABLE:
      return "AVAILABLE";
    case store::ALLOCATED:
      return "ALLOCATED";
    case store::LINKED:
      return "LINKED";
    case store::CONFIRMED:
      return "CONFIRMED";
    case store::RELEASED:
      return "RELEASED";
    case store::DOWNLOADED:
      return "DOWNLOADED";
    case store::INSTALLED:
      return "INSTALLED";
    case store::ERROR:
      return "ERROR";
    case store::UNAVAILABLE:
      return "UNAVAILABLE";
    default:
      return "UNKNOWN";
  }
}

}  // namespace smdp::profiles
