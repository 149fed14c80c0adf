#include "sgp22/fuzz/fuzz_targets.h"

#include <string>

#include "sgp22/authentication.h"
#include "sgp22/bpp.h"
#include "sgp22/der.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"

namespace smdp::sgp22::fuzz {
namespace {

template <typename T>
absl::Status Decode(absl::string_view input) {
  return T::Decode(input).status();
}

template <typename T>
void RunStable(absl::string_view input) {
  absl::StatusOr<T> first = T::Decode(input);
  if (!first.ok()) return;
  const std::string e1 = first->Encode();
  absl::StatusOr<T> second = T::Decode(e1);
  if (!second.ok()) __builtin_trap();
  const std::string e2 = second->Encode();
  if (e1 != e2) __builtin_trap();
}

absl::Status DecodeDer(absl::string_view input) {
  return der::ValidateDer(input);
}

void RunDer(absl::string_view input) {
  // Whatever validates must also walk with the Reader without error, and
  // re-emitting every top-level TLV must give the input back.
  if (!der::ValidateDer(input).ok()) return;
  der::Reader r(input, 0, "fuzz");
  der::Writer w;
  while (!r.AtEnd()) {
    absl::StatusOr<der::Tlv> tlv = r.Next();
    if (!tlv.ok()) __builtin_trap();
    w.Add(tlv->tag, tlv->value);
  }
  if (std::move(w).Finish() != input) __builtin_trap();
}

#define SMDP_TARGET(T) \
  { #T, &Decode < T>, &RunStable < T> }

}  // namespace

const std::vector<Target>& Targets() {
  static const std::vector<Target>* const targets = new std::vector<Target>{
      {"Der", &DecodeDer, &RunDer},
      SMDP_TARGET(EuiccInfo1),
      SMDP_TARGET(EuiccInfo2),
      SMDP_TARGET(ServerSigned1),
      SMDP_TARGET(CtxParams1),
      SMDP_TARGET(EuiccSigned1),
      SMDP_TARGET(AuthenticateServerRequest),
      SMDP_TARGET(AuthenticateServerResponse),
      SMDP_TARGET(StoreMetadataRequest),
      SMDP_TARGET(SmdpSigned2),
      SMDP_TARGET(PrepareDownloadRequest),
      SMDP_TARGET(EuiccSigned2),
      SMDP_TARGET(PrepareDownloadResponse),
      SMDP_TARGET(InitialiseSecureChannelRequest),
      SMDP_TARGET(ConfigureIsdpRequest),
      SMDP_TARGET(ReplaceSessionKeysRequest),
      SMDP_TARGET(BoundProfilePackage),
      SMDP_TARGET(NotificationMetadata),
      SMDP_TARGET(ProfileInstallationResult),
      SMDP_TARGET(OtherSignedNotification),
      SMDP_TARGET(PendingNotification),
      SMDP_TARGET(EuiccCancelSessionSigned),
      SMDP_TARGET(CancelSessionResponse),
  };
  return *targets;
}

const Target* FindTarget(absl::string_view name) {
  for (const Target& t : Targets()) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

void Run(const char* name, const uint8_t* data, size_t size) {
  const Target* const target = FindTarget(name);
  if (target == nullptr) __builtin_trap();
  target->run(absl::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace smdp::sgp22::fuzz
